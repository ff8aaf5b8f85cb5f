import * as sdkErrors from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { mcpSdkVerifier } from '../../../src/server/express.js';
import { InvalidRequestError, ServerError } from '../../../src/server/oauth-errors.js';
import type { AuthInfo, TokenVerifier } from '../../../src/server/resource/auth-info.js';
import { createAccessTokenVerifier } from '../../../src/server/resource/bearer.js';
import { authorizationServer, ISSUER, OTHER_RESOURCE, RESOURCE } from './helpers.js';

const as = authorizationServer();

describe('compatibility with the MCP SDK types', () => {
  it('our AuthInfo is the SDK AuthInfo, both ways', () => {
    expectTypeOf<AuthInfo>().toExtend<SdkAuthInfo>();
    expectTypeOf<SdkAuthInfo>().toExtend<AuthInfo>();
  });

  it('our verifier is an OAuthTokenVerifier, and an SDK verifier is our TokenVerifier', async () => {
    const ours: OAuthTokenVerifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: RESOURCE,
      jwks: await as.keys.publicJwks(),
    });
    const theirs: TokenVerifier = ours satisfies OAuthTokenVerifier;
    expect(typeof theirs.verifyAccessToken).toBe('function');
    expectTypeOf(mcpSdkVerifier(ours)).toExtend<OAuthTokenVerifier>();
  });
});

describe('mcpSdkVerifier', () => {
  it('re-throws our errors as the SDK’s classes (loaded from the SDK on first failure)', async () => {
    const verifier = mcpSdkVerifier(await as.verifier({ requiredScopes: ['mcp:admin'] }));
    const wrongAudience = await verifier
      .verifyAccessToken(await as.issue({ audience: OTHER_RESOURCE }))
      .catch((e) => e);
    expect(wrongAudience).toBeInstanceOf(sdkErrors.InvalidTokenError);
    expect(wrongAudience.message).toBe('the access token was not issued for this resource');
    const noScope = await verifier.verifyAccessToken(await as.issue()).catch((e) => e);
    expect(noScope).toBeInstanceOf(sdkErrors.InsufficientScopeError);
    expect(verifier.requiredScopes).toEqual(['mcp:admin']);
  });

  it('maps invalid_request and server errors, hides non-OAuth errors, passes SDK errors through', async () => {
    const failing = (error: unknown) => {
      const verifier: TokenVerifier = { verifyAccessToken: () => Promise.reject(error) };
      return mcpSdkVerifier(verifier, sdkErrors);
    };
    await expect(failing(new InvalidRequestError('x')).verifyAccessToken('t')).rejects.toBeInstanceOf(
      sdkErrors.InvalidRequestError,
    );
    await expect(failing(new ServerError('x')).verifyAccessToken('t')).rejects.toBeInstanceOf(
      sdkErrors.ServerError,
    );
    const hidden = await failing(new Error('internal detail'))
      .verifyAccessToken('t')
      .catch((e) => e);
    expect(hidden).toBeInstanceOf(sdkErrors.ServerError);
    expect(hidden.message).not.toContain('internal detail');
    const sdk = new sdkErrors.InvalidTokenError('theirs');
    await expect(failing(sdk).verifyAccessToken('t')).rejects.toBe(sdk);
  });

  it('passes successes through unchanged', async () => {
    const token = await as.issue();
    const info = await mcpSdkVerifier(await as.verifier()).verifyAccessToken(token);
    expect(info.token).toBe(token);
  });
});
