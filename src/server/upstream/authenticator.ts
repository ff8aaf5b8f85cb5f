/**
 * The OAuth proxy's sign-in: an {@link Authenticator} that signs users in at an upstream identity
 * provider (any OpenID Connect provider, GitHub, Google, Entra ID, plain OAuth 2), keeps a
 * browser session here, and keeps the upstream tokens encrypted server-side for MCP tool code
 * (`getUpstreamTokens`), never for MCP clients. It asks the server for its own consent before
 * sending anyone upstream (`consentBeforeSignIn`, MCP-AS-23): the provider sees one static
 * client (this server), so its consent cannot tell MCP clients apart.
 *
 * Routes (under the issuer's path): `GET /upstream/callback` (register `<issuer>/upstream/callback`
 * at the provider) and `GET`/`POST /logout`.
 *
 * @module
 */
import type { Hono } from 'hono';
import { InvalidOptionError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { checkIssuer } from '../authorization-server/options.js';
import { sha256Base64url } from '../crypto.js';
import { type Logger, silentLogger } from '../logger.js';
import { type AuthenticatedUser, type Authenticator, returnToWithError } from '../login/authenticator.js';
import { createSessionManager, type Session } from '../login/session.js';
import { randomToken } from '../random-token.js';
import { createSecretBox } from '../secrets/secret-box.js';
import { handleUpstreamCallback } from './callback.js';
import { classifyUpstreamError } from './errors.js';
import { checkAllowList, type UpstreamAllowList } from './identity.js';
import { handleLogout } from './logout.js';
import { createPendingSignIns } from './pending-sign-in.js';
import type { UpstreamProvider } from './provider.js';
import type { UpstreamShared } from './shared.js';
import { createUpstreamTokenVault } from './token-vault.js';
import { type UpstreamTokenReader, upstreamTokenReaderOf } from './upstream-tokens.js';

/** The path of the provider's redirect URI under the issuer. */
export const UPSTREAM_CALLBACK_PATH = '/upstream/callback';

/** Options of {@link createUpstreamAuthenticator}. */
export interface UpstreamAuthenticatorOptions {
  /** This authorization server's issuer (the callback is `<issuer>/upstream/callback`). */
  issuer: string;
  /** The provider to sign in at. */
  provider: UpstreamProvider;
  /** The server's store: sessions, sign-ins in flight and upstream tokens live in its cache. */
  store: Store;
  /**
   * The key that encrypts upstream tokens at rest (AES-256-GCM): 32 bytes, or their base64url or
   * hex text. Keep it secret and stable: tokens sealed with another key cannot be read.
   */
  encryptionKey: Uint8Array | string;
  /** Who may sign in. Default: everyone the provider signs in. */
  allow?: UpstreamAllowList;
  /** How long a browser session lasts, in ms. Default 43 200 000 (12 h). */
  sessionLifetimeMs?: number;
  /** How long a sign-in at the provider may take, in ms. Default 600 000 (10 min). */
  signInLifetimeMs?: number;
  /** Refresh an upstream access token that expires within this many ms. Default 60 000. */
  refreshSkewMs?: number;
  /** Receives structured logs (sign-ins, refusals and why). Default: silent. */
  logger?: Logger;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** The upstream authenticator, with access to the upstream tokens of grants. */
export interface UpstreamAuthenticator extends Authenticator, UpstreamTokenReader {
  /** The provider signed in at. */
  readonly provider: UpstreamProvider;
  /** The redirect URI to register at the provider. */
  readonly callbackUrl: string;
}

/** Creates the upstream authenticator. Validates its options at once (`InvalidOptionError`). */
export function createUpstreamAuthenticator(options: UpstreamAuthenticatorOptions): UpstreamAuthenticator {
  const basePath = checkIssuer(options.issuer);
  const { provider, store } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const signInLifetimeMs = options.signInLifetimeMs ?? 600_000;
  if (!Number.isSafeInteger(signInLifetimeMs) || signInLifetimeMs <= 0) {
    throw new InvalidOptionError('signInLifetimeMs must be a positive integer of milliseconds');
  }
  const secure = options.issuer.startsWith('https:');
  const sessions = createSessionManager({
    issuer: options.issuer,
    store,
    now,
    ...(options.sessionLifetimeMs === undefined ? {} : { lifetimeMs: options.sessionLifetimeMs }),
  });
  const vault = createUpstreamTokenVault(store, createSecretBox(options.encryptionKey), now);
  const pending = createPendingSignIns(store, signInLifetimeMs, secure, now);
  const reader = upstreamTokenReaderOf(vault, provider, options.refreshSkewMs ?? 60_000, now);
  const allow = checkAllowList(options.allow);
  const callbackUrl = `${options.issuer}${UPSTREAM_CALLBACK_PATH}`;
  const shared: UpstreamShared = {
    provider,
    sessions,
    vault,
    pending,
    allow,
    logger,
    now,
    callbackUrl,
    issuer: options.issuer,
  };

  function userOf(session: Session): AuthenticatedUser {
    const { record } = session;
    return {
      userId: record.userId,
      authTime: record.authTime,
      ...(record.name === undefined ? {} : { name: record.name }),
      ...(record.email === undefined ? {} : { email: record.email }),
      sessionId: session.id,
    };
  }

  return {
    name: provider.id,
    displayName: provider.displayName,
    consentBeforeSignIn: true,
    provider,
    callbackUrl,
    async authenticate(request, context) {
      const prompt = new Set((context.prompt ?? '').split(' '));
      if (!prompt.has('login')) {
        const session = await sessions.read(request);
        if (session !== undefined) return userOf(session);
      }
      if (prompt.has('none')) return undefined;
      const codeVerifier = randomToken(32);
      const started = await pending.start({
        returnTo: context.returnTo,
        codeVerifier,
        ...(provider.openid ? { nonce: randomToken(32) } : {}),
        forced: prompt.has('login'),
      });
      let location: URL;
      try {
        location = await provider.authorizationUrl({
          redirectUri: callbackUrl,
          state: started.pending.state,
          ...(started.pending.nonce === undefined ? {} : { nonce: started.pending.nonce }),
          codeVerifier,
          codeChallenge: await sha256Base64url(codeVerifier),
          ...(prompt.has('login') ? { prompt: 'login' as const } : {}),
          ...(context.loginHint === undefined ? {} : { loginHint: context.loginHint }),
          ...(allow.organizations.length > 0 ? { organizations: true } : {}),
        });
      } catch (error) {
        // Discovery failed (the provider is down or slow): the authorization ends with the
        // failure at the client's redirect URI, never a 5xx.
        const upstream = classifyUpstreamError(error, 'authorization redirect');
        logger.warn(
          {
            event: 'upstream.sign_in_failed',
            provider: provider.id,
            failure: upstream.failure,
            errorCode: upstream.code,
            reason: upstream.message,
          },
          'could not send the browser to the identity provider',
        );
        return new Response(null, {
          status: 303,
          headers: {
            location: returnToWithError(context.returnTo, upstream.failure),
            'cache-control': 'no-store',
          },
        });
      }
      logger.info(
        { event: 'upstream.sign_in_started', provider: provider.id },
        'sent to the identity provider',
      );
      return new Response(null, {
        status: 303,
        headers: { location: location.href, 'set-cookie': started.cookie, 'cache-control': 'no-store' },
      });
    },
    routes(app: Hono) {
      app.get(`${basePath}${UPSTREAM_CALLBACK_PATH}`, (c) => handleUpstreamCallback(shared, c.req.raw));
      app.on(['GET', 'POST'], `${basePath}/logout`, (c) => handleLogout(shared, c.req.raw));
    },
    async grantIssued(grant) {
      if (grant.sessionId === undefined) return;
      const bound = await vault.bindToGrant(grant.sessionId, grant.grantId, grant.expiresAt - now());
      if (!bound) {
        logger.warn(
          { event: 'upstream.tokens_missing', grantId: grant.grantId, clientId: grant.clientId },
          'no upstream tokens were found for the session that approved this grant',
        );
      }
    },
    async grantRevoked(grantId) {
      await vault.dropGrant(grantId);
    },
    getUpstreamTokens: (authInfo) => reader.getUpstreamTokens(authInfo),
  };
}
