/**
 * Starts the authorization server of `cimd serve` from its configuration: store, signing keys,
 * the listening socket (bound first, so a port of 0 can give the issuer), the server with the
 * development login, and one structured `listening` line. Closing stops accepting, then closes
 * the server's client registry and the store.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { InvalidOptionError } from '../errors.js';
import {
  type AuthorizationServer,
  createAuthorizationServer,
} from '../server/authorization-server/create.js';
import type { AuthorizationServerOptions } from '../server/authorization-server/options.js';
import type { Logger } from '../server/logger.js';
import { devLogin } from '../server/login/dev-login.js';
import type { SigningKeyManager } from '../server/tokens/signing-keys.js';
import type { Store } from '../store/store.js';
import type { ServeConfig } from './config/resolve.js';
import { StartupError } from './errors.js';
import { type Listener, listen } from './listen.js';
import { openSigningKeys, openStore } from './store.js';
import { logStartupWarnings } from './warnings.js';

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
  /** Stops accepting, waits for requests in flight, and closes the registry and the store. */
  close(): Promise<void>;
}

function serverOptions(
  config: ServeConfig,
  issuer: string,
  parts: { store: Store; signingKeys: SigningKeyManager },
  options: StartOptions,
): AuthorizationServerOptions {
  const { logger } = options;
  return {
    issuer,
    resources: config.resources,
    store: parts.store,
    signingKeys: parts.signingKeys,
    authenticator: devLogin(),
    registration: config.registration,
    ...(config.scopes === undefined ? {} : { scopesSupported: config.scopes }),
    accessTokenLifetimeMs: config.accessTokenTtlSeconds * 1000,
    refreshTokenLifetimeMs: config.refreshTokenTtlSeconds * 1000,
    clients: {
      trustPolicy: config.trust,
      allowPrivateNetwork: config.allowPrivateNetwork,
      dangerouslyAllowHttpClientIds: config.dangerouslyAllowHttpClientIds,
      ...(options.extraCa === undefined ? {} : { fetchOptions: { ca: options.extraCa } }),
      onStoreError: (error, operation) =>
        logger.warn(
          { err: error, operation },
          'the shared document cache is unavailable; carrying on without it',
        ),
    },
    logger,
  };
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
  let listener: Listener | undefined;
  try {
    const signingKeys = await openSigningKeys(config.signingKeys, config.accessTokenTtlSeconds);
    listener = await listen({ host: config.host, port: config.port, tls });
    const issuer = config.issuer ?? listener.origin;
    let server: AuthorizationServer;
    try {
      server = createAuthorizationServer(serverOptions(config, issuer, { store, signingKeys }, options));
    } catch (error) {
      if (error instanceof InvalidOptionError) throw new StartupError(error.message);
      throw error;
    }
    listener.setHandler(server.fetch);
    const endpoints = endpointsOf(server);
    logger.info(
      {
        event: 'listening',
        issuer,
        url: listener.origin,
        endpoints,
        resources: config.resources,
        store:
          config.store.kind === 'sqlite' ? { kind: 'sqlite', path: config.store.path } : { kind: 'memory' },
        signingKeys: config.signingKeys,
        registration: config.registration,
        trustMode: config.trust.mode,
        login: 'dev-login',
      },
      'listening',
    );
    const running = listener;
    let closing: Promise<void> | undefined;
    return {
      issuer,
      origin: listener.origin,
      server,
      endpoints,
      close: () => {
        closing ??= (async () => {
          await running.close();
          await server.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await listener?.close(0);
    await store.close();
    throw error;
  }
}
