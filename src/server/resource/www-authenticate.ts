/**
 * The `WWW-Authenticate: Bearer` challenge of a protected MCP server (RFC 6750 §3, RFC 9728 §5.1,
 * MCP-RS-02/-03/-06): where the protected-resource metadata is, which scopes are needed and,
 * when a token was sent, what was wrong with it.
 *
 * @module
 */

/** The RFC 6750 §3.1 error codes a challenge can carry. */
export type BearerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  /** RFC 9449 §7.1: the DPoP proof failed a check (DPoP challenges only). */
  | 'invalid_dpop_proof'
  /** RFC 9449 §9: retry with the nonce of the `DPoP-Nonce` header (DPoP challenges only). */
  | 'use_dpop_nonce';

/** Options of {@link wwwAuthenticate}. */
export interface WwwAuthenticateOptions {
  /**
   * The error, when a token (or a malformed request) was sent. Leave it out when the request had
   * no credentials at all (RFC 6750 §3.1: no error information then).
   */
  error?: BearerErrorCode;
  /** A human-readable explanation; only sent together with `error`. */
  errorDescription?: string;
  /** The scopes needed, as an array or a space-separated string; omitted when empty. */
  scope?: string | readonly string[];
  /** The URL of this resource's protected-resource metadata (RFC 9728 §5.1). */
  resourceMetadataUrl: string | URL;
  /** The scheme: `Bearer` (default), or `DPoP` (RFC 9449 §7.1) for requests that used it. */
  scheme?: 'Bearer' | 'DPoP';
  /** For `DPoP`: the accepted proof algorithms (`algs`). */
  algs?: readonly string[];
}

/**
 * `value` as an RFC 9110 quoted-string: `"` and `\` are backslash-escaped, and any character
 * outside printable ASCII (controls, CR/LF, non-ASCII; not allowed in these parameters) becomes
 * `?`, so the result is always one safe header line.
 */
export function quotedString(value: string): string {
  const safe = value.replace(/[^\x20-\x7E]/g, '?').replace(/["\\]/g, (char) => `\\${char}`);
  return `"${safe}"`;
}

/**
 * The value of a `WWW-Authenticate` header: `Bearer resource_metadata="…"` followed, when
 * given, by `scope="…"`, `error="…"` and `error_description="…"`.
 */
export function wwwAuthenticate(options: WwwAuthenticateOptions): string {
  const params = [`resource_metadata=${quotedString(String(options.resourceMetadataUrl))}`];
  const scopes = typeof options.scope === 'string' ? options.scope.split(' ') : [...(options.scope ?? [])];
  const scope = [...new Set(scopes.filter((value) => value !== ''))].join(' ');
  if (scope !== '') params.push(`scope=${quotedString(scope)}`);
  if (options.error !== undefined) {
    params.push(`error=${quotedString(options.error)}`);
    if (options.errorDescription !== undefined && options.errorDescription !== '') {
      params.push(`error_description=${quotedString(options.errorDescription)}`);
    }
  }
  if (options.scheme === 'DPoP' && options.algs !== undefined && options.algs.length > 0) {
    params.push(`algs=${quotedString(options.algs.join(' '))}`);
  }
  return `${options.scheme ?? 'Bearer'} ${params.join(', ')}`;
}
