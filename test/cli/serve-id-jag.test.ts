/**
 * `cimd serve --trusted-assertion-issuer <issuer>=<jwks-uri>` as the built bin (issue 10 point 6):
 * a registered private_key_jwt client trades an ID-JAG signed by a local enterprise-IdP stand-in
 * (its JWKS on loopback) for an access token with the JWT bearer grant (RFC 7523); the metadata
 * lists the grant; a replayed ID-JAG is refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBin } from '../helpers/run-cli.js';
import { freePort, killAll, serve } from '../serve/served.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const IDP = 'https://idp.enterprise.example';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

let idpServer: Server;
let jwksUri: string;
const idpKeys = await generateKeyPair('ES256');

beforeAll(async () => {
  requireBuiltBin();
  const jwks = { keys: [{ ...(await exportJWK(idpKeys.publicKey)), kid: 'idp-1', alg: 'ES256' }] };
  idpServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => idpServer.listen(0, '127.0.0.1', resolve));
  jwksUri = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}/jwks`;
});
afterEach(() => killAll());
afterAll(async () => {
  await new Promise<void>((resolve) => idpServer.close(() => resolve()));
});

describe('cimd serve --trusted-assertion-issuer (the built bin)', () => {
  it('an ID-JAG from the trusted IdP, with private_key_jwt client authentication, gets a resource-bound token once', async () => {
    const port = await freePort();
    const served = await serve(
      [
        '--port',
        String(port),
        '--store',
        'memory',
        '--resource',
        RESOURCE,
        '--trusted-assertion-issuer',
        `${IDP}=${jwksUri}`,
      ],
      { cwd: process.cwd() },
    );
    const issuer = served.listening.issuer;
    const metadata = (await (
      await fetch(`${served.listening.url}/.well-known/oauth-authorization-server`)
    ).json()) as { grant_types_supported: string[]; token_endpoint: string };
    expect(metadata.grant_types_supported).toContain(JWT_BEARER_GRANT);

    // A confidential client, registered with its public key (DCR, application_type required).
    const clientKeys = await generateKeyPair('ES256');
    const registered = await fetch(`${served.listening.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Enterprise agent',
        application_type: 'web',
        redirect_uris: ['https://agent.example.com/callback'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [{ ...(await exportJWK(clientKeys.publicKey)), kid: 'c1', alg: 'ES256' }] },
      }),
    });
    expect(registered.status).toBe(201);
    const { client_id: clientId } = (await registered.json()) as { client_id: string };

    const now = Math.floor(Date.now() / 1000);
    const idJag = await new SignJWT({
      client_id: clientId,
      resource: RESOURCE,
      scope: 'mcp:tools',
      jti: crypto.randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ: 'oauth-id-jag+jwt' })
      .setIssuer(IDP)
      .setSubject('alice@enterprise.example')
      .setAudience(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(idpKeys.privateKey);
    const token = async () =>
      fetch(metadata.token_endpoint.replace(issuer, served.listening.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: JWT_BEARER_GRANT,
          assertion: idJag,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await new SignJWT({ jti: crypto.randomUUID() })
            .setProtectedHeader({ alg: 'ES256', kid: 'c1', typ: 'client-authentication+jwt' })
            .setIssuer(clientId)
            .setSubject(clientId)
            .setAudience(issuer)
            .setIssuedAt(now)
            .setExpirationTime(now + 60)
            .sign(clientKeys.privateKey),
        }),
      });
    const first = await token();
    const body = (await first.json()) as { access_token: string; scope: string; refresh_token?: string };
    expect(first.status, JSON.stringify(body)).toBe(200);
    expect(body.refresh_token).toBeUndefined();
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({ iss: issuer, aud: RESOURCE, client_id: clientId, scope: 'mcp:tools' });
    expect(claims.sub).toMatch(/^u_/);

    const replay = await token();
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
    expect(await served.stop('SIGTERM')).toBe(0);
  });
});
