/**
 * Two authorization servers, each with its own connection to one Redis (one key prefix), count
 * the same rate limits together: what one instance let through, the other counts.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AuthorizationServer, createAuthorizationServer, devLogin } from '../../../src/server/index.js';
import { createMemoryStore, type RateLimitCounter } from '../../../src/store/index.js';
import { createRedisRateLimitCounter } from '../../../src/store/redis/index.js';
import {
  closeInspector,
  deletePrefix,
  inspector,
  REDIS_URL,
  redisUrl,
  uniquePrefix,
} from '../../store/redis/redis-server.js';
import { type Listening, listenOnLoopback, postToken } from './loopback.js';

const startedAt = Date.now();
const REFRESH = { grant_type: 'refresh_token', refresh_token: 'not-a-real-token' };

afterAll(closeInspector);

describe.skipIf(REDIS_URL === undefined)('rate limits shared through Redis', () => {
  const open: { server: AuthorizationServer; listening: Listening; counter: RateLimitCounter }[] = [];
  const prefix = uniquePrefix();
  afterEach(async () => {
    for (const { server, listening, counter } of open.splice(0)) {
      await listening.close();
      await server.close();
      await counter.close();
    }
    await deletePrefix(inspector(), prefix);
  });

  async function instance(): Promise<number> {
    // One fixed instant for both counters: Redis windows start on the minute, and a test running
    // across a minute boundary would otherwise count in two windows.
    const counter = await createRedisRateLimitCounter({
      url: redisUrl(),
      keyPrefix: prefix,
      now: () => startedAt,
    });
    const server = createAuthorizationServer({
      issuer: 'http://127.0.0.1:4000',
      resources: ['https://mcp.example.com/mcp'],
      store: createMemoryStore(),
      authenticator: devLogin(),
      rateLimit: { counter, perIpPerMinute: 0, perClientPerMinute: 4 },
    });
    const listening = await listenOnLoopback(server);
    open.push({ server, listening, counter });
    return listening.port;
  }

  it('two instances on one Redis share one per-client limit', async () => {
    const [first, second] = [await instance(), await instance()];
    const params = { ...REFRESH, client_id: `https://shared.example/${prefix}client.json` };
    const statuses = [];
    for (const port of [first, second, first, second]) statuses.push((await postToken(port, params)).status);
    expect(statuses).not.toContain(429);
    const refused = await postToken(second, params);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await postToken(first, params)).status).toBe(429);
  });
});
