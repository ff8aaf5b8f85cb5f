/**
 * Name resolution for the fetcher: the resolver type and the default resolver.
 *
 * The default resolver does not use `dns.lookup`: that is `getaddrinfo` on libuv's thread pool
 * (four threads by default, shared with file system and crypto work), and a lookup keeps its
 * thread until the system resolver gives up, long after the fetch that asked stopped waiting. A
 * handful of names on a zone whose name server never answers then starved every other lookup in
 * the process (issue 9, flaw 6). Instead, {@link createDnsResolver} asks DNS servers itself
 * through c-ares (`dns.promises.Resolver`, on the event loop, no thread), A and AAAA in parallel,
 * with its own deadline per lookup, the caller's abort signal, and a bounded number of lookups
 * in flight: a stalled name costs only the request that asked for it.
 *
 * @module
 */

import { Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { InvalidOptionError } from '../errors.js';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  /** The IP address as text, e.g. `'93.184.215.14'` or `'2606:2800:21f:cb07:6820:80da:af6b:8b2c'`. */
  address: string;
  /** The address family. */
  family: 4 | 6;
}

/** Per-lookup options the fetcher passes to a {@link DnsResolver}. */
export interface DnsLookupOptions {
  /** Aborts the lookup (the fetch's deadline or its caller): reject with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Resolves a host name to every address it may connect to. The fetcher calls it before
 * connecting (with the fetch's abort signal) and again inside the connection's own lookup, and
 * refuses the fetch when any answer is not a public unicast address. Inject one in tests; the
 * default is {@link defaultResolver}.
 */
export type DnsResolver = (hostname: string, options?: DnsLookupOptions) => Promise<ResolvedAddress[]>;

/** Options of {@link createDnsResolver}; each is checked when the resolver is created. */
export interface DnsResolverOptions {
  /**
   * The DNS servers to ask, as `dns.setServers` takes them (`'192.0.2.53'`, `'[2001:db8::53]'`,
   * `'127.0.0.1:5353'`). Default: the system's (`/etc/resolv.conf` on Unix), read when the
   * resolver first needs each of its channels.
   */
  servers?: readonly string[];
  /**
   * The deadline of one lookup, in milliseconds, from the call (waiting for a free slot
   * included): then it is cancelled and fails with `ETIMEOUT`, unless one address family already
   * answered. A positive integer; default 3000.
   */
  timeoutMs?: number;
  /** Lookups asking DNS at once (one c-ares channel each). A positive integer; default 64. */
  maxConcurrent?: number;
  /** Lookups waiting for one of those; past it a lookup fails at once with `ELOOKUPQUEUEFULL`. Default 1024. */
  maxQueued?: number;
  /**
   * The hosts file, read first (re-read at most every 5 s; a file that cannot be read counts as
   * empty), or `false` for none. Default: `/etc/hosts` (on Windows,
   * `%SystemRoot%\System32\drivers\etc\hosts`). Its names resolve only through it, like
   * `getaddrinfo` with `hosts: files dns`.
   */
  hostsFile?: string | false;
}

const DEFAULTS = { timeoutMs: 3000, maxConcurrent: 64, maxQueued: 1024 } as const;
const HOSTS_FILE_TTL_MS = 5000;

/** An error as `node:dns` reports one: a `code` and the host name. */
function dnsError(code: string, hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`DNS lookup of ${hostname} failed (${code})`), { code, hostname });
}

function errorCodeOf(reason: unknown): string {
  const code = (reason as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ESERVFAIL';
}

/** `hostname` lower-cased, without brackets or a final dot. */
function normalise(hostname: string): string {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return bare.toLowerCase().replace(/\.$/, '');
}

/** RFC 6761 §6.3: `localhost` and names below it are loopback, and never asked of DNS. */
function isLocalhost(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

const LOOPBACK: readonly ResolvedAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/** The name -> addresses table of a hosts file's text. */
function parseHostsFile(text: string): Map<string, ResolvedAddress[]> {
  const table = new Map<string, ResolvedAddress[]>();
  for (const line of text.split(/\r?\n/)) {
    const [address, ...names] = (line.split('#', 1)[0] ?? '').trim().split(/\s+/);
    const family = address === undefined ? 0 : isIP(address);
    if (address === undefined || (family !== 4 && family !== 6)) continue;
    for (const name of names) {
      const key = normalise(name);
      const list = table.get(key) ?? [];
      if (!list.some((entry) => entry.address === address)) list.push({ address, family });
      table.set(key, list);
    }
  }
  return table;
}

function defaultHostsFile(): string {
  if (process.platform !== 'win32') return '/etc/hosts';
  return `${process.env.SystemRoot ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts`;
}

/** The hosts file's table, read again when older than {@link HOSTS_FILE_TTL_MS}. */
function hostsTable(path: string | false): () => Promise<Map<string, ResolvedAddress[]>> {
  if (path === false) return async () => new Map();
  let table: Promise<Map<string, ResolvedAddress[]>> | undefined;
  let readAt = 0;
  return () => {
    if (table === undefined || performance.now() - readAt > HOSTS_FILE_TTL_MS) {
      readAt = performance.now();
      table = readFile(path, 'utf8').then(parseHostsFile, () => new Map());
    }
    return table;
  };
}

function checkInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(`${name} must be a positive whole number; got ${String(value)}`);
  }
  return value;
}

