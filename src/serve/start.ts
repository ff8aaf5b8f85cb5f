/**
 * Starts the authorization server of `cimd serve` from its configuration: store, signing keys,
 * the encryption key, the listening socket (bound first, so a port of 0 can give the issuer),
 * the server with its sign-in (the development login, or an upstream identity provider), and one
 * structured `listening` line (with an upstream: the redirect URI to register at the provider,
 * also told to a person through `say`). Closing stops accepting, then closes the server's client
 * registry and the store.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { InvalidOptionError } from '../errors.js';
import { describeProxy } from '../fetch/proxy.js';
import type { AuditSink } from '../server/audit/sinks.js';
import {
  type AuthorizationServer,
  createAuthorizationServer,
} from '../server/authorization-server/create.js';
import type { AuthorizationServerOptions } from '../server/authorization-server/options.js';
import type { RegistryFetchOptions } from '../server/clients/registry.js';
import type { Logger } from '../server/logger.js';
import type { Authenticator } from '../server/login/authenticator.js';
import type { SigningKeyManager } from '../server/tokens/signing-keys.js';
import type { UpstreamAuthenticator } from '../server/upstream/authenticator.js';
import type { RateLimitCounter } from '../store/rate-limit.js';
import type { Store } from '../store/store.js';
import type { ServeConfig } from './config/resolve.js';
import type { UpstreamConfig } from './config/upstream.js';
import { openEncryptionKey } from './encryption.js';
import { StartupError } from './errors.js';
import { ListenError, type Listener, listen } from './listen.js';
import { createServeMetrics, listenForMetrics, openAuditSink } from './operations.js';
import { logRequests } from './request-log.js';
import { describeStore, openSharedRateLimitCounter, openSigningKeys, openStore } from './store.js';
import { createSignIn } from './upstream.js';
import { logStartupWarnings, logUpstreamWarnings } from './warnings.js';

/** Options of {@link startAuthorizationServer}. */
export interface StartOptions {
  /** Receives the server's logs (a redacting pino logger from `createLogger`). */
  logger: Logger;
  /**
   * Extra CA certificates (PEM) to trust when fetching client documents and keys (the demo's).
   * They replace `NODE_EXTRA_CA_CERTS` for those fetches (see the fetcher's `ca`): include its
   * certificates here to keep trusting them.
   */
  extraCa?: string | readonly string[];
  /** Tells a person at a terminal what to do (the redirect URI to register). Default: nothing. */
  say?: (line: string) => void;
  /**
   * The upstream provider, once the issuer is known (the demo starts its own provider here, with
   * `<issuer>/upstream/callback` registered). Default: the configuration's `upstream`.
   */
  upstreamFor?: (issuer: string) => Promise<UpstreamConfig>;
  /**
   * The counter of the rate limits (a shared one, such as the Redis counter, so that instances
   * count together). Default: the server's own in-memory counter. The caller closes it.
   */
  rateLimitCounter?: RateLimitCounter;
}

/** A running authorization server. */
export interface RunningAuthorizationServer {
  /** The issuer identifier. */
  readonly issuer: string;
  /** The origin it listens on. */
  readonly origin: string;
  /** The server (its Hono app, context and handler). */
  readonly server: AuthorizationServer;
  /**
   * The URLs a client needs, as logged in the `listening` line: `metadata`, then the RFC 8414
   * names (`authorization_endpoint`, `token_endpoint`, `registration_endpoint` when on,
   * `revocation_endpoint`, `jwks_uri`) and `health`.
   */
  readonly endpoints: Readonly<Record<string, string>>;
  /** The upstream sign-in (its `getUpstreamTokens` for tools in this process), when configured. */
  readonly upstream: UpstreamAuthenticator | undefined;
  /** The metrics listener's origin (`/metrics`, `/health`, `/ready`), when `--metrics-port` is set. */
  readonly metricsOrigin: string | undefined;
  /**
   * Drains: `/ready` answers 503, the listener stops accepting and waits up to
   * `--shutdown-timeout` for requests in flight, then cuts what is left; then closes the metrics
   * listener, the registry, the audit sink and the store.
   */
  close(): Promise<void>;
}

/** What the server is built from besides the configuration. */
interface ServerParts {
  store: Store;
  signingKeys: SigningKeyManager;
  authenticator: Authenticator;
  observers: AuthorizationServerOptions['observers'];
  audit: AuditSink | undefined;
}

