/**
 * Server-side acceptance of a fetched client metadata document (CIMD-AS-04..09, MCP-AS-08): the
 * linter's error findings refuse the document, except the few listed in
 * {@link TOLERATED_SERVER_SIDE} that an authorization server can safely ignore; warnings never
 * refuse it.
 *
 * @module
 */
import { type Finding, hasErrorFinding } from '../../document/findings.js';
import { lintClientMetadata } from '../../document/lint.js';
import type { ClientMetadata } from '../../document/schema.js';
import { ClientResolutionError, echoId } from './errors.js';
import { fingerprintClientMetadata } from './fingerprint.js';

/** The grant types this server implements, in the order `grantTypes` lists them. */
export const SUPPORTED_GRANT_TYPES = Object.freeze(['authorization_code', 'refresh_token'] as const);

/** RFC 7591 §2: `grant_types` defaults to `["authorization_code"]`. */
const DEFAULT_GRANT_TYPES = ['authorization_code'];

/** Display-only URL members: a bad one is dropped from the metadata instead of refusing the client. */
const DROPPABLE_URL_MEMBERS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;

/**
 * The lint errors an authorization server does NOT refuse a client for, and why:
 *
 * - `CIMD-URL-01`/`CIMD-URL-09` on an `http` loopback `client_id`, only with the
 *   `dangerouslyAllowHttpClientIds` opt-in: that is what the opt-in is for.
 * - `CIMD-DOC-12` for a missing `token_endpoint_auth_signing_alg` (keys present): OpenID Connect
 *   Dynamic Registration §2 says any algorithm the server supports may then be used; the
 *   `private_key_jwt` verifier applies its own algorithm allowlist and key-type fit.
 * - `CIMD-LINT-04` (`implicit` listed): an unsupported grant like any other; `grantTypes` is the
 *   intersection with what the server supports, so it is never granted (CIMD-AS-06).
 * - `CIMD-LINT-05` on an extra token-returning response type (`$.response_types[i]`): this server
 *   only ever answers with a code, so the extra type is ignored like an unknown member. (A
 *   `response_types` without `"code"` stays fatal.)
 * - `CIMD-LINT-07` on `client_uri`, `logo_uri`, `tos_uri` or `policy_uri`: display-only members.
 *   The bad member is REMOVED from the resolved metadata, so it is never shown nor fetched.
 * - `CIMD-KEY-*` except `-03` and `-05` when the auth method is `none`: the keys are never used.
 *   (Published private or symmetric key material stays fatal whatever the method: the document
 *   leaks a secret, the reason CIMD-AS-09 refuses `client_secret`.)
 *
 * Every other error is fatal, notably: the JSON shape and member types (CIMD-DOC-02), `client_id`
 * equality (CIMD-DOC-03), shared-secret methods and secrets (CIMD-DOC-05, -06), size (-07), both
 * `jwks` and `jwks_uri` (-08), the MCP required members (-09), redirect URIs (-10, RURI-06),
 * `private_key_jwt` without keys (-12), `grant_types` without `authorization_code` (CIMD-LINT-03),
 * a bad `jwks_uri` (CIMD-LINT-07, -08) and every key error of a `private_key_jwt` client.
 */
export const TOLERATED_SERVER_SIDE: readonly string[] = Object.freeze([
  'CIMD-URL-01 and CIMD-URL-09 (http loopback client_id, with dangerouslyAllowHttpClientIds)',
  'CIMD-DOC-12 at $.token_endpoint_auth_signing_alg (missing signing alg)',
  'CIMD-LINT-04 (implicit grant listed)',
  'CIMD-LINT-05 at $.response_types[i] (extra token-returning response type)',
  'CIMD-LINT-07 at $.client_uri, $.logo_uri, $.tos_uri, $.policy_uri (member dropped)',
  'CIMD-KEY-* except CIMD-KEY-03 and CIMD-KEY-05 when token_endpoint_auth_method is none',
]);

/** Options of {@link acceptClientMetadataDocument}. */
export interface AcceptDocumentOptions {
  /** The URL the document was fetched from: its `client_id` must equal it byte for byte. */
  url: string;
  /** The body's size in bytes. */
  byteLength: number;
  /** Accept non-public hosts in `client_id` and `jwks_uri` (development). Default `false`. */
  allowPrivateNetwork?: boolean;
  /** `reject` (default): a document without `token_endpoint_auth_method` is refused; `none`: it is a public client. */
  missingAuthMethod?: 'reject' | 'none';
  /** The `client_id` is an `http` loopback URL accepted under `dangerouslyAllowHttpClientIds`. Default `false`. */
  httpLoopbackClientId?: boolean;
}

/** A document the server accepts, ready to become a `ResolvedClient`. */
export interface AcceptedDocument {
  /** The parsed metadata, deeply frozen; unknown members kept, bad display-only URLs removed. */
  metadata: ClientMetadata;
  authMethod: 'none' | 'private_key_jwt';
  redirectUris: readonly string[];
  /** The supported grant types the document lists (RFC 7591 default: `authorization_code`). */
  grantTypes: readonly string[];
  /** See `fingerprintClientMetadata`; computed with the effective auth method. */
  fingerprint: string;
  /** Findings that did not refuse the document (warnings, info, tolerated errors). */
  notes: readonly Finding[];
}

/** Every subset of {@link SUPPORTED_GRANT_TYPES} in order, frozen once: cached documents share them. */
const GRANT_TYPE_SETS: readonly (readonly string[])[] = Object.freeze([
  Object.freeze(['authorization_code', 'refresh_token']),
  Object.freeze(['authorization_code']),
  Object.freeze(['refresh_token']),
  Object.freeze([]),
]);

