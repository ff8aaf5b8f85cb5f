/**
 * The Redis connection of a store or rate-limit counter: one the caller owns (`client`), or one
 * opened from a URL with bounded waits, so an unreachable Redis fails calls with
 * `ERR_STORE_UNAVAILABLE` instead of queueing them forever. Errors of the connection become
 * {@link CimdError}s here.
 *
 * @module
 */
import { Redis } from 'ioredis';
import { CimdError, InvalidOptionError } from '../../errors.js';
import { checkMilliseconds } from '../arguments.js';

/** How to reach Redis: a URL (the connection is then the store's) or a client the caller owns. */
export interface RedisConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` or `rediss://` (TLS). The store opens its own
   * connection and closes it on `close()`. Give `url` or `client`, not both.
   */
  url?: string;
  /**
   * An ioredis client the caller owns (e.g. for Sentinel or custom TLS): `close()` leaves it
   * open, and its own retry and queue settings apply. Its `keyPrefix` option must be unset (use
   * the store's `keyPrefix`).
   */
  client?: Redis;
  /**
   * With `url`: how long connecting may take before the store (or a call made while reconnecting)
   * fails, in milliseconds. Default 5 000.
   */
  connectTimeoutMs?: number;
  /**
   * With `url`: how long one call may wait for Redis's answer before it fails, in milliseconds.
   * Default 5 000.
   */
  commandTimeoutMs?: number;
}

/** The default of {@link RedisConnectionOptions.connectTimeoutMs}. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** The default of {@link RedisConnectionOptions.commandTimeoutMs}. */
const DEFAULT_COMMAND_TIMEOUT_MS = 5000;
/** The longest pause between reconnection attempts, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 2000;

/** An open connection and whether the store must close it. */
export interface RedisConnection {
  client: Redis;
  owned: boolean;
  /** Where it goes, without credentials, for messages. */
  description: string;
  /** Closes the connection when the store opened it. */
  close(): Promise<void>;
}

/** Redis replies that mean "not now" rather than "wrong request". */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS)\b/;

/**
 * Turns what a Redis call threw into the store's error: a {@link CimdError} as it is, a refused,
 * lost or timed-out connection (or a server not ready to serve) as `ERR_STORE_UNAVAILABLE`; any
 * other Redis reply error unchanged.
 */
export function toStoreError(error: unknown, operation: string, description: string): unknown {
  if (error instanceof CimdError) return error;
  const isReply = error instanceof Error && error.name === 'ReplyError';
  if (isReply && !UNAVAILABLE_REPLIES.test(error.message)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new CimdError(
    'ERR_STORE_UNAVAILABLE',
    `${operation} failed: Redis at ${description} is unavailable (${reason}); retry later`,
    { cause: error },
  );
}

/** `url` without its credentials. */
function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

function parseUrl(value: unknown): URL {
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    throw new InvalidOptionError('url must be a redis:// or rediss:// URL (redis://host:6379/0)');
  }
  return url;
}

/** Checks the connection options (throws {@link InvalidOptionError}) without connecting. */
export function checkConnectionOptions(options: RedisConnectionOptions, what: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`${what} needs options with a url or an ioredis client`);
  }
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new InvalidOptionError(
      `${what} needs exactly one of url (a redis:// URL) and client (an ioredis client)`,
    );
  }
  if (options.url !== undefined) parseUrl(options.url);
  if (options.client !== undefined) {
    if (!(options.client instanceof Redis)) {
      throw new InvalidOptionError('client must be an ioredis Redis instance');
    }
    if (options.client.options.keyPrefix) {
      throw new InvalidOptionError(
        "client has ioredis's keyPrefix option set: leave it unset and pass keyPrefix to the store instead",
      );
    }
  }
  checkMilliseconds('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1);
  checkMilliseconds('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, 1);
}

/**
 * Returns the caller's client, or opens a connection to `options.url` and waits until it is
 * ready. Rejects with `ERR_STORE_UNAVAILABLE` when Redis cannot be reached within the connect
 * timeout. Call {@link checkConnectionOptions} first.
 */
export async function openConnection(options: RedisConnectionOptions): Promise<RedisConnection> {
  if (options.client !== undefined) {
    const { host, port } = options.client.options;
    return {
      client: options.client,
      owned: false,
      description: `${host ?? 'localhost'}:${port ?? 6379}`,
      close: async () => undefined,
    };
  }
  const url = parseUrl(options.url);
  const description = describeUrl(url);
  const connectTimeout = checkMilliseconds(
    'connectTimeoutMs',
    options.connectTimeoutMs,
    DEFAULT_CONNECT_TIMEOUT_MS,
    1,
  );
  const client = new Redis(url.href, {
    lazyConnect: true,
    connectTimeout,
    commandTimeout: checkMilliseconds(
      'commandTimeoutMs',
      options.commandTimeoutMs,
      DEFAULT_COMMAND_TIMEOUT_MS,
      1,
    ),
    // Calls made while the connection is down fail at once instead of waiting for it.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
  });
  // Failures reach the calls that meet them; without a listener ioredis would print each one.
  client.on('error', () => undefined);
  const close = async () => {
    if (client.status === 'end') return;
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  };
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw toStoreError(error, 'Connecting', description);
  }
  return { client, owned: true, description, close };
}
