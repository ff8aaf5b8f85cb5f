/**
 * `cimdProvider(clientMetadataUrl)`: a client provider from the document URL alone, the way
 * FastMCP's `OAuth(client_metadata_url=...)` is built. The MCP server comes from where the
 * provider is used (`connect(serverUrl, { provider })`, or an SDK transport through `auth()`).
 *
 * @module
 */
import { FileTokenStore } from './file-token-store.js';
import { CimdOAuthClientProvider } from './provider.js';
import type { CimdClientProviderOptions } from './provider-options.js';
import { MemoryTokenStore, type TokenStore } from './token-store.js';

/** Options of {@link cimdProvider}: the provider's, all optional, with a short form for the store. */
export interface CimdProviderOptions extends Omit<CimdClientProviderOptions, 'clientMetadataUrl' | 'store'> {
  /**
   * Where tokens are kept: `memory` (the default: gone when the process ends), `file` (a
   * `FileTokenStore` in the user's config folder, e.g. `~/.config/mcp-cimd/credentials.json`,
   * mode 0600), or a {@link TokenStore} of your own.
   */
  store?: TokenStore | 'memory' | 'file';
}

/**
 * A {@link CimdOAuthClientProvider} from the document URL (the `client_id`) alone. Defaults: the
 * document is fetched once (SSRF-safe) on first use, the callback is the document's loopback
 * redirect URI on a free port, the authorization URL opens in the browser, tokens are kept in
 * memory. Without `serverUrl` it is bound to the first MCP server it is used with and refuses
 * any other one.
 *
 * ```ts
 * const provider = cimdProvider('https://app.example.com/oauth/client.json', { store: 'file' });
 * const client = await connect('https://mcp.example.com/mcp', { provider });
 * // or, with the SDK's own transport:
 * new StreamableHTTPClientTransport(new URL('https://mcp.example.com/mcp'), { authProvider: provider });
 * ```
 *
 * @throws CimdError `ERR_CIMD_INVALID_CLIENT_ID` for an invalid document URL (CIMD-URL-01..09).
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` for unusable options.
 */
export function cimdProvider(
  clientMetadataUrl: string,
  options: CimdProviderOptions = {},
): CimdOAuthClientProvider {
  const { store, ...rest } = options;
  return new CimdOAuthClientProvider({ ...rest, clientMetadataUrl, store: tokenStoreFor(store) });
}

function tokenStoreFor(store: CimdProviderOptions['store']): TokenStore {
  if (store === undefined || store === 'memory') return new MemoryTokenStore();
  if (store === 'file') return new FileTokenStore();
  return store;
}
