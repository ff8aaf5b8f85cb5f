/** Client metadata documents and signing keys for the client tests. */
import type { AssertionSigner } from '../../../src/keys/assertion.js';
import { createAssertionSigner } from '../../../src/keys/assertion.js';
import { generateClientKey } from '../../../src/keys/generate.js';
import { publicJwks } from '../../../src/keys/jwks.js';
import { createKeySet } from '../../../src/keys/key-set.js';

/** The document URL the tests use (never fetched unless a test serves it). */
export const CLIENT_ID = 'https://app.example.com/oauth/client.json';

/** A `none` document registering the loopback callback. */
export function publicDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: CLIENT_ID,
    client_name: 'Test MCP Client',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    application_type: 'native',
    ...overrides,
  };
}

/** A `private_key_jwt` document with an inline JWKS, and the signer of its key. */
export async function privateKeyJwtDocument(): Promise<{
  document: Record<string, unknown>;
  signer: AssertionSigner;
}> {
  const keySet = createKeySet(await generateClientKey('ES256'));
  return {
    document: publicDocument({
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: publicJwks(keySet),
    }),
    signer: await createAssertionSigner(keySet),
  };
}
