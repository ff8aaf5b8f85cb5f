/**
 * The Redis store: every instance of the authorization server sharing one Redis. Each operation
 * is one Lua script (or one command), so it is atomic across instances. Records carry their
 * expiry by the store's clock, which decides what is expired; Redis expires them after the same
 * time, so nothing needs sweeping.
 *
 * @module
 */
import { CimdError } from '../../errors.js';
import { assertGrantFilter, assertSeenAt, assertTtl, checkClock } from '../arguments.js';
import { createLifecycle } from '../lifecycle.js';
import { resolvePage } from '../paging.js';
import { REVOKED_GRANT_RETENTION_MS } from '../retention.js';
import type {
  AuthorizationCodeRecord,
  ConsentRecord,
  ConsumeCodeResult,
  GrantFilter,
  RegisteredClientRecord,
  RotateRefreshResult,
  Store,
} from '../store.js';
import {
  decodeDocuments,
  decodeFamily,
  encodeDocument,
  encodeFamily,
  rebindableFields,
  summarize,
} from './codecs.js';
import { registerScripts } from './commands.js';
import {
  checkConnectionOptions,
  openConnection,
  type RedisConnectionOptions,
  toStoreError,
} from './connection.js';
import { checkKeyPrefix } from './key-prefix.js';
import { createKeys, pairId } from './keys.js';

/** Options of {@link createRedisStore}: where Redis is (see {@link RedisConnectionOptions}) and more. */
export interface RedisStoreOptions extends RedisConnectionOptions {
  /**
   * What every key of the store starts with, so several stores (or other data) share one Redis
   * database apart. For Redis Cluster use a hash tag (`'{cimd}:'`) so all keys share a slot.
   * Default `'cimd:'`.
   */
  keyPrefix?: string;
  /**
   * The clock, in epoch milliseconds: it decides what is expired. Inject one to expire records
   * in tests without waiting. Default `Date.now`.
   */
  now?: () => number;
}

const CONFLICT = {
  code: 'An authorization code with this hash is already saved: codes are never overwritten',
  family: (familyId: string) => `A refresh token family with id ${familyId} already exists`,
  token: 'This refresh token hash is already in use: token hashes must be unique',
};

/** The result of a rotation script's answer; a taken new hash is `ERR_STORE_CONFLICT`. */
function rotationResult(answer: unknown): RotateRefreshResult {
  const [status, ...family] = answer as [RotateRefreshResult['status'] | 'token-taken', ...unknown[]];
  if (status === 'token-taken') throw new CimdError('ERR_STORE_CONFLICT', CONFLICT.token);
  if (status === 'invalid') return { status };
  return { status, family: decodeFamily(family) };
}

/** Whole milliseconds of a ttl, for Redis (at least 1). */
function wholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** The filter's arguments of the listing scripts. */
function filterArgs(filter: GrantFilter): string[] {
  return [
    filter.clientId === undefined ? '0' : '1',
    filter.clientId ?? '',
    filter.userId === undefined ? '0' : '1',
    filter.userId ?? '',
  ];
}

