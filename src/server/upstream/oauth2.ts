/**
 * Plain OAuth 2 providers (no ID token): Authorization Code with PKCE S256 and `state` through
 * openid-client, then who signed in from the provider's user API. {@link oauth2Provider} reads a
 * userinfo-style JSON endpoint; the GitHub preset builds on {@link plainOAuth2Provider}.
 *
 * @module
 */
import * as client from 'openid-client';
import {
  checkConnection,
  checkProviderUrl,
  clientAuthOf,
  configure,
  fetchWithDeadline,
  type UpstreamConnectionOptions,
} from './connection.js';
import { classifyUpstreamError, UpstreamError } from './errors.js';
import { tokensOf, type UpstreamIdentity, type UpstreamProvider, type UpstreamTokens } from './provider.js';

/** The endpoints and identity step of a plain OAuth 2 provider. */
export interface PlainOAuth2Options extends UpstreamConnectionOptions {
  /** The provider's identifier for `sub` derivation (its issuer, or its web origin). */
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scopes: readonly string[];
  id: string;
  displayName: string;
  /** Scopes added when the sign-in asks for organisations (`SignInChecks.organizations`). Default none. */
  organizationScopes?: readonly string[];
  /**
   * Who the access token belongs to (may throw an `UpstreamError`, e.g. USER_NOT_ALLOWED); with
   * `organizations`, including the user's organisations.
   */
  identify(tokens: UpstreamTokens, timeoutMs: number, organizations: boolean): Promise<UpstreamIdentity>;
}

/** A provider from explicit OAuth 2 endpoints and an identity step. */
export function plainOAuth2Provider(options: PlainOAuth2Options): UpstreamProvider {
  const timeoutMs = checkConnection(options);
  const insecure = [options.issuer, options.authorizationEndpoint, options.tokenEndpoint]
    .map((url, index) =>
      checkProviderUrl(
        url,
        ['the upstream issuer', 'the authorization endpoint', 'the token endpoint'][index] ?? 'url',
      ),
    )
    .some(Boolean);
  const config = configure(
    new client.Configuration(
      {
        issuer: options.issuer,
        authorization_endpoint: options.authorizationEndpoint,
        token_endpoint: options.tokenEndpoint,
      },
      options.clientId,
      undefined,
      clientAuthOf(options.clientAuth),
    ),
    timeoutMs,
    insecure,
  );
  const scopeFor = (organizations: boolean | undefined) =>
    [...new Set([...options.scopes, ...(organizations ? (options.organizationScopes ?? []) : [])])].join(' ');
  return {
    id: options.id,
    displayName: options.displayName,
    issuer: options.issuer,
    openid: false,
    async authorizationUrl(input) {
      const scope = scopeFor(input.organizations);
      return client.buildAuthorizationUrl(config, {
        redirect_uri: input.redirectUri,
        ...(scope === '' ? {} : { scope }),
        state: input.state,
        code_challenge: input.codeChallenge,
        code_challenge_method: 'S256',
        ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
        ...(input.loginHint === undefined ? {} : { login: input.loginHint, login_hint: input.loginHint }),
      });
    },
    async finishSignIn(callbackUrl, checks) {
      let tokens: UpstreamTokens;
      try {
        const response = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          idTokenExpected: false,
        });
        tokens = tokensOf(response, Date.now());
      } catch (error) {
        throw classifyUpstreamError(error, 'code exchange');
      }
      try {
        return { tokens, identity: await options.identify(tokens, timeoutMs, checks.organizations === true) };
      } catch (error) {
        throw classifyUpstreamError(error, 'user lookup');
      }
    },
    async refresh(refreshToken) {
      try {
        return tokensOf(await client.refreshTokenGrant(config, refreshToken), Date.now(), refreshToken);
      } catch (error) {
        throw classifyUpstreamError(error, 'refresh');
      }
    },
  };
}

/** GET `url` with the access token; the JSON body, or an `UpstreamError`. */
export async function getJsonWithToken(
  url: string,
  tokens: UpstreamTokens,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const response = await fetchWithDeadline(
    url,
    {
      headers: {
        accept: 'application/json',
        'user-agent': 'mcp-cimd',
        ...headers,
        authorization: `Bearer ${tokens.accessToken}`,
      },
    },
    timeoutMs,
  );
  if (response.status >= 500) {
    throw new UpstreamError(
      'ERR_UPSTREAM_UNAVAILABLE',
      `${new URL(url).pathname} answered ${response.status}`,
    );
  }
  if (response.status !== 200) {
    throw new UpstreamError(
      'ERR_UPSTREAM_INVALID_RESPONSE',
      `${new URL(url).pathname} answered ${response.status}`,
    );
  }
  try {
    return await response.json();
  } catch (error) {
    throw new UpstreamError('ERR_UPSTREAM_INVALID_RESPONSE', `${new URL(url).pathname} did not answer JSON`, {
      cause: error,
    });
  }
}

/** Options of {@link oauth2Provider}. */
export interface OAuth2ProviderOptions extends UpstreamConnectionOptions {
  /** The provider's identifier, for `sub` derivation (e.g. its web origin). */
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** The endpoint that returns the user as JSON for the access token. */
  userinfoEndpoint: string;
  /** Scopes. Default none. */
  scopes?: readonly string[];
  /** The member of the userinfo JSON that holds the stable user id. Default `sub`. */
  subjectField?: string;
  /** Shown to users. Default: the issuer's host. */
  displayName?: string;
}

/** A plain OAuth 2 provider with a userinfo endpoint (`sub`, `name`, `email`, `email_verified`). */
export function oauth2Provider(options: OAuth2ProviderOptions): UpstreamProvider {
  checkProviderUrl(options.userinfoEndpoint, 'the userinfo endpoint');
  const field = options.subjectField ?? 'sub';
  return plainOAuth2Provider({
    ...options,
    scopes: options.scopes ?? [],
    id: 'oauth2',
    displayName: options.displayName ?? new URL(options.issuer).host,
    async identify(tokens, timeoutMs) {
      const info = (await getJsonWithToken(options.userinfoEndpoint, tokens, timeoutMs)) as Record<
        string,
        unknown
      >;
      const subject = info?.[field];
      if ((typeof subject !== 'string' && typeof subject !== 'number') || subject === '') {
        throw new UpstreamError('ERR_UPSTREAM_INVALID_RESPONSE', `the userinfo answer has no ${field}`);
      }
      const text = (name: string) =>
        typeof info[name] === 'string' && info[name] !== '' ? (info[name] as string) : undefined;
      const name = text('name');
      const email = text('email');
      const username = text('preferred_username') ?? text('login');
      return {
        issuer: options.issuer,
        subject: String(subject),
        ...(name === undefined ? {} : { name }),
        ...(email === undefined ? {} : { email }),
        ...(typeof info.email_verified === 'boolean' ? { emailVerified: info.email_verified } : {}),
        ...(username === undefined ? {} : { username }),
      };
    },
  });
}
