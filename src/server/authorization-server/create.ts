/**
 * The MCP authorization server: a web-standard `fetch` handler (on Hono) that accepts CIMD and
 * registered clients. Mount it in any runtime that speaks `Request`/`Response`, serve it with
 * `@hono/node-server`, or adapt it to Express with `mcp-cimd/server/express`.
 *
 * @module
 */
import { Hono } from 'hono';
import { InvalidOptionError } from '../../errors.js';
import { JWKS_MAX_BYTES } from '../../fetch/limits.js';
import { createSafeFetcher } from '../../fetch/safe-fetch.js';
import { auditObserver } from '../audit/sinks.js';
import { createClientAssertionVerifier } from '../auth/private-key-jwt.js';
import { watchCachePurges } from '../clients/purge-watcher.js';
import { createClientRegistry } from '../clients/registry.js';
import { registerAuthorizeRoutes } from '../endpoints/authorize.js';
import {
  checkReadiness,
  createReadinessState,
  type Readiness,
  registerHealthRoutes,
} from '../endpoints/health.js';
import { registerJwksRoutes } from '../endpoints/jwks.js';
import { registerMetadataRoutes } from '../endpoints/metadata.js';
import { registerRegistrationRoutes } from '../endpoints/register.js';
import { registerRevocationRoutes } from '../endpoints/revoke.js';
import { registerTokenRoutes } from '../endpoints/token.js';
import { createEmitter, type ServerObserver } from '../events.js';
import { createRefreshFamilyCache } from '../grants/refresh-family-cache.js';
import { isLoopbackHostname } from '../http/loopback.js';
import { peerAddressFromEnv, rememberPeerAddress } from '../http/peer.js';
import { oauthErrorResponse } from '../http/responses.js';
import { silentLogger } from '../logger.js';
import { isOAuthError } from '../oauth-errors.js';
import { createRateLimiter } from '../rate-limit/limiter.js';
import { resolveRateLimit } from '../rate-limit/options.js';
import { createSigningKeyManager } from '../tokens/signing-keys.js';
import { endpointsOf, type ServerContext } from './context.js';
import { type AuthorizationServerOptions, resolveServerOptions } from './options.js';

/** A running authorization server. */
export interface AuthorizationServer {
  /** The issuer identifier. */
  readonly issuer: string;
  /** The Hono application (mount it, or add routes). */
  readonly app: Hono;
  /**
   * The web-standard handler: `Request` in, `Response` out. Node adapters pass their connection
   * as `env` (`@hono/node-server` does: `{ incoming, outgoing }`), which gives authenticators the
   * request's real peer address (see `peerAddressOf`).
   */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** What the endpoints share (for embedding and tests). */
  readonly context: ServerContext;
  /**
   * Whether the server should receive traffic (what `/ready` answers): the store answers a cheap
   * read, the signing keys are loaded, and {@link AuthorizationServer.drain} was not called.
   */
  readiness(): Promise<Readiness>;
  /** Marks the server as draining (a graceful shutdown began): `/ready` answers 503 from now on. */
  drain(): void;
  /**
   * Revokes `userId`'s remembered consent for `clientId` (the consent page shows again) and
   * reports `consent.revoked`. Grants already issued are not touched.
   */
  revokeConsent(userId: string, clientId: string): Promise<void>;
  /**
   * Stops reading the cache purge log, releases the client registry's fetchers and caches, and
   * the rate-limit counter the server made. The store, the audit sink and a counter given in `rateLimit` are the caller's to close.
   */
  close(): Promise<void>;
}

