/**
 * What every endpoint of the authorization server shares: the resolved options, the endpoint
 * URLs, and the engine's parts (store, client registry, assertion verifier, signing keys,
 * authenticator, fetcher, logger, clock).
 *
 * @module
 */
import type { SafeFetcher } from '../../fetch/types.js';
import type { Store } from '../../store/store.js';
import type { ClientAssertionVerifier } from '../auth/private-key-jwt.js';
import type { ClientRegistry } from '../clients/registry.js';
import type { EmitEvent } from '../events.js';
import type { RefreshFamilyCache } from '../grants/refresh-family-cache.js';
import type { Logger } from '../logger.js';
import type { Authenticator } from '../login/authenticator.js';
import type { RateLimiter } from '../rate-limit/limiter.js';
import type { SigningKeyManager } from '../tokens/signing-keys.js';
import type { ResolvedServerOptions } from './options.js';

/** Paths of the endpoints, relative to the issuer. */
export const ENDPOINT_PATHS = Object.freeze({
  authorization: '/authorize',
  consent: '/consent',
  signInReturn: '/authorize/return',
  token: '/token',
  registration: '/register',
  revocation: '/revoke',
  jwks: '/jwks',
  health: '/health',
  ready: '/ready',
  logo: '/logo',
});

/** An endpoint's absolute URL (for metadata) and its route path (for the router). */
export interface Endpoint {
  url: string;
  path: string;
}

/** The endpoints of one server. */
export type Endpoints = { readonly [K in keyof typeof ENDPOINT_PATHS]: Endpoint };

/** Builds the endpoints under `issuer` (whose path is `basePath`). */
export function endpointsOf(issuer: string, basePath: string): Endpoints {
  const entries = Object.entries(ENDPOINT_PATHS).map(([name, path]) => [
    name,
    { url: `${issuer}${path}`, path: `${basePath}${path}` },
  ]);
  return Object.freeze(Object.fromEntries(entries)) as Endpoints;
}

/** Everything an endpoint handler needs. */
export interface ServerContext {
  readonly options: ResolvedServerOptions;
  readonly endpoints: Endpoints;
  readonly store: Store;
  readonly registry: ClientRegistry;
  readonly assertions: ClientAssertionVerifier;
  readonly signingKeys: SigningKeyManager;
  readonly authenticator: Authenticator;
  /** The SSRF-safe fetcher for key sets and logos (64 KiB cap, the clients' network opt-ins and CAs). */
  readonly fetcher: SafeFetcher;
  readonly logger: Logger;
  /** The rate limits of `/authorize`, `/token` and `/register`; `undefined` when off. */
  readonly rateLimiter: RateLimiter | undefined;
  /** Reports an event to the observers (metrics, audit); a no-op without any. */
  readonly emit: EmitEvent;
  /** The refresh token families this instance wrote last, by their current token's hash. */
  readonly refreshFamilies: RefreshFamilyCache;
  /** The clock, epoch ms. */
  readonly now: () => number;
}
