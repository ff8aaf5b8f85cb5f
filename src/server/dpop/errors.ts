/**
 * The DPoP wire errors (RFC 9449 §5, §7.1, §8, §9): `invalid_dpop_proof` for a proof that fails
 * a check, and `use_dpop_nonce` when the server wants a (fresh) nonce in the proof; the latter
 * carries the nonce to send in the `DPoP-Nonce` header.
 *
 * @module
 */
import { OAuthError } from '../oauth-errors.js';

/** A DPoP proof is missing, malformed or fails a check (400 at the token endpoint). */
export class InvalidDpopProofError extends OAuthError {
  constructor(description: string, options?: { cause?: unknown }) {
    super('invalid_dpop_proof', description, 400, options);
  }
}

/** The proof lacks the server's current nonce; retry with `nonce` (the `DPoP-Nonce` header). */
export class UseDpopNonceError extends OAuthError {
  /** The nonce the client must put in its next proof. */
  readonly nonce: string;

  constructor(description: string, nonce: string) {
    super('use_dpop_nonce', description, 400);
    this.nonce = nonce;
  }
}
