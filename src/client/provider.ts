/**
 * The CIMD client provider: an `OAuthClientProvider` for `@modelcontextprotocol/sdk` (written
 * structurally; this module never imports the SDK). The SDK's `auth()` drives discovery, PKCE
 * and the token requests; the provider supplies the identity (pre-registered, else the document
 * URL when the server supports CIMD, else Dynamic Client Registration: MCP-C-10), the loopback
 * redirect, `state`, storage bound to (issuer, MCP server, client id), and client authentication.
 *
 * @module
 */
import { registrationMetadataFor } from './client-profile.js';
import type { DpopFetchLike } from './dpop.js';
import type { DpopSessionLike } from './dpop-session.js';
import type {
  AuthorizationServerMetadataLike,
  ClientInformationLike,
  DiscoveryStateLike,
  InvalidationScope,
  OAuthTokensLike,
  RegistrationMetadataLike,
} from './oauth-types.js';
import {
  authenticateClient,
  type ClientChoice,
  chooseClient,
  storeRegistration,
} from './provider-client-choice.js';
import { type IssuerContext, SessionDiscovery } from './provider-discovery.js';
import { ProviderDpop } from './provider-dpop.js';
import type { CimdClientProviderOptions } from './provider-options.js';
import { ServerBinding } from './provider-server.js';
import { Preparation, type PreparedProvider } from './provider-setup.js';
import { SignInSession } from './provider-sign-in-session.js';
import { forgetStored, loadTokens, saveTokensFor, type TokenBinding } from './provider-tokens.js';
import { MemoryTokenStore, type TokenStore } from './token-store.js';

/**
 * An `OAuthClientProvider` that signs in with a Client ID Metadata Document. Pass it to the SDK's
 * `auth()` (or use {@link connect}, which also waits for the callback and retries).
 *
 * ```ts
 * const provider = new CimdOAuthClientProvider({
 *   serverUrl: 'https://mcp.example.com/mcp',
 *   clientMetadataUrl: 'https://app.example.com/oauth/client.json',
 * });
 * await provider.prepare(); // fetches the document once, picks the callback port
 * ```
 */
export class CimdOAuthClientProvider {
  /** The document URL: the `client_id` when the authorization server supports CIMD. */
  readonly clientMetadataUrl: string;
  /** The scope of the last authorization request, for step-up (the union with a new challenge). */
  lastRequestedScope: string | undefined;

  readonly #options: CimdClientProviderOptions;
  readonly #store: TokenStore;
  readonly #server: ServerBinding;
  readonly #preparation: Preparation;
  readonly #discovery = new SessionDiscovery();
  #client: ClientChoice | undefined;
  #preRegisteredIssuer: string | undefined;
  readonly #signIn = new SignInSession();
  readonly #dpop: ProviderDpop;

  /**
   * The SDK's resource hook, present only on a provider built without `serverUrl`: the SDK's
   * `auth()` calls it with the transport's server URL, which binds the provider to that server
   * (the first one wins), and gets the SDK's own choice of `resource` back.
   */
  readonly validateResourceURL?: (serverUrl: string | URL, resource?: string) => Promise<URL | undefined>;

  /**
   * Checks the options. With `document` or `redirectUris`, the redirect URIs are checked here: a
   * document without a loopback redirect URI is refused before anything else happens.
   *
   * @throws CimdError `ERR_CIMD_INVALID_CLIENT_ID` for an invalid `clientMetadataUrl` (CIMD-URL-01..09).
   * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` / `ERR_SIGNIN_REDIRECT_URI` for unusable options.
   */
  constructor(options: CimdClientProviderOptions) {
    this.#preparation = new Preparation(options);
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.#options = options;
    this.#store = options.store ?? new MemoryTokenStore();
    this.#server = new ServerBinding(options.serverUrl);
    if (options.serverUrl === undefined) {
      this.validateResourceURL = async (serverUrl, resource) => this.#server.select(serverUrl, resource);
    }
    this.#dpop = new ProviderDpop(this.#store, () => this.tokens());
  }

