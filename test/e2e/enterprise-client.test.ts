/**
 * Enterprise-managed authorization from the client side (issue 10, points 6 and 7), end to end on
 * loopback: `requestIdJag`, `requestJwtBearerToken` and `signInWithIdJag` (mcp-cimd/client)
 * against a small enterprise IdP (an RFC 8693 token-exchange endpoint that checks the user's ID
 * token and signs ID-JAGs with its own ES256 key, JWKS on loopback) and our authorization server
 * trusting that IdP (`trustedAssertionIssuers`, as `--trusted-assertion-issuer`), with a CIMD
 * client that authenticates with `private_key_jwt` and a key set from mcp-cimd/keys. The token
 * then calls a tool on a real SDK 1.x MCP server behind our middleware. Each refusal is a named test.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt, exportJWK, generateKeyPair, jwtVerify, type KeyObject, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  requestIdJag,
  requestJwtBearerToken,
  signInWithIdJag,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from '../../src/client/enterprise.js';
import { isSignInError } from '../../src/client/errors.js';
import { createClientMetadata } from '../../src/document/create.js';
import { createAssertionSigner, createKeySet, generateClientKey, publicJwks } from '../../src/keys/index.js';
import { E2E_SCOPE, type E2e, serveDocument, startE2e, whoami } from '../helpers/mcp-e2e.js';

const IDP_CLIENT_ID = 'chat-app';
const IDP_CLIENT_SECRET = 'idp-secret-for-the-test';
const USER = 'alice@enterprise.example';

/** An enterprise IdP stand-in: issues ID tokens, exchanges them for ID-JAGs (RFC 8693), serves its JWKS. */
interface Idp {
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** The ID-JAG client_id it names for the IdP client (the MCP client's id at the authorization server). */
  mapClient(clientId: string): void;
  idToken(subject: string): Promise<string>;
  close(): Promise<void>;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function startIdp(): Promise<Idp> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] };
  let issuer = '';
  let mappedClientId = '';
  const sign = (claims: Record<string, unknown>, typ: string, key: KeyObject | CryptoKey = privateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(key);
  const server: Server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/jwks') return reply(200, jwks);
    if (req.url !== '/token' || req.method !== 'POST') return reply(404, { error: 'not_found' });
    const form = await readForm(req);
    if (form.get('client_id') !== IDP_CLIENT_ID || form.get('client_secret') !== IDP_CLIENT_SECRET) {
      return reply(401, { error: 'invalid_client' });
    }
    if (
      form.get('grant_type') !== TOKEN_EXCHANGE_GRANT_TYPE ||
      form.get('requested_token_type') !== ID_JAG_TOKEN_TYPE ||
      form.get('subject_token_type') !== ID_TOKEN_TYPE
    ) {
      return reply(400, { error: 'invalid_request', error_description: 'not an ID-JAG token exchange' });
    }
    let subject: string;
    try {
      const { payload } = await jwtVerify(form.get('subject_token') ?? '', publicKey, {
        issuer,
        audience: IDP_CLIENT_ID,
      });
      subject = String(payload.sub);
    } catch {
      return reply(400, { error: 'invalid_grant', error_description: 'the ID token is not valid' });
    }
    const idJag = await sign(
      {
        sub: subject,
        aud: form.get('audience'),
        client_id: mappedClientId,
        resource: form.get('resource'),
        scope: form.get('scope') ?? E2E_SCOPE,
      },
      'oauth-id-jag+jwt',
    );
    return reply(200, {
      access_token: idJag,
      issued_token_type: ID_JAG_TOKEN_TYPE,
      token_type: 'N_A',
      expires_in: 300,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = origin;
  return {
    issuer,
    tokenEndpoint: `${origin}/token`,
    jwksUri: `${origin}/jwks`,
    mapClient: (clientId) => {
      mappedClientId = clientId;
    },
    idToken: (sub) => sign({ sub, aud: IDP_CLIENT_ID }, 'JWT'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let idp: Idp;
let stranger: Idp;
let e2e: E2e;
let clientId: string;
let signer: Awaited<ReturnType<typeof createAssertionSigner>>;

beforeAll(async () => {
  idp = await startIdp();
  stranger = await startIdp();
  e2e = await startE2e({
    mcpSdk: 1,
    authorizationServer: { trustedAssertionIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] },
  });
  clientId = `${e2e.documentOrigin}/enterprise/client.json`;
  const jwksUri = `${e2e.documentOrigin}/enterprise/jwks.json`;
  const keySet = createKeySet(await generateClientKey('ES256'), { jwksUri });
  const { document } = createClientMetadata({
    clientId,
    clientName: 'E2E enterprise client',
    redirectUris: ['http://127.0.0.1/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri,
    signingAlg: 'ES256',
    scope: E2E_SCOPE,
    allowPrivateNetwork: true,
  });
  serveDocument(
    e2e,
    document as unknown as Record<string, unknown>,
    publicJwks(keySet) as unknown as Record<string, unknown>,
  );
  signer = await createAssertionSigner(keySet);
  idp.mapClient(clientId);
  stranger.mapClient(clientId);
});

afterAll(async () => {
  await e2e?.close();
  await idp?.close();
  await stranger?.close();
});

const idpClient = (which: Idp) => ({
  tokenEndpoint: which.tokenEndpoint,
  clientId: IDP_CLIENT_ID,
  clientSecret: IDP_CLIENT_SECRET,
});

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isSignInError(error, 'ERR_SIGNIN_FAILED'), String(error)).toBe(true);
  return error as Error;
}

describe('enterprise-managed authorization: ID-JAG from the IdP, JWT bearer grant at our server', () => {
  it('signInWithIdJag: discovery, the RFC 8693 exchange, the jwt-bearer grant with private_key_jwt; the token calls a tool', async () => {
    const { tokens, issuer, resource } = await signInWithIdJag({
      serverUrl: e2e.resource,
      idToken: await idp.idToken(USER),
      idp: idpClient(idp),
      client: { clientId, signer },
    });
    expect(issuer).toBe(e2e.issuer);
    expect(resource).toBe(e2e.resource);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeUndefined();
    const claims = decodeJwt(tokens.access_token);
    expect(claims.aud).toBe(e2e.resource);
    expect(claims.client_id).toBe(clientId);
    expect(claims.iss).toBe(e2e.issuer);
    const grant = e2e.tokenExchanges.at(-1);
    expect(grant?.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(grant?.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );

    const client = new Client({ name: 'e2e-enterprise', version: '1.0.0' });
    const authorized = (url: string | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${tokens.access_token}`);
      return fetch(url, { ...init, headers });
    };
    await client.connect(new StreamableHTTPClientTransport(new URL(e2e.resource), { fetch: authorized }));
    try {
      expect(await whoami(client)).toEqual({ clientId, scopes: [E2E_SCOPE] });
    } finally {
      await client.close();
    }
  });

  it('an ID-JAG for another audience (another authorization server) is refused: invalid_grant', async () => {
    const idJag = await requestIdJag({
      idp: idpClient(idp),
      idToken: await idp.idToken(USER),
      audience: 'https://other-authorization-server.example',
      resource: e2e.resource,
    });
    const error = await refusal(
      requestJwtBearerToken({
        tokenEndpoint: `${e2e.issuer}/token`,
        issuer: e2e.issuer,
        assertion: idJag.assertion,
        resource: e2e.resource,
        client: { clientId, signer },
      }),
    );
    expect(error.message).toMatch(/invalid_grant/);
    expect(error.message).toMatch(/aud/);
  });

  it('an ID-JAG from an identity provider the server does not trust is refused: invalid_grant', async () => {
    const idJag = await requestIdJag({
      idp: idpClient(stranger),
      idToken: await stranger.idToken(USER),
      audience: e2e.issuer,
      resource: e2e.resource,
    });
    const error = await refusal(
      requestJwtBearerToken({
        tokenEndpoint: `${e2e.issuer}/token`,
        issuer: e2e.issuer,
        assertion: idJag.assertion,
        resource: e2e.resource,
        client: { clientId, signer },
      }),
    );
    expect(error.message).toMatch(/invalid_grant/);
    expect(error.message).toMatch(/does not trust/);
  });

  it('the IdP refusing the exchange (an ID token it did not issue) fails with its OAuth error, and nothing reaches our server', async () => {
    const before = e2e.tokenExchanges.length;
    const error = await refusal(
      signInWithIdJag({
        serverUrl: e2e.resource,
        idToken: await stranger.idToken(USER),
        idp: idpClient(idp),
        client: { clientId, signer },
      }),
    );
    expect(error.message).toMatch(/token exchange for an ID-JAG .* invalid_grant/);
    expect(e2e.tokenExchanges.length).toBe(before);
  });

  it('without client authentication the grant is not even sent (ERR_SIGNIN_CLIENT_CONFIG)', async () => {
    const error = await requestJwtBearerToken({
      tokenEndpoint: `${e2e.issuer}/token`,
      issuer: e2e.issuer,
      assertion: 'unused',
      resource: e2e.resource,
      client: { clientId },
    }).catch((caught: unknown) => caught);
    expect(isSignInError(error, 'ERR_SIGNIN_CLIENT_CONFIG')).toBe(true);
  });
});
