/**
 * Issue 9, "races", over real loopback sockets: the authorization server served by
 * @hono/node-server on 127.0.0.1 (development login, memory store), CIMD documents on an HTTPS
 * loopback host (test CA, names resolved by the test's resolver). Each race sends its requests
 * at once over the sockets, as separate clients would:
 *
 * - one consent interaction approved 50 times: exactly one 303 with a code;
 * - that code redeemed 50 times: exactly one 200; the replays revoke the grant;
 * - one refresh token rotated 50 times: exactly one 200; the reuse revokes the family;
 * - one client assertion of a `private_key_jwt` client sent with 50 code exchanges: exactly one 200.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken } from '../../../src/server/random-token.js';
import { type HttpsHost, json, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';
import {
  CALLBACK,
  codeFields,
  openConsent,
  postConsent,
  postToken,
  premadeCodes,
  type ServedServer,
  serveAuthorizationServer,
  testResolver,
} from '../stalls/harness.js';
import { validDocument } from '../stalls/hostile-hosts.js';

const CONCURRENCY = 50;

let ca: TestCa;
let host: HttpsHost;
let served: ServedServer;
let clients = 0;

beforeAll(async () => {
  ca = createTestCa();
  host = await startHttpsHost(ca);
  served = await serveAuthorizationServer({
    allowPrivateNetwork: true,
    fetchOptions: { ca: ca.caCert, resolver: testResolver({ hung: 0 }) },
  });
});

afterAll(async () => {
  await served?.close();
  await host?.close();
  ca?.dispose();
});

/** Serves a document (the valid public one with `extra` on top) at a new path; returns its client_id. */
function serveClient(extra: Record<string, unknown> = {}): string {
  clients += 1;
  const path = `/race/${clients}/client.json`;
  const clientId = `${host.origin}${path}`;
  host.route(path, json({ ...validDocument(clientId), ...extra }));
  return clientId;
}

/** Counts of `<status> <error or "ok">`. */
async function tally(responses: Response[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const response of responses) {
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const error = type.startsWith('application/json')
      ? (JSON.parse(text) as { error?: string }).error
      : undefined;
    const key = `${response.status} ${error ?? 'ok'}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Signs in once (single consent post, single exchange) and returns the token response body. */
async function signIn(clientId: string): Promise<{ access_token: string; refresh_token: string }> {
  const { consent, verifier } = await openConsent(served.issuer, clientId);
  const approved = await postConsent(served.issuer, consent);
  const code = new URL(approved.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const response = await postToken(served.issuer, codeFields(clientId, code, verifier));
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

describe('races over loopback sockets', () => {
  it('one consent interaction approved by 50 concurrent posts → one 303 with a code; that code redeemed by 50 concurrent requests → one 200, and the replays revoke the grant', async () => {
    const clientId = serveClient();
    const { consent, verifier } = await openConsent(served.issuer, clientId);

    const posts = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => postConsent(served.issuer, consent)),
    );
    const redirects = posts.filter((response) => response.status === 303);
    expect(redirects).toHaveLength(1);
    for (const response of posts.filter((r) => r.status !== 303)) {
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('already answered');
    }
    const location = new URL(redirects[0]!.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('iss')).toBe(served.issuer);
    const code = location.searchParams.get('code') ?? '';

    const exchanges = await Promise.all(
      Array.from({ length: CONCURRENCY }, () =>
        postToken(served.issuer, codeFields(clientId, code, verifier)),
      ),
    );
    const winner = exchanges.find((response) => response.status === 200);
    const losers = exchanges.filter((response) => response !== winner);
    expect(await tally(losers)).toEqual({ '400 invalid_grant': CONCURRENCY - 1 });
    const tokens = (await winner!.json()) as { refresh_token: string };
    const refresh = await postToken(served.issuer, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: tokens.refresh_token,
    });
    expect(await tally([refresh])).toEqual({ '400 invalid_grant': 1 });
  });

  it('one refresh token rotated by 50 concurrent requests → one 200; the reuse revokes the family, so the new refresh token is refused', async () => {
    const clientId = serveClient();
    const first = await signIn(clientId);
    const fields = { grant_type: 'refresh_token', client_id: clientId, refresh_token: first.refresh_token };
    const responses = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => postToken(served.issuer, fields)),
    );
    const winner = responses.find((response) => response.status === 200);
    expect(await tally(responses.filter((response) => response !== winner))).toEqual({
      '400 invalid_grant': CONCURRENCY - 1,
    });
    const rotated = (await winner!.json()) as { refresh_token: string };
    const again = await postToken(served.issuer, { ...fields, refresh_token: rotated.refresh_token });
    expect(await tally([again])).toEqual({ '400 invalid_grant': 1 });
  });

  it('one client assertion (one jti) sent with 50 concurrent code exchanges of a private_key_jwt client → one 200, the rest 401 invalid_client', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'race', use: 'sig', alg: 'ES256' };
    const clientId = serveClient({
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [jwk] },
    });
    const codes = await premadeCodes(served, clientId, CONCURRENCY);
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomToken(16) })
      .setProtectedHeader({ alg: 'ES256', kid: 'race', typ: 'client-authentication+jwt' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(served.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    const responses = await Promise.all(
      codes.map(({ code, verifier }) => {
        const { client_id: _id, ...fields } = codeFields(clientId, code, verifier);
        return postToken(served.issuer, {
          ...fields,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        });
      }),
    );
    expect(await tally(responses)).toEqual({ '200 ok': 1, '401 invalid_client': CONCURRENCY - 1 });
  });
});
