/**
 * MCP-AS-13 refresh rotation / reuse detection on PostgreSQL, where a rotation is one statement
 * (a server-side function) and every racer holds its own pooled connection: one token hammered
 * from many connections at once, racers binding different keys, racers wanting one new hash, and
 * rotations racing the revocation of their grant.
 */
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import { createPostgresStore } from '../../../src/store/postgres/index.js';
import type { RotateRefreshResult, Store } from '../../../src/store/store.js';
import { TestClock } from '../clock.js';
import { concurrently, familyRecord, tally } from '../fixtures.js';
import {
  adminPool,
  adminPoolForFile,
  randomSchemaName,
  SKIP_POSTGRES,
  temporarySchema,
} from './postgres-schemas.js';

/** The admin pool (only used when the tests run). */
const adminOf = adminPoolForFile();

/** How many connections race: each rotation of a round runs on its own. */
const RACERS = 24;

describe.skipIf(SKIP_POSTGRES)('MCP-AS-13 refresh rotation / reuse detection on PostgreSQL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /**
   * A store on a pool of {@link RACERS} connections, all opened before the test races (so
   * concurrent calls really run on different connections), and the pool's name.
   */
  async function racingStore(): Promise<{ store: Store; pool: pg.Pool; name: string }> {
    const schema = await temporarySchema(adminOf());
    cleanups.push(schema.drop);
    const name = `cimd-test-${randomSchemaName()}`;
    const pool = adminPool({ max: RACERS, application_name: name });
    cleanups.push(() => pool.end());
    await concurrently(RACERS, () => pool.query('select pg_sleep(0.05)'));
    expect(pool.totalCount).toBe(RACERS);
    const store = await createPostgresStore({
      pool,
      schema: schema.name,
      now: new TestClock().now,
      cleanupIntervalMs: 0,
    });
    cleanups.push(() => store.close());
    return { store, pool, name };
  }

  it('MCP-AS-13: rotates in one statement, a call of the server-side function', async () => {
    const { store, pool } = await racingStore();
    await store.createRefreshFamily(familyRecord(), 'rt-0');
    expect((await store.rotateRefreshToken('rt-0', 'rt-1')).status).toBe('rotated');
    const { rows } = await pool.query<{ statement: string }>('select statement from pg_prepared_statements');
    const statements = rows.map((row) => row.statement);
    expect(statements).toEqual(expect.arrayContaining([expect.stringMatching(/cimd_rotate_refresh_v1"\(/)]));
  });

  it(`MCP-AS-13: in 30 rounds of ${RACERS} rotations of one token on ${RACERS} connections exactly one wins, with its changes, and the rest revoke the family`, async () => {
    const { store } = await racingStore();
    for (let round = 0; round < 30; round++) {
      const family = familyRecord({ familyId: `family-${round}`, grantId: `grant-${round}` });
      await store.createRefreshFamily(family, `rt-${round}`);
      const results = await concurrently(RACERS, (i) =>
        store.rotateRefreshToken(`rt-${round}`, `rt-${round}-${i}`, {
          keyThumbprint: `thumb-${i}`,
          clientFingerprint: `sha256:fingerprint-${i}`,
        }),
      );
      expect(tally(results, (r) => r.status)).toStrictEqual({ rotated: 1, reused: RACERS - 1 });
      const winner = results.findIndex((r) => r.status === 'rotated');
      const rebound = {
        ...family,
        keyThumbprint: `thumb-${winner}`,
        clientFingerprint: `sha256:fingerprint-${winner}`,
      };
      expect(results[winner]).toStrictEqual({ status: 'rotated', family: rebound });
      // The losers' changes were never applied: the family carries the winner's.
      expect(await store.findRefreshFamily(`rt-${round}`)).toStrictEqual(rebound);
      expect(await store.findRefreshFamily(`rt-${round}-${winner}`)).toStrictEqual(rebound);
      // Only the winner's new token exists, and reuse revoked the family it belongs to.
      const loser = (winner + 1) % RACERS;
      expect(await store.findRefreshFamily(`rt-${round}-${loser}`)).toBeUndefined();
      expect(await store.rotateRefreshToken(`rt-${round}-${winner}`, `rt-${round}-next`)).toStrictEqual({
        status: 'revoked',
        family: rebound,
      });
    }
  });

  it(`MCP-AS-13: ${RACERS} families rotating to one new hash at once: one rotates, the others fail with ERR_STORE_CONFLICT and keep their token current`, async () => {
    const { store } = await racingStore();
    const families = Array.from({ length: RACERS }, (_, i) =>
      familyRecord({ familyId: `family-${i}`, grantId: `grant-${i}` }),
    );
    for (const [i, family] of families.entries()) await store.createRefreshFamily(family, `rt-${i}`);
    const outcomes = await concurrently(RACERS, (i) =>
      store
        .rotateRefreshToken(`rt-${i}`, 'rt-shared', { keyThumbprint: `thumb-${i}` })
        .then((result): RotateRefreshResult | 'conflict' => result)
        .catch((error: unknown) => {
          if (isCimdError(error, 'ERR_STORE_CONFLICT')) return 'conflict' as const;
          throw error;
        }),
    );
    expect(tally(outcomes, (o) => (o === 'conflict' ? o : o.status))).toStrictEqual({
      rotated: 1,
      conflict: RACERS - 1,
    });
    const winner = outcomes.findIndex((o) => o !== 'conflict');
    expect((await store.findRefreshFamily('rt-shared'))?.familyId).toBe(`family-${winner}`);
    for (const [i, family] of families.entries()) {
      if (i === winner) continue;
      // Nothing changed for a loser: its token is still current and its key still the old one.
      expect(await store.rotateRefreshToken(`rt-${i}`, `rt-${i}-next`)).toStrictEqual({
        status: 'rotated',
        family,
      });
    }
  });

  it('MCP-AS-13: rotations racing the revocation of their grant leave every family revoked', async () => {
    const { store } = await racingStore();
    const grants = Array.from({ length: 60 }, (_, i) => i);
    for (const i of grants) {
      await store.createRefreshFamily(familyRecord({ familyId: `f-${i}`, grantId: `g-${i}` }), `rt-${i}`);
    }
    const rotations = await Promise.all(
      grants.flatMap((i) => [
        store.rotateRefreshToken(`rt-${i}`, `rt-${i}-next`),
        store.revokeGrant(`g-${i}`).then(() => undefined),
      ]),
    );
    const statuses = tally(
      rotations.filter((r): r is RotateRefreshResult => r !== undefined),
      (r) => r.status,
    );
    expect((statuses.rotated ?? 0) + (statuses.revoked ?? 0)).toBe(grants.length);
    for (const i of grants) {
      const current = rotations[2 * i]?.status === 'rotated' ? `rt-${i}-next` : `rt-${i}`;
      expect((await store.rotateRefreshToken(current, `rt-${i}-after`)).status).toBe('revoked');
    }
  });
});
