// A PostgreSQL storage adapter for the peer (oidc-provider) in `npm run bench`, so that the
// PostgreSQL target compares both servers on the same database: every model in one table keyed
// by (model, id), the payload as jsonb, with the columns and indexes the adapter interface looks
// things up by (grant id, uid, user code). Named prepared statements on a pool of connections,
// the same kind of access our PostgreSQL store gets. Written for the bench from the adapter
// interface oidc-provider documents (upsert, find, findByUid, findByUserCode, consume, destroy,
// revokeByGrantId).
import pg from 'pg';

/** Connections of the adapter's pool: enough for 64 requests in flight with a few queries each. */
const POOL_SIZE = 16;

/**
 * Creates the table in `schema` (made if missing) and returns the adapter class, plus `close()`
 * to end the pool.
 */
export async function createPostgresAdapter(connectionString, schema) {
  const pool = new pg.Pool({ connectionString, max: POOL_SIZE, application_name: 'bench-peer' });
  const table = `"${schema}".oidc_payload`;
  await pool.query(`create schema if not exists "${schema}"`);
  await pool.query(`create table if not exists ${table} (
    model text not null,
    id text not null,
    payload jsonb not null,
    grant_id text,
    uid text,
    user_code text,
    expires_at bigint,
    primary key (model, id))`);
  await pool.query(`create index if not exists oidc_payload_grant on ${table} (grant_id)`);
  await pool.query(`create index if not exists oidc_payload_uid on ${table} (model, uid)`);
  await pool.query(`create index if not exists oidc_payload_user_code on ${table} (model, user_code)`);

  const statement = (name, text) => (values) => ({ name: `bench_peer_${name}`, text, values });
  const upsert = statement(
    'upsert',
    `insert into ${table} (model, id, payload, grant_id, uid, user_code, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
       uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
  );
  const live = '(expires_at is null or expires_at > $3)';
  const find = statement('find', `select payload from ${table} where model = $1 and id = $2 and ${live}`);
  const findByUid = statement(
    'find_uid',
    `select payload from ${table} where model = $1 and uid = $2 and ${live} limit 1`,
  );
  const findByUserCode = statement(
    'find_user_code',
    `select payload from ${table} where model = $1 and user_code = $2 and ${live} limit 1`,
  );
  const consume = statement(
    'consume',
    `update ${table} set payload = jsonb_set(payload, '{consumed}', to_jsonb($3::bigint))
     where model = $1 and id = $2`,
  );
  const destroy = statement('destroy', `delete from ${table} where model = $1 and id = $2`);
  const revokeByGrantId = statement('revoke_grant', `delete from ${table} where grant_id = $1`);

  const first = async (query) => (await pool.query(query)).rows[0]?.payload;

  class PostgresAdapter {
    constructor(model) {
      this.model = model;
    }
    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
      await pool.query(
        upsert([
          this.model,
          id,
          payload,
          payload.grantId ?? null,
          payload.uid ?? null,
          payload.userCode ?? null,
          expiresAt,
        ]),
      );
    }
    find(id) {
      return first(find([this.model, id, Date.now()]));
    }
    findByUid(uid) {
      return first(findByUid([this.model, uid, Date.now()]));
    }
    findByUserCode(userCode) {
      return first(findByUserCode([this.model, userCode, Date.now()]));
    }
    async consume(id) {
      await pool.query(consume([this.model, id, Math.floor(Date.now() / 1000)]));
    }
    async destroy(id) {
      await pool.query(destroy([this.model, id]));
    }
    async revokeByGrantId(grantId) {
      await pool.query(revokeByGrantId([grantId]));
    }
  }
  return { Adapter: PostgresAdapter, close: () => pool.end() };
}
