/**
 * What an upstream identity provider does for the OAuth proxy: build the authorization redirect,
 * turn the callback into tokens and a verified identity, and refresh tokens. Implementations:
 * {@link oidcProvider} (any OpenID Connect provider, and the Google and Entra ID presets),
 * {@link githubProvider}, and {@link oauth2Provider} (plain OAuth 2 with a userinfo endpoint).
 *
 * @module
 */

/** Tokens the upstream provider issued to this server (never passed on to MCP clients). */
export interface UpstreamTokens {
  accessToken: string;
  /** `bearer` or `dpop`, lower-case. */
  tokenType: string;
  refreshToken?: string;
  /** When the access token expires, epoch ms; absent when the provider did not say. */
  expiresAt?: number;
  /** The scope granted, space-separated, when the provider said. */
  scope?: string;
  /** The ID token (OpenID Connect), as received. */
  idToken?: string;
}

/** Who signed in, as the provider verified it. */
export interface UpstreamIdentity {
  /** The provider's issuer identifier (for GitHub, its web origin). */
  issuer: string;
  /** The provider's stable subject for the user (for GitHub, the numeric user id). */
  subject: string;
  name?: string;
  email?: string;
  /** Whether the provider verified `email`; `undefined` when it did not say. */
  emailVerified?: boolean;
  /** A user name at the provider (GitHub's `login`, OIDC's `preferred_username`). */
  username?: string;
  /** Organisations the user belongs to (GitHub), when asked for. */
  organizations?: string[];
  /** The hosted domain (Google's `hd`) or tenant (Entra ID's `tid`), when the provider says. */
  domain?: string;
}

/** What the proxy keeps between the redirect and the callback. */
export interface SignInChecks {
  /** Our redirect URI at the provider: `<issuer>/upstream/callback`. */
  redirectUri: string;
  state: string;
  /** The OpenID Connect `nonce` (absent for plain OAuth 2 providers). */
  nonce?: string;
  /** The PKCE code verifier. */
  codeVerifier: string;
  /**
   * The allow-lists name organisations: report the user's {@link UpstreamIdentity.organizations}
   * (and ask for the scope that needs), where the provider has organisations (GitHub).
   */
  organizations?: boolean;
}

/** What the authorization redirect carries besides the checks. */
export interface AuthorizationUrlInput extends SignInChecks {
  /** The PKCE S256 challenge of `codeVerifier`. */
  codeChallenge: string;
  /** `login` to force a new sign-in at the provider. */
  prompt?: 'login';
  loginHint?: string;
}

/** A provider the proxy signs users in at. */
export interface UpstreamProvider {
  /** A short stable id: `oidc`, `github`, `google`, `entra`, `oauth2`. */
  readonly id: string;
  /** Shown to users: "sign in with <displayName>". */
  readonly displayName: string;
  /** The provider's issuer identifier: with the subject, it derives our `sub`. */
  readonly issuer: string;
  /** Whether the provider sends OpenID Connect ID tokens (and so uses a `nonce`). */
  readonly openid: boolean;
  /** The authorization URL to send the browser to. */
  authorizationUrl(input: AuthorizationUrlInput): Promise<URL>;
  /**
   * Validates the callback (`callbackUrl` carries the provider's query) against `checks`,
   * redeems the code and verifies who signed in.
   *
   * @throws UpstreamError with the reason.
   */
  finishSignIn(
    callbackUrl: URL,
    checks: SignInChecks,
  ): Promise<{ tokens: UpstreamTokens; identity: UpstreamIdentity }>;
  /** Refreshes with `refreshToken`. The result keeps `refreshToken` when the provider sent no new one. */
  refresh(refreshToken: string): Promise<UpstreamTokens>;
}

/** The {@link UpstreamTokens} of a token response as openid-client returns it. */
export function tokensOf(
  response: {
    access_token: string;
    token_type: string;
    refresh_token?: string;
    expires_in?: number;
    scope?: string;
    id_token?: string;
  },
  now: number,
  previousRefreshToken?: string,
): UpstreamTokens {
  const refreshToken = response.refresh_token ?? previousRefreshToken;
  return {
    accessToken: response.access_token,
    tokenType: response.token_type.toLowerCase(),
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(typeof response.expires_in === 'number' ? { expiresAt: now + response.expires_in * 1000 } : {}),
    ...(response.scope === undefined ? {} : { scope: response.scope }),
    ...(response.id_token === undefined ? {} : { idToken: response.id_token }),
  };
}
