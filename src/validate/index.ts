/**
 * `mcp-cimd/validate`: validate a Client ID Metadata Document exactly as an authorization server
 * would see it, from its URL or from a file before publishing. Node only.
 *
 * @module
 */

export { compareDocuments, type DocumentDifference } from './compare-document.js';
export { DOCUMENT_FETCH_FAILURES, FETCH_RULES, JWKS_URI_FETCH_RULE } from './fetch-rules.js';
export { type HostingHint, type HostingHintId, hostingHintFor } from './hosting-hints.js';
export type {
  RedirectUriVerdict,
  ValidationCheck,
  ValidationProblem,
  ValidationReport,
} from './report.js';
export {
  type ValidateOptions,
  validateClientMetadataFile,
  validateClientMetadataUrl,
} from './validate-document.js';
