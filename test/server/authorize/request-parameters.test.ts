/**
 * Once the client and redirect URI are valid, every other problem is REDIRECTED to the
 * validated redirect URI with error, error_description, state and iss (OAuth 2.1 §4.1.2.1,
 * RFC 9207): response_type, PKCE (PKCE-AS-01/02), resource (RES-01/02/05, MCP-AS-12), scope,
 * prompt, request objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consentForm,
  type Harness,
  ISSUER,
  OTHER_RESOURCE,
  pkce,
  RESOURCE,
  redirectQuery,
  startHarness,
  type TestServer,
  validParams,
} from './helpers.js';

const REDIRECT = 'http://127.0.0.1:51004/callback';
let h: Harness;
let s: TestServer;
let clientId: string;
const { challenge } = pkce();

beforeAll(async () => {
  h = await startHarness();
  s = h.server();
  clientId = h.client();
});
afterAll(async () => h.close());

async function refused(extra: Record<string, string | undefined>, error: string, server = s) {
  const response = await server.authorize(validParams(clientId, challenge, extra));
  const query = redirectQuery(response, REDIRECT);
  expect(query.get('error')).toBe(error);
  expect(query.get('error_description')).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
  expect(query.get('iss')).toBe(ISSUER);
  expect(query.has('code')).toBe(false);
  return query;
}

/** Approves the consent page of a valid request and returns the code record. */
async function approve(extra: Record<string, string | undefined>, server = s) {
  const form = await consentForm(await server.authorize(validParams(clientId, challenge, extra)));
  const response = await server.consent(
    { interaction: form.interaction, csrf_token: form.csrfToken, decision: 'approve' },
    { cookie: form.cookie },
  );
  const query = redirectQuery(response, REDIRECT);
  return { query, record: await server.codeRecord(query.get('code') as string) };
}

