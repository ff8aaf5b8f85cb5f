/**
 * `createClientMetadata`: builds a CIMD document from camelCase options, lints it, and refuses
 * to hand back a document that breaks an error-level rule.
 *
 * @module
 */

import { InvalidOptionError } from '../errors.js';
import { InvalidClientMetadataError } from './errors.js';
import { createFinding, type Finding, hasErrorFinding, sortFindings } from './findings.js';
import { lintClientMetadata } from './lint.js';
import { CLIENT_ID_PATH } from './paths.js';
import { PLACEHOLDER_CLIENT_ID } from './placeholder.js';
import type { ClientMetadata } from './schema.js';

/** Options of {@link createClientMetadata}; each maps to the snake_case member named. */
export interface CreateClientMetadataOptions {
  /** `client_name`: the name users see. Required. */
  clientName: string;
  /** `redirect_uris`, in order. Required, non-empty. */
  redirectUris: string[];
  /**
   * `client_id`: the https URL the document will be served at. Default: {@link PLACEHOLDER_CLIENT_ID},
   * which the result flags (`placeholder: true` and a CIMD-LINT-15 warning).
   */
  clientId?: string;
  /** `scope`: space-separated scopes. Default: omitted. */
  scope?: string;
  /** `client_uri`. Default: omitted. */
  clientUri?: string;
  /** `logo_uri`. Default: omitted. */
  logoUri?: string;
  /** `tos_uri`. Default: omitted. */
  tosUri?: string;
  /** `policy_uri`. Default: omitted. */
  policyUri?: string;
  /** `token_endpoint_auth_method`. Default `'none'`. */
  tokenEndpointAuthMethod?: 'none' | 'private_key_jwt';
  /** `jwks_uri`: where the public JWK Set is served. Default: omitted. */
  jwksUri?: string;
  /** `jwks`: the public JWK Set inline (`{ keys: [...] }`). Default: omitted. */
  jwks?: unknown;
  /** `token_endpoint_auth_signing_alg`, e.g. `'ES256'`. Default: omitted. */
  signingAlg?: string;
  /** `grant_types`. Default `['authorization_code', 'refresh_token']`. */
  grantTypes?: string[];
  /** `application_type`. Default: omitted. */
  applicationType?: 'web' | 'native';
  /** `contacts`. Default: omitted. */
  contacts?: string[];
  /** `software_id`. Default: omitted. */
  softwareId?: string;
  /** `software_version`. Default: omitted. */
  softwareVersion?: string;
  /**
   * Not a member: accept IP-literal and non-public hosts (`localhost`, `*.test`, …) in
   * `clientId` and `jwksUri`, for documents served by a local development host. Never lifts the
   * https or redirect URI rules. Default `false`.
   */
  allowPrivateNetwork?: boolean;
}

/** The result of {@link createClientMetadata}. */
export interface CreatedClientMetadata {
  /** The document, with members in a fixed, readable order. */
  document: ClientMetadata;
  /** The warnings and info the linter found (never errors), sorted. */
  findings: Finding[];
  /** True when `client_id` is {@link PLACEHOLDER_CLIENT_ID} because no `clientId` was given. */
  placeholder: boolean;
  /**
   * The document as JSON text, without a trailing newline.
   *
   * @param pretty - indent by two spaces (default `true`); `false` gives one compact line.
   */
  toJSON(pretty?: boolean): string;
}

/** The default `grant_types`: refresh tokens need `refresh_token` listed. */
const DEFAULT_GRANT_TYPES = ['authorization_code', 'refresh_token'] as const;

/**
 * Builds a client metadata document. Members come in this order: `client_id`, `client_name`,
 * `redirect_uris`, `token_endpoint_auth_method` (default `none`), `grant_types` (default
 * authorization_code and refresh_token), `response_types` (`["code"]`), then, only when given,
 * `token_endpoint_auth_signing_alg`, `jwks_uri`, `jwks`, `scope`, `client_uri`, `logo_uri`,
 * `tos_uri`, `policy_uri`, `contacts`, `application_type`, `software_id`, `software_version`.
 *
 * The result is linted. Without `clientId`, the placeholder's own `client_id` findings are
 * replaced by one CIMD-LINT-15 warning. Any other error-level finding throws.
 *
 * @throws InvalidClientMetadataError (code `ERR_INVALID_CLIENT_METADATA`, with `findings`) when
 *   the document breaks an error-level rule.
 * @throws InvalidOptionError when `options` is not an object.
 */
export function createClientMetadata(options: CreateClientMetadataOptions): CreatedClientMetadata {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      'createClientMetadata: options must be an object with at least clientName and redirectUris.',
    );
  }
  const placeholder = options.clientId === undefined;
  const raw: Record<string, unknown> = {
    client_id: options.clientId ?? PLACEHOLDER_CLIENT_ID,
    client_name: options.clientName,
    redirect_uris: copyList(options.redirectUris),
    token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'none',
    grant_types: copyList(options.grantTypes ?? DEFAULT_GRANT_TYPES),
    response_types: ['code'],
  };
  const optional: ReadonlyArray<readonly [string, unknown]> = [
    ['token_endpoint_auth_signing_alg', options.signingAlg],
    ['jwks_uri', options.jwksUri],
    ['jwks', options.jwks],
    ['scope', options.scope],
    ['client_uri', options.clientUri],
    ['logo_uri', options.logoUri],
    ['tos_uri', options.tosUri],
    ['policy_uri', options.policyUri],
    ['contacts', options.contacts === undefined ? undefined : copyList(options.contacts)],
    ['application_type', options.applicationType],
    ['software_id', options.softwareId],
    ['software_version', options.softwareVersion],
  ];
  for (const [member, value] of optional) {
    if (value !== undefined) raw[member] = value;
  }

  const report = lintClientMetadata(raw, { allowPrivateNetwork: options.allowPrivateNetwork === true });
  let findings = report.findings;
  if (placeholder) {
    // The placeholder is meant to fail the URL rules; say so once instead.
    findings = findings.filter(
      (finding) =>
        finding.path !== CLIENT_ID_PATH && finding.id !== 'CIMD-LINT-14' && finding.id !== 'CIMD-LINT-15',
    );
    findings.push(
      createFinding(
        'CIMD-LINT-15',
        `client_id is the placeholder ${PLACEHOLDER_CLIENT_ID}; replace it with the https URL you will serve this document at (or pass clientId).`,
        CLIENT_ID_PATH,
      ),
    );
    sortFindings(findings);
  }
  if (hasErrorFinding(findings) || report.document === undefined)
    throw new InvalidClientMetadataError(findings);

  const document = report.document;
  return {
    document,
    findings,
    placeholder,
    toJSON(pretty?: boolean): string {
      // JSON.stringify(created) calls toJSON with a key string: treat anything but false as pretty.
      return pretty === false ? JSON.stringify(document) : JSON.stringify(document, null, 2);
    },
  };
}

function copyList(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}