interface ResolverSettings {
  servers: string[] | undefined;
  timeoutMs: number;
  maxConcurrent: number;
  maxQueued: number;
  hostsFile: string | false;
}

function resolveSettings(options: DnsResolverOptions): ResolverSettings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('the options of createDnsResolver must be an object');
  }
  const { servers, hostsFile } = options;
  if (servers !== undefined) {
    const valid = Array.isArray(servers) && servers.length > 0 && servers.every((s) => typeof s === 'string');
    if (!valid) throw new InvalidOptionError('servers must be a non-empty list of DNS server addresses');
    try {
      new Resolver().setServers(servers);
    } catch (error) {
      throw new InvalidOptionError(`servers: ${(error as Error).message}`);
    }
  }
  if (hostsFile !== undefined && hostsFile !== false && (typeof hostsFile !== 'string' || hostsFile === '')) {
    throw new InvalidOptionError('hostsFile must be a file path or false');
  }
  return {
    servers: servers === undefined ? undefined : [...servers],
    timeoutMs: checkInteger(options.timeoutMs, 'timeoutMs', DEFAULTS.timeoutMs),
    maxConcurrent: checkInteger(options.maxConcurrent, 'maxConcurrent', DEFAULTS.maxConcurrent),
    maxQueued: checkInteger(options.maxQueued, 'maxQueued', DEFAULTS.maxQueued),
    hostsFile: hostsFile ?? defaultHostsFile(),
  };
}

/**
 * A pool of at most `maxConcurrent` c-ares channels, one lookup each at a time, so that a lookup
 * can be cancelled on its own (`Resolver.cancel` cancels everything on its channel).
 */
class ChannelPool {
  readonly #settings: ResolverSettings;
  readonly #idle: Resolver[] = [];
  #created = 0;
  readonly #waiting: Array<(channel: Resolver) => void> = [];

  constructor(settings: ResolverSettings) {
    this.#settings = settings;
  }

  /** A free channel, or a place in the queue: `cancel` leaves the queue. Undefined when the queue is full. */
  take(): { channel: Promise<Resolver>; cancel: () => void } | undefined {
    const idle = this.#idle.pop() ?? this.#create();
    if (idle !== undefined) return { channel: Promise.resolve(idle), cancel: () => {} };
    if (this.#waiting.length >= this.#settings.maxQueued) return undefined;
    let wake!: (channel: Resolver) => void;
    const channel = new Promise<Resolver>((resolve) => {
      wake = resolve;
    });
    this.#waiting.push(wake);
    return {
      channel,
      cancel: () => {
        const at = this.#waiting.indexOf(wake);
        if (at >= 0) this.#waiting.splice(at, 1);
      },
    };
  }

  give(channel: Resolver): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#idle.push(channel);
    else next(channel);
  }