describe('response_type and request objects', () => {
  it('a missing response_type → invalid_request, state and iss echoed', async () => {
    const query = await refused({ response_type: undefined }, 'invalid_request');
    expect(query.get('state')).toBe('st-123');
  });

  it.each(['token', 'id_token', 'code id_token', 'CODE'])(
    'response_type=%s → unsupported_response_type',
    async (type) => {
      await refused({ response_type: type }, 'unsupported_response_type');
    },
  );

  it.each(['request', 'request_uri'])('%s is not supported → invalid_request', async (name) => {
    const query = await refused({ [name]: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request');
    expect(query.get('error_description')).toContain('request_not_supported');
  });

  it('response_mode other than query → invalid_request', async () => {
    await refused({ response_mode: 'fragment' }, 'invalid_request');
  });

  it('unauthorized_client for a registered client without the authorization_code grant', async () => {
    await s.store.saveClient({
      clientId: 'dcr_refresh_only',
      metadata: {
        client_name: 'x',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['refresh_token'],
      },
      createdAt: s.clock.now(),
    });
    const response = await s.authorize(validParams('dcr_refresh_only', challenge));
    expect(redirectQuery(response, REDIRECT).get('error')).toBe('unauthorized_client');
  });
});

describe('PKCE: required for every client, S256 only', () => {
  it('PKCE-AS-01: no code_challenge → invalid_request redirect', async () => {
    const query = await refused(
      { code_challenge: undefined, code_challenge_method: undefined },
      'invalid_request',
    );
    expect(query.get('error_description')).toContain('PKCE is required');
    expect(query.get('state')).toBe('st-123');
  });

  it('PKCE-AS-02: a challenge without a method means plain → invalid_request', async () => {
    const query = await refused({ code_challenge_method: undefined }, 'invalid_request');
    expect(query.get('error_description')).toContain('plain');
  });

  it.each(['plain', 's256', 'S512', 'S256 '])(
    'PKCE-AS-02: code_challenge_method=%j → invalid_request',
    async (method) => {
      await refused({ code_challenge_method: method }, 'invalid_request');
    },
  );

  it.each([
    ['42 characters', 'a'.repeat(42)],
    ['44 characters', 'a'.repeat(44)],
    ['a padding character', `${'a'.repeat(42)}=`],
    ['standard base64', `${'a'.repeat(41)}+/`],
  ])('a malformed challenge (%s) → invalid_request', async (_name, value) => {
    await refused({ code_challenge: value }, 'invalid_request');
  });

  it('PKCE-AS-03: the code is bound to the challenge', async () => {
    const { record } = await approve({});
    expect(record?.codeChallenge).toBe(challenge);
  });
});

describe('resource (RFC 8707)', () => {
  it('RES-02: absent → the first configured resource', async () => {
    const { record } = await approve({ resource: undefined });
    expect(record?.resources).toEqual([RESOURCE]);
  });

  it('another configured resource is accepted as configured', async () => {
    const { record } = await approve({ resource: OTHER_RESOURCE });
    expect(record?.resources).toEqual([OTHER_RESOURCE]);
  });

  it('MCP-AS-12 / RES-05: an upper-case scheme and host are accepted and stored as configured', async () => {
    const { record } = await approve({ resource: 'HTTPS://MCP.EXAMPLE.COM/mcp' });
    expect(record?.resources).toEqual([RESOURCE]);
  });

  it.each([
    ['a fragment', `${RESOURCE}#f`],
    ['an empty fragment', `${RESOURCE}#`],
    ['a relative reference', '/mcp'],
    ['not a URI', 'mcp server'],
    ['userinfo', 'https://user@mcp.example.com/mcp'],
  ])('RES-01: %s → invalid_target', async (_name, resource) => {
    await refused({ resource }, 'invalid_target');
  });

  it.each([
    ['an unknown host', 'https://evil.example/mcp'],
    ['a different path case', 'https://mcp.example.com/MCP'],
    ['a trailing slash', `${RESOURCE}/`],
  ])('RES-02: %s → invalid_target', async (_name, resource) => {
    await refused({ resource }, 'invalid_target');
  });
});

describe('scope', () => {
  it('space-separated, duplicates collapsed, order kept', async () => {
    const { record } = await approve({ scope: 'b a  b c a' });
    expect(record?.scope).toBe('b a c');
  });

  it('absent → no scopes', async () => {
    const { record } = await approve({ scope: undefined });
    expect(record?.scope).toBe('');
  });

  it('with scopesSupported, an unknown scope → invalid_scope', async () => {
    const strict = h.server({ scopesSupported: ['mcp:read', 'mcp:write'] });
    await refused({ scope: 'mcp:read admin' }, 'invalid_scope', strict);
    const { record } = await approve({ scope: 'mcp:write mcp:read' }, strict);
    expect(record?.scope).toBe('mcp:write mcp:read');
  });

  it.each([
    ['a quote', 'read "write"'],
    ['a backslash', 'read\\write'],
    ['a non-ASCII character', 'lesen schreiben\u00e9'],
    ['a tab', 'read\twrite'],
  ])('a malformed scope (%s) → invalid_scope', async (_name, scope) => {
    await refused({ scope }, 'invalid_scope');
  });
});

describe('prompt', () => {
  it.each(['select_account', 'login select_account', 'create'])(
    'prompt=%s → invalid_request',
    async (prompt) => {
      await refused({ prompt }, 'invalid_request');
    },
  );

  it.each(['none consent', 'none login'])(
    'prompt=%s (none with others) → invalid_request',
    async (prompt) => {
      await refused({ prompt }, 'invalid_request');
    },
  );
});

describe('state and iss (RFC 6749 §4.1.2, RFC 9207)', () => {
  it('no state sent → none echoed, iss always', async () => {
    const query = await refused({ state: undefined, response_type: 'token' }, 'unsupported_response_type');
    expect(query.has('state')).toBe(false);
    expect(query.get('iss')).toBe(ISSUER);
  });

  it('a successful redirect carries code, state and iss and nothing else', async () => {
    const { query } = await approve({});
    expect([...query.keys()].sort()).toEqual(['code', 'iss', 'state']);
    expect(query.get('state')).toBe('st-123');
  });

  it('OAuthParams: an empty parameter counts as absent', async () => {
    const query = await refused({ code_challenge: '' }, 'invalid_request');
    expect(query.get('error_description')).toContain('PKCE is required');
  });
});

describe('POST /authorize (OAuth 2.1 allows a form body)', () => {
  it('a form POST works like a GET', async () => {
    const body = new URLSearchParams(validParams(clientId, challenge) as Record<string, string>);
    const response = await s.server.fetch(
      new Request(`${ISSUER}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
    );
    await consentForm(response);
  });

  it('a POST that is not a form → error page', async () => {
    const response = await s.server.fetch(
      new Request(`${ISSUER}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(validParams(clientId, challenge)),
      }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('a POST with a query string too → error page', async () => {
    const body = new URLSearchParams(validParams(clientId, challenge) as Record<string, string>);
    const response = await s.server.fetch(
      new Request(`${ISSUER}/authorize?client_id=x`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});
