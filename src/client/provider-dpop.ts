/**
 * The client provider's DPoP (RFC 9449) with `dpop: true`: one prover for the token store's key
 * (`dpop:key`, generated on first use and kept there, so one key per store), behind both the
 * `fetch` wrapper for SDK 1.x (`dpopFetch()`) and the SDK 2.x `dpop()` session; the nonces the
 * servers give are shared by both.
 *
 * @module
 */
import {
  createDpopClientFetch,
  createDpopProver,
  type DpopFetchLike,
  type DpopProver,
  loadDpopKeyPair,
} from './dpop.js';
import { createDpopSession, type DpopSessionLike } from './dpop-session.js';
import type { OAuthTokensLike } from './oauth-types.js';
import type { TokenStore } from './token-store.js';

/** The DPoP key of one provider, loaded lazily from its token store. */
export class ProviderDpop {
  readonly #store: TokenStore;
  readonly #tokens: () => Promise<OAuthTokensLike | undefined>;
  #prover: Promise<DpopProver> | undefined;
  #session: Promise<DpopSessionLike> | undefined;

  /** `tokens` reads the provider's current tokens (to tell a DPoP-bound token from a Bearer one). */
  constructor(store: TokenStore, tokens: () => Promise<OAuthTokensLike | undefined>) {
    this.#store = store;
    this.#tokens = tokens;
  }

  #proverOf(): Promise<DpopProver> {
    this.#prover ??= loadDpopKeyPair(this.#store).then(
      (keyPair) => createDpopProver(keyPair),
      (error: unknown) => {
        this.#prover = undefined;
        throw error;
      },
    );
    return this.#prover;
  }

  /** The fetch wrapper (see `createDpopClientFetch`) over `base`. */
  fetch(base?: DpopFetchLike): DpopFetchLike {
    return createDpopClientFetch({
      prover: this.#proverOf(),
      isBound: async (token) => {
        const tokens = await this.#tokens();
        return tokens?.access_token === token && tokens.token_type.toLowerCase() === 'dpop';
      },
      ...(base === undefined ? {} : { fetch: base }),
    });
  }

  /** The SDK 2.x session (the same one on every call). */
  session(): Promise<DpopSessionLike> {
    this.#session ??= this.#proverOf().then(createDpopSession, (error: unknown) => {
      this.#session = undefined;
      throw error;
    });
    return this.#session;
  }
}
