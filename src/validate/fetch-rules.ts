/**
 * Rules that only a fetch can check, so `lintClientMetadata` never reports them:
 * `cimd validate` and {@link validateClientMetadataUrl} turn these fetch failures into findings
 * (exit 1), while every other fetch failure means the document could not be checked (exit 2).
 *
 * @module
 */
import type { RuleInfo } from '../document/rules.js';
import type { CimdErrorCode } from '../errors.js';

/** The catalogue of fetch-only rules, documented in docs/lint-rules.md beside `LINT_RULES`. */
export const FETCH_RULES = Object.freeze([
  { id: 'CIMD-DOC-02', severity: 'error', summary: 'The body is JSON.' },
  {
    id: 'CIMD-DOC-04',
    severity: 'error',
    summary: 'The Content-Type is application/json or application/<x>+json.',
  },
  { id: 'CIMD-DOC-07', severity: 'error', summary: 'The body is at most 5120 bytes.' },
  {
    id: 'CIMD-KEY-11',
    severity: 'error',
    summary: 'jwks_uri serves a usable JWKS (200, JSON, at most 64 KiB, no redirect).',
  },
] as const satisfies readonly RuleInfo[]);

/** The fetch failures that say something about the document itself, with the rule they break. */
export const DOCUMENT_FETCH_FAILURES: Readonly<Partial<Record<CimdErrorCode, string>>> = Object.freeze({
  ERR_FETCH_INVALID_JSON: 'CIMD-DOC-02',
  ERR_FETCH_CONTENT_TYPE: 'CIMD-DOC-04',
  ERR_FETCH_TOO_LARGE: 'CIMD-DOC-07',
});

/** The rule for a `jwks_uri` that could not be fetched or is not a JWKS. */
export const JWKS_URI_FETCH_RULE = 'CIMD-KEY-11';
