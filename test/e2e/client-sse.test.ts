/**
 * FastMCP parity (issue 12, item 5): `connect()` over the HTTP+SSE transport as well as Streamable
 * HTTP, against our authorization server and an SDK 1.x MCP server on `SSEServerTransport` behind
 * our bearer middleware (test/helpers/mcp-e2e.ts with `mcpTransport: 'sse'`): `transport: 'sse'`
 * signs in on the event stream's GET; `auto` signs in on the Streamable HTTP POST, gets the SSE-only
 * server's 405 and falls back to SSE with the same tokens; the default (`streamable-http`) does not
 * fall back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import { SignInError } from '../../src/client/errors.js';
import { MemoryTokenStore } from '../../src/client/token-store.js';
import { approveAuthorization } from '../helpers/approve.js';
import { E2E_SCOPE, type E2e, servePublicClient, startE2e, whoami } from '../helpers/mcp-e2e.js';

describe('connect() over SSE (SDK 1.x SSEServerTransport behind requireBearer)', () => {
  let e2e: E2e;
  let clientId: string;
  beforeAll(async () => {
    e2e = await startE2e({ mcpSdk: 1, mcpTransport: 'sse' });
    clientId = servePublicClient(e2e, 'sse');
  });
  afterAll(async () => {
    await e2e?.close();
  });

  const options = () => ({
    clientMetadataUrl: clientId,
    onAuthorizationUrl: async (url: URL) => {
      const { status } = await approveAuthorization(url);
      expect(status, 'the provider accepted the callback').toBe(200);
    },
    allowPrivateNetwork: true,
    fetchOptions: { ca: e2e.ca.caCert },
    callbackTimeoutMs: 10_000,
    store: new MemoryTokenStore(),
  });

  it("transport: 'sse' signs in when the event stream's GET is refused, then calls a tool over SSE", async () => {
    const before = e2e.authorizeRequests.length;
    const client = await connect(e2e.resource, { ...options(), transport: 'sse' });
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      expect(e2e.authorizeRequests.length).toBe(before + 1);
      expect(e2e.authorizeRequests.at(-1)?.get('resource')).toBe(e2e.resource);
    } finally {
      await client.close();
    }
  });

  it("transport: 'auto' tries Streamable HTTP, gets 405 from the SSE-only server, and falls back to SSE with the same sign-in", async () => {
    const before = e2e.authorizeRequests.length;
    const requestsBefore = e2e.mcpRequests.length;
    const client = await connect(e2e.resource, { ...options(), transport: 'auto' });
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
      expect(e2e.authorizeRequests.length, 'one sign-in for both attempts').toBe(before + 1);
      const statuses = e2e.mcpRequests.slice(requestsBefore).map((entry) => entry.status);
      expect(statuses.slice(0, 2)).toEqual([401, 405]);
    } finally {
      await client.close();
    }
  });

  it('the default (streamable-http) does not fall back: the 405 is the error', async () => {
    const refused = await connect(e2e.resource, options()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as { code?: unknown }).code).toBe(405);
  });

  it('an unknown transport is refused before anything is sent', async () => {
    const before = e2e.mcpRequests.length;
    const refused = await connect(e2e.resource, {
      ...options(),
      transport: 'websocket' as unknown as 'sse',
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SignInError);
    expect((refused as SignInError).code).toBe('ERR_SIGNIN_CLIENT_CONFIG');
    expect(e2e.mcpRequests.length).toBe(before);
  });
});
