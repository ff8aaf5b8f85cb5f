/**
 * The redirect-URI matcher shared by `cimd validate` and the authorization server.
 *
 * Exact simple string comparison (RFC 3986 §6.2.1; RFC 9700 §2.1; OAuth 2.1 §4.1.1) with one
 * exception, the RFC 8252 §7.3 loopback rule: an `http` URI on `127.0.0.1`, `[::1]` or
 * `localhost` matches a registered URI on the same host with any port, even when the registered
 * URI names a port. Everything but the port must still be equal as written. Security critical:
 * nothing here normalises, decodes or case-folds.
 *
 * @module
 */

import {
  findForbiddenCharacter,
  hasDotSegment,
  isValidPort,
  joinUriWithoutPort,
  splitUri,
  type UriParts,
} from './uri-parts.js';

/** The outcome of {@link matchRedirectUri}. */
export type RedirectMatch =
  /** The requested URI is allowed; `registered` is the registered entry it matched. */
  | { ok: true; registered: string }
  /** The requested URI is refused; `reason` says why, in a sentence fit for an error page. */
  | { ok: false; reason: string };

/** The hosts of the loopback rule, exactly as they must be written. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** FastMCP registers `http://localhost:*` plus a path to mean "localhost, any port". */
const WILDCARD_PORT = '*';

/** True for a registered `http://localhost:*` URI (the FastMCP wildcard form). */
export function isWildcardLoopbackUri(uri: string): boolean {
  return isWildcardLoopbackParts(splitUri(uri));
}

/** {@link isWildcardLoopbackUri} on parts from `splitUri`. */
export function isWildcardLoopbackParts(parts: UriParts): boolean {
  return (
    parts.scheme === 'http' &&
    parts.host === 'localhost' &&
    parts.port === WILDCARD_PORT &&
    parts.userinfo === undefined
  );
}

/**
 * The loopback test of {@link isLoopbackRedirectUri} on parts from `splitUri`; the wildcard
 * port counts only when `allowWildcard` (registered URIs, never requested ones).
 */
export function isLoopbackParts(parts: UriParts, allowWildcard: boolean): boolean {
  if (parts.scheme !== 'http' || parts.userinfo !== undefined) return false;
  if (parts.host === undefined || !LOOPBACK_HOSTS.has(parts.host)) return false;
  if (parts.port === undefined || isValidPort(parts.port)) return true;
  return allowWildcard && parts.host === 'localhost' && parts.port === WILDCARD_PORT;
}

/**
 * True when `uri` is a loopback redirect URI in the sense of RFC 8252 §7.3 as this matcher
 * applies it: scheme `http`, host exactly `127.0.0.1`, `[::1]` or `localhost` (lowercase), no
 * userinfo, and no port, a numeric port, or (for `localhost` only) the FastMCP wildcard `*`.
 * Such a URI matches requests on the same host with any port. `https` loopback URIs are not
 * loopback redirects here: they are matched exactly.
 */
export function isLoopbackRedirectUri(uri: string): boolean {
  if (typeof uri !== 'string' || findForbiddenCharacter(uri) !== undefined) return false;
  return isLoopbackParts(splitUri(uri), true);
}

/**
 * True when `uri` names one exact place to redirect to, so a server may use it for a request that
 * names no `redirect_uri`: it parses as a URL, and it is not a loopback URI whose port the client
 * picks at run time (no port, or FastMCP's `*`; RFC 8252 §7.3). RFC 9700 §4.11.2: never send a
 * browser (or an error) to a URI the request did not name unless it is this exact.
 */
export function isCompleteRedirectUri(uri: string): boolean {
  if (typeof uri !== 'string' || findForbiddenCharacter(uri) !== undefined || !URL.canParse(uri))
    return false;
  const parts = splitUri(uri);
  return !(isLoopbackParts(parts, true) && (parts.port === undefined || parts.port === WILDCARD_PORT));
}

