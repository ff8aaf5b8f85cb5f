/**
 * The sign-in of `cimd serve`: the development login, or an upstream identity provider built from
 * its configuration (`--upstream oidc|github|google|entra|oauth2`) behind the OAuth proxy's
 * authenticator, with the server's store and encryption key.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../server/logger.js';
import type { Authenticator } from '../server/login/authenticator.js';
import { devLogin } from '../server/login/dev-login.js';
import { createUpstreamAuthenticator, type UpstreamAuthenticator } from '../server/upstream/authenticator.js';
import type { UpstreamClientAuth, UpstreamConnectionOptions } from '../server/upstream/connection.js';
import { githubProvider } from '../server/upstream/github.js';
import { oauth2Provider } from '../server/upstream/oauth2.js';
import { oidcProvider } from '../server/upstream/oidc.js';
import { entraIdProvider, googleProvider } from '../server/upstream/presets.js';
import type { UpstreamProvider } from '../server/upstream/provider.js';
import type { Store } from '../store/store.js';
import type { ServeConfig } from './config/resolve.js';
import type { UpstreamAuthConfig, UpstreamConfig } from './config/upstream.js';
import { StartupError } from './errors.js';

function clientAuthOf(auth: UpstreamAuthConfig): UpstreamClientAuth {
  if (auth.method === 'private_key_jwt') return { method: auth.method, privateKey: auth.key, kid: auth.kid };
  return { method: auth.method, clientSecret: auth.secret.reveal() };
}

/** The provider `upstream` describes. */
export function providerOf(upstream: UpstreamConfig): UpstreamProvider {
  const connection: UpstreamConnectionOptions = {
    clientId: upstream.clientId,
    clientAuth: clientAuthOf(upstream.auth),
    timeoutMs: upstream.timeoutSeconds * 1000,
  };
  const scopes = upstream.scopes === undefined ? {} : { scopes: upstream.scopes };
  switch (upstream.provider) {
    case 'oidc':
      return oidcProvider({ ...connection, ...scopes, issuer: upstream.issuer ?? '' });
    case 'entra':
      return entraIdProvider({ ...connection, ...scopes, issuer: upstream.issuer ?? '' });
    case 'google':
      return googleProvider({
        ...connection,
        ...scopes,
        ...(upstream.hostedDomain === undefined ? {} : { hostedDomain: upstream.hostedDomain }),
      });
    case 'github':
      return githubProvider({
        ...connection,
        ...scopes,
        ...(upstream.issuer === undefined ? {} : { enterpriseUrl: upstream.issuer }),
      });
    case 'oauth2': {
      const endpoints = upstream.oauth2;
      if (endpoints === undefined) throw new StartupError('--upstream oauth2 needs its endpoints');
      return oauth2Provider({
        ...connection,
        ...scopes,
        issuer: upstream.issuer ?? new URL(endpoints.authorizationEndpoint).origin,
        authorizationEndpoint: endpoints.authorizationEndpoint,
        tokenEndpoint: endpoints.tokenEndpoint,
        userinfoEndpoint: endpoints.userinfoEndpoint,
        subjectField: endpoints.subjectField,
      });
    }
  }
}

/** What {@link createSignIn} needs besides the configuration. */
export interface SignInParts {
  issuer: string;
  store: Store;
  /** The encryption key (32 bytes); required with an upstream provider. */
  encryptionKey: Uint8Array | undefined;
  logger: Logger;
}

/** The sign-in: the development login without an upstream provider, else the proxy's authenticator. */
export function createSignIn(
  config: ServeConfig,
  upstream: UpstreamConfig | undefined,
  parts: SignInParts,
): { authenticator: Authenticator; upstream: UpstreamAuthenticator | undefined } {
  if (upstream === undefined) return { authenticator: devLogin(), upstream: undefined };
  if (parts.encryptionKey === undefined)
    throw new StartupError('an upstream provider needs an encryption key');
  try {
    const authenticator = createUpstreamAuthenticator({
      issuer: parts.issuer,
      provider: providerOf(upstream),
      store: parts.store,
      encryptionKey: parts.encryptionKey,
      allow: config.upstreamAllow,
      sessionLifetimeMs: config.sessionTtlSeconds * 1000,
      logger: parts.logger,
    });
    return { authenticator, upstream: authenticator };
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new StartupError(`--upstream: ${error.message}`);
    throw error;
  }
}
