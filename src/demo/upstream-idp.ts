/**
 * A real OpenID Connect provider on loopback (panva's `oidc-provider`, a devDependency), standing
 * in for the upstream identity provider our authorization server proxies to: in tests and in the
 * `--upstream-demo`. One confidential client is registered (the proxy, whose redirect URI is
 * `<issuer>/upstream/callback`); sign-in goes through oidc-provider's development interactions
 * (a login form where any login name signs in as that account id, then a consent page unless
 * `autoConsent` is set). A small HTTP front can delay every request or take the provider down, so
 * tests can exercise slow and unavailable upstreams.
 *
 * `oidc-provider` is loaded lazily (it is not a runtime dependency of the package, and ships no
 * types: the few members used here are typed locally).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export {
  completeUpstreamLogin,
  UPSTREAM_LOGIN_FORM,
  type UpstreamLoginOptions,
} from './upstream-idp-login.js';

/** How the proxy authenticates to the upstream token endpoint. */
export type UpstreamClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** An account the upstream knows, with the claims its userinfo endpoint releases. */
export interface UpstreamAccount {
  /** The login name typed into the dev login form; also the `sub` claim. */
  accountId: string;
  /** Released as `email` under the `email` scope. */
  email?: string;
  /** Released as `email_verified` under the `email` scope. Default `true` when `email` is set. */
  emailVerified?: boolean;
  /** Released as `name` under the `profile` scope. */
  name?: string;
}

/** Options of {@link startUpstreamIdp}. */
export interface UpstreamIdpOptions {
  /** The proxy's redirect URIs at this provider (`<issuer>/upstream/callback`). Exact match. */
  redirectUris: string[];
  /** TCP port; `0` (the default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`; the issuer is `http://<host>:<port>`. */
  host?: string;
  /** The registered client's id. Default: a random `upstream-client-…`. */
  clientId?: string;
  /** The client's secret (not used with `private_key_jwt`). Default: 32 random bytes, base64url. */
  clientSecret?: string;
  /** Token endpoint authentication of the client. Default `client_secret_basic`. */
  clientAuthMethod?: UpstreamClientAuthMethod;
  /** The client's PUBLIC keys; required with `private_key_jwt`. */
  jwks?: { keys: JWK[] };
  /** Known accounts. Default: one demo account, `demo-user`. Unknown login names sign in too, with `sub` only. */
  accounts?: UpstreamAccount[];
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime in seconds. Default 14 days. */
  refreshTokenTtlSeconds?: number;
  /** Issue a new refresh token on every refresh (Entra-like) instead of reusing it (Google-like). Default `true`. */
  rotateRefreshTokens?: boolean;
  /** Grant every requested scope and claim to our client without the consent page. Default `false`. */
  autoConsent?: boolean;
  /** Delay in milliseconds before every request is handled. Default 0; see {@link UpstreamIdp.setDelay}. */
  delayMs?: number;
  /** Keep oidc-provider's development warnings and notices on the console. Default `false`. */
  verbose?: boolean;
}

/** A running upstream provider. */
export interface UpstreamIdp {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  issuer: string;
  /** `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl: string;
  clientId: string;
  /** The client secret; `undefined` with `private_key_jwt`. */
  clientSecret: string | undefined;
  clientAuthMethod: UpstreamClientAuthMethod;
  accounts: readonly UpstreamAccount[];
  /** Every request received, in order (method and path with query), including refused ones. */
  requests: { method: string; path: string }[];
  /** Delays every later request by `ms` milliseconds (0 turns it off). */
  setDelay(ms: number): void;
  /**
   * Takes the provider down (`true`) or back up. While down, every request gets a 503
   * (`how: 'unavailable'`, the default) or has its connection reset (`how: 'reset'`).
   */
  setDown(down: boolean, how?: 'unavailable' | 'reset'): void;
  /** Stops listening and destroys every open connection (pending delayed requests included). */
  close(): Promise<void>;
}