  #create(): Resolver | undefined {
    if (this.#created >= this.#settings.maxConcurrent) return undefined;
    this.#created += 1;
    // c-ares retries once, within the lookup's deadline; the deadline itself is ours.
    const timeout = Math.max(1, Math.ceil(this.#settings.timeoutMs / 2));
    const channel = new Resolver({ timeout, tries: 2 });
    if (this.#settings.servers !== undefined) channel.setServers(this.#settings.servers);
    return channel;
  }
}

/** One DNS lookup of a name, shared by every caller asking for it while it runs. */
interface SharedLookup {
  promise: Promise<ResolvedAddress[]>;
  callers: number;
  /** Ends the lookup now (its last caller gave up). */
  abandon(): void;
}

/** A and AAAA of `name` on `pool`, ended by its deadline or `abandon`. */
function lookUp(name: string, pool: ChannelPool, timeoutMs: number): Omit<SharedLookup, 'callers'> {
  let end!: (code: string) => void;
  const ended = new Promise<string>((resolve) => {
    end = resolve;
  });
  const timer = setTimeout(() => end('ETIMEOUT'), timeoutMs);
  const promise = (async () => {
    const slot = pool.take();
    if (slot === undefined) throw dnsError('ELOOKUPQUEUEFULL', name);
    const first = await Promise.race([slot.channel, ended]);
    if (typeof first === 'string') {
      slot.cancel();
      // A channel handed over just as the lookup ended goes back to the pool.
      slot.channel.then((channel) => pool.give(channel));
      throw dnsError(first, name);
    }
    const channel = first;
    let stopped: string | undefined;
    let done = false;
    void ended.then((code) => {
      if (done) return;
      stopped = code;
      channel.cancel();
    });
    const [v4, v6] = await Promise.allSettled([channel.resolve4(name), channel.resolve6(name)]);
    // Before the channel serves another lookup: this one's deadline must no longer cancel it.
    done = true;
    pool.give(channel);
    const addresses: ResolvedAddress[] = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
    ];
    if (addresses.length > 0) return addresses;
    if (stopped !== undefined) throw dnsError(stopped, name);
    const codes = [v4, v6].map((result) =>
      result.status === 'rejected' ? errorCodeOf(result.reason) : 'ENODATA',
    );
    // No address at all: the name does not exist or has none; otherwise the more telling failure.
    const telling = codes.find((code) => code !== 'ENODATA' && code !== 'ENOTFOUND');
    throw dnsError(telling ?? 'ENOTFOUND', name);
  })().finally(() => {
    clearTimeout(timer);
    end('ECANCELLED');
  });
  return { promise, abandon: () => end('ECANCELLED') };
}

/** Waits for `lookup` on behalf of one caller; `signal` lets that caller go early. */
function follow(lookup: SharedLookup, signal: AbortSignal | undefined): Promise<ResolvedAddress[]> {
  lookup.callers += 1;
  return new Promise((resolve, reject) => {
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      signal?.removeEventListener('abort', onAbort);
      lookup.callers -= 1;
    };
    const onAbort = (): void => {
      leave();
      if (lookup.callers === 0) lookup.abandon();
      reject(signal?.reason);
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    lookup.promise.then(
      (addresses) => {
        leave();
        resolve(addresses.map((entry) => ({ ...entry })));
      },
      (error: unknown) => {
        leave();
        reject(error);
      },
    );
  });
}

/**
 * Creates a resolver that asks DNS through c-ares (`dns.promises.Resolver`), never `getaddrinfo`
 * and its thread pool. A lookup of a name:
 * - an IP literal is returned as it is;
 * - a name in the hosts file gets the addresses listed there;
 * - `localhost` and names ending in `.localhost` are `127.0.0.1` and `::1` (RFC 6761), never
 *   asked of DNS;
 * - any other name: A and AAAA queries in parallel to the configured servers (no search domains),
 *   every address of both answers, IPv4 first. Callers asking for a name already being looked
 *   up share that lookup.
 *
 * Each lookup ends by `timeoutMs` (then fails with `ETIMEOUT` unless one family answered) or when
 * every caller waiting for it aborted (`signal`), and frees its slot at once; at most
 * `maxConcurrent` ask DNS at a time, `maxQueued` more wait. Not consulted, unlike `getaddrinfo`:
 * nsswitch sources other than the hosts file (mDNS, LDAP, systemd-resolved's own names), search
 * domains (single-label names are refused by the fetcher anyway) and address sorting.
 *
 * Throws `InvalidOptionError` for invalid options.
 */
export function createDnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const settings = resolveSettings(options);
  const pool = new ChannelPool(settings);
  const hosts = hostsTable(settings.hostsFile);
  const inFlight = new Map<string, SharedLookup>();
  return async (hostname, lookup = {}) => {
    const name = normalise(hostname);
    const family = isIP(name);
    if (family === 4 || family === 6) return [{ address: name, family }];
    const listed = (await hosts()).get(name);
    if (listed !== undefined) return listed.map((entry) => ({ ...entry }));
    if (isLocalhost(name)) return LOOPBACK.map((entry) => ({ ...entry }));
    let shared = inFlight.get(name);
    if (shared === undefined) {
      const { promise, abandon } = lookUp(name, pool, settings.timeoutMs);
      const started: SharedLookup = {
        promise,
        callers: 0,
        abandon: () => {
          forget();
          abandon();
        },
      };
      const forget = (): void => {
        if (inFlight.get(name) === started) inFlight.delete(name);
      };
      inFlight.set(name, started);
      promise.then(forget, forget);
      shared = started;
    }
    return follow(shared, lookup.signal);
  };
}

let defaultInstance: DnsResolver | undefined;

/**
 * The default resolver: {@link createDnsResolver} with its defaults (the system's DNS servers and
 * hosts file, 3 s per lookup, 64 at once), one for the whole process, created on first use.
 */
export const defaultResolver: DnsResolver = (hostname, options) => {
  defaultInstance ??= createDnsResolver();
  return defaultInstance(hostname, options);
};
