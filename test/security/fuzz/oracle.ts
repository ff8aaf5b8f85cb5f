/**
 * What every answer must satisfy, whatever was asked:
 *
 * 1. **No 5xx.** The one exception is the per-origin fetch budget: a `503` whose body says
 *    `temporarily_unavailable` (a HEAD answer has no body) AND that carries `Retry-After` (a
 *    positive number of seconds), on the error page or in a JSON error. That is the server
 *    protecting a client's host from a flood, and it says when to come back. Any other 5xx is a
 *    finding (a `server_error` page or JSON, a `503` without `Retry-After`, the
 *    proxy's catch-all `503`, the resource server's `500`). A request whose body stream breaks
 *    on purpose (a client gone mid-body) may get anything: nobody reads that answer. It must still
 *    not throw.
 * 2. **Redirects only to validated places.** A `Location` is either this server's own origin (a
 *    relative URL included), the upstream identity provider (proxy only), or a redirect URI the
 *    client registered (exact, or a loopback URI on another port, RFC 8252), carrying `iss`. On
 *    `/authorize` it must be the URI the request named; with no `redirect_uri` in the request,
 *    only the client's single, complete registered URI (never a loopback one without a port).
 * 3. **No header injection.** No header value carries CR, LF or NUL.
 * 4. **No markup injection.** An HTML answer never contains the fuzzer's `<fz-` marker unescaped.
 * 5. **JSON is JSON.** An `application/json` answer with a body parses.
 * 6. **Token answers are not cacheable.** Every `POST /token` answer carries `Cache-Control: no-store`.
 *
 * Thrown or rejected handlers, body streams that error, requests that hang, and error-level log
 * lines written while a request was handled are findings of the runner (see run.ts).
 */
import type { FuzzRequest, Materialized } from './requests.js';
import type { World } from './world.js';

