/**
 * The start of a browser sign-in by the client provider: the authorization URL checked before it
 * is handed out (https, PKCE S256 advertised, this provider's redirect URI and `state`, the MCP
 * server as `resource`, `offline_access` only where listed), and the loopback listener that
 * waits for the callback and checks its `state` and `iss` (RFC 9207 by the 2026-07-28 table).
 *
 * @module
 */
import { type AuthorizationUrlTarget, assertOpenableUrl, deliverAuthorizationUrl } from './browser.js';
import type { ClientProfile } from './client-profile.js';
import { SignInError } from './errors.js';
import { type LoopbackListener, startLoopbackListener } from './loopback.js';
import type { AuthorizationServerMetadataLike, DiscoveryStateLike } from './oauth-types.js';
import { adjustOfflineAccess, assertResourceMatches } from './provider-checks.js';
import { assertRedirectAllowed, type LoopbackRedirect } from './redirect.js';

/** The issuer a sign-in was started for, stored with its PKCE verifier (SEP-2468). */
export interface VerifierIssuer {
  /** The validated metadata `issuer`, when the server published metadata. */
  issuer: string | undefined;
  /** The URL discovery used, when known. */
  discoveryUrl: string | undefined;
  /** Whether the server advertised `authorization_response_iss_parameter_supported`. */
  issRequired: boolean;
}

/** What {@link checkAuthorizationUrl} compares the URL with. */
export interface AuthorizationUrlExpectations {
  profile: ClientProfile;
  redirectUrl: string;
  /** The MCP server as a resource indicator. */
  resource: string;
  /** The `state` this provider generated. */
  state: string | undefined;
  metadata: AuthorizationServerMetadataLike | undefined;
  /** False only with the `requirePkceMetadata: false` opt-out. */
  requirePkceMetadata: boolean;
}

/**
 * Checks `authorizationUrl` before anyone is sent to it (it may drop `offline_access` the server
 * does not list) and returns its `state` and `scope`.
 *
 * @throws SignInError when a check fails; nothing has been handed out then.
 */
export function checkAuthorizationUrl(
  authorizationUrl: URL,
  expected: AuthorizationUrlExpectations,
): { state: string; scope: string | undefined } {
  const { metadata, profile, redirectUrl } = expected;
  assertOpenableUrl(authorizationUrl);
  if (
    metadata !== undefined &&
    expected.requirePkceMetadata &&
    !(metadata.code_challenge_methods_supported ?? []).includes('S256')
  ) {
    throw new SignInError(
      'ERR_SIGNIN_SERVER_UNSUPPORTED',
      `the authorization server ${metadata.issuer} does not list S256 in code_challenge_methods_supported, so PKCE cannot be relied on (MCP-C-25); the sign-in was not started.`,
    );
  }
  const requested = authorizationUrl.searchParams.get('redirect_uri') ?? '';
  if (requested !== redirectUrl) {
    throw new SignInError(
      'ERR_SIGNIN_REDIRECT_URI',
      `the authorization request names the redirect URI ${requested || '(none)'}, not this provider's ${redirectUrl}.`,
    );
  }
  assertRedirectAllowed(requested, profile.redirectUris);
  assertResourceMatches(authorizationUrl.searchParams.get('resource'), expected.resource);
  adjustOfflineAccess(authorizationUrl, metadata, profile);
  const state = authorizationUrl.searchParams.get('state');
  if (state === null || expected.state === undefined || state !== expected.state) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      'the authorization request does not carry the state this provider generated.',
    );
  }
  return { state, scope: authorizationUrl.searchParams.get('scope') ?? undefined };
}

/** What {@link listenForCallback} needs. */
export interface CallbackListenerInput {
  loopback: LoopbackRedirect;
  redirectUrl: string;
  state: string;
  /** The issuer stored with the verifier of this sign-in. */
  bound: VerifierIssuer | undefined;
  /** The current discovery's metadata and URL (used when nothing was stored). */
  metadata: AuthorizationServerMetadataLike | undefined;
  discoveryUrl: string | URL | undefined;
  /** The callback deadline in ms; the listener's default when undefined. */
  timeoutMs: number | undefined;
}

/**
 * Opens the loopback listener of a sign-in. RFC 9207 by the spec's table (SEP-2468), against the
 * issuer stored with the verifier: advertised + iss -> compare; advertised, no iss -> refuse; not
 * advertised + iss -> compare; neither -> proceed. Plain string comparison, no URL normalization.
 */
