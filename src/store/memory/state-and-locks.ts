/**
 * Durable server values (with compare-and-set) and named locks of the memory store.
 *
 * @module
 */

interface LockEntry {
  owner: string;
  /** Epoch ms from which the lock is free again. */
  expiresAt: number;
}

/**
 * Server values and locks held in memory. Every method is synchronous, hence atomic. Values are
 * never evicted (they are few: the signing key set and the like); expired locks are swept.
 */
export class MemoryStateAndLocks {
  readonly #values = new Map<string, string>();
  readonly #locks = new Map<string, LockEntry>();

  /** See `Store.getState`. */
  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  /** See `Store.putState`: writes unless `expected` is given and differs from the current value. */
  put(name: string, value: string, expected: string | null | undefined): boolean {
    if (expected !== undefined && (this.#values.get(name) ?? null) !== expected) return false;
    this.#values.set(name, value);
    return true;
  }

  /** See `Store.acquireLock`. */
  acquire(name: string, owner: string, ttlMs: number, now: number): boolean {
    const held = this.#locks.get(name);
    if (held !== undefined && held.expiresAt > now && held.owner !== owner) return false;
    this.#locks.set(name, { owner, expiresAt: now + ttlMs });
    return true;
  }

  /** See `Store.releaseLock`. */
  release(name: string, owner: string): void {
    if (this.#locks.get(name)?.owner === owner) this.#locks.delete(name);
  }

  /** Forgets expired locks. */
  sweep(now: number): void {
    for (const [name, lock] of this.#locks) if (lock.expiresAt <= now) this.#locks.delete(name);
  }

  /** Forgets everything. */
  clear(): void {
    this.#values.clear();
    this.#locks.clear();
  }
}