/**
 * Creates the authorization server. Validates every option first (`InvalidOptionError`).
 *
 * @example
 * ```ts
 * const server = createAuthorizationServer({
 *   issuer: 'http://127.0.0.1:4000',
 *   resources: ['http://127.0.0.1:4001/mcp'],
 *   store: createMemoryStore(),
 *   authenticator: devLogin(),
 * });
 * serve({ fetch: server.fetch, port: 4000, hostname: '127.0.0.1' });
 * ```
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): AuthorizationServer {
  const resolved = resolveServerOptions(options);
  if (options.authenticator.name === 'dev-login' && !isLoopbackHostname(new URL(resolved.issuer).hostname)) {
    throw new InvalidOptionError(
      `the development login signs everyone in as one local user: it is only allowed on a loopback issuer, not ${resolved.issuer}`,
    );
  }
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const rateLimit = resolveRateLimit(options.rateLimit, now);
  const rateLimiter = rateLimit === undefined ? undefined : createRateLimiter(rateLimit, logger, now);
  const observers: ServerObserver[] = [...(options.observers ?? [])];
  if (options.audit !== undefined) observers.push(auditObserver(options.audit, now, logger));
  const emit = createEmitter(observers, logger);
  const clientOptions = options.clients ?? {};
  const registry = createClientRegistry({
    ...clientOptions,
    acceptCimd: resolved.clientPolicy.cimd,
    store: options.store,
    now,
    emit,
  });
  const keyFetcher = createSafeFetcher({
    allowPrivateNetwork: clientOptions.allowPrivateNetwork ?? false,
    maxBytes: JWKS_MAX_BYTES,
    ...(clientOptions.fetchOptions ?? {}),
  });
  const endpoints = endpointsOf(resolved.issuer, resolved.basePath);

  const assertionOptions = options.clientAssertions ?? {};
  const assertions = createClientAssertionVerifier({
    issuer: resolved.issuer,
    tokenEndpoint: endpoints.token.url,
    store: options.store,
    fetcher: keyFetcher,
    now,
    emit,
    ...(assertionOptions.audience ? { audience: assertionOptions.audience } : {}),
    ...(assertionOptions.maxLifetimeMs ? { maxLifetimeMs: assertionOptions.maxLifetimeMs } : {}),
    ...(assertionOptions.clockSkewMs !== undefined ? { clockSkewMs: assertionOptions.clockSkewMs } : {}),
    ...(assertionOptions.jwksCacheBounds !== undefined
      ? { jwksCacheBounds: assertionOptions.jwksCacheBounds }
      : {}),
    ...(assertionOptions.kidRefetchCooldownMs !== undefined
      ? { kidRefetchCooldownMs: assertionOptions.kidRefetchCooldownMs }
      : {}),
  });
  // A purge (`cimd admin cache purge`) drops this instance's copies within one poll interval.
  const purgeWatcher =
    resolved.cachePurgePollMs > 0 && typeof options.store.getState === 'function'
      ? watchCachePurges({
          store: options.store,
          intervalMs: resolved.cachePurgePollMs,
          logger,
          forget: (purge) => {
            const jwksUri = registry.forgetInProcess(purge.url);
            for (const url of [purge.url, ...purge.jwks]) assertions.forgetKeySet(url);
            if (jwksUri !== undefined) assertions.forgetKeySet(jwksUri);
          },
          forgetAll: () => {
            registry.forgetInProcess();
            assertions.forgetKeySet();
          },
        })
      : undefined;
  const signingKeys =
    options.signingKeys ??
    createSigningKeyManager({ tokenLifetimeMs: Math.max(resolved.accessTokenLifetimeMs, 3_600_000), now });
  const context: ServerContext = {
    options: resolved,
    endpoints,
    store: options.store,
    registry,
    assertions,
    signingKeys,
    authenticator: options.authenticator,
    fetcher: keyFetcher,
    logger,
    rateLimiter,
    emit,
    refreshFamilies: createRefreshFamilyCache(resolved.refreshFamilyCacheSize, now),
    now,
  };
  const readiness = createReadinessState();

  const app = new Hono();
  const observed = observers.length > 0;
  app.use('*', async (c, next) => {
    const started = observed ? performance.now() : 0;
    const peer = peerAddressFromEnv(c.env);
    if (peer !== undefined) rememberPeerAddress(c.req.raw, peer);
    await next();
    if (!observed) return;
    // The route pattern that answered (never the raw path); the catch-all is this middleware.
    const route = c.req.routePath;
    emit({
      type: 'http.request',
      method: c.req.method,
      route: route === '/*' || route === '*' ? 'unmatched' : route,
      status: c.res.status,
      durationMs: performance.now() - started,
    });
  });
  app.onError((error) => {
    if (isOAuthError(error)) return oauthErrorResponse(error);
    logger.error(
      { err: error instanceof Error ? { name: error.name, message: error.message } : String(error) },
      'unexpected error',
    );
    return oauthErrorResponse(error);
  });
  registerMetadataRoutes(app, context);
  registerJwksRoutes(app, context);
  registerHealthRoutes(app, context, readiness);
  registerAuthorizeRoutes(app, context);
  registerTokenRoutes(app, context);
  if (resolved.registration) registerRegistrationRoutes(app, context);
  registerRevocationRoutes(app, context);
  options.authenticator.routes?.(app);

  return {
    issuer: resolved.issuer,
    app,
    context,
    fetch: async (request, env) => app.fetch(request, env),
    readiness: () => checkReadiness(context, readiness),
    drain: () => readiness.drain(),
    revokeConsent: async (userId, clientId) => {
      await options.store.revokeConsent(userId, clientId);
      emit({ type: 'consent.revoked', clientId, sub: userId });
    },
    close: async () => {
      purgeWatcher?.close();
      await registry.close();
      await keyFetcher.close();
      await rateLimiter?.close();
    },
  };
}
