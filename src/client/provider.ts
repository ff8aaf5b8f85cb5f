/**
 * The CIMD client provider: an `OAuthClientProvider` for `@modelcontextprotocol/sdk` (written
 * structurally; this module never imports the SDK). The SDK's `auth()` drives discovery, PKCE
 * and the token requests; the provider supplies the identity (pre-registered, else the document
 * URL when the server supports CIMD, else Dynamic Client Registration: MCP-C-10), the loopback
 * redirect, `state`, storage bound to (issuer, MCP server, client id), and client authentication.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { checkClientIdUrl } from '../document/client-id-url.js';
import { CimdError } from '../errors.js';
import { assertOpenableUrl, deliverAuthorizationUrl } from './browser.js';
import {
  applyClientAuthentication,
  assertPrivateKeyJwtSupported,
  type ClientAssertionSigner,
  selectRegisteredClientMethod,
  signerAlgorithm,
  type TokenEndpointAuthMethod,
  toAssertionSigner,
} from './client-auth.js';
import {
  applicationTypeFor,
  type ClientProfile,
  profileFromDocument,
  profileFromOptions,
} from './client-profile.js';
import { createDpopClientFetch, type DpopFetchLike, type DpopKeyPair, loadDpopKeyPair } from './dpop.js';
import { SignInError } from './errors.js';
import { fetchClientDocument } from './fetch-document.js';
import { findFreeLoopbackPort, type LoopbackListener, startLoopbackListener } from './loopback.js';
import type {
  AuthorizationServerMetadataLike,
  ClientInformationLike,
  DiscoveryStateLike,
  InvalidationScope,
  OAuthTokensLike,
  RegistrationMetadataLike,
} from './oauth-types.js';
import {
  adjustOfflineAccess,
  assertMetadataIssuer,
  assertResourceMatches,
  checkPreRegistered,
  checkSigner,
  resourceOf,
  sameServer,
} from './provider-checks.js';
import type { CimdClientProviderOptions } from './provider-options.js';
import { assertRedirectAllowed, chooseLoopbackRedirect, type LoopbackRedirect } from './redirect.js';
import { readRegistration, readSession, readTokens, registrationExpired } from './stored-records.js';
import { MemoryTokenStore, registrationKey, sessionKey, type TokenStore, tokensKey } from './token-store.js';

export { resourceAllowed } from './provider-checks.js';

/** How the client is identified to the current authorization server. */
type ClientChoice =
  | { kind: 'pre-registered'; info: ClientInformationLike }
  | { kind: 'cimd'; info: ClientInformationLike }
  | { kind: 'registered'; info: ClientInformationLike };

