/**
 * The click-through the demo promises, driven as a browser would: the demo client's `/start`,
 * the authorization server's consent page (its form submitted as it is, cookies kept), the
 * redirect back to the demo client's `/callback`, the token exchange (`none`, and a
 * `private_key_jwt` assertion for the agent) and the `whoami` call on the protected MCP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../../src/demo/start.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ port: 0 });
});
afterAll(async () => {
  await demo?.close();
});

/** A browser's cookie jar, reduced to what one flow needs. */
class Browser {
  readonly #cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.#keep(await fetch(url, { redirect: 'manual', headers: this.#headers() }));
  }

  async post(url: string, form: URLSearchParams, origin: string): Promise<Response> {
    const headers = { ...this.#headers(), origin, 'content-type': 'application/x-www-form-urlencoded' };
    return this.#keep(await fetch(url, { method: 'POST', body: form, redirect: 'manual', headers }));
  }

  #headers(): Record<string, string> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return cookie === '' ? {} : { cookie };
  }

  #keep(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      if (index > 0) this.#cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
    return response;
  }
}

/** The consent form of `page`: its action and every hidden input, plus the approve button. */
function approveForm(page: string, base: string): { action: string; form: URLSearchParams } {
  const formTag = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page);
  expect(formTag, 'the consent page has a form').not.toBeNull();
  const [, action = '', body = ''] = formTag ?? [];
  const form = new URLSearchParams();
  for (const input of body.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name !== undefined && value !== undefined) form.set(name, value);
  }
  const approve = /<button[^>]*name="([^"]+)"[^>]*value="(approve|allow)"/.exec(body);
  expect(approve, 'the consent form has an approve button').not.toBeNull();
  form.set(approve?.[1] ?? 'decision', approve?.[2] ?? 'approve');
  return { action: new URL(action, base).href, form };
}

describe('the demo click-through: /start -> consent -> /callback -> /token -> whoami', () => {
  it.each(['public', 'agent'] as const)('works for the %s client', async (client) => {
    const browser = new Browser();
    const start = await browser.get(`${demo.urls.client}start?client=${client}`);
    expect(start.status).toBe(302);
    const authorize = await browser.get(start.headers.get('location') ?? '');
    expect(authorize.status).toBe(200);
    const page = await authorize.text();
    expect(page).toContain(demo.clients[client].clientId);

    const { action, form } = approveForm(page, demo.urls.issuer);
    const decided = await browser.post(action, form, new URL(demo.urls.issuer).origin);
    expect(decided.status).toBeGreaterThanOrEqual(300);
    expect(decided.status).toBeLessThan(400);
    const callback = new URL(decided.headers.get('location') ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(demo.urls.callback);
    expect(callback.searchParams.get('iss')).toBe(demo.urls.issuer);

    const result = await browser.get(callback.href);
    const html = await result.text();
    expect(result.status).toBe(200);
    expect(html).toContain('Signed in: the MCP server accepted the token');
    expect(html).toContain('Token endpoint answered 200');
    expect(html).toContain('(access token, not shown)');
    expect(html).toContain('MCP tool whoami answered');
    expect(html).toContain('&quot;subject&quot;: &quot;local-developer&quot;');
  });
});
