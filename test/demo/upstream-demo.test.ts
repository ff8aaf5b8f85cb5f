/**
 * `npm start -- --upstream-demo` as it runs (the built `dist/demo/main.js`): the banner names the
 * local OpenID provider and how to sign in there; the authorization request it prints goes
 * through our consent page, the provider's login (as `demo-user`, any password) and back to the
 * demo client, which gets a token, and whose `upstream_whoami` call shows the provider's answer for
 * the upstream user; SIGINT stops everything with exit 0.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MAIN, requireBuiltDemo, spawnNode } from '../serve/process.js';
import { CookieJar, signInThroughProxy } from '../server/upstream/harness.js';

beforeAll(() => requireBuiltDemo());

/** The HTML text of a page, unescaped enough to search. */
const textOf = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('npm start -- --upstream-demo (dist/demo/main.js)', () => {
  it('signs in through the local OpenID provider, and upstream_whoami answers as the upstream user', async () => {
    const demo = spawnNode(DEMO_MAIN, ['--port', '0', '--upstream-demo']);
    try {
      await expect.poll(() => demo.stdout(), { timeout: 20_000 }).toContain('Press Ctrl-C to stop.');
      const stdout = demo.stdout();
      const issuer = /Authorization server\s+(\S+)/.exec(stdout)?.[1] ?? '';
      const provider = /Upstream identity provider\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] ?? '';
      const client = /Demo client\s+(\S+)/.exec(stdout)?.[1] ?? '';
      const authorize = /^\s+(http:\/\/\S+\/authorize\?\S+)$/m.exec(stdout)?.[1] ?? '';
      expect(provider, stdout).not.toBe('');
      expect(stdout).toContain('sign in as demo-user with any password');
      expect(stdout).toMatch(/tools: whoami, upstream_whoami, validate_client_metadata/);
      const discovery = await fetch(`${provider}/.well-known/openid-configuration`);
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(provider);

      const browser = new CookieJar();
      const back = await signInThroughProxy(browser, authorize, 'demo-user');
      expect(back.status).toBe(303);
      const callback = new URL(back.headers.get('location') ?? '');
      expect(`${callback.origin}/`).toBe(client);
      expect(callback.searchParams.get('iss')).toBe(issuer);
      const result = await fetch(callback);
      const page = textOf(await result.text());
      expect(result.status, page).toBe(200);
      expect(page).toContain('Signed in: the MCP server accepted the token');
      expect(page).toMatch(/"subject": "u_[A-Za-z0-9_-]{43}"/);
      expect(page).toContain('MCP tool upstream_whoami answered');
      expect(page).toContain('"sub": "demo-user"');
      expect(page).toContain('"email": "demo-user@example.com"');
      expect(page).toContain('"refresh_token": true');

      expect(await demo.stop('SIGINT', 10_000)).toBe(0);
      expect(demo.stdout()).toContain('stopped');
      expect(demo.stderr()).not.toMatch(/"level":"error"/);
    } finally {
      demo.child.kill('SIGKILL');
    }
  }, 60_000);
});