/** What `prepare()` settles: the profile and the runtime redirect. */
interface Prepared {
  profile: ClientProfile;
  loopback: LoopbackRedirect;
  redirectUrl: string;
}

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
  readonly #resource: string;
  readonly #signer: ClientAssertionSigner | undefined;
  #profile: ClientProfile | undefined;
  #prepared: Prepared | undefined;
  #preparing: Promise<Prepared> | undefined;
  #discovery: DiscoveryStateLike | undefined;
  #client: ClientChoice | undefined;
  #preRegisteredIssuer: string | undefined;
  #codeVerifier: string | undefined;
  #verifierIssuer:
    | { issuer: string | undefined; discoveryUrl: string | undefined; issRequired: boolean }
    | undefined;
  #state: string | undefined;
  #pending: LoopbackListener | undefined;
  #dpopKey: Promise<DpopKeyPair> | undefined;

  /**
   * Checks the options. With `document` or `redirectUris`, the redirect URIs are checked here: a
   * document without a loopback redirect URI is refused before anything else happens.
   *
   * @throws CimdError `ERR_CIMD_INVALID_CLIENT_ID` for an invalid `clientMetadataUrl` (CIMD-URL-01..09).
   * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` / `ERR_SIGNIN_REDIRECT_URI` for unusable options.
   */
  constructor(options: CimdClientProviderOptions) {
    const problems = checkClientIdUrl(options.clientMetadataUrl, {
      allowPrivateNetwork: options.allowPrivateNetwork === true,
    }).filter((finding) => finding.severity === 'error');
    if (problems.length > 0) {
      throw new CimdError(
        'ERR_CIMD_INVALID_CLIENT_ID',
        `clientMetadataUrl cannot be a CIMD client_id: ${problems.map((finding) => `${finding.message} (${finding.id})`).join(' ')}`,
      );
    }
    if (options.document !== undefined && options.redirectUris !== undefined) {
      throw new SignInError(
        'ERR_SIGNIN_CLIENT_CONFIG',
        'pass either the document or its redirect URIs, not both (the document’s redirect_uris are the ones that count).',
      );
    }
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.#options = options;
    this.#store = options.store ?? new MemoryTokenStore();
    this.#resource = resourceOf(options.serverUrl);
    this.#signer = options.signer === undefined ? undefined : toAssertionSigner(options.signer);
    checkPreRegistered(options.preRegistered, options.signer);
    if (options.document !== undefined) {
      this.#profile = profileFromDocument(options.clientMetadataUrl, options.document);
    } else if (options.redirectUris !== undefined) {
      const profileOptions: Parameters<typeof profileFromOptions>[1] = { redirectUris: options.redirectUris };
      if (options.tokenEndpointAuthMethod !== undefined)
        profileOptions.tokenEndpointAuthMethod = options.tokenEndpointAuthMethod;
      if (options.clientName !== undefined) profileOptions.clientName = options.clientName;
      if (options.scope !== undefined) profileOptions.scope = options.scope;
      this.#profile = profileFromOptions(options.clientMetadataUrl, profileOptions);
    }
    if (this.#profile !== undefined) {
      checkSigner(this.#profile, options.signer);
      chooseLoopbackRedirect(this.#profile.redirectUris);
    }
  }

  /**
   * Loads the document when needed (once, SSRF-safe), chooses the loopback redirect URI and a
   * free port, and checks the runtime redirect URI against the document. Idempotent; the SDK
   * hooks call it, so calling it yourself only makes errors surface earlier.
   */
  prepare(): Promise<void> {
    if (this.#prepared !== undefined) return Promise.resolve();
    this.#preparing ??= this.#prepare().then(
      (prepared) => {
        this.#prepared = prepared;
        return prepared;
      },
      (error: unknown) => {
        this.#preparing = undefined;
        throw error;
      },
    );
    return this.#preparing.then(() => {});
  }

  async #prepare(): Promise<Prepared> {
    let profile = this.#profile;
    if (profile === undefined) {
      const fetchOptions = {
        ...this.#options.fetchOptions,
        allowPrivateNetwork: this.#options.allowPrivateNetwork === true,
      };
      profile = profileFromDocument(
        this.clientMetadataUrl,
        await fetchClientDocument(this.clientMetadataUrl, fetchOptions),
      );
      checkSigner(profile, this.#options.signer);
      this.#profile = profile;
    }
    const loopback = chooseLoopbackRedirect(profile.redirectUris);
    const port = this.#options.callbackPort ?? (await findFreeLoopbackPort(loopback.host));
    const redirectUrl = loopback.uriFor(port);
    assertRedirectAllowed(redirectUrl, profile.redirectUris);
    return { profile, loopback, redirectUrl };
  }

  #ready(): Prepared {
    if (this.#prepared === undefined) {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        'the provider is not prepared; await provider.prepare() first.',
      );
    }
    return this.#prepared;
  }

  /** The runtime loopback redirect URI (the document's, with the chosen port). */
  get redirectUrl(): string {
    return this.#ready().redirectUrl;
  }

  /** The registration body of a Dynamic Client Registration, consistent with the document. */
  get clientMetadata(): RegistrationMetadataLike {
    const { profile, redirectUrl } = this.#ready();
    // SEP-837: every registration names its application_type (the document's, else derived).
    return {
      ...profile.registration,
      application_type: profile.registration.application_type ?? applicationTypeFor([redirectUrl]),
      redirect_uris: [redirectUrl],
    };
  }

  /** A fresh `state` (32 bytes from the CSPRNG) for each authorization request. */
  state(): string {
    this.#state = randomBytes(32).toString('base64url');
    return this.#state;
  }

  /** The discovery of this session (never persisted: a newly advertised CIMD flag or a moved server is seen on the next run). */
  async discoveryState(): Promise<DiscoveryStateLike | undefined> {
    await this.prepare();
    return this.#discovery;
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
    assertMetadataIssuer(state);
    if (
      this.#discovery !== undefined &&
      !sameServer(this.#discovery.authorizationServerUrl, state.authorizationServerUrl)
    ) {
      this.#client = undefined;
    }
    this.#discovery = state;
  }

  /**
   * The authorization server's issuer: the validated metadata `issuer` (SEP-2352: the key of
   * every credential), else the URL discovery used when the server publishes no metadata.
   */
  #issuer(): string | undefined {
    if (this.#discovery === undefined) return undefined;
    return (
      this.#discovery.authorizationServerMetadata?.issuer ?? String(this.#discovery.authorizationServerUrl)
    );
  }

  #metadata(): AuthorizationServerMetadataLike | undefined {
    return this.#discovery?.authorizationServerMetadata;
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
  async clientInformation(ctx?: { issuer: string }): Promise<ClientInformationLike | undefined> {
    await this.prepare();
    this.#client = await this.#chooseClient();
    if (this.#client === undefined) return undefined;
    const info = { ...this.#client.info };
    const stamp = this.#sdkStamp(ctx);
    if (stamp !== undefined && this.#client.kind !== 'pre-registered') info.issuer = stamp;
    return info;
  }

  /**
   * The issuer stamp the calling SDK compares stored credentials with: SDK 2.x passes the
   * validated metadata issuer in `ctx`; SDK 1.x compares with the URL discovery used. The store
   * itself is keyed by the validated issuer either way.
   */
  #sdkStamp(ctx: { issuer: string } | undefined): string | undefined {
    if (ctx !== undefined) return ctx.issuer;
    return this.#discovery === undefined ? undefined : String(this.#discovery.authorizationServerUrl);
  }

  async #chooseClient(): Promise<ClientChoice | undefined> {
    const issuer = this.#issuer();
    const metadata = this.#metadata();
    const { profile, redirectUrl } = this.#ready();
    const pre = this.#options.preRegistered;
    if (pre !== undefined) {
      const boundTo = pre.issuer ?? this.#preRegisteredIssuer;
      if (boundTo === undefined || issuer === undefined || sameServer(boundTo, issuer)) {
        const info: ClientInformationLike = { client_id: pre.clientId };
        if (pre.clientSecret !== undefined) info.client_secret = pre.clientSecret;
        if (boundTo !== undefined) info.issuer = boundTo;
        return { kind: 'pre-registered', info };
      }
    }
    if (metadata?.client_id_metadata_document_supported === true && issuer !== undefined) {
      if (profile.authMethod === 'private_key_jwt') {
        assertPrivateKeyJwtSupported(metadata, profile.signingAlg ?? signerAlgorithm(this.#options.signer));
      }
      return { kind: 'cimd', info: { client_id: this.clientMetadataUrl, issuer } };
    }
    if (issuer !== undefined) {
      const stored = readRegistration(await this.#store.get(registrationKey(this.clientMetadataUrl, issuer)));
      if (
        stored !== undefined &&
        stored.client_id !== this.clientMetadataUrl &&
        (stored.redirect_uris === undefined || stored.redirect_uris.includes(redirectUrl)) &&
        !registrationExpired(stored, Date.now())
      ) {
        return { kind: 'registered', info: { ...stored, issuer: stored.issuer ?? issuer } };
      }
    }
    if (metadata !== undefined) {
      if (metadata.registration_endpoint === undefined) {
        throw new SignInError(
          'ERR_SIGNIN_SERVER_UNSUPPORTED',
          `the authorization server ${metadata.issuer} supports neither Client ID Metadata Documents (client_id_metadata_document_supported) nor Dynamic Client Registration; ask its operator to enable CIMD, or configure pre-registered credentials.`,
        );
      }
      if (profile.authMethod === 'private_key_jwt') {
        assertPrivateKeyJwtSupported(metadata, profile.signingAlg ?? signerAlgorithm(this.#options.signer));
      }
    }
    return undefined;
  }

  /** Stores a Dynamic Client Registration (bound to its server); the CIMD identity is never stored. */
  async saveClientInformation(info: ClientInformationLike): Promise<void> {
    if (info.client_id === this.clientMetadataUrl) return;
    const pre = this.#options.preRegistered;
    if (pre !== undefined && info.client_id === pre.clientId) {
      this.#preRegisteredIssuer ??= info.issuer;
      return;
    }
    // SEP-2352: keyed by the validated issuer of the server it was made at (the SDK's stamp only
    // when discovery is not known here).
    const issuer = this.#issuer() ?? info.issuer;
    if (issuer === undefined) {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        'a client registration arrived before the authorization server was known.',
      );
    }
    const record: ClientInformationLike = { ...info, issuer };
    await this.#store.set(registrationKey(this.clientMetadataUrl, issuer), record);
    this.#client = { kind: 'registered', info: record };
  }

  async #tokensKey(): Promise<string | undefined> {
    let issuer = this.#issuer();
    let clientId = this.#client?.info.client_id;
    if (issuer === undefined || clientId === undefined) {
      const session = readSession(await this.#store.get(sessionKey(this.clientMetadataUrl, this.#resource)));
      if (session !== undefined && (issuer === undefined || sameServer(issuer, session.issuer))) {
        issuer ??= session.issuer;
        if (clientId === undefined && sameServer(issuer, session.issuer)) clientId = session.clientId;
      }
    }
    if (issuer === undefined || clientId === undefined) return undefined;
    return tokensKey({ issuer, resource: this.#resource, clientId });
  }

  /** The tokens of this MCP server, from its authorization server, for the current client. */
  async tokens(ctx?: { issuer: string }): Promise<OAuthTokensLike | undefined> {
    const key = await this.#tokensKey();
    const tokens = key === undefined ? undefined : readTokens(await this.#store.get(key));
    const stamp = this.#sdkStamp(ctx);
    return tokens === undefined || stamp === undefined ? tokens : { ...tokens, issuer: stamp };
  }

  /** Stores tokens under (issuer, MCP server, client id) and remembers that binding for the next run. */
  async saveTokens(tokens: OAuthTokensLike): Promise<void> {
    const issuer = this.#issuer() ?? tokens.issuer;
    const clientId = this.#client?.info.client_id;
    if (issuer === undefined || clientId === undefined) {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        'tokens arrived before the client and its authorization server were known.',
      );
    }
    await this.#store.set(tokensKey({ issuer, resource: this.#resource, clientId }), { ...tokens, issuer });
    await this.#store.set(sessionKey(this.clientMetadataUrl, this.#resource), { issuer, clientId });
  }

  /**
   * Keeps the PKCE verifier of the sign-in in memory, with the validated issuer of the server it
   * was made for (SEP-2468): the callback's `iss` is compared with that issuer, not with whatever
   * the discovery says by the time the callback arrives.
   */
  saveCodeVerifier(codeVerifier: string): void {
    this.#codeVerifier = codeVerifier;
    const metadata = this.#metadata();
    this.#verifierIssuer = {
      issuer: metadata?.issuer,
      discoveryUrl:
        this.#discovery === undefined ? undefined : String(this.#discovery.authorizationServerUrl),
      issRequired: metadata?.authorization_response_iss_parameter_supported === true,
    };
  }

  /** The issuer stored with the PKCE verifier of the sign-in under way (undefined before one starts). */
  get signInIssuer(): string | undefined {
    return this.#verifierIssuer?.issuer ?? this.#verifierIssuer?.discoveryUrl;
  }

  /** The PKCE verifier of the sign-in under way. */
  codeVerifier(): string {
    if (this.#codeVerifier === undefined) {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        'no PKCE verifier: no sign-in was started by this provider.',
      );
    }
    return this.#codeVerifier;
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
    const { profile, loopback, redirectUrl } = this.#ready();
    assertOpenableUrl(authorizationUrl);
    const metadata = this.#metadata();
    if (
      metadata !== undefined &&
      this.#options.requirePkceMetadata !== false &&
      !(metadata.code_challenge_methods_supported ?? []).includes('S256')
    ) {
      throw new SignInError(
        'ERR_SIGNIN_SERVER_UNSUPPORTED',
        `the authorization server ${metadata.issuer} does not list S256 in code_challenge_methods_supported, so PKCE cannot be relied on (MCP-C-25); the sign-in was not started.`,
      );
    }
    const requested = authorizationUrl.searchParams.get('redirect_uri') ?? '';
    if (requested !== redirectUrl) {
      throw new SignInError(
        'ERR_SIGNIN_REDIRECT_URI',
        `the authorization request names the redirect URI ${requested || '(none)'}, not this provider's ${redirectUrl}.`,
      );
    }
    assertRedirectAllowed(requested, profile.redirectUris);
    assertResourceMatches(authorizationUrl.searchParams.get('resource'), this.#resource);
    adjustOfflineAccess(authorizationUrl, metadata, profile);
    const state = authorizationUrl.searchParams.get('state');
    if (state === null || this.#state === undefined || state !== this.#state) {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        'the authorization request does not carry the state this provider generated.',
      );
    }
    this.lastRequestedScope = authorizationUrl.searchParams.get('scope') ?? undefined;
    await this.cancelSignIn();

    // RFC 9207 by the spec's table (SEP-2468), against the issuer stored with the verifier:
    // advertised + iss -> compare; advertised, no iss -> refuse; not advertised + iss -> compare;
    // neither -> proceed. Plain string comparison, no URL normalization.
    const bound = this.#verifierIssuer;
    const asUrl = bound?.discoveryUrl ?? this.#discovery?.authorizationServerUrl;
    const issuer = bound?.issuer ?? metadata?.issuer;
    const listener = await startLoopbackListener({
      host: loopback.host,
      port: Number(new URL(redirectUrl).port),
      path: loopback.path,
      state,
      issuer: issuer ?? (asUrl === undefined ? undefined : String(asUrl).replace(/\/$/, '')),
      issuerAlternatives: issuer === undefined && asUrl !== undefined ? [String(asUrl)] : [],
      issuerRequired: bound?.issRequired ?? metadata?.authorization_response_iss_parameter_supported === true,
      ...(this.#options.callbackTimeoutMs === undefined
        ? {}
        : { timeoutMs: this.#options.callbackTimeoutMs }),
    });
    this.#pending = listener;
    try {
      await deliverAuthorizationUrl(
        authorizationUrl,
        this.#options.onAuthorizationUrl ?? 'browser',
        this.#options.messages ?? process.stderr,
      );
    } catch (error) {
      await this.cancelSignIn();
      throw error;
    }
  }

  /** True while a sign-in waits for its callback. */
  get signInPending(): boolean {
    return this.#pending !== undefined;
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
  async waitForAuthorizationResponse(): Promise<{ code: string; iss?: string }> {
    const listener = this.#pending;
    if (listener === undefined) {
      throw new SignInError('ERR_SIGNIN_FAILED', 'no sign-in is waiting for a callback.');
    }
    try {
      const { code, iss } = await listener.result;
      return iss === undefined ? { code } : { code, iss };
    } finally {
      if (this.#pending === listener) this.#pending = undefined;
      await listener.close();
    }
  }

  /** Closes the loopback listener of a sign-in that is still waiting (it fails with `ERR_SIGNIN_CANCELLED`). */
  async cancelSignIn(): Promise<void> {
    const listener = this.#pending;
    this.#pending = undefined;
    await listener?.close();
  }

  /**
   * Token-endpoint client authentication (code exchange and refresh). A CIMD client uses its
   * document's method: `private_key_jwt` (only when the server lists it; `aud` = the server's
   * issuer) or `none`. A pre-registered or DCR client uses its registered method.
   */
  readonly addClientAuthentication = async (
    headers: Headers,
    params: URLSearchParams,
    _url: string | URL,
    metadata?: AuthorizationServerMetadataLike,
  ): Promise<void> => {
    const client = this.#client;
    if (client === undefined) {
      throw new SignInError('ERR_SIGNIN_FAILED', 'a token request started before the client was chosen.');
    }
    const serverMetadata = metadata ?? this.#metadata();
    const supported = serverMetadata?.token_endpoint_auth_methods_supported;
    let method: TokenEndpointAuthMethod;
    if (client.kind === 'cimd') {
      method = this.#ready().profile.authMethod;
      if (method === 'private_key_jwt') {
        assertPrivateKeyJwtSupported(
          serverMetadata,
          this.#ready().profile.signingAlg ?? signerAlgorithm(this.#options.signer),
        );
      }
    } else {
      const declared =
        client.kind === 'pre-registered'
          ? this.#options.preRegistered?.tokenEndpointAuthMethod
          : client.info.token_endpoint_auth_method;
      method = selectRegisteredClientMethod({
        declared,
        hasSecret: client.info.client_secret !== undefined,
        supported,
      });
    }
    await applyClientAuthentication(
      {
        method,
        clientId: client.info.client_id,
        clientSecret: client.info.client_secret,
        signer: this.#signer,
        audience: serverMetadata?.issuer,
      },
      headers,
      params,
    );
  };

  /** True when the provider asks for DPoP-bound tokens (the `dpop` option). */
  get dpopEnabled(): boolean {
    return this.#options.dpop === true;
  }

  /**
   * The fetch for the MCP SDK's transport and its OAuth requests when `dpop` is on (`connect`
   * uses it): DPoP proofs at the token endpoint, `Authorization: DPoP` with a fresh proof for a
   * token issued as `token_type: DPoP`, and one retry on `use_dpop_nonce` (RFC 9449). The key is
   * the token store's, generated on first use and kept there (`dpop:key`).
   */
  dpopFetch(base?: DpopFetchLike): DpopFetchLike {
    this.#dpopKey ??= loadDpopKeyPair(this.#store);
    return createDpopClientFetch({
      keyPair: this.#dpopKey,
      isBound: async (token) => {
        const tokens = await this.tokens();
        return tokens?.access_token === token && tokens.token_type.toLowerCase() === 'dpop';
      },
      ...(base === undefined ? {} : { fetch: base }),
    });
  }

  /**
   * Forgets what the server says is no longer valid: tokens, the registration, the verifier, the
   * discovery. `all` keeps the PKCE verifier: on `invalid_client` the SDK invalidates everything
   * and retries the code exchange with the same code, which needs the verifier of the sign-in the
   * code came from (without it the retry fails with "no PKCE verifier" and the server's reason is
   * lost). A new sign-in replaces the verifier anyway.
   */
  async invalidateCredentials(scope: InvalidationScope): Promise<void> {
    const tokens = scope === 'all' || scope === 'tokens' ? await this.#tokensKey() : undefined;
    if (tokens !== undefined) await this.#store.delete(tokens);
    const issuer = this.#issuer();
    if (
      (scope === 'all' || scope === 'client') &&
      this.#client?.kind === 'registered' &&
      issuer !== undefined
    ) {
      await this.#store.delete(registrationKey(this.clientMetadataUrl, issuer));
    }
    if (scope === 'all') {
      await this.#store.delete(sessionKey(this.clientMetadataUrl, this.#resource));
      this.#preRegisteredIssuer = undefined;
    }
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'verifier') this.#codeVerifier = undefined;
    if (scope === 'all' || scope === 'discovery') {
      this.#discovery = undefined;
      this.#client = undefined;
    }
  }
}
