/**
 * DCR initial access tokens (RFC 7591 §3): with `registration.initialAccessTokens`, /register
 * needs `Authorization: Bearer <one of them>` and answers 401 `invalid_token` (RFC 6750 §3.1)
 * otherwise, before reading the body; without them registration stays open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCimdError } from '../../../src/errors.js';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  devLogin,
  type RegistrationOptions,
} from '../../../src/server/index.js';
import { createMemoryStore } from '../../../src/store/index.js';

const ISSUER = 'http://127.0.0.1:4000';
const TOKENS = ['first-token-aaaaaaaaaaaaaaaa', 'second-token-bbbbbbbbbbbbbbbb'];
const BODY = JSON.stringify({
  client_name: 'Registered MCP client',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/callback'],
});

let server: AuthorizationServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function start(registration: boolean | RegistrationOptions): AuthorizationServer {
  server = createAuthorizationServer({
    issuer: ISSUER,
    resources: ['https://mcp.example.com/mcp'],
    store: createMemoryStore(),
    authenticator: devLogin(),
    registration,
    rateLimit: false,
  });
  return server;
}

function register(target: AuthorizationServer, authorization?: string, body = BODY): Promise<Response> {
  return target.fetch(
    new Request(`${ISSUER}/register`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body,
    }),
  );
}

async function expectInvalidToken(response: Response, challenge: string): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe(challenge);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
}

describe('initial access tokens at /register', () => {
  it('registers with any of the tokens', async () => {
    const as = start({ initialAccessTokens: TOKENS });
    for (const token of TOKENS) {
      const response = await register(as, `Bearer ${token}`);
      expect(response.status).toBe(201);
    }
    expect((await register(as, `bearer ${TOKENS[0]}`)).status).toBe(201); // the scheme is case-insensitive
  });

  it('401 without Authorization (a bare Bearer challenge), and nothing is registered', async () => {
    const as = start({ initialAccessTokens: TOKENS });
    await expectInvalidToken(await register(as), 'Bearer');
  });

  it('401 invalid_token for a wrong, truncated, extended or non-Bearer token', async () => {
    const as = start({ initialAccessTokens: TOKENS });
    const first = TOKENS[0] as string;
    for (const authorization of [
      'Bearer wrong-token-cccccccccccccccc',
      `Bearer ${first.slice(0, -1)}`,
      `Bearer ${first}x`,
      `Basic ${Buffer.from(`x:${first}`).toString('base64')}`,
      `Bearer ${first} ${first}`,
      'Bearer',
    ]) {
      await expectInvalidToken(await register(as, authorization), 'Bearer error="invalid_token"');
    }
  });

  it('checks the token before the body: a bad body without a token is still 401', async () => {
    const as = start({ initialAccessTokens: TOKENS });
    await expectInvalidToken(await register(as, undefined, '{not json'), 'Bearer');
  });

  it('without tokens, registration stays open', async () => {
    expect((await register(start(true))).status).toBe(201);
    expect((await register(start({ requireApplicationType: true }))).status).toBe(201);
  });

  it.each([[[]], [['short']], [['has spaces in the middle of it']], [['ok-token-aaaaaaaaaaaaaaaa', 'tiny']]])(
    'refuses initialAccessTokens %j',
    (tokens) => {
      let error: unknown;
      try {
        start({ initialAccessTokens: tokens });
      } catch (caught) {
        error = caught;
      }
      expect(isCimdError(error, 'ERR_INVALID_OPTION')).toBe(true);
    },
  );
});
