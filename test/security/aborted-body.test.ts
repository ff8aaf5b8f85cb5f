/**
 * Issue 9, flaw 7: a client that disconnects mid-body was logged at error level as
 * `endpoint_failed`. Against the real authorization server on a real loopback listener (the one
 * `cimd serve` uses), a raw client sends part of a body and destroys its socket.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listener, listen } from '../../src/serve/listen.js';
import { type AuthorizationServer, createAuthorizationServer, devLogin } from '../../src/server/index.js';
import type { Logger } from '../../src/server/logger.js';
import { createMemoryStore } from '../../src/store/index.js';

interface LogLine {
  level: keyof Logger;
  fields: Record<string, unknown>;
}

const logs: LogLine[] = [];
const record =
  (level: keyof Logger) =>
  (fields: Record<string, unknown>): void => {
    logs.push({ level, fields });
  };
const logger: Logger = {
  debug: record('debug'),
  info: record('info'),
  warn: record('warn'),
  error: record('error'),
};

let server: AuthorizationServer;
let listener: Listener;
const store = createMemoryStore();

beforeAll(async () => {
  listener = await listen({ host: '127.0.0.1', port: 0 });
  server = createAuthorizationServer({
    issuer: listener.origin,
    resources: [`${listener.origin}/mcp`],
    store,
    authenticator: devLogin(),
    logger,
  });
  listener.setHandler((request) => server.fetch(request));
});
afterAll(async () => {
  await listener.close(100);
  await server.close();
  await store.close();
});

/** Sends the headers and the first bytes of a longer body to `path`, then destroys the socket. */
async function abortMidBody(path: string, contentType: string, partial: string): Promise<void> {
  const socket = connect(listener.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${new URL(listener.origin).host}\r\nContent-Type: ${contentType}\r\nContent-Length: 500\r\n\r\n${partial}`,
  );
  // Let the server start reading the body before the connection goes.
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('issue 9 flaw 7: a client that disconnects mid-body is logged at error level as endpoint_failed', () => {
  it.each([
    ['/token', 'token', 'application/x-www-form-urlencoded', 'grant_type=authorization_code&code='],
    ['/revoke', 'revoke', 'application/x-www-form-urlencoded', 'token='],
    ['/register', 'register', 'application/json', '{"redirect_uris":['],
  ])('%s: logged at debug as request_aborted, never as an error', async (path, endpoint, type, partial) => {
    logs.length = 0;
    await abortMidBody(path, type, partial);
    await until(() => logs.some((line) => line.fields.event === 'request_aborted'));
    expect(logs.filter((line) => line.fields.event === 'request_aborted')).toEqual([
      { level: 'debug', fields: { event: 'request_aborted', endpoint } },
    ]);
    expect(logs.filter((line) => line.level === 'error' || line.fields.event === 'endpoint_failed')).toEqual(
      [],
    );
  });

  it('a whole request on the same server is still answered (the listener is unaffected)', async () => {
    const response = await fetch(`${listener.origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });
});
