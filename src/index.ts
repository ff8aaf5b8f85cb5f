/**
 * `mcp-cimd`: OAuth Client ID Metadata Documents (CIMD) for MCP. The package root is the
 * document toolkit, runtime-neutral (no `node:` imports): the schema, the `client_id` URL rules,
 * the lint rules with stable IDs, the redirect-URI matcher, `createClientMetadata`, and the
 * errors with stable codes. Fetching, keys, the client and the server live in subpath exports.
 *
 * @module
 */

export { type ClientIdUrlOptions, checkClientIdUrl, isClientIdUrl } from './document/client-id-url.js';
export {
  type CreateClientMetadataOptions,
  type CreatedClientMetadata,
  createClientMetadata,
} from './document/create.js';
export { InvalidClientMetadataError } from './document/errors.js';
export type { Finding, Severity } from './document/findings.js';
export { type LintJwksOptions, lintJwks } from './document/jwks-lint.js';
export {
  type LintOptions,
  type LintReport,
  lintClientMetadata,
  MAX_CLIENT_METADATA_BYTES,
} from './document/lint.js';
export { PLACEHOLDER_CLIENT_ID } from './document/placeholder.js';
export { isLoopbackRedirectUri, matchRedirectUri, type RedirectMatch } from './document/redirect-uri.js';
export { LINT_RULES, type RuleInfo } from './document/rules.js';
export { type ClientMetadata, type ClientMetadataJwk, clientMetadataSchema } from './document/schema.js';
export { CimdError, type CimdErrorCode, InvalidOptionError, isCimdError } from './errors.js';
