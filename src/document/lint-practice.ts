/**
 * Good-practice rules about names, repetition and reach: CIMD-LINT-11 (client_name),
 * CIMD-LINT-12 (duplicates) and CIMD-LINT-16 (no `scope`, so no ceiling).
 *
 * @module
 */

import type { LintContext } from './lint-context.js';
import { childPath } from './paths.js';

/** CIMD-LINT-11: the length above which `client_name` draws a warning, in characters. */
export const CLIENT_NAME_RECOMMENDED_MAX_LENGTH = 100;

const LIST_MEMBERS = ['redirect_uris', 'grant_types', 'response_types', 'contacts'] as const;

/** Runs the name and duplicate rules. */
export function lintPractice(ctx: LintContext): void {
  const { doc } = ctx;
  const name = doc.client_name;
  if (typeof name === 'string') {
    const length = [...name].length;
    if (name.trim() === '') {
      ctx.add(
        'CIMD-LINT-11',
        'client_name is empty; set the name users should see on the consent screen.',
        '$.client_name',
      );
    } else if (length > CLIENT_NAME_RECOMMENDED_MAX_LENGTH) {
      ctx.add(
        'CIMD-LINT-11',
        `client_name is ${length} characters long; consent screens truncate long names. Keep it under ${CLIENT_NAME_RECOMMENDED_MAX_LENGTH} characters.`,
        '$.client_name',
      );
    }
  }

  for (const member of LIST_MEMBERS) {
    const list = doc[member];
    if (!Array.isArray(list)) continue;
    const seen = new Set<string>();
    list.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string') return;
      if (seen.has(entry)) {
        ctx.add(
          'CIMD-LINT-12',
          `${JSON.stringify(entry)} is listed more than once in ${member}; remove the duplicate.`,
          childPath(`$.${member}`, index),
        );
      }
      seen.add(entry);
    });
  }

  const scope = doc.scope;
  if (scope === undefined) {
    ctx.add(
      'CIMD-LINT-16',
      'no scope: the client may ask for any scope the server offers. Add "scope" with the scopes it needs (e.g. "scope": "mcp:tools"): servers that treat it as a ceiling, as this package does, then never grant more.',
      '$',
    );
  }
  if (typeof scope === 'string') {
    const seen = new Set<string>();
    for (const token of scope.split(' ').filter((part) => part !== '')) {
      if (seen.has(token)) {
        ctx.add(
          'CIMD-LINT-12',
          `The scope ${JSON.stringify(token)} is listed more than once in scope; remove the duplicate.`,
          '$.scope',
        );
      }
      seen.add(token);
    }
  }
}
