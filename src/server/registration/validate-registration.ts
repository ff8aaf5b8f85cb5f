/**
 * Validation of a Dynamic Client Registration request (RFC 7591 §2, §3.2.2) with the document
 * linter's rules that apply to a registered client: every rule except the `client_id` URL rules
 * (the server assigns the id) and the 5 KiB document size (the request has its own cap).
 *
 * This server's registration policy:
 * - `token_endpoint_auth_method` is `none` when absent (RFC 7591 would default it to
 *   `client_secret_basic`, a shared secret this server never issues), else `none` or
 *   `private_key_jwt` (with `jwks` or `jwks_uri`); shared-secret methods are refused.
 * - `client_secret` and `client_secret_expires_at` in the request are refused; `client_id`,
 *   `client_id_issued_at`, `registration_access_token`, `registration_client_uri` and
 *   `software_statement` (not supported, so never trusted) are ignored.
 * - `client_name` and a non-empty `redirect_uris` are required (MCP); redirect URIs are https,
 *   loopback http, or reverse-domain private-use schemes (CIMD-DOC-10, RURI-06).
 * - `application_type` (OpenID Connect Dynamic Client Registration §2, RFC 7591 extension) is
 *   required and is `native` or `web` (MCP 2026-07-28, SEP-837), unless the policy's
 *   `requireApplicationType` is `false`, in which case a missing one is recorded as `native`
 *   (what an MCP client on the user's machine is). A `web` client may not register a private-use
 *   scheme redirect URI: those are for native apps (RFC 8252 §7.1).
 * - `client_credentials` in `grant_types` (an agent acting as itself, with no user) only with
 *   `private_key_jwt` and its keys (`jwks` or `jwks_uri`): listed by a public client it is refused
 *   (`invalid_client_metadata`), never dropped. Registering it grants nothing by itself: the token
 *   endpoint still needs the server's `clientCredentials` policy to name the client.
 * - Only registered RFC 7591 members are kept; grant types this server does not implement are
 *   dropped; a malformed display URL (`client_uri`, `logo_uri`, `tos_uri`, `policy_uri`) is
 *   dropped rather than refused (RFC 7591 §3.2.1 lets the server replace values); defaults are
 *   written out (`grant_types` `["authorization_code"]`, `response_types` `["code"]`).
 * - A `jwks_uri` on an IP literal or a non-public host name is refused (CIMD-LINT-08) unless the
 *   server allows private networks (`clients.allowPrivateNetwork`); the SSRF-safe key fetcher
 *   applies the same policy again to the addresses it resolves when the keys are loaded.
 * - With `scopesSupported`, a `scope` may only list supported scopes.
 *
 * @module
 */
import type { Finding } from '../../document/findings.js';
import { lintClientMetadata } from '../../document/lint.js';
import { clientMetadataSchema } from '../../document/schema.js';
import { SUPPORTED_GRANT_TYPES } from '../clients/validate-document.js';
import { CLIENT_CREDENTIALS_GRANT } from '../grants/client-credentials.js';
import { InvalidClientMetadataWireError, InvalidRedirectUriError, type OAuthError } from '../oauth-errors.js';

/** What the validation needs from the server. */
export interface RegistrationPolicy {
  /** The scopes the server supports; `undefined` accepts any well-formed scope. */
  scopesSupported?: readonly string[] | undefined;
  /**
   * The server's `clients.allowPrivateNetwork` (default `false`): a `jwks_uri` on a private or
   * loopback host is accepted only when the server would also fetch from there.
   */
  allowPrivateNetwork?: boolean;
  /**
   * Whether a request without `application_type` is refused (`invalid_client_metadata`), as MCP
   * 2026-07-28 requires of every DCR request (SEP-837). Default `true`; `false` records a
   * missing one as `native`. A present value other than `native` or `web` is always refused.
   */
  requireApplicationType?: boolean;
}

/** The `application_type` values (OpenID Connect Dynamic Client Registration 1.0 §2). */
export const APPLICATION_TYPES = ['native', 'web'] as const;

/** An `application_type` value. */
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

