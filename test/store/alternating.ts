/**
 * A store that sends each call to the next of several stores in turn: over handles opened on one
 * database, it makes every contract test a test of instances sharing that database (a code saved
 * by one instance is consumed by another, concurrent calls race across connections).
 */
import type { Store } from '../../src/store/index.js';

/** Every method of {@link Store} except `close` (the check below fails when one is missing). */
const METHODS = [
  'recordJti',
  'saveCode',
  'consumeCode',
  'createRefreshFamily',
  'rotateRefreshToken',
  'recordJtiAndRotate',
  'findRefreshFamily',
  'revokeRefreshFamily',
  'revokeGrant',
  'saveClient',
  'getClient',
  'saveConsent',
  'getConsent',
  'revokeConsent',
  'cacheGet',
  'cacheSet',
  'cacheDelete',
  'listRefreshFamilies',
  'listConsents',
  'recordClientDocument',
  'getClientDocuments',
  'listClientDocuments',
  'getState',
  'putState',
  'acquireLock',
  'releaseLock',
] as const satisfies readonly Exclude<keyof Store, 'close'>[];

/** Compiles only when {@link METHODS} names every method of the store. */
const everyMethodListed: Exclude<keyof Store, 'close'> extends (typeof METHODS)[number] ? true : never = true;
void everyMethodListed;

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** A store whose calls rotate over `stores`; closing it closes them all. */
export function alternating(stores: readonly Store[]): Store {
  let next = 0;
  const combined: Record<string, AnyMethod> = {
    close: async () => {
      await Promise.all(stores.map((store) => store.close()));
    },
  };
  for (const name of METHODS) {
    // An optional method is offered only when every store has it.
    if (stores.some((store) => typeof store[name] !== 'function')) continue;
    combined[name] = (...args) => {
      const store = stores[next++ % stores.length]!;
      return (store[name] as AnyMethod).apply(store, args);
    };
  }
  return combined as unknown as Store;
}
