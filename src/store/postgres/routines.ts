/**
 * Server-side functions that run a multi-statement store operation in one round trip. Each one
 * is the shared operation of `../sql/` (refresh.ts) transcribed statement by statement into
 * PL/pgSQL: under READ COMMITTED every statement of a function takes a fresh snapshot, exactly as
 * the statements of a `BEGIN … COMMIT` transaction do, and the compare-and-set statements decide
 * races the same way (an `UPDATE … WHERE used_at IS NULL` that waits for a concurrent writer of
 * its row and then re-checks its condition on the committed row). Called as one autocommit
 * statement, a function is atomic: an error it raises rolls back everything it wrote.
 *
 * A function's name carries its version: a changed body gets a new name, so instances of an
 * older version keep calling the function they know while a newer one is installed beside it.
 * The functions are created in the store's schema, under the migration lock, when missing.
 *
 * @module
 */
import { type RawBuilder, sql } from 'kysely';
import { execute, type Operation, selectRows } from '../sql/steps.js';
import type { StoreQueryBuilder } from '../sql/tables.js';

/** The function that rotates a refresh token (see {@link rotateRefreshFunction}). */
export const ROTATE_REFRESH_FUNCTION = 'cimd_rotate_refresh_v1';
/** The function that records a `jti`, then rotates (see {@link recordJtiAndRotateFunction}). */
export const RECORD_JTI_AND_ROTATE_FUNCTION = 'cimd_record_jti_and_rotate_v1';
/** The function that creates a refresh token family (see {@link createFamilyFunction}). */
export const CREATE_FAMILY_FUNCTION = 'cimd_create_refresh_family_v1';

/** SQLSTATE a routine raises when the family id is already a live family's. */
export const FAMILY_TAKEN_STATE = 'CM001';
/** SQLSTATE a routine raises when the token hash is already a live token's. */
export const TOKEN_TAKEN_STATE = 'CM002';

/** The family columns a rotation returns, in the order of its result. */
const FAMILY_COLUMNS = [
  'family_id',
  'grant_id',
  'client_id',
  'user_id',
  'scope',
  'resources',
  'auth_method',
  'key_thumbprint',
  'client_fingerprint',
  'created_at',
  'expires_at',
  'extra',
] as const;

/** The family columns of a rotation's result, with their types (`returns table (status text, …)`). */
const FAMILY_RESULT_COLUMNS = FAMILY_COLUMNS.map(
  (column) => `${column} ${column === 'created_at' || column === 'expires_at' ? 'bigint' : 'text'}`,
).join(', ');

/** `"schema"."name"`; the schema is already checked to be letters, digits and underscores. */
function qualified(schema: string, name: string): string {
  return `"${schema}"."${name}"`;
}

/**
 * The shared operations' `insertToken` in PL/pgSQL: adds the token `hash` to `familyId` (SQL
 * expressions of the function), replacing an expired token with that hash as if it were absent,
 * and raises {@link TOKEN_TAKEN_STATE} when a live token has it (the whole call is rolled back).
 */
function insertToken(token: string, hash: string, familyId: string, expiresAt: string): string {
  return `insert into ${token} as t (token_hash, family_id, used_at, expires_at)
    values (${hash}, ${familyId}, null, ${expiresAt})
    on conflict (token_hash) do update
      set family_id = excluded.family_id, used_at = excluded.used_at, expires_at = excluded.expires_at
      where t.expires_at <= p_now;
  if not found then
    raise exception 'refresh token hash already in use' using errcode = '${TOKEN_TAKEN_STATE}';
  end if;`;
}

/**
 * `rotateRefreshToken` (refresh.ts) as one function. Returns no row for `invalid`, else one row:
 * `status` (`rotated`, `reused`, `revoked`) and the family's columns as the first read found
 * them, with `changes` applied for `rotated`. Raises {@link TOKEN_TAKEN_STATE} when the new hash
 * is a live token, which rolls back the old token's `used_at`.
 */
