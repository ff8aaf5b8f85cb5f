/**
 * The demo client's pages: the start page (one sign-in link per demo client) and the result of
 * a flow (the token response without its secrets, the access token's claims, the `whoami`
 * answer of the MCP server, and a `curl` command to call it yourself). Every value is escaped.
 *
 * @module
 */
import { html } from 'hono/html';
import { renderPage } from '../server/ui/layout.js';
import { DEMO_CLIENT_NAMES, type DemoClient, type DemoClientName } from './documents.js';

/** What the start page links to. */
export interface StartPageContent {
  clients: Readonly<Record<DemoClientName, DemoClient>>;
  issuer: string;
  mcpUrl: string;
}

const DESCRIPTIONS: Record<DemoClientName, string> = {
  public: 'a public client (token_endpoint_auth_method "none"), like a desktop app',
  agent: 'a confidential client that proves itself with private_key_jwt, its key published at jwks_uri',
};

/** The start page. */
export function startPage(content: StartPageContent): Promise<Response> {
  return renderPage({
    title: 'mcp-cimd demo client',
    body: html`<h1>mcp-cimd demo client</h1>
<p>Each link starts an OAuth authorization request (Authorization Code with PKCE S256) at
<code>${content.issuer}</code> for the MCP server <code>${content.mcpUrl}</code>, with the client's
metadata document URL as its <code>client_id</code>.</p>
<ul>
${DEMO_CLIENT_NAMES.map(
  (
    name,
  ) => html`<li><p><a href="/start?client=${name}">Sign in as ${content.clients[name].document.client_name}</a>:
${DESCRIPTIONS[name]}.<br><span class="self-declared">client_id <code>${content.clients[name].clientId}</code></span></p></li>`,
)}
</ul>
<p class="self-declared">After you approve, the authorization server redirects back here; this client exchanges
the code at the token endpoint and calls the MCP server's <code>whoami</code> tool with the access token.</p>`,
  });
}

/** The outcome of a flow, as the result page shows it. */
export interface FlowResult {
  client: DemoClient;
  /** The token endpoint's HTTP status and JSON body (the tokens themselves are left out). */
  token: { status: number; body: unknown };
  /** The access token's claims, when one was issued. */
  claims?: Record<string, unknown>;
  /** The `whoami` answer, or why the call failed. */
  whoami?: { ok: boolean; text: string };
  /** The upstream tool's answer (`upstream_whoami`), when the demo signs in upstream. */
  upstream?: { name: string; ok: boolean; text: string };
  /** A `curl` command calling `whoami` with the access token. */
  curl?: string;
}

function pretty(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** The result page of a flow. */
export function resultPage(result: FlowResult): Promise<Response> {
  const ok = result.token.status === 200 && result.whoami?.ok === true;
  return renderPage({
    title: ok ? 'Signed in' : 'The flow did not complete',
    body: html`<h1>${ok ? 'Signed in: the MCP server accepted the token' : 'The flow did not complete'}</h1>
<p class="label">Client</p><p><code>${result.client.clientId}</code></p>
<p class="label">Token endpoint answered ${result.token.status}</p>
<pre><code>${pretty(result.token.body)}</code></pre>
${result.claims ? html`<p class="label">Access token claims</p><pre><code>${pretty(result.claims)}</code></pre>` : ''}
${
  result.whoami
    ? html`<p class="label">MCP tool whoami ${result.whoami.ok ? 'answered' : 'failed'}</p><pre><code>${result.whoami.text}</code></pre>`
    : ''
}
${
  result.upstream
    ? html`<p class="label">MCP tool ${result.upstream.name} ${result.upstream.ok ? 'answered' : 'failed'}</p><pre><code>${result.upstream.text}</code></pre>`
    : ''
}
${result.curl ? html`<p class="label">Call it yourself</p><pre><code>${result.curl}</code></pre>` : ''}
<p><a href="/">Start again</a></p>`,
  });
}

/** An error page of the demo client (a callback with an error, an unknown state). */
export function clientErrorPage(title: string, detail: string, status = 400): Promise<Response> {
  return renderPage(
    { title, body: html`<h1>${title}</h1><p class="error">${detail}</p><p><a href="/">Start again</a></p>` },
    status,
  );
}