function serverOptions(
  config: ServeConfig,
  issuer: string,
  parts: ServerParts,
  options: StartOptions,
): AuthorizationServerOptions {
  const { logger } = options;
  return {
    ...(parts.observers === undefined ? {} : { observers: parts.observers }),
    ...(parts.audit === undefined ? {} : { audit: parts.audit }),
    issuer,
    resources: config.resources,
    store: parts.store,
    signingKeys: parts.signingKeys,
    authenticator: parts.authenticator,
    registration:
      config.registration && config.registrationTokens !== undefined
        ? { initialAccessTokens: config.registrationTokens.tokens.reveal() }
        : config.registration,
    rateLimit:
      config.rateLimit === false
        ? false
        : { ...config.rateLimit, ...(options.rateLimitCounter ? { counter: options.rateLimitCounter } : {}) },
    userClaims: config.userClaims,
    clientPolicy: config.clientPolicy,
    ...(config.scopes === undefined ? {} : { scopesSupported: config.scopes }),
    ...(config.allowClientCredentials === undefined
      ? {}
      : {
          clientCredentials: {
            allow: config.allowClientCredentials,
            ...(config.clientCredentialsResources === undefined
              ? {}
              : { resources: config.clientCredentialsResources }),
          },
        }),
    dpop: {
      required: config.dpop.required,
      nonce: config.dpop.nonce
        ? {
            windowMs: config.dpop.nonceWindowSeconds * 1000,
            ...(config.dpop.nonceSecret === undefined
              ? {}
              : { secret: config.dpop.nonceSecret.secret.reveal() }),
          }
        : false,
    },
    ...(config.trustedAssertionIssuers === undefined
      ? {}
      : { trustedAssertionIssuers: config.trustedAssertionIssuers }),
    accessTokenLifetimeMs: config.accessTokenTtlSeconds * 1000,
    refreshTokenLifetimeMs: config.refreshTokenTtlSeconds * 1000,
    clients: {
      trustPolicy: config.trust,
      allowPrivateNetwork: config.allowPrivateNetwork,
      dangerouslyAllowHttpClientIds: config.dangerouslyAllowHttpClientIds,
      ...fetchOptionsOf(config, options),
      onStoreError: (error, operation) =>
        logger.warn(
          { err: error, operation },
          operation === 'recordClientDocument'
            ? 'the client document history could not be recorded; carrying on'
            : 'the shared document cache is unavailable; carrying on without it',
        ),
    },
    logger,
  };
}

function fetchOptionsOf(config: ServeConfig, options: StartOptions): { fetchOptions?: RegistryFetchOptions } {
  const fetchOptions: RegistryFetchOptions = {
    ...(options.extraCa === undefined ? {} : { ca: options.extraCa }),
    ...(config.fetchProxy === undefined ? {} : { proxy: config.fetchProxy }),
  };
  return Object.keys(fetchOptions).length === 0 ? {} : { fetchOptions };
}

function endpointsOf(server: AuthorizationServer): Record<string, string> {
  const { endpoints, options } = server.context;
  const list: Record<string, string> = {
    metadata: `${new URL(server.issuer).origin}/.well-known/oauth-authorization-server${options.basePath}`,
    authorization_endpoint: endpoints.authorization.url,
    token_endpoint: endpoints.token.url,
    revocation_endpoint: endpoints.revocation.url,
    jwks_uri: endpoints.jwks.url,
    health: endpoints.health.url,
    ready: endpoints.ready.url,
  };
  if (options.registration) list.registration_endpoint = endpoints.registration.url;
  return list;
}

async function readTls(config: ServeConfig): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (config.tls === undefined) return undefined;
  try {
    return { cert: await readFile(config.tls.certPath), key: await readFile(config.tls.keyPath) };
  } catch (error) {
    throw new StartupError(`cannot read the TLS certificate or key: ${(error as Error).message}`);
  }
}

/**
 * Starts the server.
 *
 * @throws StartupError (or `ListenError`) with a message saying what to fix; nothing is left open.
 */
