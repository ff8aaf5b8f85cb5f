/**
 * Grant and response type rules: CIMD-LINT-02 (refresh_token), -03 (authorization_code, or
 * client_credentials for an agent), -04 (no implicit), -05 and -06 (response_types).
 *
 * @module
 */

import type { LintContext } from './lint-context.js';
import { childPath } from './paths.js';

/** Runs the grant and response type rules. */
export function lintGrants(ctx: LintContext): void {
  const grants = ctx.doc.grant_types;
  if (grants === undefined) {
    ctx.add(
      'CIMD-LINT-02',
      'grant_types is missing; RFC 7591 then defaults it to ["authorization_code"] only, and many servers refuse to refresh tokens. Set "grant_types": ["authorization_code", "refresh_token"].',
      '$.grant_types',
    );
  } else if (Array.isArray(grants)) {
    // An agent acting as itself (no user) uses client_credentials only, and gets no refresh tokens.
    const agent = !grants.includes('authorization_code') && grants.includes('client_credentials');
    if (!grants.includes('authorization_code') && !agent) {
      ctx.add(
        'CIMD-LINT-03',
        'grant_types lists neither authorization_code, the way an MCP client obtains tokens for a user, nor client_credentials (an agent acting as itself); add "authorization_code".',
        '$.grant_types',
      );
    }
    grants.forEach((grant: unknown, index) => {
      if (grant === 'implicit') {
        ctx.add(
          'CIMD-LINT-04',
          'The implicit grant is removed by OAuth 2.1 and refused by CIMD servers; remove "implicit" and use authorization_code with PKCE.',
          childPath('$.grant_types', index),
        );
      }
    });
    if (!grants.includes('refresh_token') && !agent) {
      ctx.add(
        'CIMD-LINT-02',
        'grant_types does not list refresh_token, so many servers will not issue or honour refresh tokens and users must sign in again when the access token expires. Add "refresh_token".',
        '$.grant_types',
      );
    }
  }

  const responses = ctx.doc.response_types;
  if (!Array.isArray(responses)) return;
  if (!responses.includes('code')) {
    ctx.add(
      'CIMD-LINT-05',
      'response_types does not list "code"; MCP uses the authorization code flow. Set "response_types": ["code"].',
      '$.response_types',
    );
  }
  responses.forEach((type: unknown, index) => {
    if (typeof type !== 'string' || type === 'code') return;
    const path = childPath('$.response_types', index);
    if (type.split(' ').includes('token')) {
      ctx.add(
        'CIMD-LINT-05',
        `The response type ${JSON.stringify(type)} returns an access token from the authorization endpoint (implicit flow), which OAuth 2.1 removes; remove it and keep ["code"].`,
        path,
      );
    } else {
      ctx.add(
        'CIMD-LINT-06',
        `The response type ${JSON.stringify(type)} is not used by MCP clients, and servers ignore or refuse it; keep "response_types": ["code"].`,
        path,
      );
    }
  });
}
