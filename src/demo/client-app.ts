/**
 * The demo client: a small web app on loopback that drives a CIMD client through the
 * authorization server. `/start?client=public|agent` sends the browser to `/authorize` with a
 * fresh PKCE pair; `/callback` checks `state` and `iss` (RFC 9207), exchanges the code, and
 * calls the demo MCP server's `whoami` tool with the access token.
 *
 * @module
 */
import { Hono } from 'hono';
import { decodeJwt } from 'jose';
import type { AuthorizationRequests } from './authorization-requests.js';
import { clientErrorPage, type FlowResult, resultPage, startPage } from './client-pages.js';
import type { DemoClient, DemoClientName } from './documents.js';
import { callTool } from './mcp-call.js';
import { exchangeCode, type TokenEndpoint, type TokenExchangeResult } from './token-exchange.js';

/** Options of {@link createDemoClientApp}. */
export interface DemoClientAppOptions {
  clients: Readonly<Record<DemoClientName, DemoClient>>;
  requests: AuthorizationRequests;
  token: TokenEndpoint;
  mcpUrl: string;
  /** A second tool to call after `whoami` (`upstream_whoami` with an upstream provider). Default: none. */
  upstreamTool?: string;
}

/** Token response members never shown. */
const SECRET_MEMBERS = ['access_token', 'refresh_token', 'id_token'];

function withoutSecrets(body: Record<string, unknown> | string): unknown {
  if (typeof body === 'string') return body;
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    shown[key] = SECRET_MEMBERS.includes(key) ? `(${key.replace('_', ' ')}, not shown)` : value;
  }
  return shown;
}

function curlFor(mcpUrl: string): string {
  const call = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  });
  return [
    `curl -s ${mcpUrl} \\`,
    `  -H "Authorization: Bearer $ACCESS_TOKEN" \\`,
    `  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\`,
    `  -d '${call}'`,
  ].join('\n');
}

async function finish(
  options: DemoClientAppOptions,
  client: DemoClient,
  token: TokenExchangeResult,
): Promise<FlowResult> {
  const result: FlowResult = { client, token: { status: token.status, body: withoutSecrets(token.body) } };
  const accessToken = typeof token.body === 'object' ? token.body.access_token : undefined;
  if (token.status !== 200 || typeof accessToken !== 'string') return result;
  try {
    result.claims = decodeJwt(accessToken);
  } catch {
    // not a JWT: nothing to show
  }
  try {
    result.whoami = { ok: true, text: await callTool(options.mcpUrl, accessToken, 'whoami') };
  } catch (error) {
    result.whoami = { ok: false, text: (error as Error).message };
  }
  if (options.upstreamTool !== undefined) {
    const name = options.upstreamTool;
    try {
      result.upstream = { name, ok: true, text: await callTool(options.mcpUrl, accessToken, name) };
    } catch (error) {
      result.upstream = { name, ok: false, text: (error as Error).message };
    }
  }
  result.curl = `ACCESS_TOKEN='${accessToken}'\n${curlFor(options.mcpUrl)}`;
  return result;
}

/** The Hono app of the demo client. */
export function createDemoClientApp(options: DemoClientAppOptions): Hono {
  const app = new Hono();
  app.get('/', () =>
    startPage({ clients: options.clients, issuer: options.token.issuer, mcpUrl: options.mcpUrl }),
  );
  app.get('/start', (c) => {
    const name = c.req.query('client') ?? 'public';
    const client = name === 'public' || name === 'agent' ? options.clients[name] : undefined;
    if (client === undefined)
      return clientErrorPage('Unknown client', 'use /start?client=public or /start?client=agent');
    return c.redirect(options.requests.start(client).url, 302);
  });
  app.get('/callback', async (c) => {
    const pending = options.requests.take(c.req.query('state') ?? '');
    if (pending === undefined) {
      return clientErrorPage(
        'Unknown or expired request',
        'this callback does not match a request this demo client started (or it was already used); start again.',
      );
    }
    const iss = c.req.query('iss');
    if (iss !== undefined && iss !== options.token.issuer) {
      return clientErrorPage(
        'Wrong issuer',
        `the response came from ${iss}, not ${options.token.issuer} (RFC 9207 mix-up defence).`,
      );
    }
    const error = c.req.query('error');
    if (error !== undefined) {
      return clientErrorPage(
        `The authorization server answered ${error}`,
        c.req.query('error_description') ?? '',
      );
    }
    const code = c.req.query('code');
    if (code === undefined)
      return clientErrorPage('No code', 'the callback carried neither a code nor an error.');
    const token = await exchangeCode(options.token, pending, code);
    return resultPage(await finish(options, pending.client, token));
  });
  return app;
}
