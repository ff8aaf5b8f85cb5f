/**
 * SEP-2468 (MCP 2026-07-28) / RFC 9207 §2: the authorization server sends `iss` in EVERY
 * authorization response that goes back to the client, error responses included, and says so in
 * its metadata (`authorization_response_iss_parameter_supported`). The value is exactly the
 * metadata `issuer` (clients compare plain strings, so no trailing slash and no normalization).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Harness,
  ISSUER,
  pkce,
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
  s = h.server({ scopesSupported: ['mcp:tools'] });
  clientId = h.client();
});
afterAll(async () => h.close());

describe('SEP-2468 / RFC 9207: iss on error redirects', () => {
  it.each([
    ['unsupported_response_type', { response_type: 'token' }],
    ['invalid_request', { code_challenge: undefined }],
    ['invalid_request', { code_challenge_method: 'plain' }],
    ['invalid_target', { resource: 'https://elsewhere.example.com/mcp' }],
    ['invalid_scope', { scope: 'mcp:tools admin' }],
    ['consent_required', { prompt: 'none' }],
  ] as const)('%s (%j) carries iss equal to the metadata issuer, byte for byte', async (error, extra) => {
    const response = await s.authorize(validParams(clientId, challenge, extra));
    const query = redirectQuery(response, REDIRECT);
    expect(query.get('error')).toBe(error);
    expect(query.getAll('iss')).toEqual([ISSUER]);
    expect(query.get('state')).toBe('st-123');
    const metadata = (await (
      await s.server.fetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`))
    ).json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(query.get('iss'));
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });
});
