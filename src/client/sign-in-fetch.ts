/**
 * A `fetch` for the MCP transport that signs in whenever the server asks: it sends the bearer
 * token on every request to the MCP server (MCP-C-20), and on a 401 runs the SDK's `auth()`, waits
 * for the loopback callback when a browser sign-in is needed, finishes with the code and retries
 * the request once. On a 403 `insufficient_scope` it steps up (MCP-C-22): one new sign-in for the
 * union of the scopes requested before, held and challenged (SEP-2350), at most once per scope
 * set and `maxStepUps` times in all, so a server that keeps refusing cannot loop the client. A 401
 * to a request that carried a token discovers again first (SEP-2352).
 *
 * The SDK functions are passed in, so this module does not import the SDK.
 *
 * @module
 */
import { SignInError } from './errors.js';
import type { FetchLike } from './fetch-like.js';
import type { CimdOAuthClientProvider } from './provider.js';

export type { FetchLike };

/** The parts of `@modelcontextprotocol/sdk/client/auth.js` the sign-in needs. */
export interface SdkAuth {
  auth(
    provider: CimdOAuthClientProvider,
    options: {
      serverUrl: string | URL;
      authorizationCode?: string;
      /** The callback's `iss` (SDK 2.x checks it by RFC 9207; SDK 1.x ignores it). */
      iss?: string;
      scope?: string;
      resourceMetadataUrl?: URL;
      fetchFn?: FetchLike;
    },
  ): Promise<'AUTHORIZED' | 'REDIRECT'>;
  extractWWWAuthenticateParams(response: Response): {
    resourceMetadataUrl?: URL;
    scope?: string;
    error?: string;
  };
}

/** Options of {@link createSignInFetch}. */
export interface SignInFetchOptions {
  provider: CimdOAuthClientProvider;
  /** The MCP server URL; the bearer token is sent to its origin only. */
  serverUrl: string | URL;
  sdk: SdkAuth;
  /**
   * The underlying fetch (also used by the OAuth requests), wrapped in the provider's DPoP fetch
   * when its `dpop` option is on. Default `globalThis.fetch`.
   */
  fetch?: FetchLike;
  /**
   * How many step-up sign-ins a session may make (SEP-2350's retry limit). Default 2: with the
   * first sign-in, at most 3 authorization requests.
   */
  maxStepUps?: number;
}

/** The scopes of `a` followed by those of `b` not already in `a`, space-separated. */
export function unionScopes(a: string | undefined, b: string | undefined): string | undefined {
  const scopes = [...(a ?? '').split(' '), ...(b ?? '').split(' ')].filter((scope) => scope !== '');
  return scopes.length === 0 ? undefined : [...new Set(scopes)].join(' ');
}

/** A canonical form of a scope set, to remember which ones were already tried. */
function scopeSetKey(scope: string | undefined): string {
  return [...new Set((scope ?? '').split(' ').filter((item) => item !== ''))].sort().join(' ');
}

/** Creates the signing-in fetch; see the module description. */
export function createSignInFetch(options: SignInFetchOptions): FetchLike {
  const { provider, sdk } = options;
  const plain: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  // With `dpop`, every request (OAuth and MCP) goes through the provider's DPoP fetch: proofs at
  // the token endpoint (SDK 2.x brings its own there, which passes through), and the bound token
  // presented to the MCP server with proofs by the same key.
  const base: FetchLike = provider.dpopEnabled ? provider.dpopFetch(plain) : plain;
  const serverOrigin = new URL(String(options.serverUrl)).origin;
  const maxStepUps = options.maxStepUps ?? 2;
  const triedScopes = new Set<string>();
  let stepUps = 0;
  let inFlight: Promise<void> | undefined;

  const signIn = (params: {
    resourceMetadataUrl?: URL | undefined;
    scope?: string | undefined;
  }): Promise<void> => {
    inFlight ??= (async () => {
      const request = {
        serverUrl: options.serverUrl,
        fetchFn: base,
        ...(params.resourceMetadataUrl === undefined
          ? {}
          : { resourceMetadataUrl: params.resourceMetadataUrl }),
        ...(params.scope === undefined ? {} : { scope: params.scope }),
      };
      let result = await sdk.auth(provider, request);
      if (result === 'REDIRECT') {
        triedScopes.add(scopeSetKey(provider.lastRequestedScope));
        const { code, iss } = await provider.waitForAuthorizationResponse();
        result = await sdk.auth(provider, {
          ...request,
          authorizationCode: code,
          ...(iss === undefined ? {} : { iss }),
        });
      }
      if (result !== 'AUTHORIZED') {
        throw new SignInError('ERR_SIGNIN_FAILED', 'the sign-in did not complete.');
      }
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const send = async (url: string | URL, init: RequestInit | undefined): Promise<Response> => {
    const headers = new Headers(init?.headers);
    if (new URL(String(url)).origin === serverOrigin) {
      const tokens = await provider.tokens();
      if (tokens !== undefined) headers.set('Authorization', `Bearer ${tokens.access_token}`);
    }
    return base(url, { ...init, headers });
  };

  return async (url, init) => {
    if (inFlight !== undefined) await inFlight.catch(() => {});
    const sentToken = (await provider.tokens()) !== undefined;
    let response = await send(url, init);
    if (response.status === 401) {
      const challenge = sdk.extractWWWAuthenticateParams(response);
      await response.body?.cancel();
      // A token the server no longer takes: discover again (SEP-2352: the resource may have moved
      // to another authorization server, whose credentials are separate).
      if (sentToken) await provider.invalidateCredentials('discovery');
      await signIn(challenge);
      response = await send(url, init);
    }
    if (response.status === 403) {
      const challenge = sdk.extractWWWAuthenticateParams(response);
      if (challenge.error === 'insufficient_scope' && stepUps < maxStepUps) {
        // SEP-2350: the union of what was asked for before (and granted) and what is challenged.
        const held = unionScopes(provider.lastRequestedScope, (await provider.tokens())?.scope);
        const wanted = unionScopes(held, challenge.scope);
        if (!triedScopes.has(scopeSetKey(wanted))) {
          stepUps += 1;
          await response.body?.cancel();
          // A refresh cannot widen the grant: drop the tokens so the SDK asks the user again.
          await provider.invalidateCredentials('tokens');
          await signIn({ resourceMetadataUrl: challenge.resourceMetadataUrl, scope: wanted });
          response = await send(url, init);
        }
      }
    }
    return response;
  };
}
