/**
 * The DPoP session of MCP TypeScript SDK 2.x (`DpopSession` of `@modelcontextprotocol/client`),
 * written structurally over a {@link DpopProver}: what the SDK's `auth()` signs token requests
 * with and what its transports present a `token_type: DPoP` access token with, when a provider's
 * `dpop()` hook returns it. One prover behind it, so the key and the nonces the servers gave are
 * shared with `dpopFetch()`. This module never imports the SDK.
 *
 * @module
 */
import type { JWK } from 'jose';
import type { DpopProver } from './dpop.js';

/** One proof request, as the SDK's `DpopSession.buildProof` takes it (RFC 9449 §4.2). */
export interface DpopProofRequestLike {
  /** The HTTP method (`htm`). */
  htm: string;
  /** The target URI (`htu`; query and fragment are dropped). */
  htu: string | URL;
  /** The access token sent with the proof (`ath`). */
  accessToken?: string;
  /** A nonce to use instead of the one remembered for `htu`'s origin. */
  nonce?: string;
}

/** The members of the SDK 2.x `DpopSession` that its `auth()`, `withDpop` and transports use. */
export interface DpopSessionLike {
  /** The RFC 7638 thumbprint of the key (the `cnf.jkt` of tokens bound to it). */
  readonly thumbprint: string;
  /** The JWS algorithm of the proofs. */
  readonly alg: string;
  /** The public JWK in every proof's header. */
  readonly publicJwk: JWK;
  /** The nonce remembered for `url`'s origin. */
  nonceFor(url: string | URL): string | undefined;
  /** Remembers `nonce` for `url`'s origin. */
  rememberNonce(url: string | URL, nonce: string): void;
  /** Remembers the `DPoP-Nonce` of `response`, if any, for `url`'s origin. */
  observeNonce(response: Response, url: string | URL): void;
  /** A fresh proof (a new `jti` each time). */
  buildProof(request: DpopProofRequestLike): Promise<string>;
}

/**
 * An SDK 2.x DPoP session over `prover` (its key, its nonce memory). Return it from an
 * `OAuthClientProvider`'s `dpop()`: cast it to the SDK's `DpopSession` type where the compiler asks.
 */
export async function createDpopSession(prover: DpopProver): Promise<DpopSessionLike> {
  const [thumbprint, publicJwk] = await Promise.all([prover.thumbprint(), prover.publicJwk()]);
  return {
    thumbprint,
    alg: prover.alg,
    publicJwk,
    nonceFor: (url) => prover.nonceFor(url),
    rememberNonce: (url, nonce) => prover.setNonce(url, nonce),
    observeNonce: (response, url) => prover.rememberNonce(url, response),
    buildProof: ({ htm, htu, accessToken, nonce }) =>
      prover.proof(htm, htu, {
        ...(accessToken === undefined ? {} : { accessToken }),
        ...(nonce === undefined ? {} : { nonce }),
      }),
  };
}
