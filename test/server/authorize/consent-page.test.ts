/**
 * The consent page as HTML: the verified domain first (CIMD-AS-21), the self-declared name, the
 * redirect host (MCP-AS-21), the loopback-only warning (MCP-AS-19), scopes, resource and user,
 * escaping, accessibility basics and the security headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consentForm,
  type Harness,
  pkce,
  RESOURCE,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

let h: Harness;
let s: TestServer;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
});
afterAll(async () => h.close());

async function page(clientId: string, extra: Record<string, string | undefined> = {}, server = s) {
  const response = await server.authorize(validParams(clientId, challenge, extra));
  const headers = response.headers;
  return { ...(await consentForm(response)), headers };
}

/** The text of the page's main element with tags removed and spaces collapsed. */
function text(html: string): string {
  const main = html.slice(html.indexOf('<main>'), html.indexOf('</main>'));
  return main
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('what the page says', () => {
  it('CIMD-AS-21: a document at evil.example calling itself Google Drive shows the host prominently, the name as unverified', async () => {
    const clientId = h.client({ client_name: 'Google Drive' });
    const { html } = await page(clientId);
    const host = new URL(clientId).host;
    expect(html).toContain(`<p class="domain">${host}</p>`);
    expect(html.indexOf(host)).toBeLessThan(html.indexOf('Google Drive'));
    expect(text(html)).toContain('It calls itself “Google Drive” (not verified).');
    expect(html).toContain(`<code>${clientId}</code>`);
  });

  it('a trusted client has its name shown plainly', async () => {
    const clientId = h.client({ client_name: 'Trusted Tool' });
    const trusted = h.server({ clients: { trustPolicy: { trusted: [clientId] } } });
    const { html } = await page(clientId, {}, trusted);
    expect(html).toContain('<strong>Trusted Tool</strong>');
    expect(html).not.toContain('not verified');
    expect(html).toContain(`<p class="domain">${new URL(clientId).host}</p>`);
  });

  it('MCP-AS-19 / §3.7: the loopback-only warning is there when every redirect URI is loopback', async () => {
    const clientId = h.client({ redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'] });
    const { html } = await page(clientId);
    expect(html).toContain('class="warning"');
    expect(text(html)).toContain('Any program on this computer can use this application');
  });

  it('no loopback warning when one redirect URI is not loopback; the web host is shown (MCP-AS-21)', async () => {
    const clientId = h.client({
      redirect_uris: ['http://127.0.0.1/callback', 'https://claude.ai/api/mcp/auth_callback'],
    });
    const { html } = await page(clientId, { redirect_uri: 'https://claude.ai/api/mcp/auth_callback' });
    expect(html).not.toContain('class="warning"');
    expect(html).toContain('you will be sent to <strong>claude.ai</strong>.');
  });

  it('MCP-AS-21: a loopback redirect is described as an application on this device, with its host', async () => {
    const clientId = h.client({ redirect_uris: ['http://[::1]/callback'] });
    const { html } = await page(clientId, { redirect_uri: 'http://[::1]:50000/callback' });
    expect(text(html)).toContain('an application on this device ([::1])');
  });

  it('a private-use scheme redirect names the scheme', async () => {
    const clientId = h.client({ redirect_uris: ['com.example.app:/oauth/cb'], application_type: 'native' });
    const { html } = await page(clientId, { redirect_uri: 'com.example.app:/oauth/cb' });
    expect(text(html)).toContain('the app that opens com.example.app: links on this device');
  });

  it('the scopes, the MCP server and the signed-in user are listed', async () => {
    const { html } = await page(h.client(), { scope: 'tools:read files:write' });
    expect(html).toContain('<li><code>tools:read</code></li>');
    expect(html).toContain('<li><code>files:write</code></li>');
    expect(html).toContain(`<li><code>${RESOURCE}</code></li>`);
    expect(text(html)).toContain('Signed in as Alice Example');
  });

  it('without scopes, the page says what access means', async () => {
    const { html } = await page(h.client());
    expect(text(html)).toContain('use the MCP server on your behalf');
  });

  it('an untrusted client never gets its logo shown or fetched', async () => {
    const clientId = h.client({ logo_uri: `${h.host.origin}/untrusted-logo.png` });
    const { html } = await page(clientId);
    expect(html).not.toContain('<img');
    expect(h.host.hits.get('/untrusted-logo.png') ?? 0).toBe(0);
  });
});

describe('escaping', () => {
  it('markup in client_name and scope is escaped', async () => {
    const clientId = h.client({
      client_name: '<img src=x onerror=alert(1)><script>alert(2)</script>&amp;"\'',
    });
    const { html } = await page(clientId, { scope: '<b>bold</b>' });
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>bold');
    expect(html).toContain(
      '&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;&amp;amp;&quot;&#39;',
    );
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
  });
});

describe('structure, accessibility and headers', () => {
  it('a real form posting to /consent with two labelled submit buttons and hidden fields', async () => {
    const { html } = await page(h.client());
    expect(html).toContain('<form method="post" action="/consent">');
    expect(html).toContain(
      '<button type="submit" name="decision" value="approve" class="primary">Allow access</button>',
    );
    expect(html).toContain(
      '<button type="submit" name="decision" value="deny" class="secondary">Deny</button>',
    );
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html).toMatch(/<h2/);
  });

  it('the warning is announced with words, not colour alone', async () => {
    const { html } = await page(h.client());
    expect(html).toContain('<strong>Warning:</strong>');
  });

  it('strict CSP: no scripts, no form-action, no framing; no caching, no referrer', async () => {
    const { headers, html } = await page(h.client());
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('script-src');
    expect(csp).not.toContain('form-action');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).not.toContain('<script');
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(html).toContain(`<style nonce="${nonce}">`);
  });

  it('the stylesheet reaches the browser unescaped', async () => {
    const { html } = await page(h.client());
    expect(html).toContain('"Segoe UI"');
    expect(html).not.toContain('&quot;Segoe UI&quot;');
  });
});
