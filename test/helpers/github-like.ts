/**
 * A local stand-in for GitHub, laid out like GitHub Enterprise Server under one base URL (OAuth at
 * `<base>/login/oauth/*`, REST at `<base>/api/v3/*`), so our GitHub preset configured with an
 * enterprise host of `http://127.0.0.1:<port>` talks to it as it would to a real instance.
 *
 * It follows GitHub's documented OAuth app web flow and REST shapes: the authorize step signs the
 * configured current user in at once (no page) and redirects back with `code` and `state` (no
 * `iss`: GitHub does not send one), or with `error=access_denied` when the user "cancels"; the token
 * endpoint answers errors with HTTP 200 and an `error` body, honours `Accept`, checks the client
 * secret and the PKCE verifier (S256 only), and codes are single use; the API checks OAuth scopes
 * the way GitHub does (`/user/emails` needs `user:email` or `user`, else 404; `/user/orgs` needs
 * `read:org` or broader, else 403) and rejects requests without a `User-Agent`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { type Context, Hono } from 'hono';

/** A GitHub user as this server knows it. */
export interface GithubLikeUser {
  login: string;
  id: number;
  name?: string | null;
  /** The PUBLIC profile email shown by `/user` (`null`, the default, when the user keeps it private). */
  email?: string | null;
  /** What `/user/emails` lists. Default: one primary, verified, private `<login>@example.com`. */
  emails?: { email: string; primary: boolean; verified: boolean; visibility: 'public' | 'private' | null }[];
  /** Organisation memberships, listed by `/user/orgs`. Default none. */
  orgs?: { login: string; id: number; description?: string | null }[];
}

/** Options of {@link startGithubLike}. */
export interface GithubLikeOptions {
  /** The OAuth app's client id. Default: a random `Ov23li…`. */
  clientId?: string;
  /** The OAuth app's client secret. Default: 40 random hex digits. */
  clientSecret?: string;
  /** Known users. Default: {@link DEFAULT_GITHUB_USER}. */
  users?: GithubLikeUser[];
  /** Login of the user "signed in to GitHub" in the browser. Default: the first user. */
  currentUser?: string;
  /**
   * The app's registered authorization callback URL. When set, `redirect_uri` must have its scheme
   * and host (and port, unless loopback) and a path equal to or under its path, as GitHub checks;
   * a missing `redirect_uri` means this URL. Default: any `redirect_uri` is accepted.
   */
  callbackUrl?: string;
  /** Lifetime of authorization codes in seconds. Default 600 (GitHub's ten minutes). */
  codeTtlSeconds?: number;
}

/** One request received, for assertions. */
export interface GithubLikeRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  /** Parsed body parameters of the token request (form or JSON), else `undefined`. */
  body: Record<string, string> | undefined;
  accept: string | undefined;
  authorization: string | undefined;
}

/** A running GitHub-like server. */
export interface GithubLike {
  /** `http://127.0.0.1:<port>`: the "enterprise host". */
  baseUrl: string;
  /** `<baseUrl>/api/v3`. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** Every request received, in order. */
  requests: GithubLikeRequest[];
  /** Switches the user signed in at the next authorization. Throws for an unknown login. */
  setCurrentUser(login: string): void;
  /** While `true`, the user "clicks Cancel": authorizations end with `error=access_denied`. */
  setDeny(deny: boolean): void;
  /** Revokes every access token issued so far (the API then answers 401 "Bad credentials"). */
  revokeTokens(): void;
  close(): Promise<void>;
}

/** The default user: `octo-demo` (id 1001), private email, member of `demo-org`. */
export const DEFAULT_GITHUB_USER: GithubLikeUser = {
  login: 'octo-demo',
  id: 1001,
  name: 'Octo Demo',
  email: null,
  emails: [
    { email: 'octo-demo@example.com', primary: true, verified: true, visibility: 'private' },
    { email: '1001+octo-demo@users.noreply.example.com', primary: false, verified: true, visibility: null },
  ],
  orgs: [{ login: 'demo-org', id: 2001, description: 'A demo organisation' }],
};

const DOCS = 'https://docs.github.com';
const TOKEN_ERRORS = {
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  bad_verification_code: 'The code passed is incorrect or expired.',
} as const;

interface IssuedCode {
  clientId: string;
  login: string;
  scopes: string[];
  redirectUri: string | undefined;
  codeChallenge: string | undefined;
  expiresAt: number;
}

/** Scope implications, as GitHub documents them for OAuth apps. */
const IMPLIED: Record<string, string[]> = {
  user: ['read:user', 'user:email', 'user:follow'],
  'admin:org': ['write:org', 'read:org'],
  'write:org': ['read:org'],
};
const hasScope = (granted: string[], needed: string): boolean =>
  granted.some((scope) => scope === needed || IMPLIED[scope]?.includes(needed));

const base62 = (bytes: number): string =>
  [...randomBytes(bytes)]
    .map((byte) => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[byte % 62])
    .join('');

