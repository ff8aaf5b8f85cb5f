/**
 * The PostgreSQL store's hot write operations in one round trip each, instead of the shared
 * transaction's five to eight (`BEGIN`, each statement, `COMMIT`): every round trip through `pg`
 * costs this process and the database server CPU. Rotating a refresh token and creating a family
 * call the server-side functions of `routines.ts`; consuming a code is its compare-and-set
 * `UPDATE` alone, followed by a lookup only when that finds nothing to claim, and saving one is an
 * upsert that replaces only an expired code. The outcomes, and
 * the races they decide, are those of the shared operations (`../sql/refresh.ts`,
 * `../sql/codes.ts`).
 *
 * @module
 */
import { sql } from 'kysely';
import { assertTtl } from '../arguments.js';
import type { StoreLifecycle } from '../lifecycle.js';
import {
  type CodeColumns,
  decodeCode,
  decodeFamily,
  encodeCode,
  encodeFamily,
  type FamilyColumns,
} from '../sql/codecs.js';
import { codeHashTaken } from '../sql/codes.js';
import { prepare } from '../sql/prepared.js';
import { familyIdTaken, tokenHashTaken } from '../sql/refresh.js';
import type { SqlRunner } from '../sql/runner.js';
import { execute, type Operation, selectFirst } from '../sql/steps.js';
import type { StoreQueryBuilder } from '../sql/tables.js';
import type {
  AuthorizationCodeRecord,
  JtiRecord,
  RecordJtiAndRotateResult,
  RefreshFamilyChanges,
  RefreshFamilyRecord,
  RotateRefreshResult,
  Store,
} from '../store.js';
import {
  CREATE_FAMILY_FUNCTION,
  FAMILY_TAKEN_STATE,
  RECORD_JTI_AND_ROTATE_FUNCTION,
  ROTATE_REFRESH_FUNCTION,
  TOKEN_TAKEN_STATE,
} from './routines.js';

/** A row of the rotation function: its outcome, and the family unless the token was invalid. */
type RotationRow = FamilyColumns & { status: 'rotated' | 'reused' | 'revoked' };
/** A row of the record-and-rotate function: `replayed` alone, or a rotation's row. */
type RecordAndRotateRow = RotationRow | { status: 'replayed' };

/** The code columns a consumption reads (those of its record). */
const CODE_COLUMNS = [
  'grant_id',
  'client_id',
  'user_id',
  'redirect_uri',
  'code_challenge',
  'resources',
  'scope',
  'client_fingerprint',
  'auth_time',
  'extra',
] as const;

/** Marks a live, unconsumed code consumed and returns it: a row for the one caller that flips it. */
const claimCode = prepare((db, a: { codeHash: string; now: number }) =>
  db
    .updateTable('cimd_code')
    .set({ consumed_at: a.now })
    .where('code_hash', '=', a.codeHash)
    .where('expires_at', '>', a.now)
    .where('consumed_at', 'is', null)
    .returning(CODE_COLUMNS),
);

/**
 * Saves a code, replacing an expired one with the same hash (as if it were absent): 1 affected
 * row exactly when no live code has the hash.
 */
const insertCode = prepare((db, a: CodeColumns & { code_hash: string; expires_at: number; now: number }) =>
  db
    .insertInto('cimd_code')
    .values({
      code_hash: a.code_hash,
      grant_id: a.grant_id,
      client_id: a.client_id,
      user_id: a.user_id,
      redirect_uri: a.redirect_uri,
      code_challenge: a.code_challenge,
      resources: a.resources,
      scope: a.scope,
      client_fingerprint: a.client_fingerprint,
      auth_time: a.auth_time,
      extra: a.extra,
      expires_at: a.expires_at,
      consumed_at: null,
    })
    .onConflict((conflict) =>
      conflict
        .column('code_hash')
        .doUpdateSet((eb) => ({
          ...Object.fromEntries(
            [...CODE_COLUMNS, 'expires_at' as const].map((column) => [column, eb.ref(`excluded.${column}`)]),
          ),
          consumed_at: null,
        }))
        .where('cimd_code.expires_at', '<=', a.now),
    ),
);

