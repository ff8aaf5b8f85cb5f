/** The conformance client's pieces: the runner's environment and the headless authorizer. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readConformanceContext } from '../../src/conformance/context.js';
import { createHeadlessAuthorizer } from '../../src/conformance/headless.js';

describe('readConformanceContext', () => {
  it('reads the scenario and pre-registered credentials', () => {
    expect(
      readConformanceContext({
        MCP_CONFORMANCE_SCENARIO: 'auth/pre-registration',
        MCP_CONFORMANCE_CONTEXT: '{"name":"auth/pre-registration","client_id":"c","client_secret":"s"}',
      }),
    ).toEqual({
      scenario: 'auth/pre-registration',
      raw: { name: 'auth/pre-registration', client_id: 'c', client_secret: 's' },
      preRegistered: { clientId: 'c', clientSecret: 's' },
    });
    expect(readConformanceContext({})).toEqual({ scenario: undefined, raw: {} });
  });

  it('refuses a context that is not a JSON object', () => {
    expect(() => readConformanceContext({ MCP_CONFORMANCE_CONTEXT: '[1]' })).toThrow(/not a JSON object/);
    expect(() => readConformanceContext({ MCP_CONFORMANCE_CONTEXT: '{' })).toThrow(/not valid JSON/);
  });
});

describe('createHeadlessAuthorizer', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function authorizationServer(location: string | undefined, status = 302): Promise<string> {
    server = createServer((_req, res) => {
      res.writeHead(status, location === undefined ? {} : { location }).end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/authorize`;
  }

  it('refuses to follow a redirect anywhere but to a loopback callback', async () => {
    const url = await authorizationServer('https://evil.example.com/callback?code=x');
    await expect(createHeadlessAuthorizer()(new URL(url))).rejects.toThrow(/not to the loopback callback/);
  });

  it('says so when the authorization endpoint does not redirect', async () => {
    const url = await authorizationServer(undefined, 200);
    await expect(createHeadlessAuthorizer()(new URL(url))).rejects.toThrow(/answered 200/);
  });
});
