/**
 * A per-process `jti` record for DPoP proofs at a resource server that has no shared store:
 * bounded (LRU), each entry kept for its TTL. Behind a load balancer, pass the shared store
 * instead, or a proof replayed to another instance goes unnoticed.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { DpopReplayStore } from './proof.js';

/** The default number of `jti`s remembered. */
export const DEFAULT_DPOP_REPLAY_CAPACITY = 100_000;

/** A memory replay record of at most `capacity` entries. */
export function createMemoryDpopReplayStore(capacity = DEFAULT_DPOP_REPLAY_CAPACITY): DpopReplayStore {
  const seen = new LRUCache<string, true>({ max: capacity, ttlAutopurge: false });
  return {
    async recordJti(namespace, jti, ttlMs) {
      const key = `${namespace}\u0000${jti}`;
      if (seen.has(key)) return false;
      seen.set(key, true, { ttl: ttlMs });
      return true;
    },
  };
}
