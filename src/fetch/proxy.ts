/**
 * The outbound proxy of the SSRF-safe fetcher (`proxy` option; `cimd serve --fetch-proxy`), for
 * networks that reach the internet only through an HTTP(S) proxy. It keeps every address check:
 *
 * 1. the pre-flight check runs as without a proxy: IP literals must be public, special-use names
 *    are refused, and the name must resolve HERE, through the fetcher's resolver, to public
 *    addresses only (a name this machine cannot resolve is not fetched);
 * 2. the tunnel is opened with `CONNECT <vetted IP>:<port>`, never with the name: the proxy
 *    connects to the address we checked, so a DNS answer that differs at the proxy (rebinding,
 *    split-horizon DNS naming an internal host) cannot send it anywhere else;
 * 3. TLS to the target runs end to end through the tunnel, verified against the host NAME
 *    (sent as SNI): the proxy sees the name in the handshake but not the request.
 *
 * What it cannot check: the address the proxy actually connects from and to is beyond this
 * machine's sight (the proxy's own egress rules are the last line), and the proxy itself is
 * trusted (its address may be private: the operator named it). Proxy credentials in the URL's
 * user info are sent as `Proxy-Authorization: Basic` and never logged.
 *
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { type SecureContext, connect as tlsConnect } from 'node:tls';
import { InvalidOptionError } from '../errors.js';
import type { Connector, PeerAddresses } from './connector.js';
import type { DnsResolver } from './dns.js';
import { resolveVetted } from './resolve.js';

/** The proxy refused or broke the tunnel (`CONNECT` not answered with 200). */
export class ProxyTunnelError extends Error {
  /** The proxy's status code, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyTunnelError';
    this.status = status;
  }
}

/**
 * Checks the proxy URL: `http:` or `https:`, a host, no path, query or fragment. User info
 * (`http://user:pass@proxy:3128`) is allowed and becomes Basic proxy authentication.
 */
export function parseProxyUrl(value: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidOptionError(
      'proxy must be an absolute http:// or https:// URL, such as http://proxy.example:3128',
    );
  }
  const where = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(
      `proxy must be an http:// or https:// URL (an HTTP CONNECT proxy); got ${where}`,
    );
  }
  if (url.hostname === '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new InvalidOptionError(
      `proxy must name only a scheme, host and port (no path, query or fragment): ${where}`,
    );
  }
  return url;
}

/** The proxy URL as it may be shown: scheme, host and port, never the credentials. */
export function describeProxy(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** Settings of {@link createProxyConnector}. */
export interface ProxyConnectorSettings {
  proxy: URL;
  resolver: DnsResolver;
  allowPrivateNetwork: boolean;
  /** Bound on reaching the proxy, the tunnel and the TLS handshake together, in ms. */
  connectTimeoutMs: number;
  /** The trust anchors of the targets' TLS; undefined for Node's default store. */
  secureContext: SecureContext | undefined;
}

function basicAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** Opens `CONNECT authority` at the proxy; resolves with the tunnel's socket. */
function openTunnel(
  settings: ProxyConnectorSettings,
  authority: string,
  signal: AbortSignal,
): Promise<Socket> {
  const { proxy } = settings;
  const authorization = basicAuthorization(proxy);
  const send = proxy.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send({
      host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: proxy.port === '' ? (proxy.protocol === 'https:' ? 443 : 80) : Number(proxy.port),
      method: 'CONNECT',
      path: authority,
      headers: {
        host: authority,
        ...(authorization === undefined ? {} : { 'proxy-authorization': authorization }),
      },
      agent: false,
      signal,
      ...(proxy.protocol === 'https:' ? { rejectUnauthorized: true } : {}),
    });
    request.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        reject(
          new ProxyTunnelError(
            `the fetch proxy ${describeProxy(proxy)} refused the tunnel (HTTP ${response.statusCode}${response.statusCode === 407 ? ': check the proxy credentials' : ''})`,
            response.statusCode,
          ),
        );
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.once('response', (response: IncomingMessage) => {
      response.resume();
      reject(
        new ProxyTunnelError(
          `the fetch proxy ${describeProxy(proxy)} did not open a tunnel (HTTP ${response.statusCode})`,
          response.statusCode,
        ),
      );
    });
    request.once('error', (error) =>
      reject(
        new ProxyTunnelError(`the fetch proxy ${describeProxy(proxy)} could not be reached`, undefined, {
          cause: error,
        }),
      ),
    );
    request.end();
  });
}

/**
 * The fetcher's connector through `settings.proxy`: vets the target's addresses with the
 * fetcher's resolver, tunnels to the first one by address, and runs verified TLS to the host
 * name through the tunnel. Each connection is recorded in `peers` with the vetted address.
 */
export function createProxyConnector(settings: ProxyConnectorSettings, peers: PeerAddresses): Connector {
  const connector: Connector = (options, callback) => {
    let settled = false;
    let pending: Socket | undefined;
    const abort = new AbortController();
    const finish = (error: Error | null, socket?: Socket) => {
      clearTimeout(timer);
      if (settled) {
        socket?.destroy();
        return;
      }
      settled = true;
      if (error === null && socket !== undefined) callback(null, socket as never);
      else {
        abort.abort();
        pending?.destroy();
        callback(error ?? new Error('no socket'), null);
      }
    };
    const timer = setTimeout(() => {
      const error = Object.assign(
        new Error(`connecting through the fetch proxy took over ${settings.connectTimeoutMs} ms`),
        {
          code: 'UND_ERR_CONNECT_TIMEOUT',
        },
      );
      finish(error);
    }, settings.connectTimeoutMs);
    const port = Number(options.port) || 443;
    (async () => {
      const addresses = await resolveVetted(
        options.hostname,
        settings.resolver,
        settings.allowPrivateNetwork,
      );
      const target = addresses[0]?.address as string; // resolveVetted never returns an empty list
      const authority = target.includes(':') ? `[${target}]:${port}` : `${target}:${port}`;
      const tunnel = await openTunnel(settings, authority, abort.signal);
      if (settled) {
        tunnel.destroy();
        return;
      }
      const socket = tlsConnect({
        socket: tunnel,
        servername: options.servername || options.hostname,
        rejectUnauthorized: true,
        ALPNProtocols: ['http/1.1'],
        ...(settings.secureContext === undefined ? {} : { secureContext: settings.secureContext }),
      });
      pending = socket;
      socket.once('secureConnect', () => {
        peers.recordAddress(socket, target);
        finish(null, socket);
      });
      socket.once('error', (error) => finish(error));
    })().catch((error: Error) => finish(error));
  };
  return peers.track(connector);
}