function rotateRefreshFunction(schema: string): string {
  const token = qualified(schema, 'cimd_refresh_token');
  const family = qualified(schema, 'cimd_refresh_family');
  return `create function ${qualified(schema, ROTATE_REFRESH_FUNCTION)}(
  p_old_hash text, p_new_hash text, p_now bigint, p_key_thumbprint text, p_client_fingerprint text
) returns table (status text, ${FAMILY_RESULT_COLUMNS})
language plpgsql volatile as $rotate$
declare
  v_family_id text;
  v_expires_at bigint;
  v_used_at bigint;
  v_revoked_at bigint;
begin
  -- The live family of the old token, and whether the token was rotated away (findLive).
  select ${FAMILY_COLUMNS.map((column) => `f.${column}`).join(', ')}, t.used_at, f.revoked_at
    into ${FAMILY_COLUMNS.join(', ')}, v_used_at, v_revoked_at
    from ${token} t join ${family} f on f.family_id = t.family_id
    where t.token_hash = p_old_hash and t.expires_at > p_now and f.expires_at > p_now;
  if not found then
    return;
  end if;
  v_family_id := family_id;
  v_expires_at := expires_at;
  if v_used_at is null then
    if v_revoked_at is not null then
      status := 'revoked';
      return next;
      return;
    end if;
    -- markUsed: whoever flips used_at from NULL wins. A concurrent rotation holding the row makes
    -- this wait for its commit, then re-check used_at on the committed row and update nothing.
    update ${token} t set used_at = p_now where t.token_hash = p_old_hash and t.used_at is null;
    if found then
      ${insertToken(token, 'p_new_hash', 'v_family_id', 'v_expires_at')}
      -- applyChanges: written only when a value differs from the one the row holds.
      if (p_key_thumbprint is not null and p_key_thumbprint is distinct from key_thumbprint)
        or (p_client_fingerprint is not null and p_client_fingerprint is distinct from client_fingerprint) then
        key_thumbprint := coalesce(p_key_thumbprint, key_thumbprint);
        client_fingerprint := coalesce(p_client_fingerprint, client_fingerprint);
        update ${family} f
          set key_thumbprint = coalesce(p_key_thumbprint, f.key_thumbprint),
              client_fingerprint = coalesce(p_client_fingerprint, f.client_fingerprint)
          where f.family_id = v_family_id;
      end if;
      status := 'rotated';
      return next;
      return;
    end if;
  end if;
  -- An earlier token, or a lost race: reuse, which revokes the family (revokeFamily).
  update ${family} f set revoked_at = p_now where f.family_id = v_family_id and f.revoked_at is null;
  status := 'reused';
  return next;
end
$rotate$`;
}

/**
 * `recordJtiAndRotate` (refresh.ts) as one function: the `jti` upsert of `recordJti` (jti.ts);
 * one row `replayed` when the pair was live, else the rows of {@link rotateRefreshFunction},
 * whose error (a taken new hash) rolls back the record too.
 */
function recordJtiAndRotateFunction(schema: string): string {
  return `create function ${qualified(schema, RECORD_JTI_AND_ROTATE_FUNCTION)}(
  p_jti_client_id text, p_jti text, p_jti_expires_at bigint,
  p_old_hash text, p_new_hash text, p_now bigint, p_key_thumbprint text, p_client_fingerprint text
) returns table (status text, ${FAMILY_RESULT_COLUMNS})
language plpgsql volatile as $record_and_rotate$
#variable_conflict use_column
begin
  insert into ${qualified(schema, 'cimd_jti')} as j (client_id, jti, expires_at)
    values (p_jti_client_id, p_jti, p_jti_expires_at)
    on conflict on constraint cimd_jti_pk do update set expires_at = excluded.expires_at
      where j.expires_at <= p_now;
  if not found then
    status := 'replayed';
    return next;
    return;
  end if;
  return query select * from ${qualified(schema, ROTATE_REFRESH_FUNCTION)}(
    p_old_hash, p_new_hash, p_now, p_key_thumbprint, p_client_fingerprint);
end
$record_and_rotate$`;
}

