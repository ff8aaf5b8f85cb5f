/**
 * The Redis the tests run against (`CIMD_TEST_REDIS_URL`): a key prefix of its own for every
 * test, removed afterwards. Without the URL the Redis tests are skipped, saying so, except under
 * CI (`CI=true`), where a missing URL fails.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';

/** The test Redis URL, or undefined when the tests are skipped. */
export const REDIS_URL = process.env.CIMD_TEST_REDIS_URL;

if (REDIS_URL === undefined) {
  if (process.env.CI === 'true') throw new Error('CIMD_TEST_REDIS_URL must be set under CI');
  console.warn('Skipping the Redis tests: set CIMD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run them');
}

/** The test Redis URL; only call inside tests that are skipped without it. */
export function redisUrl(): string {
  if (REDIS_URL === undefined) throw new Error('CIMD_TEST_REDIS_URL is not set');
  return REDIS_URL;
}

/** A key prefix no other test uses. */
export function uniquePrefix(): string {
  return `cimd-test:${randomUUID()}:`;
}

/** A client of the test Redis that the caller closes. */
export function adminClient(): Redis {
  return new Redis(redisUrl(), { lazyConnect: true });
}

let shared: Redis | undefined;

/** The test file's client for inspecting and cleaning up, opened on first use; see {@link closeInspector}. */
export function inspector(): Redis {
  shared ??= adminClient();
  return shared;
}

/** Closes the {@link inspector} client, if it was opened (call it in `afterAll`). */
export async function closeInspector(): Promise<void> {
  await shared?.quit();
  shared = undefined;
}

/** Every key under `prefix` (SCAN, so Redis is never blocked). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
}

/** A port on 127.0.0.1 where nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP relay on loopback to the test Redis that the test can cut. */
export interface RedisRelay {
  /** A redis:// URL through the relay. */
  url: string;
  /** Stops listening and drops every relayed connection. */
  cut(): Promise<void>;
}

/** Starts a {@link RedisRelay}. */
export async function startRelay(): Promise<RedisRelay> {
  const target = new URL(redisUrl());
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(target.href);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.href,
    async cut() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