/** A broken rule. */
export interface Finding {
  kind:
    | '5xx'
    | 'redirect'
    | 'header-injection'
    | 'markup-injection'
    | 'bad-json'
    | 'cacheable-token'
    | 'error-log'
    | 'threw'
    | 'body-error'
    | 'hang';
  detail: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** A registered redirect URI as a URL (FastMCP's `localhost:*` read as "any port"), or undefined. */
function parseRegistered(uri: string): { url: URL; anyPort: boolean } | undefined {
  const wildcard = /^http:\/\/localhost:\*(?=[/?#]|$)/.test(uri);
  try {
    const url = new URL(wildcard ? uri.replace(':*', '') : uri);
    const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
    return { url, anyPort: loopback };
  } catch {
    return undefined;
  }
}

/** True when `location` goes to `registered` (same place; any port on loopback; its query kept). */
function goesTo(location: URL, registered: string): boolean {
  const parsed = parseRegistered(registered);
  if (parsed === undefined) return false;
  const { url, anyPort } = parsed;
  if (url.protocol !== location.protocol || url.hostname !== location.hostname) return false;
  if (url.pathname !== location.pathname) return false;
  if (!anyPort && url.port !== location.port) return false;
  for (const [name, value] of url.searchParams) {
    if (!location.searchParams.getAll(name).includes(value)) return false;
  }
  return true;
}

/** True for a registered URI a server may use when the request names none (RFC 9700 §4.11.2). */
function isComplete(registered: string): boolean {
  const parsed = parseRegistered(registered);
  if (parsed === undefined) return false;
  return !(parsed.anyPort && (parsed.url.port === '' || registered.includes(':*')));
}

function sameTarget(location: URL, requested: string): boolean {
  try {
    const url = new URL(requested);
    return (
      url.protocol === location.protocol && url.host === location.host && url.pathname === location.pathname
    );
  } catch {
    return false;
  }
}

function judgeLocation(
  world: World,
  fuzz: FuzzRequest,
  m: Materialized,
  location: string,
): string | undefined {
  const own = world.originOf(fuzz.target);
  let url: URL;
  try {
    url = new URL(location, own);
  } catch {
    return `an unparseable Location ${JSON.stringify(location.slice(0, 200))}`;
  }
  if (url.origin === own) return undefined;
  if (fuzz.target === 'upstream' && url.origin === new URL(world.idp.issuer).origin) return undefined;
  const shown = JSON.stringify(location.slice(0, 200));
  if (url.searchParams.get('iss') !== own) return `a redirect to ${shown} without iss=${own}`;
  if (m.url.pathname === '/authorize') {
    const clients = m.params.getAll('client_id');
    const registered = clients.flatMap((id) => world.redirectUrisOf.get(id) ?? []);
    const requested = m.params.get('redirect_uri');
    if (requested === null || requested === '') {
      const lists = clients.map((id) => world.redirectUrisOf.get(id) ?? []);
      const ok = lists.some(
        (list) =>
          list.length === 1 &&
          isComplete(list[0] ?? '') &&
          goesTo(url, list[0] ?? '') &&
          sameTarget(url, (list[0] ?? '').replace(':*', '')),
      );
      return ok
        ? undefined
        : `a redirect to ${shown} the request did not name (registered: ${JSON.stringify(registered)})`;
    }
    const ok = sameTarget(url, requested) && registered.some((uri) => goesTo(url, uri));
    return ok
      ? undefined
      : `a redirect to ${shown}, not the registered URI requested (${JSON.stringify(requested)})`;
  }
  for (const list of world.redirectUrisOf.values()) {
    if (list.some((uri) => goesTo(url, uri))) return undefined;
  }
  return `a redirect to ${shown}, which no client registered`;
}

/** What a body says, short: an HTML page's text without its markup and styles. */
function gist(body: string, type: string): string {
  if (!type.startsWith('text/html')) return body.slice(0, 300);
  const main = /<body[^>]*>([\s\S]*)<\/body>/i.exec(body)?.[1] ?? body;
  return main
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** The rules an answer broke (see the module documentation). */
export function judge(
  world: World,
  fuzz: FuzzRequest,
  m: Materialized,
  response: Response,
  body: string,
): Finding[] {
  const findings: Finding[] = [];
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  if (response.status >= 500 && !m.aborted) {
    const retryAfter = response.headers.get('retry-after');
    // A HEAD answer has no body to say why: its Retry-After has to do.
    const budget =
      response.status === 503 &&
      retryAfter !== null &&
      /^[1-9]\d*$/.test(retryAfter) &&
      (m.request.method === 'HEAD' || body.includes('temporarily_unavailable'));
    if (!budget) {
      findings.push({
        kind: '5xx',
        detail: `${response.status}${retryAfter === null ? '' : ` (Retry-After ${retryAfter})`}: ${gist(body, type)}`,
      });
    }
  }
  for (const [name, value] of response.headers) {
    if (/[\r\n\0]/.test(value))
      findings.push({ kind: 'header-injection', detail: `${name}: ${JSON.stringify(value)}` });
  }
  const location = response.headers.get('location');
  if (location !== null) {
    const problem = judgeLocation(world, fuzz, m, location);
    if (problem !== undefined) findings.push({ kind: 'redirect', detail: problem });
  }
  if (type.startsWith('text/html') && body.includes('<fz-')) {
    const at = body.indexOf('<fz-');
    findings.push({ kind: 'markup-injection', detail: body.slice(Math.max(0, at - 80), at + 40) });
  }
  if (/^application\/([\w.+-]*\+)?json\b/.test(type) && body !== '' && m.request.method !== 'HEAD') {
    try {
      JSON.parse(body);
    } catch {
      findings.push({ kind: 'bad-json', detail: body.slice(0, 200) });
    }
  }
  const tokenPost = m.request.method === 'POST' && m.url.pathname === '/token' && fuzz.target !== 'resource';
  if (
    tokenPost &&
    fuzz.target !== 'bearer' &&
    !/\bno-store\b/.test(response.headers.get('cache-control') ?? '')
  ) {
    findings.push({ kind: 'cacheable-token', detail: `${response.status} without Cache-Control: no-store` });
  }
  return findings;
}
