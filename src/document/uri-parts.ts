/**
 * Splits a URI into its raw components without normalising anything (RFC 3986 Appendix B), and
 * the raw-string checks the URL rules share. The WHATWG `URL` parser hides exactly what these
 * rules look for (dot segments, empty fragments, empty userinfo, backslashes), so every rule
 * that must see the string as written uses these helpers.
 *
 * @module
 */

/** The raw components of a URI, each exactly as written (no case folding, no decoding). */
export interface UriParts {
  /** The scheme without its `:`; undefined for a relative reference. */
  scheme: string | undefined;
  /** Everything between `//` and the path; undefined when there is no `//`. */
  authority: string | undefined;
  /** The text before the last `@` of the authority; undefined when there is no `@`. */
  userinfo: string | undefined;
  /** The host as written, with brackets for an IPv6 literal; undefined without an authority. */
  host: string | undefined;
  /** The text after the host's `:`; may be empty or non-numeric; undefined when absent. */
  port: string | undefined;
  /** The path, possibly empty. */
  path: string;
  /** The query without its `?`; undefined when there is no `?`. */
  query: string | undefined;
  /** The fragment without its `#`; undefined when there is no `#` (a bare `#` gives ''). */
  fragment: string | undefined;
}

const URI_REFERENCE = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

/** Splits `raw` into its components (the regular expression of RFC 3986 Appendix B). */
export function splitUri(raw: string): UriParts {
  const match = URI_REFERENCE.exec(raw);
  // The expression matches every string; the fallback only satisfies the type checker.
  const [, scheme, authority, path = '', query, fragment] = match ?? [];
  const parts: UriParts = {
    scheme,
    authority,
    userinfo: undefined,
    host: undefined,
    port: undefined,
    path,
    query,
    fragment,
  };
  if (authority === undefined) return parts;
  const at = authority.lastIndexOf('@');
  if (at >= 0) parts.userinfo = authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    const rest = close < 0 ? '' : hostPort.slice(close + 1);
    if (close >= 0 && (rest === '' || rest.startsWith(':'))) {
      parts.host = hostPort.slice(0, close + 1);
      if (rest !== '') parts.port = rest.slice(1);
    } else {
      parts.host = hostPort;
    }
  } else {
    const colon = hostPort.indexOf(':');
    parts.host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) parts.port = hostPort.slice(colon + 1);
  }
  return parts;
}

/** Reassembles a URI from its parts, leaving out the port (and its `:`). */
export function joinUriWithoutPort(parts: UriParts): string {
  let out = parts.scheme === undefined ? '' : `${parts.scheme}:`;
  if (parts.authority !== undefined) {
    out += '//';
    if (parts.userinfo !== undefined) out += `${parts.userinfo}@`;
    out += parts.host ?? '';
  }
  out += parts.path;
  if (parts.query !== undefined) out += `?${parts.query}`;
  if (parts.fragment !== undefined) out += `#${parts.fragment}`;
  return out;
}

/** True when the path has a `.` or `..` segment, written raw or percent-encoded (`%2e`, `.%2E`, …). */
export function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => {
    const decoded = segment.replace(/%2e/gi, '.');
    return decoded === '.' || decoded === '..';
  });
}

/** True when `port` is 1 to 5 ASCII digits with a value from 1 to 65535. */
export function isValidPort(port: string): boolean {
  if (!/^[0-9]{1,5}$/.test(port)) return false;
  const value = Number(port);
  return value >= 1 && value <= 65535;
}

/** True when `scheme` is syntactically a URI scheme (RFC 3986 §3.1). */
export function isValidScheme(scheme: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme);
}

/**
 * Describes the first whitespace, control character or backslash in `raw` (e.g. "a space",
 * "a backslash", "U+0000"), or returns undefined when there is none.
 */
export function findForbiddenCharacter(raw: string): string | undefined {
  for (const char of raw) {
    const code = char.codePointAt(0) ?? 0;
    if (char === ' ') return 'a space';
    if (char === '\t') return 'a tab';
    if (char === '\n' || char === '\r') return 'a line break';
    if (char === '\\') return 'a backslash';
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || /\s/u.test(char)) {
      return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return undefined;
}