/** GitHub's redirect rule: same scheme and host, same port unless loopback, path at or under the callback's. */
function redirectAllowed(callbackUrl: string, redirectUri: string): boolean {
  const registered = new URL(callbackUrl);
  const given = URL.parse(redirectUri);
  if (!given || given.protocol !== registered.protocol || given.hostname !== registered.hostname)
    return false;
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(given.hostname);
  if (!loopback && given.port !== registered.port) return false;
  const path = registered.pathname.replace(/\/$/, '');
  return given.pathname === registered.pathname || given.pathname.startsWith(`${path}/`);
}

/**
 * Starts the GitHub-like server on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const github = await startGithubLike({ users: [{ login: 'alice', id: 1 }] });
 * // preset: enterprise host github.baseUrl, client github.clientId / github.clientSecret
 * await github.close();
 * ```
 */
export async function startGithubLike(options: GithubLikeOptions = {}): Promise<GithubLike> {
  const clientId = options.clientId ?? `Ov23li${base62(14)}`;
  const clientSecret = options.clientSecret ?? randomBytes(20).toString('hex');
  const users = new Map((options.users ?? [DEFAULT_GITHUB_USER]).map((user) => [user.login, user]));
  let currentUser = options.currentUser ?? [...users.keys()][0];
  if (currentUser === undefined || !users.has(currentUser)) {
    throw new TypeError(`startGithubLike: unknown current user ${String(currentUser)}`);
  }
  const codeTtlMs = (options.codeTtlSeconds ?? 600) * 1000;
  let deny = false;
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, { login: string; scopes: string[] }>();
  const requests: GithubLikeRequest[] = [];
  const app = new Hono<{ Variables: { entry: GithubLikeRequest } }>();

  app.use(async (c, next) => {
    const entry: GithubLikeRequest = {
      method: c.req.method,
      path: c.req.path,
      query: c.req.query(),
      body: undefined,
      accept: c.req.header('accept'),
      authorization: c.req.header('authorization'),
    };
    requests.push(entry);
    c.set('entry', entry);
    await next();
  });

  app.get('/login/oauth/authorize', (c) => {
    const query = c.req.query();
    if (query.client_id !== clientId) return c.html('<h1>404</h1><p>Not Found</p>', 404);
    const redirectTo = (target: string, params: Record<string, string>) => {
      const url = new URL(target);
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      if (query.state !== undefined) url.searchParams.set('state', query.state);
      return c.redirect(url.href, 302);
    };
    const redirectUri = query.redirect_uri ?? options.callbackUrl;
    if (redirectUri === undefined)
      return c.text('redirect_uri is required (no callback URL registered)', 400);
    if (options.callbackUrl !== undefined && !redirectAllowed(options.callbackUrl, redirectUri)) {
      return redirectTo(options.callbackUrl, {
        error: 'redirect_uri_mismatch',
        error_description: TOKEN_ERRORS.redirect_uri_mismatch,
        error_uri: `${DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch`,
      });
    }
    if (deny) {
      return redirectTo(redirectUri, {
        error: 'access_denied',
        error_description: 'The user has denied your application access.',
        error_uri: `${DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied`,
      });
    }
    const challenge = query.code_challenge;
    if (
      challenge !== undefined &&
      ((query.code_challenge_method ?? 'plain') !== 'S256' || challenge.length !== 43)
    ) {
      return redirectTo(redirectUri, {
        error: 'invalid_request',
        error_description: 'code_challenge must be 43 characters and code_challenge_method must be S256.',
      });
    }
    const code = randomBytes(10).toString('hex');
    codes.set(code, {
      clientId,
      login: currentUser!,
      scopes: [...new Set((query.scope ?? '').split(/[\s,]+/).filter(Boolean))],
      redirectUri: query.redirect_uri,
      codeChallenge: challenge,
      expiresAt: Date.now() + codeTtlMs,
    });
    return redirectTo(redirectUri, { code });
  });

  app.post('/login/oauth/access_token', async (c) => {
    const type = c.req.header('content-type') ?? '';
    const raw = type.includes('json')
      ? ((await c.req.json().catch(() => ({}))) as Record<string, unknown>)
      : await c.req.parseBody();
    const body: Record<string, string> = { ...c.req.query() };
    for (const [name, value] of Object.entries(raw)) if (typeof value === 'string') body[name] = value;
    c.get('entry').body = body;
    const reply = (payload: Record<string, string>) => tokenReply(c, payload);
    const fail = (error: keyof typeof TOKEN_ERRORS) =>
      reply({
        error,
        error_description: TOKEN_ERRORS[error],
        error_uri: `${DOCS}/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${error.replace(/_/g, '-')}`,
      });
    if (body.client_id !== clientId || body.client_secret !== clientSecret) {
      return fail('incorrect_client_credentials');
    }
    const issued = body.code === undefined ? undefined : codes.get(body.code);
    // Single use: a code presented by its client is spent, whether or not the rest checks out.
    if (body.code !== undefined) codes.delete(body.code);
    if (!issued || issued.clientId !== body.client_id || issued.expiresAt < Date.now()) {
      return fail('bad_verification_code');
    }
    if (
      body.redirect_uri !== undefined &&
      issued.redirectUri !== undefined &&
      body.redirect_uri !== issued.redirectUri
    ) {
      return fail('redirect_uri_mismatch');
    }
    if (issued.codeChallenge !== undefined) {
      const verifier = body.code_verifier ?? '';
      const computed = createHash('sha256').update(verifier).digest('base64url');
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || computed !== issued.codeChallenge) {
        return fail('bad_verification_code');
      }
    }
    const accessToken = `gho_${base62(36)}`;
    tokens.set(accessToken, { login: issued.login, scopes: issued.scopes });
    return reply({ access_token: accessToken, token_type: 'bearer', scope: issued.scopes.join(',') });
  });

  /** Authenticates an API request; answers like GitHub when it cannot. */
  const api = (
    c: Context,
    respond: (user: GithubLikeUser, scopes: string[]) => Response,
    acceptedScopes: string[] = [],
  ): Response => {
    c.header('X-GitHub-Media-Type', 'github.v3');
    if (!c.req.header('user-agent')) {
      return c.text(
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
        403,
      );
    }
    const match = /^(?:bearer|token)\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match) return c.json({ message: 'Requires authentication', documentation_url: `${DOCS}/rest` }, 401);
    const grant = tokens.get(match[1]!);
    const user = grant && users.get(grant.login);
    if (!grant || !user) {
      return c.json({ message: 'Bad credentials', documentation_url: `${DOCS}/rest`, status: '401' }, 401);
    }
    c.header('X-OAuth-Scopes', grant.scopes.join(', '));
    c.header('X-Accepted-OAuth-Scopes', acceptedScopes.join(', '));
    return respond(user, grant.scopes);
  };

  app.get('/api/v3/user', (c) =>
    api(c, (user) =>
      c.json({
        login: user.login,
        id: user.id,
        node_id: Buffer.from(`04:User${user.id}`).toString('base64'),
        avatar_url: `${baseUrl}/avatars/u/${user.id}`,
        url: `${baseUrl}/api/v3/users/${user.login}`,
        html_url: `${baseUrl}/${user.login}`,
        type: 'User',
        site_admin: false,
        name: user.name ?? null,
        company: null,
        blog: '',
        location: null,
        email: user.email ?? null,
        bio: null,
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z',
      }),
    ),
  );

  app.get('/api/v3/user/emails', (c) =>
    api(
      c,
      (user, scopes) =>
        hasScope(scopes, 'user:email')
          ? c.json(
              user.emails ?? [
                { email: `${user.login}@example.com`, primary: true, verified: true, visibility: 'private' },
              ],
            )
          : c.json({ message: 'Not Found', documentation_url: `${DOCS}/rest/users/emails` }, 404),
      ['user', 'user:email'],
    ),
  );

  app.get('/api/v3/user/orgs', (c) =>
    api(
      c,
      (user, scopes) =>
        hasScope(scopes, 'read:org') || hasScope(scopes, 'user')
          ? c.json(
              (user.orgs ?? []).map((org) => ({
                login: org.login,
                id: org.id,
                node_id: Buffer.from(`04:Organization${org.id}`).toString('base64'),
                url: `${baseUrl}/api/v3/orgs/${org.login}`,
                avatar_url: `${baseUrl}/avatars/u/${org.id}`,
                description: org.description ?? null,
              })),
            )
          : c.json({ message: 'Forbidden', documentation_url: `${DOCS}/rest/orgs/orgs` }, 403),
      ['admin:org', 'read:org', 'user', 'write:org'],
    ),
  );

  app.notFound((c) => c.json({ message: 'Not Found', documentation_url: `${DOCS}/rest` }, 404));

  const server = createServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    apiUrl: `${baseUrl}/api/v3`,
    clientId,
    clientSecret,
    requests,
    setCurrentUser(login: string) {
      if (!users.has(login)) throw new TypeError(`startGithubLike: unknown user ${login}`);
      currentUser = login;
    },
    setDeny(value: boolean) {
      deny = value;
    },
    revokeTokens() {
      tokens.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A token endpoint answer in the format the `Accept` header asks for (always HTTP 200, like GitHub). */
function tokenReply(c: Context, payload: Record<string, string>): Response {
  const accept = c.req.header('accept') ?? '';
  if (accept.includes('application/json')) return c.json(payload, 200);
  if (accept.includes('xml')) {
    const escapeXml = (text: string) =>
      text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const fields = Object.entries(payload).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`);
    return c.body(`<OAuth>${fields.join('')}</OAuth>`, 200, {
      'content-type': 'application/xml; charset=utf-8',
    });
  }
  return c.body(new URLSearchParams(payload).toString(), 200, {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  });
}
