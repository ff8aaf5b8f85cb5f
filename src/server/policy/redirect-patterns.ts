/**
 * Server-wide allowed redirect URI patterns (the counterpart of FastMCP's
 * `allowed_client_redirect_uris`): they narrow every client's own list. A redirect URI must match
 * one of them at `/authorize` (as requested, runtime port included) and at `/register` (each
 * registered one).
 *
 * A pattern is a redirect URI in which `*` stands for any run of characters other than `/`, `?`,
 * `#`, `@`, `\` and white space (so it never crosses out of the part it is written in:
 * `https://*.example.com/cb` matches `https://app.example.com/cb` and `https://a.b.example.com/cb`,
 * never `https://evil.test/x.example.com/cb`). `:*` right after the host means any port or none
 * (`http://127.0.0.1:*\/callback` matches `http://127.0.0.1/callback` and
 * `http://127.0.0.1:53121/callback`). Everything else is compared exactly; scheme and host
 * case-insensitively.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';

/** One compiled pattern. */
interface RedirectPattern {
  readonly pattern: string;
  /** Matches the scheme and authority, lower-cased. */
  readonly head: RegExp;
  /** Matches the rest (path and query), as written. */
  readonly rest: RegExp;
}

/** Checks redirect URIs against the server's patterns; see the module documentation. */
export interface RedirectUriPatterns {
  /** The patterns as configured (empty: no server-wide limit). */
  readonly patterns: readonly string[];
  /** True when there is no limit, or `uri` matches a pattern. */
  allows(uri: string): boolean;
}

/** What `*` may stand for. */
const STAR = '[^/?#@\\\\\\s]*';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function wildcard(text: string): string {
  return text.split('*').map(escapeRegex).join(STAR);
}

/**
 * `uri` split into its scheme and authority (`https://host:port`; for a URI without `//`, the
 * scheme and colon) and the rest.
 */
function splitHead(uri: string): [string, string] {
  const hierarchical = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri);
  if (hierarchical === null) {
    const colon = uri.indexOf(':');
    return [uri.slice(0, colon + 1), uri.slice(colon + 1)];
  }
  const after = uri.slice(hierarchical[0].length).search(/[/?#]/);
  const cut = after < 0 ? uri.length : hierarchical[0].length + after;
  return [uri.slice(0, cut), uri.slice(cut)];
}

function compilePattern(pattern: unknown): RedirectPattern {
  if (typeof pattern !== 'string' || pattern.trim() === '') {
    throw new InvalidOptionError(
      `allowedRedirectUris entries must be non-empty strings such as "http://127.0.0.1:*/callback"; got ${JSON.stringify(pattern)}`,
    );
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:./.test(pattern) || /[#\s]/.test(pattern)) {
    throw new InvalidOptionError(
      `allowedRedirectUris entry ${JSON.stringify(pattern)} must be a redirect URI (a scheme, no fragment, no white space) in which * stands for a run of characters, e.g. "https://*.example.com/callback" or "http://127.0.0.1:*/callback"`,
    );
  }
  const [head, rest] = splitHead(pattern);
  const anyPort = head.includes('//') && head.endsWith(':*');
  const headSource = anyPort
    ? `${wildcard(head.slice(0, -2).toLowerCase())}(?::[0-9]{1,5})?`
    : wildcard(head.toLowerCase());
  return { pattern, head: new RegExp(`^${headSource}$`), rest: new RegExp(`^${wildcard(rest)}$`) };
}

function matches(entry: RedirectPattern, uri: string): boolean {
  const [head, rest] = splitHead(uri);
  return entry.head.test(head.toLowerCase()) && entry.rest.test(rest);
}

/**
 * Compiles `patterns` (`undefined` or empty: no limit).
 *
 * @throws InvalidOptionError for a pattern that is not a string starting with a scheme, or that
 *   holds a fragment or white space.
 */
export function compileRedirectUriPatterns(patterns: readonly string[] | undefined): RedirectUriPatterns {
  if (patterns !== undefined && !Array.isArray(patterns)) {
    throw new InvalidOptionError('allowedRedirectUris must be an array of redirect URI patterns');
  }
  const compiled = (patterns ?? []).map(compilePattern);
  return Object.freeze({
    patterns: Object.freeze(compiled.map((entry) => entry.pattern)),
    allows: (uri: string) => compiled.length === 0 || compiled.some((entry) => matches(entry, uri)),
  });
}