  /** The MCP server this provider signs in to; undefined until a provider built without `serverUrl` is first used. */
  get serverUrl(): string | undefined {
    return this.#server.resource;
  }

  /**
   * Binds a provider built without `serverUrl` to its MCP server, as `connect()` does (the
   * transport's URL, like FastMCP's deferred binding). Binding again to the same server is a no-op.
   *
   * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` when it is already bound to another server.
   */
  bind(serverUrl: string | URL): this {
    this.#server.bind(serverUrl);
    return this;
  }

  /**
   * Loads the document when needed (once, SSRF-safe), chooses the loopback redirect URI and a
   * free port, and checks the runtime redirect URI against the document. Idempotent; the SDK
   * hooks call it, so calling it yourself only makes errors surface earlier.
   */
  prepare(): Promise<void> {
    return this.#preparation.run();
  }

  #ready(): PreparedProvider {
    return this.#preparation.ready;
  }

  /** The runtime loopback redirect URI (the document's, with the chosen port). */
  get redirectUrl(): string {
    return this.#ready().redirectUrl;
  }

  /** The registration body of a Dynamic Client Registration, consistent with the document. */
  get clientMetadata(): RegistrationMetadataLike {
    const { profile, redirectUrl } = this.#ready();
    return registrationMetadataFor(profile, redirectUrl);
  }

  /** A fresh `state` (32 bytes from the CSPRNG) for each authorization request. */
  state(): string {
    return this.#signIn.newState();
  }

  /** The discovery of this session (never persisted: a newly advertised CIMD flag or a moved server is seen on the next run). */
  async discoveryState(): Promise<DiscoveryStateLike | undefined> {
    await this.prepare();
    return this.#discovery.state;
  }

  /**
   * Keeps the discovery of this session, after checking the authorization server metadata's
   * `issuer` against the URL it was discovered from (RFC 8414 §3.3): metadata whose `issuer`
   * differs is never used (its endpoints could belong to another server). The one tolerance is
   * the SDK's own: a discovery URL ending in `/` that the issuer spells without it.
   *
   * @throws SignInError `ERR_SIGNIN_ISSUER_MISMATCH` for metadata naming another issuer.
   */
  saveDiscoveryState(state: DiscoveryStateLike): void {
    if (this.#discovery.save(state)) this.#client = undefined;
  }

  /**
   * The client identity for the current authorization server: pre-registered credentials when
   * configured for it; else the document URL when the server advertises
   * `client_id_metadata_document_supported` (a stored DCR registration then gives way to CIMD);
   * else a stored DCR registration for this server and redirect URI; else undefined, and the SDK
   * registers (DCR) and calls {@link saveClientInformation}.
   *
   * @throws SignInError `ERR_SIGNIN_AUTH_METHOD` when the document says `private_key_jwt` and the server cannot do it.
   */
  async clientInformation(ctx?: IssuerContext): Promise<ClientInformationLike | undefined> {
    await this.prepare();
    this.#client = await this.#chooseClient();
    if (this.#client === undefined) return undefined;
    const info = { ...this.#client.info };
    const stamp = this.#discovery.stamp(ctx);
    if (stamp !== undefined && this.#client.kind !== 'pre-registered') info.issuer = stamp;
    return info;
  }

  #chooseClient(): Promise<ClientChoice | undefined> {
    const { profile, redirectUrl } = this.#ready();
    return chooseClient({
      clientMetadataUrl: this.clientMetadataUrl,
      issuer: this.#discovery.issuer,
      metadata: this.#discovery.metadata,
      profile,
      redirectUrl,
      preRegistered: this.#options.preRegistered,
      preRegisteredIssuer: this.#preRegisteredIssuer,
      signer: this.#options.signer,
      store: this.#store,
    });
  }

  /**
   * Stores a Dynamic Client Registration (bound to its server); the CIMD identity is never stored.
   * `ctx` is SDK 2.x's issuer context, used when this provider has not seen the discovery.
   */
  async saveClientInformation(info: ClientInformationLike, ctx?: IssuerContext): Promise<void> {
    if (info.client_id === this.clientMetadataUrl) return;
    const pre = this.#options.preRegistered;
    if (pre !== undefined && info.client_id === pre.clientId) {
      this.#preRegisteredIssuer ??= info.issuer;
      return;
    }
    // SEP-2352: keyed by the validated issuer of the server it was made at (the SDK's stamp only
    // when discovery is not known here).
    const issuer = this.#discovery.issuer ?? ctx?.issuer ?? info.issuer;
    const record = await storeRegistration(this.#store, this.clientMetadataUrl, issuer, info);
    this.#client = { kind: 'registered', info: record };
  }

  #binding(issuer = this.#discovery.issuer): TokenBinding {
    return {
      clientMetadataUrl: this.clientMetadataUrl,
      resource: this.#server.require(),
      issuer,
      clientId: this.#client?.info.client_id,
    };
  }

  /** The tokens of this MCP server, from its authorization server, for the current client. */
  async tokens(ctx?: IssuerContext): Promise<OAuthTokensLike | undefined> {
    // Unbound: nothing is known yet; the server's 401 leads to auth(), which binds.
    if (this.#server.resource === undefined) return undefined;
    const tokens = await loadTokens(this.#store, this.#binding());
    const stamp = this.#discovery.stamp(ctx);
    return tokens === undefined || stamp === undefined ? tokens : { ...tokens, issuer: stamp };
  }

  /**
   * Stores tokens under (issuer, MCP server, client id) and remembers that binding for the next
   * run. `ctx` is SDK 2.x's issuer context, used when this provider has not seen the discovery.
   */
  async saveTokens(tokens: OAuthTokensLike, ctx?: IssuerContext): Promise<void> {
    await saveTokensFor(
      this.#store,
      this.#binding(this.#discovery.issuer ?? ctx?.issuer ?? tokens.issuer),
      tokens,
    );
  }

  /**
   * Keeps the PKCE verifier of the sign-in in memory, with the validated issuer of the server it
   * was made for (SEP-2468): the callback's `iss` is compared with that issuer, not with whatever
   * the discovery says by the time the callback arrives.
   */
  saveCodeVerifier(codeVerifier: string): void {
    this.#signIn.saveVerifier(codeVerifier, this.#discovery.state);
  }

  /** The issuer stored with the PKCE verifier of the sign-in under way (undefined before one starts). */
  get signInIssuer(): string | undefined {
    return this.#signIn.issuer;
  }

  /** The PKCE verifier of the sign-in under way. */
  codeVerifier(): string {
    return this.#signIn.verifier();
  }

  /**
   * Starts the sign-in: checks the authorization URL (https, PKCE S256 advertised, this
   * provider's `state`, a redirect URI the document allows), opens the loopback listener, then
   * hands the URL to the browser, stderr or the caller's function. Await the code with
   * {@link waitForAuthorizationCode}.
   *
   * @throws SignInError before any URL is handed out when a check fails.
   */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    await this.prepare();
    const metadata = this.#discovery.metadata;
    this.lastRequestedScope = await this.#signIn.start(
      authorizationUrl,
      {
        ...this.#ready(),
        resource: this.#server.require(),
        metadata,
        discoveryUrl: this.#discovery.state?.authorizationServerUrl,
      },
      this.#options,
    );
  }

  /** True while a sign-in waits for its callback. */
  get signInPending(): boolean {
    return this.#signIn.waiting;
  }

  /**
   * Waits for the callback of the sign-in started by {@link redirectToAuthorization} and returns
   * its authorization code (state and issuer already checked); the listener is then closed.
   *
   * @throws SignInError for a refused callback, a timeout or when no sign-in is waiting.
   */
  async waitForAuthorizationCode(): Promise<string> {
    return (await this.waitForAuthorizationResponse()).code;
  }

  /**
   * Like {@link waitForAuthorizationCode}, with the callback's `iss` too (already checked): pass
   * it on to SDK 2.x's `auth({ authorizationCode, iss })`, which checks it again.
   */
  waitForAuthorizationResponse(): Promise<{ code: string; iss?: string }> {
    return this.#signIn.waitForCallback();
  }

  /** Closes the loopback listener of a sign-in that is still waiting (it fails with `ERR_SIGNIN_CANCELLED`). */
  cancelSignIn(): Promise<void> {
    return this.#signIn.cancel();
  }

  /**
   * Token-endpoint client authentication (code exchange and refresh). A CIMD client uses its
   * document's method: `private_key_jwt` (only when the server lists it; `aud` = the server's
   * issuer) or `none`. A pre-registered or DCR client uses its registered method.
   */
  readonly addClientAuthentication = (
    headers: Headers,
    params: URLSearchParams,
    _url: string | URL,
    metadata?: AuthorizationServerMetadataLike,
  ): Promise<void> =>
    authenticateClient(
      {
        client: this.#client,
        profile: this.#ready().profile,
        signer: this.#options.signer,
        preRegistered: this.#options.preRegistered,
        metadata: metadata ?? this.#discovery.metadata,
      },
      headers,
      params,
    );

  /** True when the provider asks for DPoP-bound tokens (the `dpop` option). */
  get dpopEnabled(): boolean {
    return this.#options.dpop === true;
  }

  /**
   * The fetch for the MCP SDK's transport and its OAuth requests when `dpop` is on (`connect`
   * uses it): DPoP proofs at the token endpoint, `Authorization: DPoP` with a fresh proof for a
   * token issued as `token_type: DPoP`, and one retry on `use_dpop_nonce` (RFC 9449). The key is
   * the token store's, generated on first use and kept there (`dpop:key`); a request that already
   * carries a proof (SDK 2.x's own, from {@link dpop}) passes through.
   */
  dpopFetch(base?: DpopFetchLike): DpopFetchLike {
    return this.#dpop.fetch(base);
  }

  /**
   * SDK 2.x's DPoP hook: with `dpop: true`, the session its `auth()` signs token requests with and
   * its transports present `token_type: DPoP` tokens with (a fresh proof per request, nonce
   * retries); undefined (plain Bearer) otherwise. The same key and nonces as {@link dpopFetch}:
   * the token store's key, so one key per store. Structurally the SDK's `DpopSession`.
   */
  dpop(): Promise<DpopSessionLike | undefined> {
    return this.dpopEnabled ? this.#dpop.session() : Promise.resolve(undefined);
  }

  /**
   * SDK 2.x's grant hook, called before each code exchange: refuses an exchange at another
   * authorization server than the one the sign-in was started at (SEP-2468, checked by its
   * validated issuer), then leaves the parameters to the SDK (undefined: `authorization_code`
   * with the code, this sign-in's PKCE verifier and this provider's redirect URI). This provider
   * has no non-interactive grant of its own: agents use `connect({ grant: 'client_credentials' })`
   * or `signInWithIdJag` (enterprise-managed authorization).
   *
   * @throws SignInError `ERR_SIGNIN_ISSUER_MISMATCH` when the discovery moved to another issuer
   *   since the sign-in started; `ERR_SIGNIN_FAILED` when no sign-in was started.
   */
  prepareTokenRequest(_scope?: string): undefined {
    this.#signIn.assertExchangeAt(this.#discovery.metadata?.issuer);
    return undefined;
  }

  /**
   * Forgets what the server says is no longer valid: tokens, the registration, the verifier, the
   * discovery. `all` keeps the PKCE verifier: on `invalid_client` the SDK invalidates everything
   * and retries the code exchange with the same code, which needs the verifier of the sign-in the
   * code came from (without it the retry fails with "no PKCE verifier" and the server's reason is
   * lost). A new sign-in replaces the verifier anyway.
   */
  async invalidateCredentials(scope: InvalidationScope): Promise<void> {
    if (this.#server.resource !== undefined)
      await forgetStored(this.#store, this.#binding(), {
        tokens: scope === 'all' || scope === 'tokens',
        registration: (scope === 'all' || scope === 'client') && this.#client?.kind === 'registered',
        session: scope === 'all',
      });
    if (scope === 'all') this.#preRegisteredIssuer = undefined;
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'verifier') this.#signIn.forgetVerifier();
    if (scope === 'all' || scope === 'discovery') {
      this.#discovery.clear();
      this.#client = undefined;
    }
  }
}
