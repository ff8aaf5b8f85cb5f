/**
 * The catalogue of lint rules: every rule ID this package can report, with its severity and a
 * one-line summary. IDs taken from the requirements (CIMD-URL-*, CIMD-DOC-*, RURI-*) keep their
 * meaning; CIMD-KEY-* (keys) and CIMD-LINT-* (good practice) are this package's own.
 * `docs/lint-rules.md` documents each rule with its fix.
 *
 * @module
 */

/**
 * How serious a finding is. `error` makes a document invalid; `warning` is valid but likely to
 * break or surprise somewhere; `info` is worth knowing and needs no action.
 */
export type Severity = 'error' | 'warning' | 'info';

/** One entry of the rule catalogue. */
export interface RuleInfo {
  /** The stable rule ID, e.g. `CIMD-DOC-05`. */
  id: string;
  /** The severity every finding of this rule has. */
  severity: Severity;
  /** What the rule checks, in one line. */
  summary: string;
}

const RULES = [
  // client_id URL (CIMD-01 §3)
  {
    id: 'CIMD-URL-01',
    severity: 'error',
    summary: 'client_id is an https URL with a host (and a numeric port if any).',
  },
  { id: 'CIMD-URL-02', severity: 'error', summary: 'client_id has a path other than "" or "/".' },
  {
    id: 'CIMD-URL-03',
    severity: 'error',
    summary: 'client_id has no "." or ".." path segment, raw or percent-encoded.',
  },
  { id: 'CIMD-URL-04', severity: 'error', summary: 'client_id has no fragment, not even a bare "#".' },
  { id: 'CIMD-URL-05', severity: 'error', summary: 'client_id has no userinfo (user name or password).' },
  { id: 'CIMD-URL-06', severity: 'warning', summary: 'client_id should not have a query string.' },
  {
    id: 'CIMD-URL-08',
    severity: 'warning',
    summary: 'client_id should be short (at most 100 characters): users see it.',
  },
  {
    id: 'CIMD-URL-09',
    severity: 'error',
    summary:
      'client_id host is not an IP literal (any spelling) nor a non-public name (lifted by allowPrivateNetwork).',
  },
  // The document (CIMD-01 §4.1, MCP §5.1.1, §11.3, RFC 7591)
  {
    id: 'CIMD-DOC-02',
    severity: 'error',
    summary: 'The document is a JSON object and its registered members have the right types.',
  },
  {
    id: 'CIMD-DOC-03',
    severity: 'error',
    summary: 'client_id equals the URL the document is served at, byte for byte.',
  },
  {
    id: 'CIMD-DOC-05',
    severity: 'error',
    summary: 'token_endpoint_auth_method is "none" or "private_key_jwt" (no shared secrets).',
  },
  { id: 'CIMD-DOC-06', severity: 'error', summary: 'No client_secret or client_secret_expires_at member.' },
  { id: 'CIMD-DOC-07', severity: 'error', summary: 'The document is at most 5120 bytes.' },
  { id: 'CIMD-DOC-08', severity: 'error', summary: 'Not both jwks and jwks_uri.' },
  {
    id: 'CIMD-DOC-09',
    severity: 'error',
    summary: 'client_id, client_name and a non-empty redirect_uris are present.',
  },
  {
    id: 'CIMD-DOC-10',
    severity: 'error',
    summary:
      'Every redirect URI is https, loopback http or a reverse-domain private-use scheme, without userinfo, fragment, dot segments or bad ports.',
  },
  { id: 'CIMD-DOC-11', severity: 'warning', summary: 'token_endpoint_auth_method is set explicitly.' },
  {
    id: 'CIMD-DOC-12',
    severity: 'error',
    summary:
      'private_key_jwt comes with keys (jwks or jwks_uri, non-empty) and token_endpoint_auth_signing_alg.',
  },
  // Redirect URIs (RFC 8252 §7.1)
  {
    id: 'RURI-06',
    severity: 'error',
    summary: 'A private-use redirect scheme is in reverse-domain form (contains a ".").',
  },
  // Keys (this package)
  {
    id: 'CIMD-KEY-01',
    severity: 'error',
    summary: 'jwks is an object whose "keys" is an array of JWK objects.',
  },
  { id: 'CIMD-KEY-02', severity: 'error', summary: 'jwks.keys is not empty.' },
  {
    id: 'CIMD-KEY-03',
    severity: 'error',
    summary: 'No private key member (d, p, q, dp, dq, qi, oth, k) in a published key.',
  },
  { id: 'CIMD-KEY-04', severity: 'error', summary: 'Every key has a kty.' },
  { id: 'CIMD-KEY-05', severity: 'error', summary: 'No symmetric (kty "oct") key.' },
  { id: 'CIMD-KEY-06', severity: 'error', summary: 'Every key has a kid, unique within the set.' },
  {
    id: 'CIMD-KEY-07',
    severity: 'error',
    summary:
      'The signing alg is an asymmetric JWS algorithm (RS*, PS*, ES*, EdDSA/Ed25519); never none or HS*.',
  },
  {
    id: 'CIMD-KEY-08',
    severity: 'error',
    summary: 'Every key can verify the signing alg (key type and curve match).',
  },
  { id: 'CIMD-KEY-09', severity: 'error', summary: "A key's own alg, when present, equals the signing alg." },
  {
    id: 'CIMD-KEY-10',
    severity: 'error',
    summary: 'A key\'s use, when present, is "sig" (and key_ops allows "verify").',
  },
  // Good practice (this package)
  {
    id: 'CIMD-LINT-01',
    severity: 'error',
    summary: 'client_id has no whitespace, control character or backslash.',
  },
  { id: 'CIMD-LINT-02', severity: 'warning', summary: 'grant_types lists refresh_token.' },
  {
    id: 'CIMD-LINT-03',
    severity: 'error',
    summary: 'grant_types, when present, lists authorization_code (or client_credentials, for an agent).',
  },
  { id: 'CIMD-LINT-04', severity: 'error', summary: 'grant_types does not list implicit.' },
  {
    id: 'CIMD-LINT-05',
    severity: 'error',
    summary:
      'response_types, when present, lists "code" and nothing that returns a token from the authorization endpoint.',
  },
  { id: 'CIMD-LINT-06', severity: 'warning', summary: 'response_types lists nothing besides "code".' },
  {
    id: 'CIMD-LINT-07',
    severity: 'error',
    summary:
      'client_uri, logo_uri, tos_uri, policy_uri and jwks_uri are https URLs with a host and no userinfo (jwks_uri: no fragment).',
  },
  {
    id: 'CIMD-LINT-08',
    severity: 'error',
    summary: 'jwks_uri host is not an IP literal nor a non-public name (lifted by allowPrivateNetwork).',
  },
  {
    id: 'CIMD-LINT-09',
    severity: 'warning',
    summary: 'Loopback redirect URIs are listed for both localhost and 127.0.0.1.',
  },
  {
    id: 'CIMD-LINT-10',
    severity: 'warning',
    summary: 'No FastMCP-style wildcard port (http://localhost:*/…).',
  },
  {
    id: 'CIMD-LINT-11',
    severity: 'warning',
    summary: 'client_name is neither empty nor longer than 100 characters.',
  },
  {
    id: 'CIMD-LINT-12',
    severity: 'warning',
    summary: 'No duplicate redirect URI, grant type, response type, contact or scope.',
  },
  {
    id: 'CIMD-LINT-13',
    severity: 'warning',
    summary: 'No jwks or jwks_uri when token_endpoint_auth_method is "none" (unused keys).',
  },
  { id: 'CIMD-LINT-14', severity: 'info', summary: 'client_uri is on the same origin as client_id.' },
  {
    id: 'CIMD-LINT-15',
    severity: 'warning',
    summary: 'client_id is not the placeholder that createClientMetadata writes.',
  },
  {
    id: 'CIMD-LINT-16',
    severity: 'info',
    summary: 'The document declares a scope: without one the client may ask for any scope the server offers.',
  },
] as const satisfies readonly RuleInfo[];

/** Every rule ID in the catalogue, as a string literal union. */
export type RuleId = (typeof RULES)[number]['id'];

/**
 * The rule catalogue: every rule ID this package reports, exactly once, with its severity and a
 * one-line summary. Frozen.
 */
export const LINT_RULES: readonly RuleInfo[] = Object.freeze(RULES.map((rule) => Object.freeze({ ...rule })));

const SEVERITY_BY_ID = new Map<string, Severity>(RULES.map((rule) => [rule.id, rule.severity]));

/** The catalogue severity of a rule. */
export function ruleSeverity(id: RuleId): Severity {
  const severity = SEVERITY_BY_ID.get(id);
  // Unreachable for a RuleId; kept so a bad cast fails loudly instead of reporting nothing.
  if (severity === undefined) throw new Error(`unknown lint rule ${id}`);
  return severity;
}
