/**
 * A {@link Store} over any SQL database: the shared operations, run by a backend's
 * {@link SqlRunner}, plus the periodic sweep of expired rows and the closed-store guard.
 *
 * @module
 */
import { assertSeenAt, assertTtl } from '../arguments.js';
import type { StoreLifecycle } from '../lifecycle.js';
import { resolvePage } from '../paging.js';
import type { Store } from '../store.js';
import { cacheDelete, cacheGet, cacheSet } from './cache.js';
import { sweepExpired, type TokenWalk } from './cleanup.js';
import { getClientDocuments, listClientDocuments, recordClientDocument } from './client-documents.js';
import { getClient, saveClient } from './clients.js';
import { consumeCode, saveCode } from './codes.js';
import { getConsent, listConsents, revokeConsent, saveConsent } from './consents.js';
import { recordJti } from './jti.js';
import { acquireLock, releaseLock } from './locks.js';
import {
  createRefreshFamily,
  findRefreshFamily,
  listRefreshFamilies,
  recordJtiAndRotate,
  revokeGrant,
  revokeRefreshFamily,
  rotateRefreshToken,
} from './refresh.js';
import type { SqlRunner } from './runner.js';
import { getState, putState } from './state.js';
import type { StoreQueryBuilder } from './tables.js';

/** What {@link createSqlStore} builds a store from. */
export interface SqlStoreParts {
  /** Runs the operations. */
  runner: SqlRunner;
  /** Builds (never executes) the queries, in the database's SQL dialect. */
  db: StoreQueryBuilder;
  /** The clock, epoch ms. */
  now: () => number;
  /** Milliseconds between sweeps of expired rows; 0 for none. */
  cleanupIntervalMs: number;
  /** The store's open/closed state. */
  lifecycle: StoreLifecycle;
}

/** Builds a {@link Store} from a SQL backend's parts. The schema must already be migrated. */
export function createSqlStore(parts: SqlStoreParts): Store {
  const { runner, db, now, lifecycle } = parts;

  let timer: NodeJS.Timeout | undefined;
  // Where the SQLite sweep's walk of the refresh tokens goes on (see `sweepExpired`).
  const walk: TokenWalk = { tokensAfter: '' };
  let sweeping = false;
  if (parts.cleanupIntervalMs > 0) {
    timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      // A failed sweep (the database busy beyond its timeout, the store closed) is retried at the
      // next interval, where it left off.
      sweepExpired(runner, db, now, walk)
        .catch(() => undefined)
        .finally(() => {
          sweeping = false;
        });
    }, parts.cleanupIntervalMs);
    timer.unref();
  }

  return {
    async recordJti(clientId, jti, ttlMs) {
      lifecycle.assertOpen();
      assertTtl('recordJti', ttlMs);
      return runner.writeStatement(() => recordJti(db, clientId, jti, now(), ttlMs));
    },
    async saveCode(codeHash, record, ttlMs) {
      lifecycle.assertOpen();
      assertTtl('saveCode', ttlMs);
      return runner.write(() => saveCode(db, codeHash, record, now(), ttlMs));
    },
    async consumeCode(codeHash) {
      lifecycle.assertOpen();
      return runner.write(() => consumeCode(db, codeHash, now()));
    },
    async createRefreshFamily(family, tokenHash) {
      lifecycle.assertOpen();
      return runner.write(() => createRefreshFamily(db, family, tokenHash, now()));
    },
    async rotateRefreshToken(oldHash, newHash, changes) {
      lifecycle.assertOpen();
      return runner.write(() => rotateRefreshToken(db, oldHash, newHash, now(), changes));
    },
    async recordJtiAndRotate(record, oldHash, newHash, changes) {
      lifecycle.assertOpen();
      assertTtl('recordJti', record.ttlMs);
      return runner.write(() => recordJtiAndRotate(db, record, oldHash, newHash, now(), changes));
    },
    async findRefreshFamily(tokenHash) {
      lifecycle.assertOpen();
      return runner.read(() => findRefreshFamily(db, tokenHash, now()));
    },
    async revokeRefreshFamily(familyId) {
      lifecycle.assertOpen();
      return runner.writeStatement(() => revokeRefreshFamily(db, familyId, now()));
    },
    async revokeGrant(grantId) {
      lifecycle.assertOpen();
      return runner.write(() => revokeGrant(db, grantId, now()));
    },
    async saveClient(client) {
      lifecycle.assertOpen();
      return runner.write(() => saveClient(db, client));
    },
    async getClient(clientId) {
      lifecycle.assertOpen();
      return runner.read(() => getClient(db, clientId));
    },
    async saveConsent(consent) {
      lifecycle.assertOpen();
      return runner.write(() => saveConsent(db, consent));
    },
    async getConsent(userId, clientId) {
      lifecycle.assertOpen();
      return runner.read(() => getConsent(db, userId, clientId, now()));
    },
    async revokeConsent(userId, clientId) {
      lifecycle.assertOpen();
      return runner.write(() => revokeConsent(db, userId, clientId));
    },
    async cacheGet(key) {
      lifecycle.assertOpen();
      return runner.read(() => cacheGet(db, key, now()));
    },
    async cacheSet(key, value, ttlMs) {
      lifecycle.assertOpen();
      assertTtl('cacheSet', ttlMs);
      return runner.writeStatement(() => cacheSet(db, key, value, now(), ttlMs));
    },
    async cacheDelete(key) {
      lifecycle.assertOpen();
      return runner.writeStatement(() => cacheDelete(db, key));
    },
    async listRefreshFamilies(filter, page) {
      lifecycle.assertOpen();
      const resolved = resolvePage('listRefreshFamilies', page);
      return runner.read(() => listRefreshFamilies(db, filter, resolved, now()));
    },
    async listConsents(filter, page) {
      lifecycle.assertOpen();
      const resolved = resolvePage('listConsents', page);
      return runner.read(() => listConsents(db, filter, resolved, now()));
    },
    async recordClientDocument(record) {
      lifecycle.assertOpen();
      assertSeenAt(record.seenAt);
      return runner.write(() => recordClientDocument(db, record));
    },
    async getClientDocuments(clientId) {
      lifecycle.assertOpen();
      return runner.read(() => getClientDocuments(db, clientId));
    },
    async listClientDocuments(page) {
      lifecycle.assertOpen();
      const { limit, offset } = resolvePage('listClientDocuments', page);
      return runner.read(() => listClientDocuments(db, limit, offset));
    },
    async getState(name) {
      lifecycle.assertOpen();
      return runner.read(() => getState(db, name));
    },
    async putState(name, value, expected) {
      lifecycle.assertOpen();
      return runner.write(() => putState(db, name, value, expected));
    },
    async acquireLock(name, owner, ttlMs) {
      lifecycle.assertOpen();
      assertTtl('acquireLock', ttlMs);
      return runner.writeStatement(() => acquireLock(db, name, owner, now(), ttlMs));
    },
    async releaseLock(name, owner) {
      lifecycle.assertOpen();
      return runner.writeStatement(() => releaseLock(db, name, owner));
    },
    async close() {
      if (!lifecycle.markClosed()) return;
      if (timer !== undefined) clearInterval(timer);
      await runner.close();
    },
  };
}