/** A live code, consumed or not. */
const findCode = prepare((db, a: { codeHash: string; now: number }) =>
  db
    .selectFrom('cimd_code')
    .select(CODE_COLUMNS)
    .where('code_hash', '=', a.codeHash)
    .where('expires_at', '>', a.now),
);

/** The arguments of the rotation function. */
interface RotationArgs {
  oldHash: string;
  newHash: string;
  now: number;
  keyThumbprint: string | null;
  clientFingerprint: string | null;
}

function rotationArgs(
  oldHash: string,
  newHash: string,
  now: number,
  changes: RefreshFamilyChanges,
): RotationArgs {
  return {
    oldHash,
    newHash,
    now,
    keyThumbprint: changes.keyThumbprint ?? null,
    clientFingerprint: changes.clientFingerprint ?? null,
  };
}

/** The result of a rotation from its row (none: `invalid`). */
function rotationResult(row: RotationRow | undefined): RotateRefreshResult {
  return row === undefined ? { status: 'invalid' } : { status: row.status, family: decodeFamily(row) };
}

/** The one-round-trip operations of one store, whose functions live in `schema`. */
export interface OneTripOperations {
  /** `rotateRefreshToken` as one statement; run it with the runner's `writeStatement`. */
  rotateRefreshToken(
    oldHash: string,
    newHash: string,
    now: number,
    changes: RefreshFamilyChanges,
  ): Operation<RotateRefreshResult>;
  /** `recordJtiAndRotate` as one statement; run it with the runner's `writeStatement`. */
  recordJtiAndRotate(
    record: JtiRecord,
    oldHash: string,
    newHash: string,
    now: number,
    changes: RefreshFamilyChanges,
  ): Operation<RecordJtiAndRotateResult>;
  /** `createRefreshFamily` as one statement; failures go through {@link conflictError}. */
  createRefreshFamily(family: RefreshFamilyRecord, tokenHash: string, now: number): Operation<void>;
  /** `saveCode` as one statement: 1 when saved, 0 when a live code has the hash. */
  saveCode(codeHash: string, record: AuthorizationCodeRecord, now: number, ttlMs: number): Operation<number>;
  /** Claims a code: its record when this call consumed it, else `undefined` (see {@link findCode}). */
  claimCode(codeHash: string, now: number): Operation<AuthorizationCodeRecord | undefined>;
  /** A live code's record, consumed or not. */
  findCode(codeHash: string, now: number): Operation<AuthorizationCodeRecord | undefined>;
}

/** The operations for the store whose query builder is `db` and whose tables and functions are in `schema`. */
export function createOneTripOperations(db: StoreQueryBuilder, schema: string): OneTripOperations {
  const rotate = sql.id(schema, ROTATE_REFRESH_FUNCTION);
  const create = sql.id(schema, CREATE_FAMILY_FUNCTION);
  const rotateCall = prepare((db, a: RotationArgs) =>
    db
      .selectFrom(
        sql<RotationRow>`${rotate}(${a.oldHash}, ${a.newHash}, ${a.now}, ${a.keyThumbprint}, ${a.clientFingerprint})`.as(
          'r',
        ),
      )
      .selectAll('r'),
  );
  const recordAndRotate = sql.id(schema, RECORD_JTI_AND_ROTATE_FUNCTION);
  const recordAndRotateCall = prepare(
    (db, a: RotationArgs & { clientId: string; jti: string; expiresAt: number }) =>
      db
        .selectFrom(
          sql<RecordAndRotateRow>`${recordAndRotate}(${a.clientId}, ${a.jti}, ${a.expiresAt}, ${a.oldHash}, ${a.newHash}, ${a.now}, ${a.keyThumbprint}, ${a.clientFingerprint})`.as(
            'r',
          ),
        )
        .selectAll('r'),
  );
  const createCall = prepare((db, a: ReturnType<typeof encodeFamily> & { token_hash: string; now: number }) =>
    db
      .selectFrom(
        sql<{
          created: number;
        }>`${create}(${a.family_id}, ${a.grant_id}, ${a.client_id}, ${a.user_id}, ${a.scope}, ${a.resources}, ${a.auth_method}, ${a.key_thumbprint}, ${a.client_fingerprint}, ${a.created_at}, ${a.expires_at}, ${a.extra}, ${a.token_hash}, ${a.now})`.as(
          'created',
        ),
      )
      .selectAll('created'),
  );

  return {
    *rotateRefreshToken(oldHash, newHash, now, changes) {
      const row = yield* selectFirst(rotateCall(db, rotationArgs(oldHash, newHash, now, changes)));
      return rotationResult(row);
    },
    *recordJtiAndRotate(record, oldHash, newHash, now, changes) {
      const row = yield* selectFirst(
        recordAndRotateCall(db, {
          ...rotationArgs(oldHash, newHash, now, changes),
          clientId: record.clientId,
          jti: record.jti,
          expiresAt: now + record.ttlMs,
        }),
      );
      return row?.status === 'replayed'
        ? { status: 'replayed' }
        : rotationResult(row as RotationRow | undefined);
    },
    *createRefreshFamily(family, tokenHash, now) {
      yield* selectFirst(createCall(db, { ...encodeFamily(family), token_hash: tokenHash, now }));
    },
    *saveCode(codeHash, record, now, ttlMs) {
      return yield* execute(
        insertCode(db, { ...encodeCode(record), code_hash: codeHash, expires_at: now + ttlMs, now }),
      );
    },
    *claimCode(codeHash, now) {
      const row = yield* selectFirst(claimCode(db, { codeHash, now }));
      return row === undefined ? undefined : decodeCode(row as CodeColumns);
    },
    *findCode(codeHash, now) {
      const row = yield* selectFirst(findCode(db, { codeHash, now }));
      return row === undefined ? undefined : decodeCode(row as CodeColumns);
    },
  };
}

