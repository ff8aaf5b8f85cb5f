/**
 * The memory store: every record in this process's memory. For tests, development and a single
 * instance (`cimd serve --ephemeral`); nothing survives a restart and nothing is shared between
 * processes. Same semantics as every other backend (the contract suite checks it).
 *
 * @module
 */

import { LRUCache } from 'lru-cache';
import { CimdError } from '../../errors.js';
import { assertSeenAt, assertTtl, checkClock, checkCount } from '../arguments.js';
import { createLifecycle } from '../lifecycle.js';
import { compareStrings, resolvePage, slicePage } from '../paging.js';
import { DEFAULT_CLEANUP_INTERVAL_MS } from '../retention.js';
import type { AuthorizationCodeRecord, ConsentRecord, RegisteredClientRecord, Store } from '../store.js';
import {
  DEFAULT_MAX_DOCUMENT_CLIENTS,
  DEFAULT_MAX_DOCUMENTS_PER_CLIENT,
  MemoryClientDocuments,
} from './client-documents.js';
import { MemoryRefreshFamilies } from './refresh-families.js';
import { MemoryStateAndLocks } from './state-and-locks.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The clock, in epoch milliseconds. Inject one to expire records in tests without waiting.
   * Default `Date.now`.
   */
  now?: () => number;
  /**
   * The most entries the cache part (`cacheGet`/`cacheSet`) holds; the least recently used is
   * evicted beyond it. Default 10 000.
   */
  cacheMaxEntries?: number;
  /**
   * The most clients whose document history (`recordClientDocument`) is kept; beyond it the
   * client recorded least recently is forgotten whole. Default 100 000.
   */
  maxDocumentClients?: number;
  /**
   * The most document fingerprints kept per client; beyond it the one first seen earliest is
   * forgotten (and counts as new if seen again). Default 100.
   */
  maxDocumentsPerClient?: number;
}

/** The default of {@link MemoryStoreOptions.cacheMaxEntries}. */
const DEFAULT_CACHE_MAX_ENTRIES = 10_000;

interface CodeEntry {
  record: AuthorizationCodeRecord;
  expiresAt: number;
  consumed: boolean;
}

interface CacheEntry {
  value: string;
  expiresAt: number;
}

/** The map key of a (first, second) pair; JSON keeps pairs with any characters apart. */
function pairKey(first: string, second: string): string {
  return JSON.stringify([first, second]);
}