/** The grant types a registered client may list: the redirect-based ones and `client_credentials`. */
const REGISTRABLE_GRANT_TYPES: readonly string[] = [...SUPPORTED_GRANT_TYPES, CLIENT_CREDENTIALS_GRANT];

/** Request members the server assigns or does not support: ignored. */
const IGNORED_MEMBERS = [
  'client_id',
  'client_id_issued_at',
  'registration_access_token',
  'registration_client_uri',
  'software_statement',
] as const;

/** Members that would hand the client a shared secret: refused. */
const SECRET_MEMBERS = ['client_secret', 'client_secret_expires_at'] as const;

/** Display-only URL members: dropped when malformed. */
const DROPPABLE_MEMBERS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;

/** The registered members kept, in the schema's order. */
const KNOWN_MEMBERS: readonly string[] = Object.keys(clientMetadataSchema.shape);

/** A stand-in `client_id` for linting: findings about it are not the registrant's concern. */
const LINT_CLIENT_ID = 'https://registration.example.com/client.json';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Lint errors that do not refuse a registration (see the module documentation). */
function isTolerated(finding: Finding, method: unknown): boolean {
  if (finding.severity !== 'error') return true;
  const { id, path } = finding;
  if (path === '$.client_id' || id === 'CIMD-DOC-07') return true;
  if (id === 'CIMD-DOC-12' && path === '$.token_endpoint_auth_signing_alg') return true;
  if (id === 'CIMD-LINT-07' && DROPPABLE_MEMBERS.some((member) => path === `$.${member}`)) return true;
  return id.startsWith('CIMD-KEY-') && method === 'none' && id !== 'CIMD-KEY-03' && id !== 'CIMD-KEY-05';
}

function isRedirectFinding(finding: Finding): boolean {
  return finding.path.startsWith('$.redirect_uris') || finding.id === 'RURI-06';
}

/** The wire error for the fatal findings: redirect URI problems first (`invalid_redirect_uri`). */
function refusal(fatal: readonly Finding[]): OAuthError {
  const redirect = fatal.filter(isRedirectFinding);
  const chosen = redirect.length > 0 ? redirect : fatal;
  const [first] = chosen;
  const more =
    fatal.length > 1 ? ` (and ${fatal.length - 1} more problem${fatal.length > 2 ? 's' : ''})` : '';
  const description = `${first?.message ?? 'the client metadata is invalid'} [${first?.id} at ${first?.path}]${more}`;
  return redirect.length > 0
    ? new InvalidRedirectUriError(description)
    : new InvalidClientMetadataWireError(description);
}

function checkRequired(input: Record<string, unknown>): void {
  const uris = input.redirect_uris;
  if (uris === undefined || (Array.isArray(uris) && uris.length === 0)) {
    throw new InvalidRedirectUriError(
      'redirect_uris is required: list the callback URI(s) of the client, e.g. ["http://127.0.0.1/callback"]',
    );
  }
  if (typeof input.client_name !== 'string' || input.client_name.trim() === '') {
    throw new InvalidClientMetadataWireError(
      'client_name is required (MCP): the name users see on the consent page, e.g. "Example MCP Client"',
    );
  }
}

/** The `application_type` of the request (SEP-837), refusing a missing or unknown one. */
function applicationTypeOf(input: Record<string, unknown>, policy: RegistrationPolicy): ApplicationType {
  const value = input.application_type;
  if (value === undefined && policy.requireApplicationType === false) return 'native';
  if (value === undefined) {
    throw new InvalidClientMetadataWireError(
      'application_type is required (MCP 2026-07-28, SEP-837): "native" for a client on the user\'s device (loopback or private-use redirect URIs), "web" for a client served from a web server; better still, use a Client ID Metadata Document URL as client_id instead of registering',
    );
  }
  if (!(APPLICATION_TYPES as readonly unknown[]).includes(value)) {
    throw new InvalidClientMetadataWireError(
      `application_type must be "native" or "web" (OpenID Connect Dynamic Client Registration §2), not ${JSON.stringify(value).slice(0, 100)}`,
    );
  }
  return value as ApplicationType;
}

