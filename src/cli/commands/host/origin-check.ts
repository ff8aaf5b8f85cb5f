/**
 * The startup check of `cimd host`: will the document be reachable at exactly its `client_id`?
 * Pure: compares the `client_id` with the listening scheme, host and port, or with the public URL
 * when a proxy serves it.
 *
 * @module
 */

/** Where `cimd host` listens, and the public URL when a proxy is in front. */
export interface ListenTarget {
  /** True when serving TLS (`--tls-cert` and `--tls-key`). */
  tls: boolean;
  /** The listening address or name (`--host`), e.g. `127.0.0.1`. */
  host: string;
  /** The listening port. */
  port: number;
  /** `--public-url`: the public origin, or the document's full public URL. */
  publicUrl?: string;
}

/** The outcome of {@link checkServedOrigin}. */
export type OriginCheck =
  | { ok: true /** The public origin the document is served under. */; origin: string }
  | {
      ok: false /** Why the document would not be served at its client_id, one line each. */;
      problems: string[];
    };

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host.toLowerCase();
}

function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

function hostReaches(clientHost: string, listenHost: string): boolean {
  const client = bare(clientHost);
  const listen = bare(listenHost);
  if (client === listen || WILDCARD_HOSTS.has(listenHost)) return true;
  // `localhost` names the loopback interface, whichever loopback address we listen on.
  return client === 'localhost' && LOOPBACK_HOSTS.has(listen);
}

/**
 * Checks that a request for the document reaches this server at exactly its `client_id`: behind a
 * proxy, `publicUrl` (an origin, or the full document URL) must give the `client_id`; otherwise
 * the scheme (https needs TLS), port and host of `client_id` must be where we listen (`localhost`
 * counts for a loopback address; any host for `0.0.0.0` or `::`).
 */
export function checkServedOrigin(clientId: string, target: ListenTarget): OriginCheck {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return { ok: false, problems: [`client_id ${JSON.stringify(clientId)} is not a URL`] };
  }
  if (target.publicUrl !== undefined) {
    let publicUrl: URL;
    try {
      publicUrl = new URL(target.publicUrl);
    } catch {
      return { ok: false, problems: [`--public-url ${JSON.stringify(target.publicUrl)} is not a URL`] };
    }
    const expected =
      publicUrl.pathname === '/'
        ? `${publicUrl.origin}${url.pathname}${url.search}`
        : `${publicUrl.origin}${publicUrl.pathname}`;
    return expected === clientId
      ? { ok: true, origin: publicUrl.origin }
      : {
          ok: false,
          problems: [
            `client_id is ${clientId}, but with --public-url ${target.publicUrl} the document is served as ${expected}`,
          ],
        };
  }
  const problems: string[] = [];
  const scheme = target.tls ? 'https:' : 'http:';
  if (url.protocol !== scheme) {
    problems.push(
      target.tls
        ? `client_id is ${url.protocol.slice(0, -1)}, but this server speaks https`
        : `client_id is ${url.protocol.slice(0, -1)}, but without --tls-cert and --tls-key this server speaks plain http (behind a TLS proxy, pass --public-url)`,
    );
  }
  if (effectivePort(url) !== target.port) {
    problems.push(
      `client_id names port ${effectivePort(url)}, but this server listens on port ${target.port} (see --port)`,
    );
  }
  if (!hostReaches(url.hostname, target.host)) {
    problems.push(
      `client_id names the host ${url.hostname}, but this server listens on ${target.host} (see --host)`,
    );
  }
  return problems.length === 0 ? { ok: true, origin: url.origin } : { ok: false, problems };
}

/** The default port: the `client_id`'s (explicit or scheme default), or 8080 behind a proxy. */
export function defaultPort(clientId: string, publicUrl: string | undefined): number {
  if (publicUrl !== undefined) return 8080;
  try {
    return effectivePort(new URL(clientId));
  } catch {
    return 8443;
  }
}
