/**
 * Redirect URI rules of a document: CIMD-DOC-10 (https, loopback http or a private-use scheme;
 * no userinfo, fragment or dot segment), RURI-06 (reverse-domain private-use schemes),
 * CIMD-LINT-09 (localhost and 127.0.0.1 both listed) and CIMD-LINT-10 (FastMCP's wildcard).
 *
 * @module
 */

import type { LintContext } from './lint-context.js';
import { childPath } from './paths.js';
import { isLoopbackParts, isWildcardLoopbackParts } from './redirect-uri.js';
import {
  findForbiddenCharacter,
  hasDotSegment,
  isValidPort,
  isValidScheme,
  joinUriWithoutPort,
  splitUri,
  type UriParts,
} from './uri-parts.js';

const LOOPBACK_SPELLINGS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);
const EXAMPLES = 'e.g. https://app.example.com/callback or http://127.0.0.1/callback';

/** Runs the redirect URI rules. */
export function lintRedirectUris(ctx: LintContext): void {
  const uris = ctx.doc.redirect_uris;
  if (!Array.isArray(uris)) return;
  const base = '$.redirect_uris';
  uris.forEach((uri: unknown, index) => {
    if (typeof uri === 'string') lintOne(ctx, uri, childPath(base, index));
  });
  lintLoopbackPairs(ctx, uris, base);
}

function lintOne(ctx: LintContext, uri: string, path: string): void {
  let found = false;
  const counting: LintContext = {
    ...ctx,
    add: (id, message, at) => {
      if (id === 'CIMD-DOC-10') found = true;
      ctx.add(id, message, at);
    },
  };
  lintShape(counting, uri, path);
  // Whatever the rules above did not name: a host, IP address, port or percent-encoding that no
  // URL parser accepts (a server could never redirect there).
  if (!found && !isWildcardLoopbackParts({ ...splitUri(uri), userinfo: undefined }) && !URL.canParse(uri)) {
    ctx.add(
      'CIMD-DOC-10',
      `The redirect URI ${JSON.stringify(uri)} is not a valid URL (a malformed host, IP address, port or percent-encoding); a server cannot redirect to it. Write it in full (${EXAMPLES}).`,
      path,
    );
  }
}

function lintShape(ctx: LintContext, uri: string, path: string): void {
  const forbidden = findForbiddenCharacter(uri);
  if (forbidden !== undefined) {
    ctx.add(
      'CIMD-DOC-10',
      `The redirect URI ${JSON.stringify(uri)} contains ${forbidden}; remove it (redirect URIs are compared as written).`,
      path,
    );
    return;
  }
  const parts = splitUri(uri);
  if (parts.scheme === undefined || !isValidScheme(parts.scheme)) {
    ctx.add(
      'CIMD-DOC-10',
      `The redirect URI ${JSON.stringify(uri)} is not an absolute URI; write it in full (${EXAMPLES}).`,
      path,
    );
    return;
  }
  if (parts.userinfo !== undefined) {
    ctx.add(
      'CIMD-DOC-10',
      `The redirect URI ${uri} has userinfo (a "user@" part), a phishing device; remove it.`,
      path,
    );
  }
  if (parts.fragment !== undefined) {
    ctx.add(
      'CIMD-DOC-10',
      `The redirect URI ${uri} has a fragment ("#"), which OAuth forbids in redirect URIs; remove "#" and what follows.`,
      path,
    );
  }
  if (hasDotSegment(parts.path)) {
    ctx.add(
      'CIMD-DOC-10',
      `The redirect URI ${uri} has a "." or ".." path segment (possibly as %2e); requests with one are refused, so it can never match. Write the path without it.`,
      path,
    );
  }
  const scheme = parts.scheme.toLowerCase();
  if (scheme === 'https') lintHttps(ctx, uri, parts, path);
  else if (scheme === 'http') lintHttp(ctx, uri, parts, path);
  else if (!scheme.includes('.')) {
    ctx.add(
      'RURI-06',
      `The redirect URI ${uri} uses the scheme "${parts.scheme}:", which is neither https, loopback http, nor a private-use scheme in reverse-domain form. Use https, loopback http, or a scheme named after a domain you control, e.g. com.example.app:/callback (RFC 8252 §7.1).`,
      path,
    );
  }
}

