/**
 * The demo client's authorization requests: each gets a PKCE pair and a `state`, and waits
 * (at most 10 minutes, at most 100 at once) for the browser to come back to `/callback`, where
 * it is taken exactly once.
 *
 * @module
 */
import type { DemoClient } from './documents.js';
import { createPkce, randomState } from './pkce.js';

/** An authorization request waiting for its callback. */
export interface PendingAuthorization {
  readonly state: string;
  readonly client: DemoClient;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly createdAt: number;
}

/** Where requests go and what they ask for. */
export interface AuthorizationRequestSettings {
  /** The authorization server's `/authorize` URL. */
  authorizationEndpoint: string;
  /** The `resource` asked for (RFC 8707): the demo MCP server. */
  resource: string;
  /** The exact redirect URI sent (a loopback `/callback` with the demo client's port). */
  redirectUri: string;
}

const LIFETIME_MS = 10 * 60_000;
const MAX_PENDING = 100;

/** The pending authorization requests of the demo client. */
export class AuthorizationRequests {
  readonly #settings: AuthorizationRequestSettings;
  readonly #pending = new Map<string, PendingAuthorization>();

  constructor(settings: AuthorizationRequestSettings) {
    this.#settings = settings;
  }

  /** Starts a request for `client`; returns the URL to send the browser to. */
  start(client: DemoClient): { url: string; state: string } {
    this.#prune();
    const pkce = createPkce();
    const state = randomState();
    const { redirectUri } = this.#settings;
    this.#pending.set(state, {
      state,
      client,
      codeVerifier: pkce.verifier,
      redirectUri,
      createdAt: Date.now(),
    });
    const url = new URL(this.#settings.authorizationEndpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      code_challenge: pkce.challenge,
      code_challenge_method: pkce.method,
      state,
      resource: this.#settings.resource,
    }).toString();
    return { url: url.href, state };
  }

  /** Takes the request of `state` (once); `undefined` when unknown or expired. */
  take(state: string): PendingAuthorization | undefined {
    this.#prune();
    const pending = this.#pending.get(state);
    this.#pending.delete(state);
    return pending;
  }

  #prune(): void {
    const now = Date.now();
    for (const [state, pending] of this.#pending) {
      if (now - pending.createdAt > LIFETIME_MS || this.#pending.size >= MAX_PENDING)
        this.#pending.delete(state);
    }
  }
}
