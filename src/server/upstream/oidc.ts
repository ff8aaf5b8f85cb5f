/**
 * Any OpenID Connect provider, found by discovery from its issuer: Authorization Code with PKCE
 * S256, `state` and `nonce`, the RFC 9207 `iss` check where the provider advertises it, and an ID
 * token validated in full (signature from the provider's JWKS, `iss`, `aud`, `azp`, `exp`, `iat`,
 * `nonce`), all through openid-client. Google and Entra ID are presets of it (`presets.ts`).
 *
 * @module
 */
import * as client from 'openid-client';
import { InvalidOptionError } from '../../errors.js';
import {
  checkConnection,
  checkProviderUrl,
  clientAuthOf,
  configure,
  type UpstreamConnectionOptions,
} from './connection.js';
import { classifyUpstreamError, UpstreamError } from './errors.js';
import { tokensOf, type UpstreamIdentity, type UpstreamProvider } from './provider.js';

/** Options of {@link oidcProvider}. */
export interface OidcProviderOptions extends UpstreamConnectionOptions {
  /** The provider's issuer identifier (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  /** Scopes asked for. Default `openid email profile`; `openid` is always added. */
  scopes?: readonly string[];
  /** The id in logs and metadata. Default `oidc`. */
  id?: string;
  /** Shown to users. Default: the issuer's host. */
  displayName?: string;
  /** Extra authorization parameters (e.g. Google's `hd`). */
  authorizationParams?: Readonly<Record<string, string>>;
  /**
   * Checks the verified ID token claims; return a reason to refuse the user (e.g. a Google
   * hosted domain that is not the required one). Default: accept.
   */
  checkClaims?: (claims: Readonly<Record<string, unknown>>) => string | undefined;
  /** Ask the userinfo endpoint for `name` and `email` when the ID token lacks them. Default `true`. */
  userinfo?: boolean;
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The identity in verified claims (ID token, completed by userinfo). */
export function identityOfClaims(issuer: string, claims: Record<string, unknown>): UpstreamIdentity {
  const subject = stringClaim(claims, 'sub');
  if (subject === undefined) {
    throw new UpstreamError('ERR_UPSTREAM_INVALID_RESPONSE', 'the ID token has no subject');
  }
  const name = stringClaim(claims, 'name');
  const email = stringClaim(claims, 'email');
  const username = stringClaim(claims, 'preferred_username');
  const domain = stringClaim(claims, 'hd') ?? stringClaim(claims, 'tid');
  const verified = claims.email_verified;
  return {
    issuer,
    subject,
    ...(name === undefined ? {} : { name }),
    ...(email === undefined ? {} : { email }),
    ...(typeof verified === 'boolean' ? { emailVerified: verified } : {}),
    ...(username === undefined ? {} : { username }),
    ...(domain === undefined ? {} : { domain }),
  };
}

/** A provider for any OpenID Connect issuer. Discovery happens on first use (and again after a failure). */
export function oidcProvider(options: OidcProviderOptions): UpstreamProvider {
  const timeoutMs = checkConnection(options);
  const insecure = checkProviderUrl(options.issuer, 'the upstream issuer');
  if (options.issuer.endsWith('/') && new URL(options.issuer).pathname !== '/') {
    throw new InvalidOptionError(
      `the upstream issuer must be written exactly as the provider does; got ${options.issuer}`,
    );
  }
  const scopes = [...new Set(['openid', ...(options.scopes ?? ['email', 'profile'])])].join(' ');
  let discovered: Promise<client.Configuration> | undefined;

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(new URL(options.issuer), options.clientId, undefined, clientAuthOf(options.clientAuth), {
        timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .then((config) => {
        client.enableNonRepudiationChecks(config);
        return configure(config, timeoutMs, insecure);
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw classifyUpstreamError(error, 'discovery');
      });
    return discovered;
  }

  async function completeIdentity(
    config: client.Configuration,
    claims: Record<string, unknown>,
    accessToken: string,
  ): Promise<Record<string, unknown>> {
    const wanted = options.userinfo ?? true;
    if (!wanted || config.serverMetadata().userinfo_endpoint === undefined) return claims;
    if (typeof claims.email === 'string' && typeof claims.name === 'string') return claims;
    try {
      const info = await client.fetchUserInfo(config, accessToken, String(claims.sub));
      return { ...info, ...claims };
    } catch (error) {
      throw classifyUpstreamError(error, 'userinfo');
    }
  }

  return {
    id: options.id ?? 'oidc',
    displayName: options.displayName ?? new URL(options.issuer).host,
    issuer: options.issuer,
    openid: true,
    async authorizationUrl(input) {
      const config = await configuration();
      return client.buildAuthorizationUrl(config, {
        ...options.authorizationParams,
        redirect_uri: input.redirectUri,
        scope: scopes,
        state: input.state,
        ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
        code_challenge: input.codeChallenge,
        code_challenge_method: 'S256',
        ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
        ...(input.loginHint === undefined ? {} : { login_hint: input.loginHint }),
      });
    },
    async finishSignIn(callbackUrl, checks) {
      const config = await configuration();
      let claims: Record<string, unknown>;
      let tokens: ReturnType<typeof tokensOf>;
      try {
        const response = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          ...(checks.nonce === undefined ? {} : { expectedNonce: checks.nonce }),
          idTokenExpected: true,
        });
        const idClaims = response.claims();
        if (idClaims === undefined) throw new UpstreamError('ERR_UPSTREAM_INVALID_RESPONSE', 'no ID token');
        claims = { ...idClaims };
        tokens = tokensOf(response, Date.now());
      } catch (error) {
        throw classifyUpstreamError(error, 'code exchange');
      }
      const reason = options.checkClaims?.(claims);
      if (reason !== undefined) throw new UpstreamError('ERR_UPSTREAM_USER_NOT_ALLOWED', reason);
      const complete = await completeIdentity(config, claims, tokens.accessToken);
      return { tokens, identity: identityOfClaims(options.issuer, complete) };
    },
    async refresh(refreshToken) {
      const config = await configuration();
      try {
        const response = await client.refreshTokenGrant(config, refreshToken);
        return tokensOf(response, Date.now(), refreshToken);
      } catch (error) {
        throw classifyUpstreamError(error, 'refresh');
      }
    },
  };
}
