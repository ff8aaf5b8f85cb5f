/**
 * What a verified access token establishes, and the verifier contract. Both are structurally
 * the MCP TypeScript SDK's `AuthInfo` and `OAuthTokenVerifier`, so our verifier plugs into the
 * SDK's transports and our middleware accepts the SDK's verifiers, without importing the SDK.
 *
 * @module
 */

/** A validated access token, as request handlers see it (the SDK's `AuthInfo` shape). */
export interface AuthInfo {
  /** The access token itself. */
  token: string;
  /** The client the token was issued to. */
  clientId: string;
  /** The granted scopes. */
  scopes: string[];
  /** When the token expires, epoch seconds. */
  expiresAt?: number;
  /** The RFC 8707 resource the token is for: this server's resource identifier. */
  resource?: URL;
  /** Anything else about the token (our verifier puts the subject, `jti` and claims here). */
  extra?: Record<string, unknown>;
}

/** Verifies an access token (the SDK's `OAuthTokenVerifier` shape). */
export interface TokenVerifier {
  /**
   * Resolves with what the token establishes, or rejects with an OAuth error: `invalid_token`
   * (401) or `insufficient_scope` (403); anything else is answered as a server error.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>;
}
