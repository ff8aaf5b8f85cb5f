/**
 * What every group of document rules receives.
 *
 * @module
 */

import type { Finding } from './findings.js';
import type { RuleId } from './rules.js';

/** The state shared by the rule groups of one `lintClientMetadata` run. */
export interface LintContext {
  /** The document, known to be a JSON object; member types are not yet trusted. */
  readonly doc: Readonly<Record<string, unknown>>;
  /** Whether non-public hosts are accepted (CIMD-URL-09, CIMD-LINT-08). */
  readonly allowPrivateNetwork: boolean;
  /** Records a finding of `id` at `path`. */
  add(id: RuleId, message: string, path: string): void;
  /** Records findings produced elsewhere (e.g. by `lintJwks`). */
  push(...findings: Finding[]): void;
}

/** True when `value` is a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