/**
 * `createRefreshFamily` (refresh.ts) as one function: clears an expired family with the id,
 * holds the grant's `cimd_revoked_grant` row (lockGrant) and creates the family revoked when the
 * grant is. Raises {@link FAMILY_TAKEN_STATE} or {@link TOKEN_TAKEN_STATE} on a live id or hash,
 * which rolls back everything it did.
 */
function createFamilyFunction(schema: string): string {
  const token = qualified(schema, 'cimd_refresh_token');
  const family = qualified(schema, 'cimd_refresh_family');
  const revokedGrant = qualified(schema, 'cimd_revoked_grant');
  return `create function ${qualified(schema, CREATE_FAMILY_FUNCTION)}(
  p_family_id text, p_grant_id text, p_client_id text, p_user_id text, p_scope text,
  p_resources text, p_auth_method text, p_key_thumbprint text, p_client_fingerprint text,
  p_created_at bigint, p_expires_at bigint, p_extra text, p_token_hash text, p_now bigint
) returns integer
language plpgsql volatile as $create$
declare
  v_revoked boolean;
begin
  delete from ${token} t where t.family_id in (
    select f.family_id from ${family} f where f.family_id = p_family_id and f.expires_at <= p_now);
  delete from ${family} f where f.family_id = p_family_id and f.expires_at <= p_now;
  -- lockGrant: waits for a concurrent revokeGrant's commit, after which the select sees it.
  insert into ${revokedGrant} as g (grant_id, expires_at) values (p_grant_id, p_now)
    on conflict (grant_id) do update set expires_at = g.expires_at;
  v_revoked := exists (
    select 1 from ${revokedGrant} g where g.grant_id = p_grant_id and g.expires_at > p_now);
  insert into ${family} (family_id, grant_id, client_id, user_id, scope, resources, auth_method,
      key_thumbprint, client_fingerprint, created_at, expires_at, extra, revoked_at)
    values (p_family_id, p_grant_id, p_client_id, p_user_id, p_scope, p_resources, p_auth_method,
      p_key_thumbprint, p_client_fingerprint, p_created_at, p_expires_at, p_extra,
      case when v_revoked then p_now end)
    on conflict (family_id) do nothing;
  if not found then
    raise exception 'refresh token family id already in use' using errcode = '${FAMILY_TAKEN_STATE}';
  end if;
  ${insertToken(token, 'p_token_hash', 'p_family_id', 'p_expires_at')}
  return 1;
end
$create$`;
}

/** Every routine, by name, with the statement that creates it in `schema`. */
function routines(schema: string): ReadonlyMap<string, string> {
  return new Map([
    [ROTATE_REFRESH_FUNCTION, rotateRefreshFunction(schema)],
    [RECORD_JTI_AND_ROTATE_FUNCTION, recordJtiAndRotateFunction(schema)],
    [CREATE_FAMILY_FUNCTION, createFamilyFunction(schema)],
  ]);
}

/** A raw query as something the steps can run, compiled by `db`. */
function raw<R>(db: StoreQueryBuilder, query: RawBuilder<R>) {
  return { compile: () => query.compile(db) };
}

/**
 * Creates the routines `schema` lacks. Run it inside the migration's transaction, after the
 * tables are migrated, holding the migration lock (so concurrent openers create each once).
 */
export function* installRoutines(db: StoreQueryBuilder, schema: string): Operation<void> {
  const wanted = routines(schema);
  const present = yield* selectRows(
    raw(
      db,
      sql<{ name: string }>`select p.proname as name from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname = ${schema} and p.proname in (${sql.join([...wanted.keys()])})`,
    ),
  );
  const found = new Set(present.map((row) => row.name));
  for (const [name, statement] of wanted) {
    if (!found.has(name)) yield* execute(raw(db, sql.raw(statement)));
  }
}
