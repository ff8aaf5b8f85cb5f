/**
 * Self-test of the GitHub-like server (test/helpers/github-like.ts): the OAuth web flow with PKCE,
 * GitHub's HTTP-200 error bodies, single-use codes, "Cancel", and the REST endpoints with their
 * scope rules.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GithubLike, startGithubLike } from './github-like.js';

const CALLBACK = 'http://127.0.0.1:9/upstream/callback';

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('GitHub-like server', () => {
  let github: GithubLike;
  beforeAll(async () => {
    github = await startGithubLike({
      clientId: 'Ov23liTestClient',
      clientSecret: 'test-secret',
      callbackUrl: CALLBACK,
      users: [
        {
          login: 'alice',
          id: 11,
          name: 'Alice',
          email: 'alice@public.example',
          emails: [{ email: 'alice@example.com', primary: true, verified: true, visibility: 'private' }],
          orgs: [
            { login: 'acme', id: 21 },
            { login: 'widgets', id: 22, description: 'Widgets' },
          ],
        },
        { login: 'bob', id: 12 },
      ],
    });
  });
  afterAll(async () => {
    await github.close();
  });

  /** GET /login/oauth/authorize; returns the callback URL it redirects to. */
  async function authorize(params: Record<string, string>): Promise<URL> {
    const url = new URL('/login/oauth/authorize', github.baseUrl);
    url.search = new URLSearchParams({
      client_id: github.clientId,
      redirect_uri: CALLBACK,
      ...params,
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    return new URL(response.headers.get('location')!);
  }

  async function exchange(params: Record<string, string>, accept = 'application/json'): Promise<Response> {
    return fetch(new URL('/login/oauth/access_token', github.baseUrl), {
      method: 'POST',
      headers: { accept, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: github.clientId,
        client_secret: github.clientSecret,
        redirect_uri: CALLBACK,
        ...params,
      }),
    });
  }

  const api = (path: string, token: string) =>
    fetch(`${github.apiUrl}${path}`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'test',
      },
    });

  /** A full sign-in with PKCE; returns the access token. */
  async function signIn(scope: string): Promise<string> {
    const { verifier, challenge } = pkce();
    const callback = await authorize({
      scope,
      state: 'st',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const response = await exchange({ code: callback.searchParams.get('code')!, code_verifier: verifier });
    const body = (await response.json()) as { access_token: string };
    return body.access_token;
  }

  it('code flow with PKCE: code and state back (no iss), then a bearer token with comma-separated scopes', async () => {
    const { verifier, challenge } = pkce();
    const callback = await authorize({
      scope: 'read:user user:email read:org',
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      allow_signup: 'false',
    });
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get('state')).toBe('xyz');
    expect(callback.searchParams.get('code')).toMatch(/^[0-9a-f]{20}$/);
    expect(callback.searchParams.has('iss')).toBe(false);

    const response = await exchange({ code: callback.searchParams.get('code')!, code_verifier: verifier });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toEqual({
      access_token: expect.stringMatching(/^gho_[A-Za-z0-9]{36}$/),
      token_type: 'bearer',
      scope: 'read:user,user:email,read:org',
    });
    const log = github.requests.at(-1)!;
    expect(log.path).toBe('/login/oauth/access_token');
    expect(log.body?.code_verifier).toBe(verifier);

    // Codes are single use.
    const again = await exchange({ code: callback.searchParams.get('code')!, code_verifier: verifier });
    expect(((await again.json()) as { error: string }).error).toBe('bad_verification_code');
  });

  it('a wrong verifier is refused with HTTP 200 and bad_verification_code; the code is then spent', async () => {
    const { verifier, challenge } = pkce();
    const callback = await authorize({
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const code = callback.searchParams.get('code')!;
    const wrong = await exchange({ code, code_verifier: pkce().verifier });
    expect(wrong.status).toBe(200);
    expect(await wrong.json()).toEqual({
      error: 'bad_verification_code',
      error_description: 'The code passed is incorrect or expired.',
      error_uri: expect.stringContaining('#bad-verification-code'),
    });
    const right = await exchange({ code, code_verifier: verifier });
    expect(((await right.json()) as { error: string }).error).toBe('bad_verification_code');
    // A missing verifier is refused too.
    const second = pkce();
    const code2 = (
      await authorize({ code_challenge: second.challenge, code_challenge_method: 'S256' })
    ).searchParams.get('code')!;
    expect(((await (await exchange({ code: code2 })).json()) as { error: string }).error).toBe(
      'bad_verification_code',
    );
  });

  it('a wrong client secret is incorrect_client_credentials; without Accept the answer is form-encoded', async () => {
    const callback = await authorize({ state: 's' });
    const response = await exchange(
      { code: callback.searchParams.get('code')!, client_secret: 'nope' },
      '*/*',
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(await response.text());
    expect(form.get('error')).toBe('incorrect_client_credentials');
  });

  it('redirect_uri outside the registered callback is redirected there with redirect_uri_mismatch', async () => {
    const callback = await authorize({ redirect_uri: 'http://evil.example/cb', state: 's' });
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get('error')).toBe('redirect_uri_mismatch');
    expect(callback.searchParams.get('state')).toBe('s');
  });

  it('"Cancel" (setDeny) redirects back with access_denied and state', async () => {
    github.setDeny(true);
    try {
      const callback = await authorize({ state: 'abc' });
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('error_description')).toBe(
        'The user has denied your application access.',
      );
      expect(callback.searchParams.get('state')).toBe('abc');
      expect(callback.searchParams.has('code')).toBe(false);
    } finally {
      github.setDeny(false);
    }
  });

  it('/user, /user/emails and /user/orgs work with the token', async () => {
    const token = await signIn('read:user user:email read:org');
    const user = await api('/user', token);
    expect(user.status).toBe(200);
    expect(user.headers.get('x-oauth-scopes')).toBe('read:user, user:email, read:org');
    expect(await user.json()).toMatchObject({
      login: 'alice',
      id: 11,
      name: 'Alice',
      email: 'alice@public.example',
    });
    const emails = await api('/user/emails', token);
    expect(await emails.json()).toEqual([
      { email: 'alice@example.com', primary: true, verified: true, visibility: 'private' },
    ]);
    const orgs = await api('/user/orgs', token);
    expect(
      ((await orgs.json()) as { login: string; id: number }[]).map(({ login, id }) => ({ login, id })),
    ).toEqual([
      { login: 'acme', id: 21 },
      { login: 'widgets', id: 22 },
    ]);
  });

  it('scopes are enforced like GitHub: emails 404 without user:email, orgs 403 without read:org', async () => {
    const token = await signIn('read:user');
    expect((await api('/user', token)).status).toBe(200);
    expect((await api('/user/emails', token)).status).toBe(404);
    expect((await api('/user/orgs', token)).status).toBe(403);
    const broad = await signIn('user');
    expect((await api('/user/emails', broad)).status).toBe(200);
    expect((await api('/user/orgs', broad)).status).toBe(200);
  });

  it('setCurrentUser switches who signs in; bad or revoked tokens get 401 Bad credentials', async () => {
    github.setCurrentUser('bob');
    try {
      const token = await signIn('user:email');
      expect(await (await api('/user', token)).json()).toMatchObject({ login: 'bob', id: 12, email: null });
      expect(await (await api('/user/emails', token)).json()).toEqual([
        { email: 'bob@example.com', primary: true, verified: true, visibility: 'private' },
      ]);
      expect(() => github.setCurrentUser('nobody')).toThrow(/unknown user/);
      github.revokeTokens();
      const revoked = await api('/user', token);
      expect(revoked.status).toBe(401);
      expect(((await revoked.json()) as { message: string }).message).toBe('Bad credentials');
    } finally {
      github.setCurrentUser('alice');
    }
    expect((await fetch(`${github.apiUrl}/user`, { headers: { 'user-agent': 't' } })).status).toBe(401);
  });
});