/** Why a requested redirect URI can never match, or undefined when it may. */
function requestedUriProblem(requested: string): string | undefined {
  if (requested === '') return 'the redirect URI is empty';
  const forbidden = findForbiddenCharacter(requested);
  if (forbidden !== undefined) return `the redirect URI contains ${forbidden}`;
  const parts = splitUri(requested);
  if (parts.scheme === undefined) return 'the redirect URI is not an absolute URI';
  if (parts.fragment !== undefined) return 'the redirect URI has a fragment ("#"), which OAuth forbids';
  if (parts.userinfo !== undefined) return 'the redirect URI has userinfo (a "user@" part)';
  if (hasDotSegment(parts.path)) return 'the redirect URI has a "." or ".." path segment';
  if (parts.port !== undefined && !isValidPort(parts.port)) {
    return `the redirect URI has the port ${JSON.stringify(parts.port)}; a port must be a number from 1 to 65535`;
  }
  return undefined;
}

/**
 * Decides whether a requested `redirect_uri` is registered.
 *
 * - Exact, byte-for-byte string comparison (RURI-02): `/cb/`, `HTTPS://`, an upper-case host,
 *   `:443`, `%62` for `b` or an added query all fail.
 * - Loopback exception (RURI-03, RURI-04, RURI-05): a requested `http` URI whose host is
 *   `127.0.0.1`, `[::1]` or `localhost` matches a registered `http` URI on the same host with
 *   any port, even when the registered one names a port; the rest must be equal as written.
 *   `localhost` never matches `127.0.0.1` or `[::1]`, and `https` loopback URIs get no exception.
 * - A registered `http://localhost:*` followed by a path (FastMCP's form) means `http://localhost`
 *   on any port with that exact path. No other wildcard exists.
 * - A requested URI with userinfo, a fragment (even a bare `#`), a dot segment (raw or
 *   percent-encoded), whitespace, a control character, a backslash or a port that is not
 *   1-65535 never matches.
 *
 * @param requested - the `redirect_uri` parameter exactly as received.
 * @param registered - the registered URIs (for CIMD, the document's `redirect_uris`).
 */
export function matchRedirectUri(requested: string, registered: readonly string[]): RedirectMatch {
  if (typeof requested !== 'string') return { ok: false, reason: 'the redirect URI must be a string' };
  const problem = requestedUriProblem(requested);
  if (problem !== undefined) return { ok: false, reason: `${problem}; it never matches a registered URI` };
  const list: readonly unknown[] = Array.isArray(registered) ? registered : [];
  const candidates = list.filter((entry): entry is string => typeof entry === 'string');
  if (candidates.length === 0)
    return { ok: false, reason: `${requested} is not registered; no redirect URIs are registered` };

  for (const entry of candidates) {
    if (entry === requested) return { ok: true, registered: entry };
  }

  const requestedParts = splitUri(requested);
  if (isLoopbackParts(requestedParts, false)) {
    const requestedWithoutPort = joinUriWithoutPort(requestedParts);
    for (const entry of candidates) {
      const entryParts = splitUri(entry);
      if (entryParts.host !== requestedParts.host || !isLoopbackParts(entryParts, true)) continue;
      if (findForbiddenCharacter(entry) !== undefined) continue;
      if (joinUriWithoutPort(entryParts) === requestedWithoutPort) return { ok: true, registered: entry };
    }
  }
  return {
    ok: false,
    reason: `${requested} is not registered; registered: ${candidates.join(', ')}${hint(requestedParts, candidates)}`,
  };
}

/** A hint for the common loopback mistakes: another loopback host, or https instead of http. */
function hint(requested: UriParts, registered: readonly string[]): string {
  if (requested.host === undefined || !LOOPBACK_HOSTS.has(requested.host)) return '';
  const otherHosts = registered
    .map((entry) => splitUri(entry))
    .filter(
      (parts) =>
        parts.scheme === 'http' &&
        parts.host !== undefined &&
        LOOPBACK_HOSTS.has(parts.host) &&
        parts.host !== requested.host,
    )
    .map((parts) => parts.host);
  if (requested.scheme === 'http' && otherHosts.length > 0) {
    return ` (localhost, 127.0.0.1 and [::1] are different hosts: ${requested.host} does not match ${[...new Set(otherHosts)].join(' or ')})`;
  }
  if (requested.scheme !== 'http') return ' (only http loopback redirect URIs match on any port)';
  return '';
}
