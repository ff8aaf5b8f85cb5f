/**
 * Token-endpoint client authentication: the private_key_jwt assertion's claims (PKJ: aud is the
 * issuer as a string, typ, a unique jti, a 60 s lifetime, the current kid), `none`, and the
 * secret methods of pre-registered and DCR clients.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type AssertionSignerLike,
  applyClientAuthentication,
  JWT_BEARER_ASSERTION_TYPE,
  selectRegisteredClientMethod,
} from '../../src/client/client-auth.js';
import type { AuthorizationServerMetadataLike } from '../../src/client/oauth-types.js';
import { CimdOAuthClientProvider } from '../../src/client/provider.js';
import { CLIENT_ID, privateKeyJwtDocument, publicDocument } from './helpers/documents.js';

const AS = 'https://as.example.com/';
const METADATA: AuthorizationServerMetadataLike = {
  issuer: 'https://as.example.com',
  authorization_endpoint: 'https://as.example.com/authorize',
  token_endpoint: 'https://as.example.com/token',
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
  client_id_metadata_document_supported: true,
};

async function cimdProvider(document: Record<string, unknown>, signer?: AssertionSignerLike) {
  const provider = new CimdOAuthClientProvider({
    serverUrl: 'https://mcp.example.com/mcp',
    clientMetadataUrl: CLIENT_ID,
    document,
    ...(signer === undefined ? {} : { signer }),
  });
  provider.saveDiscoveryState({ authorizationServerUrl: AS, authorizationServerMetadata: METADATA });
  await provider.clientInformation();
  return provider;
}

describe('private_key_jwt assertions (MCP-C-14)', () => {
  it('aud is the issuer string, typ client-authentication+jwt, jti unique across 1000, exp - iat = 60, kid of the current key', async () => {
    const { document, signer } = await privateKeyJwtDocument();
    const provider = await cimdProvider(document, signer);
    const jtis = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      const headers = new Headers();
      const params = new URLSearchParams({ grant_type: 'authorization_code' });
      await provider.addClientAuthentication(headers, params, METADATA.token_endpoint, METADATA);
      expect(params.get('client_assertion_type')).toBe(JWT_BEARER_ASSERTION_TYPE);
      expect(params.get('client_id')).toBe(CLIENT_ID);
      expect(headers.get('authorization')).toBeNull();
      const assertion = params.get('client_assertion') ?? '';
      const header = decodeProtectedHeader(assertion);
      const claims = decodeJwt(assertion);
      expect(header).toMatchObject({ typ: 'client-authentication+jwt', alg: 'ES256', kid: signer.kid });
      expect(claims.aud).toBe('https://as.example.com');
      expect(typeof claims.aud).toBe('string');
      expect(claims.iss).toBe(CLIENT_ID);
      expect(claims.sub).toBe(CLIENT_ID);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
      expect(typeof claims.jti).toBe('string');
      jtis.add(claims.jti ?? '');
    }
    expect(jtis.size).toBe(1000);
  });

  it('takes a plain signer function too', async () => {
    const { document } = await privateKeyJwtDocument();
    const calls: Array<{ clientId: string; audience: string }> = [];
    const provider = await cimdProvider(document, async (input) => {
      calls.push(input);
      return 'a.b.c';
    });
    const params = new URLSearchParams();
    await provider.addClientAuthentication(new Headers(), params, METADATA.token_endpoint, METADATA);
    expect(calls).toEqual([{ clientId: CLIENT_ID, audience: 'https://as.example.com' }]);
    expect(params.get('client_assertion')).toBe('a.b.c');
  });

  it('refuses at the token endpoint too when the server does not list private_key_jwt', async () => {
    const { document, signer } = await privateKeyJwtDocument();
    const provider = await cimdProvider(document, signer);
    const without = { ...METADATA, token_endpoint_auth_methods_supported: ['none'] };
    await expect(
      provider.addClientAuthentication(new Headers(), new URLSearchParams(), without.token_endpoint, without),
    ).rejects.toMatchObject({ code: 'ERR_SIGNIN_AUTH_METHOD' });
  });
});

describe('other methods', () => {
  it('a none CIMD client sends only client_id', async () => {
    const provider = await cimdProvider(publicDocument());
    const headers = new Headers();
    const params = new URLSearchParams();
    await provider.addClientAuthentication(headers, params, METADATA.token_endpoint, METADATA);
    expect([...params.keys()]).toEqual(['client_id']);
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(headers.get('authorization')).toBeNull();
  });

  it('client_secret_basic form-encodes the id and secret (RFC 6749 §2.3.1)', async () => {
    const headers = new Headers();
    const params = new URLSearchParams();
    await applyClientAuthentication(
      { method: 'client_secret_basic', clientId: 'a b:c', clientSecret: 'p%ss' },
      headers,
      params,
    );
    expect(headers.get('authorization')).toBe(`Basic ${Buffer.from('a+b%3Ac:p%25ss').toString('base64')}`);
    expect([...params.keys()]).toEqual([]);
  });

  it('client_secret_post puts both in the body', async () => {
    const params = new URLSearchParams();
    await applyClientAuthentication(
      { method: 'client_secret_post', clientId: 'id', clientSecret: 's' },
      new Headers(),
      params,
    );
    expect(params.toString()).toBe('client_id=id&client_secret=s');
  });

  it('chooses a registered client’s method like the server lists them', () => {
    expect(
      selectRegisteredClientMethod({
        declared: 'client_secret_post',
        hasSecret: true,
        supported: ['client_secret_post'],
      }),
    ).toBe('client_secret_post');
    expect(selectRegisteredClientMethod({ hasSecret: true, supported: undefined })).toBe(
      'client_secret_basic',
    );
    expect(selectRegisteredClientMethod({ hasSecret: true, supported: ['client_secret_post', 'none'] })).toBe(
      'client_secret_post',
    );
    expect(
      selectRegisteredClientMethod({ hasSecret: false, supported: ['client_secret_basic', 'none'] }),
    ).toBe('none');
  });
});