/**
 * Connects to Redis (or takes the caller's client) and returns a store on it. Rejects with
 * `ERR_STORE_UNAVAILABLE` when a URL's Redis cannot be reached within `connectTimeoutMs`, and
 * with `ERR_INVALID_OPTION` for bad options. Redis should not evict keys (`maxmemory-policy
 * noeviction`, or a `volatile-*` policy: the records that must never go, such as client
 * document history and durable state, have no expiry).
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<Store> {
  checkConnectionOptions(options, 'createRedisStore');
  const prefix = checkKeyPrefix(options.keyPrefix);
  const now = checkClock(options.now);
  const connection = await openConnection(options);
  const { client, description } = connection;
  const scripts = registerScripts(client, prefix);
  const keys = createKeys(prefix);
  const lifecycle = createLifecycle('Redis store', 'create a new one with createRedisStore()');

  /** Runs `operation` on an open store, turning connection failures into the store's error. */
  async function call<T>(operation: string, run: (time: number) => Promise<T>): Promise<T> {
    lifecycle.assertOpen();
    try {
      return await run(now());
    } catch (error) {
      throw toStoreError(error, operation, description);
    }
  }

  return {
    recordJti: (clientId, jti, ttlMs) =>
      call('recordJti', async (time) => {
        assertTtl('recordJti', ttlMs);
        const added = await scripts.run(
          'recordJti',
          time,
          [keys.jti(clientId, jti)],
          [time + ttlMs, wholeMs(ttlMs)],
        );
        return added === 1;
      }),

    saveCode: (codeHash, record, ttlMs) =>
      call('saveCode', async (time) => {
        assertTtl('saveCode', ttlMs);
        const saved = await scripts.run(
          'saveCode',
          time,
          [keys.code(codeHash)],
          [time + ttlMs, wholeMs(ttlMs), JSON.stringify(record)],
        );
        if (saved !== 1) throw new CimdError('ERR_STORE_CONFLICT', CONFLICT.code);
      }),

    consumeCode: (codeHash) =>
      call('consumeCode', async (time) => {
        const [status, record] = (await scripts.run('consumeCode', time, [keys.code(codeHash)])) as [
          ConsumeCodeResult['status'],
          string?,
        ];
        if (status === 'invalid' || record === undefined) return { status: 'invalid' };
        return { status, record: JSON.parse(record) as AuthorizationCodeRecord };
      }),

    createRefreshFamily: (family, tokenHash) =>
      call('createRefreshFamily', async (time) => {
        const { record, fields } = encodeFamily(family);
        const outcome = await scripts.run(
          'createRefreshFamily',
          time,
          [
            keys.family(family.familyId),
            keys.token(tokenHash),
            keys.grantFamilies(family.grantId),
            keys.revokedGrant(family.grantId),
            keys.families(),
            keys.familiesByClient(family.clientId),
            keys.familiesByUser(family.userId),
          ],
          [
            family.familyId,
            family.grantId,
            family.clientId,
            family.userId,
            family.createdAt,
            family.expiresAt,
            record,
            ...fields,
          ],
        );
        if (outcome === 'family-taken') {
          throw new CimdError('ERR_STORE_CONFLICT', CONFLICT.family(family.familyId));
        }
        if (outcome === 'token-taken') throw new CimdError('ERR_STORE_CONFLICT', CONFLICT.token);
      }),

    rotateRefreshToken: (oldHash, newHash, changes = {}) =>
      call('rotateRefreshToken', async (time) =>
        rotationResult(
          await scripts.run(
            'rotateRefreshToken',
            time,
            [keys.token(oldHash), keys.token(newHash)],
            rebindableFields(changes),
          ),
        ),
      ),

    recordJtiAndRotate: ({ clientId, jti, ttlMs }, oldHash, newHash, changes = {}) =>
      call('recordJtiAndRotate', async (time) => {
        assertTtl('recordJti', ttlMs);
        const answer = await scripts.run(
          'recordJtiAndRotate',
          time,
          [keys.jti(clientId, jti), keys.token(oldHash), keys.token(newHash)],
          [time + ttlMs, wholeMs(ttlMs), ...rebindableFields(changes)],
        );
        return (answer as [string])[0] === 'replayed' ? { status: 'replayed' } : rotationResult(answer);
      }),

    findRefreshFamily: (tokenHash) =>
      call('findRefreshFamily', async (time) => {
        const row = await scripts.run('findRefreshFamily', time, [keys.token(tokenHash)]);
        return row === null ? undefined : decodeFamily(row);
      }),

    revokeRefreshFamily: (familyId) =>
      call('revokeRefreshFamily', async (time) => {
        await scripts.run('revokeRefreshFamily', time, [keys.family(familyId)]);
      }),

    revokeGrant: (grantId) =>
      call('revokeGrant', async (time) => {
        await scripts.run(
          'revokeGrant',
          time,
          [keys.grantFamilies(grantId), keys.revokedGrant(grantId)],
          [grantId, time + REVOKED_GRANT_RETENTION_MS, REVOKED_GRANT_RETENTION_MS],
        );
      }),

    saveClient: (record) =>
      call('saveClient', async () => {
        await client.set(keys.client(record.clientId), JSON.stringify(record));
      }),

    getClient: (clientId) =>
      call('getClient', async () => {
        const value = await client.get(keys.client(clientId));
        return value === null ? undefined : (JSON.parse(value) as RegisteredClientRecord);
      }),

    saveConsent: (consent) =>
      call('saveConsent', async (time) => {
        await scripts.run(
          'saveConsent',
          time,
          [
            keys.consent(consent.userId, consent.clientId),
            keys.consents(),
            keys.consentsByClient(consent.clientId),
            keys.consentsByUser(consent.userId),
          ],
          [
            JSON.stringify(consent),
            consent.expiresAt,
            consent.grantedAt,
            consent.clientId,
            consent.userId,
            pairId(consent.userId, consent.clientId),
          ],
        );
      }),

    getConsent: (userId, clientId) =>
      call('getConsent', async (time) => {
        const [record, expiresAt] = await client.hmget(keys.consent(userId, clientId), 'record', 'expiresAt');
        if (record == null || !(Number(expiresAt) > time)) return undefined;
        return JSON.parse(record) as ConsentRecord;
      }),

    revokeConsent: (userId, clientId) =>
      call('revokeConsent', async (time) => {
        await scripts.run(
          'revokeConsent',
          time,
          [
            keys.consent(userId, clientId),
            keys.consents(),
            keys.consentsByClient(clientId),
            keys.consentsByUser(userId),
          ],
          [pairId(userId, clientId)],
        );
      }),

    cacheGet: (key) =>
      call('cacheGet', async (time) => {
        const [value, expiresAt] = await client.hmget(keys.cache(key), 'value', 'expiresAt');
        return value == null || !(Number(expiresAt) > time) ? undefined : value;
      }),

    cacheSet: (key, value, ttlMs) =>
      call('cacheSet', async (time) => {
        assertTtl('cacheSet', ttlMs);
        await scripts.run('cacheSet', time, [keys.cache(key)], [value, time + ttlMs, wholeMs(ttlMs)]);
      }),

    cacheDelete: (key) =>
      call('cacheDelete', async () => {
        await client.del(keys.cache(key));
      }),

    listRefreshFamilies: (filter, page) =>
      call('listRefreshFamilies', async (time) => {
        assertGrantFilter('listRefreshFamilies', filter);
        const { limit, offset } = resolvePage('listRefreshFamilies', page);
        const index =
          filter.clientId !== undefined
            ? keys.familiesByClient(filter.clientId)
            : filter.userId !== undefined
              ? keys.familiesByUser(filter.userId)
              : keys.families();
        const rows = await scripts.run(
          'listRefreshFamilies',
          time,
          [index],
          [offset, limit, ...filterArgs(filter)],
        );
        return (rows as unknown[]).map(decodeFamily);
      }),

    listConsents: (filter, page) =>
      call('listConsents', async (time) => {
        assertGrantFilter('listConsents', filter);
        const { limit, offset } = resolvePage('listConsents', page);
        const index =
          filter.clientId !== undefined
            ? keys.consentsByClient(filter.clientId)
            : filter.userId !== undefined
              ? keys.consentsByUser(filter.userId)
              : keys.consents();
        const rows = await scripts.run('listConsents', time, [index], [offset, limit, ...filterArgs(filter)]);
        return (rows as string[]).map((row) => JSON.parse(row) as ConsentRecord);
      }),

    recordClientDocument: (record) =>
      call('recordClientDocument', async (time) => {
        assertSeenAt(record.seenAt);
        const added = await scripts.run(
          'recordClientDocument',
          time,
          [keys.clientDocuments(record.clientId), keys.clientsBySighting()],
          [record.fingerprint, record.seenAt, encodeDocument(record), record.clientId],
        );
        return added === 1;
      }),

    getClientDocuments: (clientId) =>
      call('getClientDocuments', async () =>
        decodeDocuments(clientId, await client.hgetall(keys.clientDocuments(clientId))),
      ),

    listClientDocuments: (page) =>
      call('listClientDocuments', async (time) => {
        const { limit, offset } = resolvePage('listClientDocuments', page);
        const rows = (await scripts.run(
          'listClientDocuments',
          time,
          [keys.clientsBySighting()],
          [offset, limit],
        )) as [string, unknown][];
        return rows.map(([clientId, hash]) => summarize(decodeDocuments(clientId, hash)));
      }),

    getState: (name) => call('getState', async () => (await client.get(keys.state(name))) ?? undefined),

    putState: (name, value, expected) =>
      call('putState', async (time) => {
        const mode = expected === undefined ? 'any' : expected === null ? 'absent' : 'equal';
        const written = await scripts.run(
          'putState',
          time,
          [keys.state(name)],
          [value, mode, expected ?? ''],
        );
        return written === 1;
      }),

    acquireLock: (name, owner, ttlMs) =>
      call('acquireLock', async (time) => {
        assertTtl('acquireLock', ttlMs);
        const taken = await scripts.run(
          'acquireLock',
          time,
          [keys.lock(name)],
          [owner, time + ttlMs, wholeMs(ttlMs)],
        );
        return taken === 1;
      }),

    releaseLock: (name, owner) =>
      call('releaseLock', async (time) => {
        await scripts.run('releaseLock', time, [keys.lock(name)], [owner]);
      }),

    async close() {
      if (!lifecycle.markClosed()) return;
      await connection.close();
    },
  };
}