/**
 * Creates a store that keeps everything in memory. Expired records are treated as absent when
 * read, and swept out during writes at most once a minute (by the injected clock), so no timer
 * keeps the process alive.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const now = checkClock(options.now);
  const cacheMax = checkCount('cacheMaxEntries', options.cacheMaxEntries, DEFAULT_CACHE_MAX_ENTRIES);
  const lifecycle = createLifecycle('memory store', 'create a new one with createMemoryStore()');

  const jtis = new Map<string, number>();
  const codes = new Map<string, CodeEntry>();
  const families = new MemoryRefreshFamilies();
  const clients = new Map<string, RegisteredClientRecord>();
  const consents = new Map<string, ConsentRecord>();
  const cache = new LRUCache<string, CacheEntry>({ max: cacheMax });
  const documents = new MemoryClientDocuments({
    maxClients: checkCount('maxDocumentClients', options.maxDocumentClients, DEFAULT_MAX_DOCUMENT_CLIENTS),
    maxDocumentsPerClient: checkCount(
      'maxDocumentsPerClient',
      options.maxDocumentsPerClient,
      DEFAULT_MAX_DOCUMENTS_PER_CLIENT,
    ),
  });
  const stateAndLocks = new MemoryStateAndLocks();
  let lastSweep = now();

  /** Checks the store is open and sweeps when a minute has passed; returns the time. */
  function begin(): number {
    lifecycle.assertOpen();
    const time = now();
    if (time - lastSweep >= DEFAULT_CLEANUP_INTERVAL_MS) {
      lastSweep = time;
      for (const [key, expiresAt] of jtis) if (expiresAt <= time) jtis.delete(key);
      for (const [key, entry] of codes) if (entry.expiresAt <= time) codes.delete(key);
      for (const [key, consent] of consents) if (consent.expiresAt <= time) consents.delete(key);
      const staleKeys = [...cache.entries()].filter(([, entry]) => entry.expiresAt <= time);
      for (const [key] of staleKeys) cache.delete(key);
      families.sweep(time);
      stateAndLocks.sweep(time);
    }
    return time;
  }

  /** Records the pair until `time + ttlMs` unless it is live; returns its earlier expiry (or undefined) when it recorded, `false` when live. */
  function putJti(clientId: string, jti: string, ttlMs: number, time: number): number | undefined | false {
    assertTtl('recordJti', ttlMs);
    const key = pairKey(clientId, jti);
    const expiresAt = jtis.get(key);
    if (expiresAt !== undefined && expiresAt > time) return false;
    jtis.set(key, time + ttlMs);
    return expiresAt;
  }

  return {
    async recordJti(clientId, jti, ttlMs) {
      return putJti(clientId, jti, ttlMs, begin()) !== false;
    },

    async saveCode(codeHash, record, ttlMs) {
      const time = begin();
      assertTtl('saveCode', ttlMs);
      const existing = codes.get(codeHash);
      if (existing !== undefined && existing.expiresAt > time) {
        throw new CimdError(
          'ERR_STORE_CONFLICT',
          'An authorization code with this hash is already saved: codes are never overwritten',
        );
      }
      codes.set(codeHash, { record: structuredClone(record), expiresAt: time + ttlMs, consumed: false });
    },

    async consumeCode(codeHash) {
      const time = begin();
      const entry = codes.get(codeHash);
      if (entry === undefined || entry.expiresAt <= time) return { status: 'invalid' };
      const status = entry.consumed ? 'reused' : 'consumed';
      entry.consumed = true;
      return { status, record: structuredClone(entry.record) };
    },

    async createRefreshFamily(family, tokenHash) {
      families.create(family, tokenHash, begin());
    },

    async rotateRefreshToken(oldHash, newHash, changes) {
      return families.rotate(oldHash, newHash, begin(), changes);
    },

    async recordJtiAndRotate({ clientId, jti, ttlMs }, oldHash, newHash, changes) {
      const time = begin();
      const earlier = putJti(clientId, jti, ttlMs, time);
      if (earlier === false) return { status: 'replayed' };
      try {
        return families.rotate(oldHash, newHash, time, changes);
      } catch (error) {
        // One atomic step: a failed rotation records nothing either.
        const key = pairKey(clientId, jti);
        if (earlier === undefined) jtis.delete(key);
        else jtis.set(key, earlier);
        throw error;
      }
    },

    async findRefreshFamily(tokenHash) {
      return families.find(tokenHash, begin());
    },

    async revokeRefreshFamily(familyId) {
      begin();
      families.revokeFamily(familyId);
    },

    async revokeGrant(grantId) {
      families.revokeGrant(grantId, begin());
    },

    async saveClient(client) {
      begin();
      clients.set(client.clientId, structuredClone(client));
    },

    async getClient(clientId) {
      begin();
      const client = clients.get(clientId);
      return client === undefined ? undefined : structuredClone(client);
    },

    async saveConsent(consent) {
      begin();
      consents.set(pairKey(consent.userId, consent.clientId), structuredClone(consent));
    },

    async getConsent(userId, clientId) {
      const time = begin();
      const consent = consents.get(pairKey(userId, clientId));
      return consent === undefined || consent.expiresAt <= time ? undefined : structuredClone(consent);
    },

    async revokeConsent(userId, clientId) {
      begin();
      consents.delete(pairKey(userId, clientId));
    },

    async cacheGet(key) {
      const time = begin();
      const entry = cache.get(key);
      return entry === undefined || entry.expiresAt <= time ? undefined : entry.value;
    },

    async cacheSet(key, value, ttlMs) {
      const time = begin();
      assertTtl('cacheSet', ttlMs);
      cache.set(key, { value, expiresAt: time + ttlMs });
    },

    async cacheDelete(key) {
      begin();
      cache.delete(key);
    },

    async listRefreshFamilies(filter, page) {
      const time = begin();
      return slicePage(families.listLive(filter, time), resolvePage('listRefreshFamilies', page));
    },

    async listConsents(filter, page) {
      const time = begin();
      const resolved = resolvePage('listConsents', page);
      const live = [...consents.values()].filter(
        (consent) =>
          consent.expiresAt > time &&
          (filter.clientId === undefined || consent.clientId === filter.clientId) &&
          (filter.userId === undefined || consent.userId === filter.userId),
      );
      live.sort(
        (a, b) =>
          b.grantedAt - a.grantedAt ||
          compareStrings(a.clientId, b.clientId) ||
          compareStrings(a.userId, b.userId),
      );
      return slicePage(live, resolved).map((consent) => structuredClone(consent));
    },

    async recordClientDocument(record) {
      begin();
      assertSeenAt(record.seenAt);
      return documents.record(record);
    },

    async getClientDocuments(clientId) {
      begin();
      return documents.get(clientId);
    },

    async listClientDocuments(page) {
      begin();
      const { limit, offset } = resolvePage('listClientDocuments', page);
      return documents.list(limit, offset);
    },

    async getState(name) {
      begin();
      return stateAndLocks.get(name);
    },

    async putState(name, value, expected) {
      begin();
      return stateAndLocks.put(name, value, expected);
    },

    async acquireLock(name, owner, ttlMs) {
      const time = begin();
      assertTtl('acquireLock', ttlMs);
      return stateAndLocks.acquire(name, owner, ttlMs, time);
    },

    async releaseLock(name, owner) {
      begin();
      stateAndLocks.release(name, owner);
    },

    async close() {
      if (!lifecycle.markClosed()) return;
      documents.clear();
      stateAndLocks.clear();
      jtis.clear();
      codes.clear();
      clients.clear();
      consents.clear();
      cache.clear();
    },
  };
}