export function listenForCallback(input: CallbackListenerInput): Promise<LoopbackListener> {
  const { bound, metadata } = input;
  const asUrl = bound?.discoveryUrl ?? input.discoveryUrl;
  const issuer = bound?.issuer ?? metadata?.issuer;
  return startLoopbackListener({
    host: input.loopback.host,
    port: Number(new URL(input.redirectUrl).port),
    path: input.loopback.path,
    state: input.state,
    issuer: issuer ?? (asUrl === undefined ? undefined : String(asUrl).replace(/\/$/, '')),
    issuerAlternatives: issuer === undefined && asUrl !== undefined ? [String(asUrl)] : [],
    issuerRequired: bound?.issRequired ?? metadata?.authorization_response_iss_parameter_supported === true,
    ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
  });
}

/** The issuer to store with a new PKCE verifier: the current discovery's (SEP-2468). */
export function verifierIssuerOf(discovery: DiscoveryStateLike | undefined): VerifierIssuer {
  const metadata = discovery?.authorizationServerMetadata;
  return {
    issuer: metadata?.issuer,
    discoveryUrl: discovery === undefined ? undefined : String(discovery.authorizationServerUrl),
    issRequired: metadata?.authorization_response_iss_parameter_supported === true,
  };
}

/**
 * Refuses a code exchange at another authorization server than the one the sign-in started at
 * (by validated issuer, plain string comparison).
 *
 * @throws SignInError `ERR_SIGNIN_FAILED` without a sign-in; `ERR_SIGNIN_ISSUER_MISMATCH` for another issuer.
 */
export function assertExchangeIssuer(bound: VerifierIssuer | undefined, current: string | undefined): void {
  if (bound === undefined) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      'a code exchange was asked for, but no sign-in was started by this provider.',
    );
  }
  if (bound.issuer !== undefined && current !== undefined && bound.issuer !== current) {
    throw new SignInError(
      'ERR_SIGNIN_ISSUER_MISMATCH',
      `the sign-in was started at ${bound.issuer}, but the code exchange would go to ${current}; the code is not sent.`,
    );
  }
}

/** The loopback listener of the sign-in waiting for its callback, if any (one at a time). */
export class PendingCallback {
  #listener: LoopbackListener | undefined;

  /** True while a sign-in waits for its callback. */
  get waiting(): boolean {
    return this.#listener !== undefined;
  }

  /** Makes `listener` the one waited for. */
  set(listener: LoopbackListener): void {
    this.#listener = listener;
  }

  /**
   * The callback's code and `iss` (already checked); the listener is closed afterwards.
   *
   * @throws SignInError for a refused callback, a timeout or when no sign-in is waiting.
   */
  async wait(): Promise<{ code: string; iss?: string }> {
    const listener = this.#listener;
    if (listener === undefined) {
      throw new SignInError('ERR_SIGNIN_FAILED', 'no sign-in is waiting for a callback.');
    }
    try {
      const { code, iss } = await listener.result;
      return iss === undefined ? { code } : { code, iss };
    } finally {
      if (this.#listener === listener) this.#listener = undefined;
      await listener.close();
    }
  }

  /** Closes the listener still waiting (its sign-in fails with `ERR_SIGNIN_CANCELLED`). */
  async cancel(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
  }
}

/** What {@link startSignIn} needs: the URL's expectations, the callback's, and where the URL goes. */
export interface SignInStart extends AuthorizationUrlExpectations {
  loopback: LoopbackRedirect;
  bound: VerifierIssuer | undefined;
  discoveryUrl: string | URL | undefined;
  timeoutMs: number | undefined;
  target: AuthorizationUrlTarget;
  messages: NodeJS.WritableStream;
}

/**
 * Checks `authorizationUrl` ({@link checkAuthorizationUrl}), replaces the sign-in waiting in
 * `pending` by a new loopback listener, then hands the URL out; returns the requested scope.
 *
 * @throws SignInError when a check fails (nothing handed out), or the URL could not be delivered.
 */
export async function startSignIn(
  authorizationUrl: URL,
  start: SignInStart,
  pending: PendingCallback,
): Promise<string | undefined> {
  const { state, scope } = checkAuthorizationUrl(authorizationUrl, start);
  await pending.cancel();
  pending.set(await listenForCallback({ ...start, state }));
  try {
    await deliverAuthorizationUrl(authorizationUrl, start.target, start.messages);
  } catch (error) {
    await pending.cancel();
    throw error;
  }
  return scope;
}
