/**
 * The `client_credentials` grant for agents (an MCP client acting as itself, no user, no
 * browser): the authorization server is discovered from the MCP server's protected-resource
 * metadata (RFC 9728) and its own metadata (RFC 8414), as the SDK does; a token is requested with
 * a `private_key_jwt` assertion (`aud` = the issuer, `typ` `client-authentication+jwt`) and the
 * `resource`; every MCP request carries it, and a new one is requested when it is about to expire
 * or the MCP server answers 401. With a DPoP key (`dpop`), token requests carry a proof, the
 * tokens are bound to the key (`token_type: DPoP`) and MCP requests present them as
 * `Authorization: DPoP` with a fresh proof (RFC 9449), nonces retried.
 *
 * @module
 */
import { type AssertionSignerLike, applyClientAuthentication, toAssertionSigner } from './client-auth.js';
import { type DiscoveredServer, discoverAuthorizationServer } from './discover-server.js';
import { createDpopClientFetch, type DpopKeyPair } from './dpop.js';
import { SignInError } from './errors.js';
import type { FetchLike } from './fetch-like.js';
import { postTokenRequest } from './token-request.js';

/** Options of {@link createClientCredentialsFetch}. */
export interface ClientCredentialsOptions {
  /** The MCP server's URL. */
  serverUrl: string | URL;
  /** The agent's `client_id`: its document URL (or a registered id). */
  clientId: string;
  /**
   * Signs the client assertions: a function, or `createAssertionSigner(keySet)` from
   * `mcp-cimd/keys`. Called for every token request, so a function that reads the key set each
   * time follows a key rotation.
   */
  signer: AssertionSignerLike;
  /** The scope to ask for. Default: none sent (the server grants the client's own `scope`). */
  scope?: string;
  /** The fetch used for discovery, token requests and MCP requests. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * A DPoP key (RFC 9449): token requests carry a proof by it and the tokens are bound to it.
   * Default: none (Bearer tokens; a server that issues only DPoP tokens refuses the request).
   */
  dpop?: DpopKeyPair | Promise<DpopKeyPair>;
  /** Request a new token this long before the current one expires (at most half its lifetime), in ms. Default 30 000. */
  renewBeforeMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** An access token and when to stop using it. */
interface HeldToken {
  accessToken: string;
  /** Epoch ms after which a new one is requested (`undefined`: until the server refuses it). */
  renewAt: number | undefined;
}

/** A fetch for MCP requests that carries a client_credentials token; see {@link createClientCredentialsFetch}. */
export interface ClientCredentialsFetch extends FetchLike {
  /** Requests a token now (discovering first, once); resolves with nothing secret. */
  authorize(): Promise<void>;
}

/**
 * A fetch that authorizes MCP requests with tokens from the `client_credentials` grant. Pass it
 * to the SDK's Streamable HTTP transport.
 */
export function createClientCredentialsFetch(options: ClientCredentialsOptions): ClientCredentialsFetch {
  const plainFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  /** The DPoP-bound access tokens held (sent as `Authorization: DPoP` with a proof). */
  const bound = new Set<string>();
  const baseFetch: FetchLike =
    options.dpop === undefined
      ? plainFetch
      : createDpopClientFetch({
          keyPair: options.dpop,
          isBound: (token) => bound.has(token),
          fetch: plainFetch,
        });
  const now = options.now ?? Date.now;
  const renewBeforeMs = options.renewBeforeMs ?? 30_000;
  const signer = toAssertionSigner(options.signer);
  const alg = typeof options.signer === 'function' ? undefined : options.signer.alg;
  let discovered: Promise<DiscoveredServer> | undefined;
  let held: HeldToken | undefined;
  let pending: Promise<HeldToken> | undefined;
  let resourceMetadataUrl: URL | undefined;

  function discover(): Promise<DiscoveredServer> {
    return discoverAuthorizationServer({
      serverUrl: options.serverUrl,
      grantType: 'client_credentials',
      signingAlg: alg,
      resourceMetadataUrl,
      fetch: baseFetch,
    });
  }

  async function requestToken(): Promise<HeldToken> {
    discovered ??= discover();
    let server: DiscoveredServer;
    try {
      server = await discovered;
    } catch (error) {
      discovered = undefined;
      throw error;
    }
    const headers = new Headers();
    const params = new URLSearchParams({ grant_type: 'client_credentials', resource: server.resource });
    if (options.scope !== undefined && options.scope !== '') params.set('scope', options.scope);
    await applyClientAuthentication(
      { method: 'private_key_jwt', clientId: options.clientId, signer, audience: server.issuer },
      headers,
      params,
    );
    const started = now();
    const body = await postTokenRequest({
      endpoint: server.tokenEndpoint,
      params,
      headers,
      fetch: baseFetch,
      what: 'token request (client_credentials)',
    });
    const token = body as { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    if (typeof token.access_token !== 'string' || typeof token.token_type !== 'string') {
      throw new SignInError('ERR_SIGNIN_FAILED', `${server.tokenEndpoint} answered without an access token`);
    }
    const type = token.token_type.toLowerCase();
    if (type === 'dpop' && options.dpop !== undefined) {
      bound.clear();
      bound.add(token.access_token);
    } else if (type !== 'bearer') {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        `${server.tokenEndpoint} issued a ${token.token_type} token; this client sends ${options.dpop === undefined ? 'Bearer tokens only' : 'Bearer and DPoP tokens only'}`,
      );
    }
    const expiresIn = typeof token.expires_in === 'number' ? token.expires_in * 1000 : undefined;
    return {
      accessToken: token.access_token,
      renewAt:
        expiresIn === undefined ? undefined : started + expiresIn - Math.min(renewBeforeMs, expiresIn / 2),
    };
  }

  /** The token to use: the held one while fresh, else a new one (one request in flight). */
  function currentToken(): Promise<HeldToken> {
    if (held !== undefined && (held.renewAt === undefined || now() < held.renewAt)) {
      return Promise.resolve(held);
    }
    pending ??= requestToken().then(
      (token) => {
        held = token;
        pending = undefined;
        return token;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  }

  async function send(url: string | URL, init: RequestInit | undefined, token: HeldToken): Promise<Response> {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token.accessToken}`);
    return baseFetch(url, { ...init, headers });
  }

  const authorizedFetch = (async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const token = await currentToken();
    const response = await send(url, init, token);
    if (response.status !== 401) return response;
    const challenge = response.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    if (metadataUrl !== undefined && URL.canParse(metadataUrl)) {
      const next = new URL(metadataUrl);
      if (resourceMetadataUrl?.href !== next.href) {
        resourceMetadataUrl = next;
        discovered = undefined;
      }
    }
    // The token was refused (expired early, revoked, signing key rotated): ask for a new one once.
    if (held === token) held = undefined;
    await response.body?.cancel().catch(() => {});
    return send(url, init, await currentToken());
  }) as ClientCredentialsFetch;
  authorizedFetch.authorize = async () => {
    await currentToken();
  };
  return authorizedFetch;
}
