/**
 * `getUpstreamTokens(authInfo)`: MCP tool code calls the upstream provider's API as the user.
 * The access token's `grant_id` finds the grant's upstream tokens (decrypted here, never sent to
 * the MCP client); an access token that expires within `refreshSkewMs` is refreshed at the
 * provider first (one refresh per upstream sign-in at a time in this process: every grant the
 * sign-in approved shares its tokens) and the result stored for all of them. Works
 * in the authorization server's process and in an MCP server's process that shares its store and
 * encryption key.
 *
 * @module
 */
import type { Store } from '../../store/store.js';
import { GRANT_ID_CLAIM } from '../grants/issue-tokens.js';
import type { AuthInfo } from '../resource/auth-info.js';
import { createSecretBox, type SecretBox } from '../secrets/secret-box.js';
import { classifyUpstreamError, UpstreamError } from './errors.js';
import type { UpstreamProvider, UpstreamTokens } from './provider.js';
import { createUpstreamTokenVault, type UpstreamTokenVault } from './token-vault.js';

/** Options of {@link createUpstreamTokenReader}. */
export interface UpstreamTokenReaderOptions {
  /** The authorization server's store (shared). */
  store: Store;
  /** The encryption key the authorization server uses (32 bytes, or its base64url/hex text). */
  encryptionKey: Uint8Array | string;
  /** The same upstream provider the authorization server signs in with (for refreshes). */
  provider: UpstreamProvider;
  /** Refresh an access token that expires within this many ms. Default 60 000. */
  refreshSkewMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** Reads (and refreshes) the upstream tokens of a grant. */
export interface UpstreamTokenReader {
  /**
   * The upstream tokens of the grant `authInfo`'s access token belongs to (or of `grantId`).
   *
   * @throws UpstreamError `ERR_UPSTREAM_NO_TOKENS` when none are kept (the grant was revoked, or
   *   was not issued through an upstream sign-in); `ERR_UPSTREAM_REFRESH` when the provider
   *   refused to refresh (the user must sign in again).
   */
  getUpstreamTokens(authInfo: AuthInfo | string): Promise<UpstreamTokens>;
}

/** The grant id of a verified access token (its `grant_id` claim). */
export function grantIdOf(authInfo: AuthInfo | string): string | undefined {
  if (typeof authInfo === 'string') return authInfo;
  const claims = authInfo.extra?.claims as Record<string, unknown> | undefined;
  const grantId = claims?.[GRANT_ID_CLAIM];
  return typeof grantId === 'string' && grantId !== '' ? grantId : undefined;
}

/** The reader on a vault (shared by the authenticator and {@link createUpstreamTokenReader}). */
export function upstreamTokenReaderOf(
  vault: UpstreamTokenVault,
  provider: UpstreamProvider,
  refreshSkewMs: number,
  now: () => number,
): UpstreamTokenReader {
  /** Refreshes in flight, per sign-in: the grants of one sign-in share its refresh token. */
  const refreshing = new Map<string, Promise<UpstreamTokens>>();

  async function refresh(signIn: string): Promise<UpstreamTokens> {
    const stored = await vault.forSignIn(signIn);
    if (stored === undefined) throw noTokens();
    const { tokens } = stored;
    if (!needsRefresh(tokens)) return tokens;
    if (tokens.refreshToken === undefined) {
      throw new UpstreamError(
        'ERR_UPSTREAM_REFRESH',
        'the upstream access token expired and there is no refresh token; sign in again',
      );
    }
    let next: UpstreamTokens;
    try {
      next = await provider.refresh(tokens.refreshToken);
    } catch (error) {
      const cause = classifyUpstreamError(error, 'refresh');
      throw new UpstreamError(
        'ERR_UPSTREAM_REFRESH',
        `the upstream tokens could not be refreshed: ${cause.message}`,
        {
          cause,
        },
      );
    }
    await vault.updateSignIn(signIn, { ...stored, tokens: next });
    return next;
  }

  function needsRefresh(tokens: UpstreamTokens): boolean {
    return tokens.expiresAt !== undefined && tokens.expiresAt - refreshSkewMs <= now();
  }

  return {
    async getUpstreamTokens(authInfo) {
      const grantId = grantIdOf(authInfo);
      if (grantId === undefined) throw noTokens();
      const stored = await vault.forGrant(grantId);
      if (stored === undefined) throw noTokens();
      if (!needsRefresh(stored.value.tokens)) return stored.value.tokens;
      const { signIn } = stored;
      let pending = refreshing.get(signIn);
      if (pending === undefined) {
        pending = refresh(signIn).finally(() => refreshing.delete(signIn));
        refreshing.set(signIn, pending);
      }
      return pending;
    },
  };
}

function noTokens(): UpstreamError {
  return new UpstreamError(
    'ERR_UPSTREAM_NO_TOKENS',
    'no upstream tokens are kept for this access token: its grant was revoked, or it was not issued through an upstream sign-in',
  );
}

/** A reader for an MCP server that shares the authorization server's store and encryption key. */
export function createUpstreamTokenReader(options: UpstreamTokenReaderOptions): UpstreamTokenReader {
  const now = options.now ?? Date.now;
  const box: SecretBox = createSecretBox(options.encryptionKey);
  const vault = createUpstreamTokenVault(options.store, box, now);
  return upstreamTokenReaderOf(vault, options.provider, options.refreshSkewMs ?? 60_000, now);
}