/**
 * The store's error for what a routine raised: `ERR_STORE_CONFLICT` for a taken family id or
 * token hash (`familyId` names the family in the message); anything else as it is.
 */
export function conflictError(error: unknown, familyId?: string): unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === TOKEN_TAKEN_STATE) return tokenHashTaken();
  if (code === FAMILY_TAKEN_STATE) return familyIdTaken(familyId ?? 'this id');
  return error;
}

/** What {@link withOneTripOperations} runs the operations with. */
export interface OneTripParts {
  runner: SqlRunner;
  operations: OneTripOperations;
  /** The clock, epoch ms. */
  now: () => number;
  lifecycle: StoreLifecycle;
}

/** `store` with its code consumption, family creation and rotations done in one round trip each. */
export function withOneTripOperations(store: Store, parts: OneTripParts): Store {
  const { runner, operations, now, lifecycle } = parts;
  return {
    ...store,
    async saveCode(codeHash, record, ttlMs) {
      lifecycle.assertOpen();
      assertTtl('saveCode', ttlMs);
      const saved = await runner.writeStatement(() => operations.saveCode(codeHash, record, now(), ttlMs));
      if (saved !== 1) throw codeHashTaken();
    },
    async consumeCode(codeHash) {
      lifecycle.assertOpen();
      const at = now();
      const claimed = await runner.writeStatement(() => operations.claimCode(codeHash, at));
      if (claimed !== undefined) return { status: 'consumed', record: claimed };
      // Not claimable: consumed before (a replay), or unknown or expired. A code once live stays
      // in the table until it expires, so the lookup tells the two apart.
      const record = await runner.read(() => operations.findCode(codeHash, at));
      return record === undefined ? { status: 'invalid' } : { status: 'reused', record };
    },
    async createRefreshFamily(family, tokenHash) {
      lifecycle.assertOpen();
      try {
        await runner.writeStatement(() => operations.createRefreshFamily(family, tokenHash, now()));
      } catch (error) {
        throw conflictError(error, family.familyId);
      }
    },
    async rotateRefreshToken(oldHash, newHash, changes = {}) {
      lifecycle.assertOpen();
      try {
        return await runner.writeStatement(() =>
          operations.rotateRefreshToken(oldHash, newHash, now(), changes),
        );
      } catch (error) {
        throw conflictError(error);
      }
    },
    async recordJtiAndRotate(record, oldHash, newHash, changes = {}) {
      lifecycle.assertOpen();
      assertTtl('recordJti', record.ttlMs);
      try {
        return await runner.writeStatement(() =>
          operations.recordJtiAndRotate(record, oldHash, newHash, now(), changes),
        );
      } catch (error) {
        throw conflictError(error);
      }
    },
  };
}
