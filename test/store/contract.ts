/**
 * The store contract: the behaviour every {@link Store} backend must have. Each backend's test
 * file calls {@link describeStoreContract} with a way to open a fresh, empty store; Redis and
 * PostgreSQL backends reuse it as they are.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { TestClock } from './clock.js';
import { describeCacheContract } from './contract-cache.js';
import { describeClientAndConsentContract } from './contract-clients.js';
import { describeCodeContract } from './contract-codes.js';
import { describeHistoryContract } from './contract-history.js';
import { describeJtiContract } from './contract-jti.js';
import { describeJtiRotationContract } from './contract-jti-rotation.js';
import { describeLifecycleContract } from './contract-lifecycle.js';
import { describeListingsContract } from './contract-listings.js';
import { describeRefreshContract } from './contract-refresh.js';
import { describeStateContract } from './contract-state.js';

/** A freshly opened, empty store, and how to reopen it on the same data. */
export interface OpenedStore {
  store: Store;
  /** Opens the same data again after `store` was closed (persistent backends only). */
  reopen?: () => Promise<Store>;
  /** Removes what the store left behind (temporary files), after the test closed every store. */
  dispose?: () => Promise<void>;
}

/** Opens a fresh, empty store whose clock is `now` (epoch ms). */
export type OpenStore = (now: () => number) => Promise<OpenedStore>;

/** What a backend can do beyond the common contract. */
export interface StoreContractOptions {
  /** The data survives close and reopen: runs the persistence tests (needs `reopen`). */
  persistent?: boolean;
}

/** What every contract test works with. */
export interface StoreHarness {
  /** The store under test (replaced by {@link StoreHarness.reopen}). */
  readonly store: Store;
  /** The store's clock. */
  readonly clock: TestClock;
  /** Closes the store and opens the same data again. */
  reopen(): Promise<Store>;
}

/** Describes the contract tests of the backend `name`; each test gets a new store from `open`. */
export function describeStoreContract(
  name: string,
  open: OpenStore,
  options: StoreContractOptions = {},
): void {
  describe(`Store contract: ${name}`, () => {
    const clock = new TestClock();
    let opened: OpenedStore | undefined;
    let store: Store | undefined;

    const harness: StoreHarness = {
      get store() {
        if (store === undefined) throw new Error('no store is open');
        return store;
      },
      clock,
      async reopen() {
        const reopen = opened?.reopen;
        if (reopen === undefined) throw new Error(`${name} cannot reopen its data`);
        await harness.store.close();
        store = await reopen();
        return store;
      },
    };

    beforeEach(async () => {
      clock.reset();
      opened = await open(clock.now);
      store = opened.store;
    });

    afterEach(async () => {
      await store?.close();
      await opened?.dispose?.();
      store = undefined;
      opened = undefined;
    });

    describeJtiContract(harness);
    describeCodeContract(harness);
    describeRefreshContract(harness);
    describeJtiRotationContract(harness);
    describeClientAndConsentContract(harness);
    describeCacheContract(harness);
    describeListingsContract(harness);
    describeHistoryContract(harness);
    describeStateContract(harness);
    describeLifecycleContract(harness, options.persistent === true);
  });
}
