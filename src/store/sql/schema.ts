/**
 * The SQL schema and its migrations. Opening a store runs {@link migrate} in one write
 * transaction: it creates `cimd_schema_version` when missing, applies every migration newer than
 * the recorded version, and refuses a database written by a newer version of this package.
 * Column types (`text`, `bigint`) mean the same in SQLite and PostgreSQL.
 *
 * @module
 */

import type { Compilable } from 'kysely';
import { CimdError } from '../../errors.js';
import { execute, type Operation, selectFirst } from './steps.js';
import { dialectOf, type StoreQueryBuilder } from './tables.js';

/** One schema change: the statements that take the schema from `version - 1` to `version`. */
interface Migration {
  version: number;
  statements(db: StoreQueryBuilder): Compilable<unknown>[];
}

/** Version 1: every table of the store. */
function initialSchema(db: StoreQueryBuilder): Compilable<unknown>[] {
  const schema = db.schema;
  return [
    schema
      .createTable('cimd_jti')
      .ifNotExists()
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('jti', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('cimd_jti_pk', ['client_id', 'jti']),
    schema.createIndex('cimd_jti_expires_at').ifNotExists().on('cimd_jti').column('expires_at'),
    schema
      .createTable('cimd_code')
      .ifNotExists()
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('code_challenge', 'text', (c) => c.notNull())
      .addColumn('resources', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('client_fingerprint', 'text')
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('extra', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('consumed_at', 'bigint'),
    schema.createIndex('cimd_code_expires_at').ifNotExists().on('cimd_code').column('expires_at'),
    schema
      .createTable('cimd_refresh_family')
      .ifNotExists()
      .addColumn('family_id', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('resources', 'text', (c) => c.notNull())
      .addColumn('auth_method', 'text', (c) => c.notNull())
      .addColumn('key_thumbprint', 'text')
      .addColumn('client_fingerprint', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('extra', 'text')
      .addColumn('revoked_at', 'bigint'),
    schema
      .createIndex('cimd_refresh_family_grant_id')
      .ifNotExists()
      .on('cimd_refresh_family')
      .column('grant_id'),
    schema
      .createIndex('cimd_refresh_family_expires_at')
      .ifNotExists()
      .on('cimd_refresh_family')
      .column('expires_at'),
    schema
      .createTable('cimd_refresh_token')
      .ifNotExists()
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('family_id', 'text', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
    schema
      .createIndex('cimd_refresh_token_family_id')
      .ifNotExists()
      .on('cimd_refresh_token')
      .column('family_id'),
    schema
      .createIndex('cimd_refresh_token_expires_at')
      .ifNotExists()
      .on('cimd_refresh_token')
      .column('expires_at'),
    schema
      .createTable('cimd_revoked_grant')
      .ifNotExists()
      .addColumn('grant_id', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
    schema
      .createTable('cimd_client')
      .ifNotExists()
      .addColumn('client_id', 'text', (c) => c.primaryKey())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull()),
    schema
      .createTable('cimd_consent')
      .ifNotExists()
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('resources', 'text', (c) => c.notNull())
      .addColumn('client_fingerprint', 'text', (c) => c.notNull())
      .addColumn('granted_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('cimd_consent_pk', ['user_id', 'client_id']),
    schema
      .createTable('cimd_cache')
      .ifNotExists()
      .addColumn('cache_key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
    schema.createIndex('cimd_cache_expires_at').ifNotExists().on('cimd_cache').column('expires_at'),
  ];
}

/**
 * Version 2: client document history, durable server values and locks, and the indexes the
 * grant and consent listings filter by.
 */
function historyStateAndLocks(db: StoreQueryBuilder): Compilable<unknown>[] {
  const schema = db.schema;
  return [
    schema
      .createTable('cimd_client_document')
      .ifNotExists()
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('first_seen', 'bigint', (c) => c.notNull())
      .addColumn('last_seen', 'bigint', (c) => c.notNull())
      .addColumn('client_name', 'text')
      .addColumn('changes', 'text')
      .addPrimaryKeyConstraint('cimd_client_document_pk', ['client_id', 'fingerprint']),
    schema
      .createIndex('cimd_client_document_last_seen')
      .ifNotExists()
      .on('cimd_client_document')
      .column('last_seen'),
    schema
      .createTable('cimd_state')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull()),
    schema
      .createTable('cimd_lock')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
    schema
      .createIndex('cimd_refresh_family_client_id')
      .ifNotExists()
      .on('cimd_refresh_family')
      .column('client_id'),
    schema
      .createIndex('cimd_refresh_family_user_id')
      .ifNotExists()
      .on('cimd_refresh_family')
      .column('user_id'),
    schema.createIndex('cimd_consent_client_id').ifNotExists().on('cimd_consent').column('client_id'),
  ];
}

/** Version 3: the identity fields of the client document each consent approved. */
function consentedIdentity(db: StoreQueryBuilder): Compilable<unknown>[] {
  return [db.schema.alterTable('cimd_consent').addColumn('client_identity', 'text')];
}

/**
 * Version 4: refresh tokens lose their `expires_at` index. A token always expires with its family
 * (every write copies the family's `expires_at`), so the sweep finds expired tokens through their
 * families; the index cost a random page written on every rotation.
 */
function tokensExpireWithFamilies(db: StoreQueryBuilder): Compilable<unknown>[] {
  return [db.schema.dropIndex('cimd_refresh_token_expires_at').ifExists()];
}

/**
 * Version 5, SQLite only: refresh tokens lose their `family_id` index. Rotating a family's token
 * inserted into it at that family's place, a random page written per rotation (about 3% of a
 * refresh grant's CPU). Nothing needs it on SQLite: an expired family's tokens are expired too and
 * count as absent, and the sweep walks the tokens in batches of their own key (`cleanup.ts`).
 * PostgreSQL keeps it (its family function deletes the tokens of an expired family by it, and
 * its sweep joins on it), and does not record this version.
 */
function tokensWithoutFamilyIndex(db: StoreQueryBuilder): Compilable<unknown>[] {
  return dialectOf(db) === 'sqlite' ? [db.schema.dropIndex('cimd_refresh_token_family_id').ifExists()] : [];
}

/** Every migration, oldest first; versions count up from 1 without gaps. */
const MIGRATIONS: readonly Migration[] = [
  { version: 1, statements: initialSchema },
  { version: 2, statements: historyStateAndLocks },
  { version: 3, statements: consentedIdentity },
  { version: 4, statements: tokensExpireWithFamilies },
  { version: 5, statements: tokensWithoutFamilyIndex },
];

/** The schema version this package writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema to {@link SCHEMA_VERSION} (or to `target`, an earlier version, for tests of
 * the migrations themselves); returns the version found before. Idempotent, and safe when several
 * instances open one database at once (run it inside a write transaction).
 */
export function* migrate(db: StoreQueryBuilder, now: number, target = SCHEMA_VERSION): Operation<number> {
  yield* execute(
    db.schema
      .createTable('cimd_schema_version')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull()),
  );
  const row = yield* selectFirst(
    db.selectFrom('cimd_schema_version').select((eb) => eb.fn.max('version').as('version')),
  );
  const found = Number(row?.version ?? 0);
  if (found > SCHEMA_VERSION) {
    throw new CimdError(
      'ERR_STORE_DRIVER',
      `The store's database has schema version ${found}, newer than the ${SCHEMA_VERSION} this version of mcp-cimd knows: upgrade mcp-cimd, or point the store at another database`,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= found || migration.version > target) continue;
    const statements = migration.statements(db);
    // Nothing to do in this dialect: not recorded, so the versions before still open the database.
    if (statements.length === 0) continue;
    for (const statement of statements) yield* execute(statement);
    yield* execute(
      db.insertInto('cimd_schema_version').values({ version: migration.version, applied_at: now }),
    );
  }
  return found;
}

/** The versions {@link migrate} records on a database of `db`'s dialect, oldest first. */
export function recordedVersions(db: StoreQueryBuilder): number[] {
  return MIGRATIONS.filter((migration) => migration.statements(db).length > 0).map((m) => m.version);
}
