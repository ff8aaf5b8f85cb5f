/**
 * GitHub sign-in (plain OAuth 2: GitHub issues no ID token). Who signed in comes from the REST
 * API's `/user` (the numeric `id` is the stable subject; `login` can change), the primary
 * verified address from `/user/emails` when the profile shows none, and the organisations from
 * `/user/orgs` when some are required or the allow-lists name organisations (`read:org` is then
 * asked for). GitHub Enterprise Server is the same with another host:
 * `https://<host>/login/oauth/...` and the API under `https://<host>/api/v3`.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { UpstreamConnectionOptions } from './connection.js';
import { UpstreamError } from './errors.js';
import { getJsonWithToken, plainOAuth2Provider } from './oauth2.js';
import type { UpstreamIdentity, UpstreamProvider, UpstreamTokens } from './provider.js';

/** Options of {@link githubProvider}. */
export interface GithubProviderOptions extends UpstreamConnectionOptions {
  /**
   * A GitHub Enterprise Server's base URL (e.g. `https://github.example.com`). Default: github.com
   * (web at `https://github.com`, API at `https://api.github.com`).
   */
  enterpriseUrl?: string;
  /** Only members of one of these organisations may sign in (asks for `read:org`). */
  requiredOrganizations?: readonly string[];
  /**
   * Scopes. Default `read:user user:email`, plus `read:org` with `requiredOrganizations`;
   * `read:org` is added whenever the allow-lists name organisations.
   */
  scopes?: readonly string[];
}

const API_HEADERS = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
  'user-agent': 'mcp-cimd',
};

function endpointsOf(enterpriseUrl: string | undefined): { web: string; api: string } {
  if (enterpriseUrl === undefined) return { web: 'https://github.com', api: 'https://api.github.com' };
  const base = enterpriseUrl.replace(/\/+$/, '');
  if (new URL(base).pathname !== '/' && new URL(base).pathname !== '') {
    throw new InvalidOptionError(
      `the GitHub Enterprise URL must be the server's origin; got ${enterpriseUrl}`,
    );
  }
  return { web: base, api: `${base}/api/v3` };
}

function stringField(value: Record<string, unknown>, name: string): string | undefined {
  const member = value[name];
  return typeof member === 'string' && member !== '' ? member : undefined;
}

async function primaryEmail(
  api: string,
  tokens: UpstreamTokens,
  timeoutMs: number,
): Promise<string | undefined> {
  try {
    const list = await getJsonWithToken(`${api}/user/emails`, tokens, timeoutMs, API_HEADERS);
    if (!Array.isArray(list)) return undefined;
    const primary = list.find((entry) => entry?.primary === true && entry?.verified === true);
    return typeof primary?.email === 'string' ? primary.email : undefined;
  } catch {
    return undefined;
  }
}

async function organizations(api: string, tokens: UpstreamTokens, timeoutMs: number): Promise<string[]> {
  const list = await getJsonWithToken(`${api}/user/orgs?per_page=100`, tokens, timeoutMs, API_HEADERS);
  if (!Array.isArray(list))
    throw new UpstreamError('ERR_UPSTREAM_INVALID_RESPONSE', '/user/orgs is not a list');
  return list.map((org) => (typeof org?.login === 'string' ? org.login : '')).filter((login) => login !== '');
}

/** GitHub (or GitHub Enterprise Server) sign-in. */
export function githubProvider(options: GithubProviderOptions): UpstreamProvider {
  const { web, api } = endpointsOf(options.enterpriseUrl);
  const required = options.requiredOrganizations ?? [];
  const scopes = options.scopes ?? ['read:user', 'user:email', ...(required.length > 0 ? ['read:org'] : [])];
  return plainOAuth2Provider({
    ...options,
    issuer: web,
    authorizationEndpoint: `${web}/login/oauth/authorize`,
    tokenEndpoint: `${web}/login/oauth/access_token`,
    scopes,
    organizationScopes: ['read:org'],
    id: 'github',
    displayName: options.enterpriseUrl === undefined ? 'GitHub' : `GitHub (${new URL(web).host})`,
    async identify(tokens, timeoutMs, wantOrganizations): Promise<UpstreamIdentity> {
      const user = (await getJsonWithToken(`${api}/user`, tokens, timeoutMs, API_HEADERS)) as Record<
        string,
        unknown
      >;
      if (typeof user?.id !== 'number' && typeof user?.id !== 'string') {
        throw new UpstreamError('ERR_UPSTREAM_INVALID_RESPONSE', 'the GitHub /user answer has no id');
      }
      const login = stringField(user, 'login');
      const name = stringField(user, 'name');
      const email = stringField(user, 'email') ?? (await primaryEmail(api, tokens, timeoutMs));
      const orgs =
        required.length > 0 || wantOrganizations ? await organizations(api, tokens, timeoutMs) : undefined;
      if (orgs !== undefined && required.length > 0) {
        const wanted = new Set(required.map((org) => org.toLowerCase()));
        if (!orgs.some((org) => wanted.has(org.toLowerCase()))) {
          throw new UpstreamError(
            'ERR_UPSTREAM_USER_NOT_ALLOWED',
            `${login ?? 'this user'} is not a member of ${required.join(' or ')}`,
          );
        }
      }
      return {
        issuer: web,
        subject: String(user.id),
        ...(name === undefined ? {} : { name }),
        ...(email === undefined ? {} : { email, emailVerified: true }),
        ...(login === undefined ? {} : { username: login }),
        ...(orgs === undefined ? {} : { organizations: orgs }),
      };
    },
  });
}