/** The default account: `demo-user`, `demo-user@example.com`, "Demo User", email verified. */
export const DEFAULT_UPSTREAM_ACCOUNT: UpstreamAccount = {
  accountId: 'demo-user',
  email: 'demo-user@example.com',
  emailVerified: true,
  name: 'Demo User',
};

// The few members of oidc-provider used here (it ships no type declarations).
interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}
interface OidcContext {
  oidc: {
    client: { clientId: string };
    session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    requestParamOIDCScopes: Set<string>;
    requestParamClaims: Set<string>;
  };
}
interface OidcProvider {
  Grant: {
    new (init: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

const OIDC_PROVIDER = 'oidc-provider';
const OIDC_MEMORY_ADAPTER = 'oidc-provider/lib/adapters/memory_adapter.js';

/**
 * oidc-provider prints development warnings and notices with `console.warn`/`console.info` (on
 * import under Node 20, on construction with dev interactions, on first use of each default
 * hook). While any quiet provider runs, lines carrying its prefix are dropped; nothing else is.
 */
let quietUsers = 0;
let restoreConsole: (() => void) | undefined;
const OIDC_NOTICE = /oidc-provider (WARNING|NOTICE):/;

function quietConsole(): () => void {
  if (quietUsers++ === 0) {
    const { warn, info } = console;
    const filter =
      (print: (...args: unknown[]) => void) =>
      (...args: unknown[]): void => {
        if (typeof args[0] === 'string' && OIDC_NOTICE.test(args[0])) return;
        print.apply(console, args);
      };
    console.warn = filter(warn);
    console.info = filter(info);
    restoreConsole = () => {
      console.warn = warn;
      console.info = info;
    };
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--quietUsers === 0) restoreConsole?.();
  };
}

/** The claims of `accountId` (unknown ids get `sub` only). */
function claimsOf(accounts: Map<string, UpstreamAccount>, accountId: string): Record<string, unknown> {
  const account = accounts.get(accountId);
  const claims: Record<string, unknown> = { sub: accountId, preferred_username: accountId };
  if (account?.email !== undefined) {
    claims.email = account.email;
    claims.email_verified = account.emailVerified ?? true;
  }
  if (account?.name !== undefined) claims.name = account.name;
  return claims;
}

/** Auto-consent: the existing grant (or a new one) extended with everything our client asks for. */
function autoConsentGrant(provider: () => OidcProvider, clientId: string) {
  return async (ctx: OidcContext): Promise<OidcGrant | undefined> => {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
    const existing = grantId ? await provider().Grant.find(grantId) : undefined;
    const accountId = oidc.session.accountId;
    if (oidc.client.clientId !== clientId || accountId === undefined) return existing;
    const grant = existing ?? new (provider().Grant)({ accountId, clientId });
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    grant.addOIDCClaims([...oidc.requestParamClaims]);
    await grant.save();
    return grant;
  };
}

/** The OIDC issuer URL for a listening address. */
function issuerFor(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Starts an OpenID Connect provider on loopback with one confidential client (authorization code
 * + refresh token, PKCE S256 required, RFC 9207 `iss` in authorization responses, userinfo with the
 * `email` and `profile` claims, refresh tokens without `offline_access`).
 *
 * @example
 * ```ts
 * const idp = await startUpstreamIdp({ redirectUris: [`${issuer}/upstream/callback`] });
 * // … configure the proxy with idp.issuer, idp.clientId, idp.clientSecret …
 * await idp.close();
 * ```
 */
export async function startUpstreamIdp(options: UpstreamIdpOptions): Promise<UpstreamIdp> {
  const host = options.host ?? '127.0.0.1';
  const clientAuthMethod = options.clientAuthMethod ?? 'client_secret_basic';
  if (clientAuthMethod === 'private_key_jwt' && !options.jwks?.keys.length) {
    throw new TypeError('startUpstreamIdp: clientAuthMethod private_key_jwt needs `jwks` (the public keys)');
  }
  if (options.redirectUris.length === 0) {
    throw new TypeError('startUpstreamIdp: `redirectUris` must list at least one URI');
  }
  const clientId = options.clientId ?? `upstream-client-${randomUUID()}`;
  const clientSecret =
    clientAuthMethod === 'private_key_jwt'
      ? undefined
      : (options.clientSecret ?? randomBytes(32).toString('base64url'));
  const accounts = options.accounts ?? [DEFAULT_UPSTREAM_ACCOUNT];
  const accountsById = new Map(accounts.map((account) => [account.accountId, account]));
  const release = options.verbose ? () => {} : quietConsole();

  let delayMs = options.delayMs ?? 0;
  let down: false | 'unavailable' | 'reset' = false;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const requests: { method: string; path: string }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
    if (down === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (down === 'unavailable' || !handler) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1', connection: 'close' });
      res.end('upstream identity provider unavailable\n');
      return;
    }
    const handle = handler;
    if (delayMs <= 0) return handle(req, res);
    const timer = setTimeout(() => {
      timers.delete(timer);
      handle(req, res);
    }, delayMs);
    timers.add(timer);
  });

  try {
    server.listen(options.port ?? 0, host);
    await once(server, 'listening');
    const issuer = issuerFor(host, (server.address() as AddressInfo).port);

    const [{ default: Provider }, { createMemoryAdapter }, { privateKey }] = await Promise.all([
      import(OIDC_PROVIDER) as Promise<{ default: ProviderConstructor }>,
      import(OIDC_MEMORY_ADAPTER) as Promise<{ createMemoryAdapter(): unknown }>,
      generateKeyPair('RS256', { extractable: true }),
    ]);
    const signingKey = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
    const client: Record<string, unknown> = {
      client_id: clientId,
      redirect_uris: options.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: clientAuthMethod,
      ...(clientSecret === undefined ? { jwks: options.jwks } : { client_secret: clientSecret }),
    };
    const rotate = options.rotateRefreshTokens ?? true;
    let provider: OidcProvider | undefined;
    const configuration: Record<string, unknown> = {
      adapter: createMemoryAdapter(),
      clients: [client],
      responseTypes: ['code'],
      jwks: { keys: [signingKey] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
      },
      findAccount: (_ctx: unknown, sub: string) => ({
        accountId: sub,
        claims: () => claimsOf(accountsById, sub),
      }),
      features: {
        devInteractions: { enabled: true },
        userinfo: { enabled: true },
        revocation: { enabled: true },
      },
      pkce: { required: () => true },
      // Refresh tokens for any client allowed the refresh_token grant, without `offline_access`
      // (oidc-provider drops that scope unless `prompt=consent` is requested), valid past the session.
      issueRefreshToken: async (_ctx: unknown, c: { grantTypeAllowed(type: string): boolean }) =>
        c.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      rotateRefreshToken: () => rotate,
      clientBasedCORS: () => false,
      ttl: {
        AccessToken: options.accessTokenTtlSeconds ?? 3600,
        AuthorizationCode: 60,
        IdToken: 3600,
        RefreshToken: options.refreshTokenTtlSeconds ?? 14 * 24 * 3600,
        Interaction: 3600,
        Session: 14 * 24 * 3600,
        Grant: 14 * 24 * 3600,
      },
      ...(options.autoConsent ? { loadExistingGrant: autoConsentGrant(() => provider!, clientId) } : {}),
    };
    provider = new Provider(issuer, configuration);
    handler = provider.callback();

    let closed = false;
    return {
      issuer,
      discoveryUrl: `${issuer}/.well-known/openid-configuration`,
      clientId,
      clientSecret,
      clientAuthMethod,
      accounts,
      requests,
      setDelay(ms: number) {
        delayMs = Math.max(0, ms);
      },
      setDown(isDown: boolean, how: 'unavailable' | 'reset' = 'unavailable') {
        down = isDown ? how : false;
      },
      async close() {
        if (closed) return;
        closed = true;
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }

  async function stop(): Promise<void> {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    const stopped = server.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : undefined;
    server.closeAllConnections();
    await stopped;
    release();
  }
}
