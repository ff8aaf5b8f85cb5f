/**
 * Single-use authorization codes (PKCE-AS-08): saved by hash, consumed once.
 *
 * @module
 */
import { CimdError } from '../../errors.js';
import type { AuthorizationCodeRecord, ConsumeCodeResult } from '../store.js';
import { decodeCode, encodeCode } from './codecs.js';
import { execute, type Operation, selectFirst } from './steps.js';
import type { StoreQueryBuilder } from './tables.js';

/** The error for a code hash that is already a live code's. */
export function codeHashTaken(): CimdError {
  return new CimdError(
    'ERR_STORE_CONFLICT',
    'An authorization code with this hash is already saved: codes are never overwritten',
  );
}

/**
 * Saves a code until `now + ttlMs`. An expired code with the same hash is replaced; a live one
 * is never overwritten (that would reset its consumption), so that throws.
 */
export function* saveCode(
  db: StoreQueryBuilder,
  codeHash: string,
  record: AuthorizationCodeRecord,
  now: number,
  ttlMs: number,
): Operation<void> {
  yield* execute(db.deleteFrom('cimd_code').where('code_hash', '=', codeHash).where('expires_at', '<=', now));
  const inserted = yield* execute(
    db
      .insertInto('cimd_code')
      .values({ ...encodeCode(record), code_hash: codeHash, expires_at: now + ttlMs, consumed_at: null })
      .onConflict((conflict) => conflict.column('code_hash').doNothing()),
  );
  if (inserted !== 1) throw codeHashTaken();
}

/**
 * Consumes a code. Whoever flips `consumed_at` from NULL (affected rows 1) gets `consumed`;
 * everyone after gets `reused` until the code expires.
 */
export function* consumeCode(
  db: StoreQueryBuilder,
  codeHash: string,
  now: number,
): Operation<ConsumeCodeResult> {
  const row = yield* selectFirst(
    db.selectFrom('cimd_code').selectAll().where('code_hash', '=', codeHash).where('expires_at', '>', now),
  );
  if (row === undefined) return { status: 'invalid' };
  const won = yield* execute(
    db
      .updateTable('cimd_code')
      .set({ consumed_at: now })
      .where('code_hash', '=', codeHash)
      .where('consumed_at', 'is', null),
  );
  return { status: won === 1 ? 'consumed' : 'reused', record: decodeCode(row) };
}