/** A `web` client with a private-use scheme redirect URI (those are for native apps, RFC 8252 §7.1). */
function checkWebRedirects(type: ApplicationType, uris: unknown): void {
  if (type !== 'web' || !Array.isArray(uris)) return;
  const privateUse = uris.find(
    (uri) => typeof uri === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^https?:/i.test(uri),
  );
  if (privateUse !== undefined) {
    throw new InvalidRedirectUriError(
      `the redirect URI ${JSON.stringify(String(privateUse).slice(0, 200))} uses a private-use scheme, which only a "native" client may register (RFC 8252 §7.1); register with application_type "native" or use an https redirect URI`,
    );
  }
}

/**
 * `client_credentials` is for clients that prove a key they hold (`private_key_jwt`): a public
 * client has nothing to authenticate with, and this server issues no shared secrets.
 */
function checkClientCredentials(grants: unknown, method: unknown): void {
  if (!Array.isArray(grants) || !grants.includes(CLIENT_CREDENTIALS_GRANT) || method === 'private_key_jwt')
    return;
  throw new InvalidClientMetadataWireError(
    `the client_credentials grant needs token_endpoint_auth_method "private_key_jwt" with jwks or jwks_uri (the client signs its token requests with its key); ${JSON.stringify(String(method).slice(0, 50))} cannot use it. Remove client_credentials from grant_types, or register the client's public keys with private_key_jwt`,
  );
}

function checkScope(scope: unknown, policy: RegistrationPolicy): void {
  const supported = policy.scopesSupported;
  if (typeof scope !== 'string' || supported === undefined) return;
  const unknown = scope.split(' ').find((token) => token !== '' && !supported.includes(token));
  if (unknown !== undefined) {
    throw new InvalidClientMetadataWireError(
      `the scope ${JSON.stringify(unknown.slice(0, 100))} is not supported by this server; supported: ${supported.join(' ') || '(none)'}`,
    );
  }
}

/**
 * Validates a registration request body and returns the metadata to register (RFC 7591 wire
 * names, without `client_id`). See the module documentation for the policy.
 *
 * @throws InvalidClientMetadataWireError (`invalid_client_metadata`) or InvalidRedirectUriError
 *   (`invalid_redirect_uri`), 400, with a description naming the rule and member at fault.
 */
export function validateRegistration(
  input: unknown,
  policy: RegistrationPolicy = {},
): Record<string, unknown> {
  if (!isPlainObject(input)) {
    throw new InvalidClientMetadataWireError(
      'the registration request must be a JSON object of client metadata (RFC 7591 §2)',
    );
  }
  const secret = SECRET_MEMBERS.find((member) => member in input);
  if (secret !== undefined) {
    throw new InvalidClientMetadataWireError(
      `${secret} is not accepted: this server issues no client secrets; register with token_endpoint_auth_method "none" (public client) or "private_key_jwt" with jwks or jwks_uri`,
    );
  }
  checkRequired(input);
  const method = input.token_endpoint_auth_method ?? 'none';
  checkClientCredentials(input.grant_types, method);
  const kept: Record<string, unknown> = {};
  for (const member of KNOWN_MEMBERS) {
    if (input[member] !== undefined && !(IGNORED_MEMBERS as readonly string[]).includes(member)) {
      kept[member] = input[member];
    }
  }
  kept.token_endpoint_auth_method = method;

  const report = lintClientMetadata(
    { ...kept, client_id: LINT_CLIENT_ID },
    { allowPrivateNetwork: policy.allowPrivateNetwork ?? false },
  );
  const fatal = report.findings.filter((finding) => !isTolerated(finding, method));
  if (fatal.length > 0) throw refusal(fatal);
  checkScope(kept.scope, policy);
  const applicationType = applicationTypeOf(input, policy);
  checkWebRedirects(applicationType, input.redirect_uris);
  kept.application_type = applicationType;

  const dropped = new Set(
    report.findings
      .filter((finding) => finding.id === 'CIMD-LINT-07')
      .map((finding) => finding.path.slice(2)),
  );
  for (const member of dropped) delete kept[member];
  const grants = (kept.grant_types as string[] | undefined) ?? ['authorization_code'];
  kept.grant_types = REGISTRABLE_GRANT_TYPES.filter((grant) => grants.includes(grant));
  kept.response_types = ['code'];
  return kept;
}
