/**
 * Loading `pg` and opening the store's own connection pool.
 *
 * @module
 */
import type { Pool } from 'pg';
import { CimdError } from '../../errors.js';
import { type DriverImporter, importDriver } from '../driver-import.js';

/** The `pg` module. */
export type PgModule = typeof import('pg');

/** Loads `pg`, or throws an error saying how to install it. */
export async function loadPgDriver(importer: DriverImporter = () => import('pg')): Promise<PgModule> {
  const driver = await importDriver('PostgreSQL store', 'pg', 'Install it with `npm install pg`', importer);
  const module = driver as Partial<PgModule> | undefined;
  if (typeof module?.Pool !== 'function' || typeof module.types?.getTypeParser !== 'function') {
    throw new CimdError(
      'ERR_STORE_DRIVER',
      'The pg package did not export Pool and types: reinstall it with `npm install pg`',
    );
  }
  return module as PgModule;
}

/** How the store's own pool connects. */
export interface OwnPoolSettings {
  connectionString: string;
  /** Most connections open at once. */
  maxConnections: number;
  /** How long opening one connection may take before it fails, in milliseconds. */
  connectionTimeoutMs: number;
  /** How long a call may wait for a free connection while all are busy, in milliseconds. */
  queueTimeoutMs: number;
}

/**
 * Opens the pool the store owns. An idle connection the server drops is discarded by the pool;
 * its `error` event is handled here so it cannot crash the process (the next checkout connects
 * again, or fails with the store's unavailable error).
 */
export function openOwnPool(pg: PgModule, settings: OwnPoolSettings): Pool {
  // pg-pool applies its connectionTimeoutMillis to waiting in its queue; each client applies its
  // own to opening the connection. Two settings, so a burst waits its turn without a dead server
  // taking as long to report.
  const connectTimeout = settings.connectionTimeoutMs;
  class StoreClient extends pg.Client {
    constructor(config?: string | import('pg').ClientConfig) {
      super({
        ...(typeof config === 'string' ? { connectionString: config } : config),
        connectionTimeoutMillis: connectTimeout,
      });
    }
  }
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.maxConnections,
    connectionTimeoutMillis: Math.max(settings.queueTimeoutMs, connectTimeout),
    application_name: 'mcp-cimd',
    Client: StoreClient,
  });
  pool.on('error', () => undefined);
  return pool;
}