export async function startAuthorizationServer(
  config: ServeConfig,
  options: StartOptions,
): Promise<RunningAuthorizationServer> {
  const { logger } = options;
  logStartupWarnings(config, logger);
  const tls = await readTls(config);
  const store = await openStore(config.store);
  let sharedCounter: RateLimitCounter | undefined;
  let listener: Listener | undefined;
  let metricsListener: Listener | undefined;
  let audit: AuditSink | undefined;
  try {
    if (options.rateLimitCounter === undefined && config.rateLimit !== false) {
      sharedCounter = await openSharedRateLimitCounter(config.store);
      if (sharedCounter !== undefined) options = { ...options, rateLimitCounter: sharedCounter };
    }
    audit = await openAuditSink(config.audit);
    const metrics = config.metrics === undefined ? undefined : createServeMetrics();
    let started: AuthorizationServer | undefined;
    if (config.metrics !== undefined && metrics !== undefined) {
      metricsListener = await listenForMetrics(config.metrics, metrics, () => started).catch((error) => {
        if (!(error instanceof ListenError)) throw error;
        throw new ListenError(
          `${error.message.replace(/--port|--host/g, (flag) => `--metrics-${flag.slice(2)}`)}`,
        );
      });
    }
    const encryption = await openEncryptionKey(config.encryptionKey);
    const signingKeys = await openSigningKeys(config.signingKeys, config.accessTokenTtlSeconds, {
      store,
      encryptionKey: encryption.key,
    });
    if (encryption.description.generated === true) {
      logger.info(
        { event: 'encryption_key_generated', path: encryption.description.path },
        'generated the encryption key file beside the database (mode 0600): keep it with the database, upstream tokens cannot be read without it',
      );
    }
    listener = await listen({ host: config.host, port: config.port, tls, trustProxy: config.trustProxy });
    const issuer = config.issuer ?? listener.origin;
    const upstream = options.upstreamFor === undefined ? config.upstream : await options.upstreamFor(issuer);
    if (upstream !== undefined) logUpstreamWarnings(upstream, config.demo, logger);
    const signIn = createSignIn(config, upstream, { issuer, store, encryptionKey: encryption.key, logger });
    let server: AuthorizationServer;
    try {
      const parts: ServerParts = {
        store,
        signingKeys,
        authenticator: signIn.authenticator,
        observers: metrics === undefined ? undefined : [metrics.observer],
        audit,
      };
      server = createAuthorizationServer(serverOptions(config, issuer, parts, options));
    } catch (error) {
      if (error instanceof InvalidOptionError) throw new StartupError(error.message);
      throw error;
    }
    listener.setHandler(logRequests(server.fetch, logger));
    started = server;
    const endpoints = endpointsOf(server);
    const redirectUri = signIn.upstream?.callbackUrl;
    logger.info(
      {
        event: 'listening',
        issuer,
        url: listener.origin,
        endpoints,
        ...(metricsListener === undefined ? {} : { metrics: `${metricsListener.origin}/metrics` }),
        audit: config.audit.kind,
        shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
        resources: config.resources,
        store: describeStore(config.store),
        signingKeys: config.signingKeys,
        registration: config.registration,
        registrationTokens: config.registrationTokens !== undefined,
        rateLimit: config.rateLimit,
        ...(config.fetchProxy === undefined ? {} : { fetchProxy: describeProxy(new URL(config.fetchProxy)) }),
        trustMode: config.trust.mode,
        cimd: config.clientPolicy.cimd,
        dpop: {
          required: config.dpop.required,
          nonce: config.dpop.nonce,
          ...(config.dpop.nonce
            ? { nonceSecret: config.dpop.nonceSecret === undefined ? 'random per start' : 'given' }
            : {}),
        },
        trustProxy: config.trustProxy,
        // Node's 4 unless set: the `cimd` executable sets it for the machine (cli/thread-pool.cts).
        threadPoolSize: process.env.UV_THREADPOOL_SIZE || '4',
        login: signIn.upstream === undefined ? 'dev-login' : 'upstream',
        ...(upstream === undefined
          ? {}
          : {
              upstream: {
                provider: upstream.provider,
                issuer: signIn.upstream?.provider.issuer,
                clientId: upstream.clientId,
                authMethod: upstream.auth.method,
              },
              upstreamRedirectUri: redirectUri,
              encryptionKey: encryption.description,
            }),
      },
      'listening',
    );
    if (signIn.upstream !== undefined) {
      options.say?.(
        `Register this redirect URI at ${signIn.upstream.provider.displayName} (${upstream?.provider}): ${redirectUri}`,
      );
    }
    const running = listener;
    const runningMetrics = metricsListener;
    const sink = audit;
    const counter = sharedCounter;
    let closing: Promise<void> | undefined;
    return {
      issuer,
      origin: listener.origin,
      server,
      endpoints,
      upstream: signIn.upstream,
      metricsOrigin: runningMetrics?.origin,
      close: () => {
        closing ??= (async () => {
          server.drain();
          await running.close(config.shutdownTimeoutSeconds * 1000);
          await runningMetrics?.close(0);
          await server.close();
          await sink?.close?.();
          await counter?.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await listener?.close(0);
    await metricsListener?.close(0);
    await audit?.close?.();
    await sharedCounter?.close();
    await store.close();
    throw error;
  }
}
