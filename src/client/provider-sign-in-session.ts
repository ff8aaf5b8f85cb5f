/**
 * The state of the client provider's browser sign-in, kept in memory only: the `state` of the
 * last authorization request, the PKCE verifier with the issuer it was made for (SEP-2468), and
 * the loopback listener waiting for the callback.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { SignInError } from './errors.js';
import type { DiscoveryStateLike } from './oauth-types.js';
import type { CimdClientProviderOptions } from './provider-options.js';
import {
  assertExchangeIssuer,
  PendingCallback,
  type SignInStart,
  startSignIn,
  type VerifierIssuer,
  verifierIssuerOf,
} from './provider-sign-in.js';

/** What a sign-in is checked against besides this session's `state` and verifier, and the options. */
export type SignInTarget = Omit<
  SignInStart,
  'state' | 'bound' | 'requirePkceMetadata' | 'timeoutMs' | 'target' | 'messages'
>;

/** One provider's sign-in under way (one at a time); see the module documentation. */
export class SignInSession {
  #codeVerifier: string | undefined;
  #verifierIssuer: VerifierIssuer | undefined;
  #state: string | undefined;
  readonly #callback = new PendingCallback();

  /** A fresh `state` (32 bytes from the CSPRNG, base64url) for the next authorization request. */
  newState(): string {
    this.#state = randomBytes(32).toString('base64url');
    return this.#state;
  }

  /** Keeps `codeVerifier` with the issuer of the current `discovery` (SEP-2468). */
  saveVerifier(codeVerifier: string, discovery: DiscoveryStateLike | undefined): void {
    this.#codeVerifier = codeVerifier;
    this.#verifierIssuer = verifierIssuerOf(discovery);
  }

  /** The issuer stored with the verifier (else its discovery URL); undefined before a sign-in starts. */
  get issuer(): string | undefined {
    return this.#verifierIssuer?.issuer ?? this.#verifierIssuer?.discoveryUrl;
  }

  /**
   * The PKCE verifier of the sign-in under way.
   *
   * @throws SignInError `ERR_SIGNIN_FAILED` when no sign-in was started.
   */
  verifier(): string {
    if (this.#codeVerifier === undefined) {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        'no PKCE verifier: no sign-in was started by this provider.',
      );
    }
    return this.#codeVerifier;
  }

  /** Forgets the PKCE verifier (a later code exchange is refused until a new sign-in starts). */
  forgetVerifier(): void {
    this.#codeVerifier = undefined;
  }

  /**
   * Checks `authorizationUrl` against `target`, this session's `state` and verifier issuer, opens
   * the loopback listener and hands the URL out as `options` say (`onAuthorizationUrl`, default
   * the browser; `messages`, default stderr; `callbackTimeoutMs`; `requirePkceMetadata`, default
   * `true`). Returns the requested scope.
   *
   * @throws SignInError before any URL is handed out when a check fails.
   */
  start(
    authorizationUrl: URL,
    target: SignInTarget,
    options: CimdClientProviderOptions,
  ): Promise<string | undefined> {
    return startSignIn(
      authorizationUrl,
      {
        ...target,
        state: this.#state,
        requirePkceMetadata: options.requirePkceMetadata !== false,
        bound: this.#verifierIssuer,
        timeoutMs: options.callbackTimeoutMs,
        target: options.onAuthorizationUrl ?? 'browser',
        messages: options.messages ?? process.stderr,
      },
      this.#callback,
    );
  }

  /** True while a sign-in waits for its callback. */
  get waiting(): boolean {
    return this.#callback.waiting;
  }

  /**
   * The callback's code and `iss` (already checked); the listener is closed afterwards.
   *
   * @throws SignInError for a refused callback, a timeout or when no sign-in is waiting.
   */
  waitForCallback(): Promise<{ code: string; iss?: string }> {
    return this.#callback.wait();
  }

  /** Closes the listener still waiting (its sign-in fails with `ERR_SIGNIN_CANCELLED`). */
  cancel(): Promise<void> {
    return this.#callback.cancel();
  }

  /**
   * Refuses a code exchange at `issuer` when it is not the server the sign-in started at.
   *
   * @throws SignInError `ERR_SIGNIN_ISSUER_MISMATCH` for another issuer; `ERR_SIGNIN_FAILED` when
   *   no sign-in was started (or its verifier was forgotten).
   */
  assertExchangeAt(issuer: string | undefined): void {
    assertExchangeIssuer(this.#codeVerifier === undefined ? undefined : this.#verifierIssuer, issuer);
  }
}