/** The shared frozen array equal to `grantTypes` (a subset of the supported ones, in their order). */
function sharedGrantTypes(grantTypes: readonly string[]): readonly string[] {
  const key = grantTypes.join(' ');
  return GRANT_TYPE_SETS.find((set) => set.join(' ') === key) ?? Object.freeze([...grantTypes]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Freezes `value` and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

function isTolerated(finding: Finding, authMethod: string | undefined, httpLoopback: boolean): boolean {
  if (finding.severity !== 'error') return true;
  const { id, path } = finding;
  if (httpLoopback && path === '$.client_id' && (id === 'CIMD-URL-01' || id === 'CIMD-URL-09')) return true;
  if (id === 'CIMD-DOC-12' && path === '$.token_endpoint_auth_signing_alg') return true;
  if (id === 'CIMD-LINT-04') return true;
  if (id === 'CIMD-LINT-05' && path.startsWith('$.response_types[')) return true;
  if (id === 'CIMD-LINT-07' && DROPPABLE_URL_MEMBERS.some((member) => path === `$.${member}`)) return true;
  if (id.startsWith('CIMD-KEY-') && authMethod === 'none' && id !== 'CIMD-KEY-03' && id !== 'CIMD-KEY-05') {
    return true;
  }
  return false;
}

function refusal(url: string, fatal: readonly Finding[]): ClientResolutionError {
  const [first] = fatal;
  const more =
    fatal.length > 1 ? ` (and ${fatal.length - 1} more problem${fatal.length > 2 ? 's' : ''})` : '';
  return new ClientResolutionError(
    'ERR_CIMD_INVALID_DOCUMENT',
    url,
    `the client metadata document at ${echoId(url)} is not acceptable: ${first?.message ?? 'it is invalid'}${more}`,
    { findings: fatal },
  );
}

/**
 * Decides whether the server accepts a fetched document, and builds what the registry needs.
 * Throws a `ClientResolutionError`: `ERR_CIMD_INVALID_DOCUMENT` (not a JSON object, a fatal lint
 * error, or no `token_endpoint_auth_method` under `missingAuthMethod: 'reject'`), or
 * `ERR_CIMD_CLIENT_ID_MISMATCH` ("the document's client_id does not match its URL").
 */
export async function acceptClientMetadataDocument(
  json: unknown,
  options: AcceptDocumentOptions,
): Promise<AcceptedDocument> {
  const { url } = options;
  const report = lintClientMetadata(json, {
    url,
    byteLength: options.byteLength,
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
  });
  if (!isPlainObject(json)) {
    throw refusal(
      url,
      report.findings.filter((finding) => finding.severity === 'error'),
    );
  }

  const documentClientId = json.client_id;
  if (documentClientId !== url) {
    const said =
      typeof documentClientId === 'string'
        ? `the document says ${JSON.stringify(echoId(documentClientId))}`
        : 'the document has no client_id string';
    throw new ClientResolutionError(
      'ERR_CIMD_CLIENT_ID_MISMATCH',
      url,
      `the document's client_id does not match its URL: it was fetched from ${echoId(url)} but ${said}; they must be equal byte for byte`,
      {
        findings: report.findings.filter((finding) => finding.severity === 'error'),
        ...(typeof documentClientId === 'string' ? { documentClientId } : {}),
      },
    );
  }

  const declared = json.token_endpoint_auth_method;
  if (declared === undefined && options.missingAuthMethod !== 'none') {
    throw new ClientResolutionError(
      'ERR_CIMD_INVALID_DOCUMENT',
      url,
      `the client metadata document at ${echoId(url)} has no token_endpoint_auth_method; this server requires it to be "none" or "private_key_jwt" (RFC 7591 would default it to client_secret_basic, which CIMD forbids)`,
      { findings: report.findings.filter((finding) => finding.id === 'CIMD-DOC-11') },
    );
  }
  const effective = declared === undefined ? 'none' : declared;
  const httpLoopback = options.httpLoopbackClientId === true;
  const effectiveMethod = typeof effective === 'string' ? effective : undefined;
  const fatal = report.findings.filter((finding) => !isTolerated(finding, effectiveMethod, httpLoopback));
  if (hasErrorFinding(fatal)) throw refusal(url, fatal);
  const parsed = report.document;
  if (parsed === undefined || (effective !== 'none' && effective !== 'private_key_jwt')) {
    // Unreachable while the linter reports these as errors; kept so a gap fails closed.
    throw refusal(url, [
      {
        id: 'CIMD-DOC-02',
        severity: 'error',
        message: 'The document could not be read as client metadata.',
        path: '$',
      },
    ]);
  }

  const dropped = new Set(
    report.findings
      .filter((finding) => finding.id === 'CIMD-LINT-07')
      .map((finding) => finding.path.slice(2)),
  );
  const metadata = Object.fromEntries(
    Object.entries(parsed).filter(([member]) => !dropped.has(member)),
  ) as ClientMetadata;
  // Equal byte for byte (checked above): keep one string, the URL's, not a second copy.
  metadata.client_id = url;
  const listed = metadata.grant_types ?? DEFAULT_GRANT_TYPES;
  const grantTypes = sharedGrantTypes(SUPPORTED_GRANT_TYPES.filter((grant) => listed.includes(grant)));
  const fingerprint = await fingerprintClientMetadata({ ...metadata, token_endpoint_auth_method: effective });
  deepFreeze(metadata);
  return {
    metadata,
    authMethod: effective,
    redirectUris: metadata.redirect_uris,
    grantTypes,
    fingerprint,
    notes: Object.freeze(report.findings.filter((finding) => !fatal.includes(finding))),
  };
}
