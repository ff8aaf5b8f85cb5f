/**
 * The connection side of the SSRF guard: an undici connector whose DNS lookup refuses
 * non-public addresses, which checks the connected socket's peer address again (DNS rebinding,
 * defence in depth), and which remembers each origin's peer address for the response.
 *
 * @module
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction, Socket } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { buildConnector } from 'undici';
import { classifyIp, PUBLIC_UNICAST } from '../net/ip-policy.js';
import type { DnsResolver } from './dns.js';
import { BlockedAddressError, ResolveError } from './errors.js';
import { resolveVetted } from './resolve.js';

/** An undici connector: opens the TCP/TLS connection for a client. */
export type Connector = buildConnector.connector;

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

function wantedFamily(options: LookupOptions): 4 | 6 | undefined {
  const { family } = options;
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return undefined;
}

/**
 * A `net` lookup function that resolves with `resolver` and, unless `allowPrivateNetwork`, fails
 * with a `BlockedAddressError` when any address is not public unicast. Every address the
 * connection may use (happy eyeballs tries several) has therefore been vetted. Not called for
 * IP-literal hosts: `net` connects to those directly (see {@link guardConnectedSocket}).
 */
export function createGuardedLookup(resolver: DnsResolver, allowPrivateNetwork: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolveVetted(hostname, resolver, allowPrivateNetwork).then(
      (resolved) => {
        const family = wantedFamily(options);
        const addresses: LookupAddress[] = resolved
          .map(({ address }) => ({ address, family: familyOf(address) }))
          .filter((entry) => family === undefined || entry.family === family);
        const first = addresses[0];
        if (first === undefined) callback(new ResolveError(hostname), '');
        else if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/**
 * Wraps `connector` so that a connection whose peer (`socket.remoteAddress`) is not public
 * unicast is destroyed before any HTTP request is written on it, failing with a
 * `BlockedAddressError` (`phase: 'connect'`). Covers IP-literal hosts, which skip the lookup, and
 * anything that slipped past it. With `allowPrivateNetwork`, returns `connector` unchanged.
 */
export function guardConnectedSocket(connector: Connector, allowPrivateNetwork: boolean): Connector {
  if (allowPrivateNetwork) return connector;
  return (options, callback) => {
    connector(options, (...result) => {
      const [error, socket] = result;
      if (error !== null) {
        callback(error, null);
        return;
      }
      const address = socket.remoteAddress;
      const range = address === undefined ? 'unknown' : classifyIp(address);
      if (range === PUBLIC_UNICAST) {
        callback(null, socket);
        return;
      }
      socket.destroy();
      callback(new BlockedAddressError(options.hostname, range, 'connect'), null);
    });
  };
}

/**
 * Remembers the peer address of each origin's live connection. The fetcher's agent keeps one
 * connection per origin (one request at a time), so the address recorded for an origin is the
 * one the current response on it comes from.
 */
export class PeerAddresses {
  readonly #byOrigin = new Map<string, { socket: Socket; address: string }>();
  /** Sockets whose peer is not the address to report (a proxy tunnel: the target it was asked for). */
  readonly #addresses = new WeakMap<Socket, string>();

  /** Reports `address` as the peer of `socket` (a proxy tunnel's vetted target). */
  recordAddress(socket: Socket, address: string): void {
    this.#addresses.set(socket, address);
  }

  /** The peer address of the live connection to `origin` (`https://host[:port]`), if any. */
  get(origin: string): string | undefined {
    return this.#byOrigin.get(origin)?.address;
  }

  /** Wraps `connector` so that each new connection is recorded until it closes. */
  track(connector: Connector): Connector {
    return (options, callback) => {
      connector(options, (...result) => {
        const [error, socket] = result;
        if (error === null) this.#record(`${options.protocol}//${options.host ?? options.hostname}`, socket);
        callback(...result);
      });
    };
  }

  #record(origin: string, socket: Socket): void {
    const entry = { socket, address: this.#addresses.get(socket) ?? socket.remoteAddress ?? '' };
    this.#byOrigin.set(origin, entry);
    socket.once('close', () => {
      if (this.#byOrigin.get(origin) === entry) this.#byOrigin.delete(origin);
    });
  }
}

/** Settings of {@link createGuardedConnector}. */
export interface GuardedConnectorSettings {
  allowPrivateNetwork: boolean;
  resolver: DnsResolver;
  /** Bound on TCP connect plus TLS handshake, in milliseconds. */
  connectTimeoutMs: number;
  /** Extra trust anchors (PEM), added to Node's bundled roots; undefined for the default store. */
  ca: string[] | undefined;
}

/** The secure context of the extra trust anchors, built once (a per-connection `ca` is parsed every handshake). */
export function extraCaContext(ca: string[] | undefined): SecureContext | undefined {
  return ca === undefined ? undefined : createSecureContext({ ca: [...rootCertificates, ...ca] });
}

/**
 * The fetcher's connector: TLS that always verifies certificates (even when
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` is set), the guarded lookup, the connected-socket check, and
 * peer tracking in `peers`.
 */
export function createGuardedConnector(settings: GuardedConnectorSettings, peers: PeerAddresses): Connector {
  const connector = buildConnector({
    lookup: createGuardedLookup(settings.resolver, settings.allowPrivateNetwork),
    timeout: settings.connectTimeoutMs,
    rejectUnauthorized: true,
    ...(settings.ca === undefined ? {} : { secureContext: extraCaContext(settings.ca) }),
  });
  return peers.track(guardConnectedSocket(connector, settings.allowPrivateNetwork));
}
