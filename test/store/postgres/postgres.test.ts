/**
 * The PostgreSQL store: the contract on a fresh schema per test (one store, and two stores on
 * two pools sharing the schema as two instances would), then what is particular to PostgreSQL:
 * races across pools, concurrent migration under the advisory lock, the schema version, an
 * unreachable server, a pool the application owns, prepared statements, lost connections and
 * the cleanup timer.
 */
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createLifecycle } from '../../../src/store/lifecycle.js';
import { createPostgresStore, type PostgresStoreOptions } from '../../../src/store/postgres/index.js';
import { createPostgresQueryBuilder } from '../../../src/store/postgres/query-builder.js';
import { createPostgresRunner } from '../../../src/store/postgres/runner.js';
import { createStatementFactory, createTypeParsers } from '../../../src/store/postgres/statements.js';
import { migrate, recordedVersions, SCHEMA_VERSION } from '../../../src/store/sql/schema.js';
import { createSqlStore } from '../../../src/store/sql/sql-store.js';
import type { Store } from '../../../src/store/store.js';
import { alternating } from '../alternating.js';
import { TestClock } from '../clock.js';
import { describeStoreContract } from '../contract.js';
import { codeRecord, concurrently, consentRecord, familyRecord, MINUTE, tally } from '../fixtures.js';
import {
  adminPool,
  adminPoolForFile,
  databaseUrl,
  dropSchema,
  randomSchemaName,
  rowCount,
  SKIP_POSTGRES,
  temporarySchema,
} from './postgres-schemas.js';

/** The admin pool (only used when the tests run). */
const adminOf = adminPoolForFile();