function lintHttps(ctx: LintContext, uri: string, parts: UriParts, path: string): void {
  if (parts.authority === undefined || (parts.host ?? '') === '') {
    ctx.add('CIMD-DOC-10', `The redirect URI ${uri} has no host; write it as https://host/path.`, path);
  } else if (parts.port !== undefined && !isValidPort(parts.port)) {
    ctx.add(
      'CIMD-DOC-10',
      `The redirect URI ${uri} has the port ${JSON.stringify(parts.port)}; a port must be a number from 1 to 65535.`,
      path,
    );
  }
}

function lintHttp(ctx: LintContext, uri: string, parts: UriParts, path: string): void {
  const withoutUserinfo: UriParts = { ...parts, userinfo: undefined };
  if (isWildcardLoopbackParts(withoutUserinfo)) {
    const standard = joinUriWithoutPort(withoutUserinfo);
    ctx.add(
      'CIMD-LINT-10',
      `${uri} is FastMCP's non-standard wildcard port; this package reads it as "localhost on any port", but other servers will not match it. Register ${standard} instead: loopback redirect URIs already match on any port (RFC 8252 §7.3).`,
      path,
    );
    return;
  }
  if (isLoopbackParts(withoutUserinfo, false)) return;
  const host = parts.host ?? '';
  if (LOOPBACK_SPELLINGS.has(host.toLowerCase())) {
    if (parts.port !== undefined && !isValidPort(parts.port)) {
      ctx.add(
        'CIMD-DOC-10',
        `The redirect URI ${uri} has the port ${JSON.stringify(parts.port)}, which is not a number from 1 to 65535. Loopback redirect URIs match on any port, so register ${joinUriWithoutPort(withoutUserinfo)}.`,
        path,
      );
    } else {
      ctx.add(
        'CIMD-DOC-10',
        `The redirect URI ${uri} must write the scheme and loopback host in lowercase (http://127.0.0.1, http://[::1] or http://localhost): redirect URIs are compared as written.`,
        path,
      );
    }
    return;
  }
  ctx.add(
    'CIMD-DOC-10',
    `The redirect URI ${uri} uses http on a host that is not loopback; http is allowed only for 127.0.0.1, [::1] and localhost. Use https, or a loopback address for a local callback.`,
    path,
  );
}

/** CIMD-LINT-09: a loopback callback should be listed for both localhost and an IP literal. */
function lintLoopbackPairs(ctx: LintContext, uris: readonly unknown[], base: string): void {
  const loopbacks = uris.flatMap((uri, index) => {
    if (typeof uri !== 'string' || findForbiddenCharacter(uri) !== undefined) return [];
    const parts = splitUri(uri);
    if (!isLoopbackParts(parts, true)) return [];
    const rest = parts.path + (parts.query === undefined ? '' : `?${parts.query}`);
    return [{ uri, index, parts, rest, isLocalhost: parts.host === 'localhost' }];
  });
  for (const entry of loopbacks) {
    const paired = loopbacks.some(
      (other) => other.isLocalhost !== entry.isLocalhost && other.rest === entry.rest,
    );
    if (paired) continue;
    const port = entry.parts.port === undefined || entry.parts.port === '*' ? '' : `:${entry.parts.port}`;
    const suggestion = `http://${entry.isLocalhost ? '127.0.0.1' : 'localhost'}${port}${entry.rest}`;
    ctx.add(
      'CIMD-LINT-09',
      `${entry.uri} is listed without its ${entry.isLocalhost ? '127.0.0.1' : 'localhost'} twin; servers treat localhost and 127.0.0.1 as different hosts, and clients differ in which one they open. Also register ${suggestion}.`,
      childPath(base, entry.index),
    );
  }
}