describe.skipIf(SKIP_POSTGRES)('PostgreSQL store', () => {
  describeStoreContract(
    'PostgreSQL',
    async (now) => {
      const schema = await temporarySchema(adminOf());
      const open = () =>
        createPostgresStore({
          connectionString: databaseUrl(),
          schema: schema.name,
          now,
          cleanupIntervalMs: 0,
        });
      return { store: await open(), reopen: open, dispose: schema.drop };
    },
    { persistent: true },
  );

  describeStoreContract(
    'PostgreSQL, two stores on two pools sharing one schema',
    async (now) => {
      const schema = await temporarySchema(adminOf());
      const open = async () =>
        alternating(
          await Promise.all(
            [1, 2].map(() =>
              createPostgresStore({
                connectionString: databaseUrl(),
                schema: schema.name,
                now,
                cleanupIntervalMs: 0,
                maxConnections: 4,
              }),
            ),
          ),
        );
      return { store: await open(), reopen: open, dispose: schema.drop };
    },
    { persistent: true },
  );

  describe('instances sharing one schema', () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A fresh schema, and a way to open stores on it that the test closes afterwards. */
    async function sharedSchema() {
      const schema = await temporarySchema(adminOf());
      cleanups.push(schema.drop);
      const clock = new TestClock();
      const open = async (more: Partial<PostgresStoreOptions> = {}) => {
        const store = await createPostgresStore({
          connectionString: databaseUrl(),
          schema: schema.name,
          now: clock.now,
          cleanupIntervalMs: 0,
          ...more,
        });
        cleanups.push(() => store.close());
        return store;
      };
      return { schema: schema.name, open };
    }

    /** Two stores, each on its own pool, on one schema: two instances of a deployment. */
    async function twoInstances(): Promise<[Store, Store]> {
      const { open } = await sharedSchema();
      return [await open(), await open()];
    }

    it('PKCE-AS-08: of 1000 concurrent consumptions of one code across two pools exactly one wins', async () => {
      const [a, b] = await twoInstances();
      await a.saveCode('hash-1', codeRecord(), MINUTE);
      const results = await concurrently(1000, (i) => (i % 2 === 0 ? a : b).consumeCode('hash-1'));
      expect(tally(results, (r) => r.status)).toStrictEqual({ consumed: 1, reused: 999 });
      expect((await b.consumeCode('hash-1')).status).toBe('reused');
    });

    it('MCP-AS-13: of 1000 concurrent rotations of one refresh token across two pools exactly one wins', async () => {
      const [a, b] = await twoInstances();
      await a.createRefreshFamily(familyRecord(), 'rt-0');
      const results = await concurrently(1000, (i) =>
        (i % 2 === 0 ? a : b).rotateRefreshToken('rt-0', `rt-new-${i}`),
      );
      const counts = tally(results, (r) => r.status);
      expect(counts).toStrictEqual({ rotated: 1, reused: 999 });
      // Reuse revoked the family, so even the winner's new token is refused now.
      const winner = results.findIndex((r) => r.status === 'rotated');
      expect((await b.rotateRefreshToken(`rt-new-${winner}`, 'rt-after')).status).toBe('revoked');
    });

    it('PKJ-09: of 1000 concurrent recordings of one jti across two pools exactly one is new', async () => {
      const [a, b] = await twoInstances();
      const results = await concurrently(1000, (i) =>
        (i % 2 === 0 ? a : b).recordJti('client-a', 'jti-1', MINUTE),
      );
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 999 });
    });

    it('PKCE-AS-08: a grant revoked while its family is being created leaves that family revoked', async () => {
      const [a, b] = await twoInstances();
      const grants = Array.from({ length: 300 }, (_, i) => i);
      await Promise.all(
        grants.flatMap((i) => [
          a.createRefreshFamily(familyRecord({ familyId: `f-${i}`, grantId: `g-${i}` }), `rt-${i}`),
          b.revokeGrant(`g-${i}`),
        ]),
      );
      const results = await Promise.all(grants.map((i) => a.rotateRefreshToken(`rt-${i}`, `rt-${i}-next`)));
      expect(tally(results, (r) => r.status)).toStrictEqual({ revoked: grants.length });
    });

    it('five stores opening one empty schema at once migrate it exactly once, and all work', async () => {
      const { schema, open } = await sharedSchema();
      const stores = await Promise.all([1, 2, 3, 4, 5].map(() => open({ maxConnections: 2 })));
      const versions = await adminOf().query(
        `select version from "${schema}".cimd_schema_version order by version`,
      );
      // Version 5 has nothing to do on PostgreSQL and is not recorded: the release before still opens it.
      expect(recordedVersions(createPostgresQueryBuilder(schema))).toStrictEqual([1, 2, 3, 4]);
      expect(versions.rows).toStrictEqual([1, 2, 3, 4].map((version) => ({ version })));
      const results = await Promise.all(stores.map((store) => store.recordJti('client-a', 'jti-1', MINUTE)));
      expect(tally(results, String)).toStrictEqual({ true: 1, false: 4 });
      await stores[0]?.cacheSet('k', 'v', MINUTE);
      for (const store of stores) expect(await store.cacheGet('k')).toBe('v');
    });

    it('creates a schema that does not exist yet', async () => {
      const name = randomSchemaName();
      cleanups.push(() => dropSchema(adminOf(), name));
      const store = await createPostgresStore({ connectionString: databaseUrl(), schema: name });
      cleanups.push(() => store.close());
      expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect(await rowCount(adminOf(), name, 'cimd_jti')).toBe(1);
    });

    it('refuses a schema written by a newer version, saying what to do, and changes nothing', async () => {
      const { schema, open } = await sharedSchema();
      await (await open()).close();
      await adminOf().query(
        `insert into "${schema}".cimd_schema_version (version, applied_at) values ($1, 0)`,
        [SCHEMA_VERSION + 1],
      );
      const error = await open().catch((e: unknown) => e);
      expect(isCimdError(error, 'ERR_STORE_DRIVER')).toBe(true);
      expect((error as Error).message).toMatch(
        new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer .* upgrade mcp-cimd`),
      );
      expect(await rowCount(adminOf(), schema, 'cimd_schema_version')).toBe(
        recordedVersions(createPostgresQueryBuilder(schema)).length + 1,
      );
    });

    it('migrates a version-1 schema to the current version while a version-1 instance keeps working', async () => {
      const { schema, open } = await sharedSchema();
      const clock = new TestClock();
      const pool = adminPool({ max: 2 });
      const runner = createPostgresRunner({
        pool,
        ownsPool: true,
        statement: createStatementFactory(createTypeParsers(pg.types)),
        maxAttempts: 1,
      });
      const db = createPostgresQueryBuilder(schema);
      expect(await runner.write(() => migrate(db, clock.now(), 1))).toBe(0);
      const lifecycle = createLifecycle('version-1 store', 'reopen it');
      const v1 = createSqlStore({ runner, db, now: clock.now, cleanupIntervalMs: 0, lifecycle });
      cleanups.push(() => v1.close());
      await v1.recordJti('client-a', 'jti-1', MINUTE);
      await v1.saveCode('code-1', codeRecord(), MINUTE);
      await v1.saveCode('code-2', codeRecord(), MINUTE);
      await v1.createRefreshFamily(familyRecord(), 'rt-0');
      await v1.saveConsent(consentRecord());

      const store = await open({ now: clock.now });
      const versions = await adminOf().query(
        `select version from "${schema}".cimd_schema_version order by version`,
      );
      expect(versions.rows.map((row) => row.version)).toStrictEqual(recordedVersions(db));
      // Version 4: tokens expire with their families, without an index of their own.
      const indexes = await adminOf().query(
        'select indexname from pg_indexes where schemaname = $1 and indexname = $2',
        [schema, 'cimd_refresh_token_expires_at'],
      );
      expect(indexes.rows).toStrictEqual([]);
      // Version 5 drops the tokens' family index on SQLite only: PostgreSQL's sweep and family
      // function use it.
      const familyIndex = await adminOf().query(
        'select indexname from pg_indexes where schemaname = $1 and indexname = $2',
        [schema, 'cimd_refresh_token_family_id'],
      );
      expect(familyIndex.rows).toStrictEqual([{ indexname: 'cimd_refresh_token_family_id' }]);
      expect(await store.recordJti('client-a', 'jti-1', MINUTE)).toBe(false);
      expect(await store.consumeCode('code-1')).toStrictEqual({ status: 'consumed', record: codeRecord() });
      expect(await store.listRefreshFamilies({ userId: 'user-1' })).toStrictEqual([familyRecord()]);
      expect(await store.listConsents({})).toStrictEqual([consentRecord()]);
      expect((await v1.consumeCode('code-2')).status).toBe('consumed');
      expect((await v1.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
      expect((await store.rotateRefreshToken('rt-1', 'rt-2')).status).toBe('rotated');
    });

    it('keeps two schemas of one database apart', async () => {
      const [first, second] = [await sharedSchema(), await sharedSchema()];
      const [a, b] = [await first.open(), await second.open()];
      expect(await a.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
      expect(await b.recordJti('client-a', 'jti-1', MINUTE)).toBe(true);
    });
  });
});

describe('an unreachable PostgreSQL server', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /** A loopback TCP server that accepts connections and never says a word. */
  async function silentServer(): Promise<number> {
    const server = createServer((socket) => sockets.push(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  /** A loopback port nothing listens on (it was bound a moment ago, then released). */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it('a refused connection rejects createPostgresStore with ERR_STORE_UNAVAILABLE', async () => {
    const port = await closedPort();
    const error = await createPostgresStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    }).catch((e: unknown) => e);
    expect(isCimdError(error, 'ERR_STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/could not connect to the database: .*ECONNREFUSED/);
  });

  it('a server that never answers rejects with ERR_STORE_UNAVAILABLE after connectionTimeoutMs', async () => {
    const port = await silentServer();
    const error = await createPostgresStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectionTimeoutMs: 200,
    }).catch((e: unknown) => e);
    expect(isCimdError(error, 'ERR_STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/unreachable/);
  });
});
