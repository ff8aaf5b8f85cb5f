import { describe, expect, it } from 'vitest';
import {
  CimdError,
  createClientMetadata,
  InvalidClientMetadataError,
  isCimdError,
  lintClientMetadata,
  PLACEHOLDER_CLIENT_ID,
} from '../../src/index.js';

const CLIENT_ID = 'https://app.example.com/oauth/client.json';
const MINIMAL = {
  clientId: CLIENT_ID,
  clientName: 'Example App',
  redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
};
const EC_KEY = { kty: 'EC', crv: 'P-256', x: 'xxxx', y: 'yyyy', kid: 'k1', use: 'sig', alg: 'ES256' };

function refusal(run: () => unknown): InvalidClientMetadataError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidClientMetadataError) return error;
    throw error;
  }
  throw new Error('expected createClientMetadata to throw');
}

describe('createClientMetadata', () => {
  it('writes the required members and the defaults, in order', () => {
    const created = createClientMetadata(MINIMAL);
    expect(Object.keys(created.document)).toEqual([
      'client_id',
      'client_name',
      'redirect_uris',
      'token_endpoint_auth_method',
      'grant_types',
      'response_types',
    ]);
    expect(created.document).toEqual({
      client_id: CLIENT_ID,
      client_name: 'Example App',
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    expect(created.placeholder).toBe(false);
    // Without a scope option the document has no scope: the linter says so (info).
    expect(created.findings.map((f) => [f.id, f.severity])).toEqual([['CIMD-LINT-16', 'info']]);
  });

  it('puts every optional member after the required ones, in the documented order', () => {
    const created = createClientMetadata({
      softwareVersion: '1.2.3',
      softwareId: 'example-app',
      applicationType: 'native',
      contacts: ['ops@example.com'],
      policyUri: 'https://app.example.com/privacy',
      tosUri: 'https://app.example.com/terms',
      logoUri: 'https://app.example.com/logo.png',
      clientUri: 'https://app.example.com/',
      scope: 'mcp:tools',
      jwksUri: 'https://app.example.com/oauth/jwks.json',
      signingAlg: 'ES256',
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      ...MINIMAL,
    });
    expect(Object.keys(created.document)).toEqual([
      'client_id',
      'client_name',
      'redirect_uris',
      'token_endpoint_auth_method',
      'grant_types',
      'response_types',
      'token_endpoint_auth_signing_alg',
      'jwks_uri',
      'scope',
      'client_uri',
      'logo_uri',
      'tos_uri',
      'policy_uri',
      'contacts',
      'application_type',
      'software_id',
      'software_version',
    ]);
    expect(created.findings).toEqual([]);
  });

  it('puts an inline jwks where jwks_uri would go, and copies it', () => {
    const jwks = { keys: [EC_KEY] };
    const created = createClientMetadata({
      ...MINIMAL,
      tokenEndpointAuthMethod: 'private_key_jwt',
      signingAlg: 'ES256',
      jwks,
    });
    expect(Object.keys(created.document).slice(6)).toEqual(['token_endpoint_auth_signing_alg', 'jwks']);
    expect(created.document.jwks).toEqual(jwks);
    expect(created.document.jwks).not.toBe(jwks);
  });

  it('omits options that are not given, and honours custom grant types', () => {
    const created = createClientMetadata({
      ...MINIMAL,
      grantTypes: ['authorization_code', 'refresh_token', 'urn:x:custom'],
    });
    expect(created.document.grant_types).toEqual(['authorization_code', 'refresh_token', 'urn:x:custom']);
    expect('scope' in created.document).toBe(false);
  });

  it('does not share arrays with the options', () => {
    const redirectUris = [...MINIMAL.redirectUris];
    const created = createClientMetadata({ ...MINIMAL, redirectUris });
    redirectUris.push('https://evil.example.com/cb');
    expect(created.document.redirect_uris).toHaveLength(2);
  });

  it('returns warnings (never errors) as findings', () => {
    const created = createClientMetadata({
      ...MINIMAL,
      redirectUris: ['http://127.0.0.1/callback'],
      grantTypes: ['authorization_code'],
    });
    expect(created.findings.map((f) => f.id)).toEqual(['CIMD-LINT-02', 'CIMD-LINT-09', 'CIMD-LINT-16']);
  });

  it('produces a document lintClientMetadata accepts at its URL', () => {
    const created = createClientMetadata(MINIMAL);
    expect(lintClientMetadata(JSON.parse(created.toJSON()), { url: CLIENT_ID }).valid).toBe(true);
  });

  describe('toJSON', () => {
    it('is pretty (two spaces) by default and compact with false, without a trailing newline', () => {
      const created = createClientMetadata(MINIMAL);
      expect(created.toJSON()).toBe(JSON.stringify(created.document, null, 2));
      expect(created.toJSON(true)).toBe(created.toJSON());
      expect(created.toJSON(false)).toBe(JSON.stringify(created.document));
      expect(created.toJSON().endsWith('\n')).toBe(false);
      expect(created.toJSON().startsWith('{\n  "client_id": ')).toBe(true);
    });
  });

  describe('placeholder', () => {
    it('uses the placeholder without clientId, and warns instead of failing the URL rules', () => {
      const { clientId: _omit, ...options } = MINIMAL;
      const created = createClientMetadata(options);
      expect(created.placeholder).toBe(true);
      expect(created.document.client_id).toBe(PLACEHOLDER_CLIENT_ID);
      expect(created.findings.map((f) => [f.id, f.severity, f.path])).toEqual([
        ['CIMD-LINT-15', 'warning', '$.client_id'],
        ['CIMD-LINT-16', 'info', '$'],
      ]);
      expect(created.findings[0]?.message).toContain('placeholder');
    });

    it('still refuses other errors with a placeholder', () => {
      const { clientId: _omit, ...options } = MINIMAL;
      const error = refusal(() =>
        createClientMetadata({ ...options, redirectUris: ['http://192.168.0.2/cb'] }),
      );
      expect(error.findings.map((f) => f.id)).toContain('CIMD-DOC-10');
      expect(error.findings.map((f) => f.id)).not.toContain('CIMD-URL-09');
    });

    it('the placeholder never passes as a real client_id', () => {
      const report = lintClientMetadata({
        ...createClientMetadata({ ...MINIMAL, clientId: undefined as unknown as string }).document,
      });
      expect(report.valid).toBe(false);
      expect(report.findings.map((f) => f.id)).toEqual(['CIMD-URL-09', 'CIMD-LINT-15', 'CIMD-LINT-16']);
    });
  });

  describe('refusals', () => {
    it.each([
      ['CIMD-URL-01', { clientId: 'http://app.example.com/client.json' }],
      ['CIMD-URL-02', { clientId: 'https://app.example.com/' }],
      ['CIMD-URL-04', { clientId: `${CLIENT_ID}#` }],
      ['CIMD-URL-09', { clientId: 'https://localhost/client.json' }],
      ['CIMD-DOC-09', { redirectUris: [] }],
      ['CIMD-DOC-10', { redirectUris: ['http://192.168.1.5/cb'] }],
      ['RURI-06', { redirectUris: ['myapp://cb'] }],
      ['CIMD-DOC-12', { tokenEndpointAuthMethod: 'private_key_jwt' }],
      ['CIMD-DOC-05', { tokenEndpointAuthMethod: 'client_secret_basic' as 'none' }],
      [
        'CIMD-DOC-08',
        {
          tokenEndpointAuthMethod: 'private_key_jwt',
          signingAlg: 'ES256',
          jwksUri: 'https://app.example.com/j',
          jwks: { keys: [EC_KEY] },
        },
      ],
      [
        'CIMD-KEY-03',
        {
          tokenEndpointAuthMethod: 'private_key_jwt',
          signingAlg: 'ES256',
          jwks: { keys: [{ ...EC_KEY, d: 'x' }] },
        },
      ],
      [
        'CIMD-KEY-07',
        {
          tokenEndpointAuthMethod: 'private_key_jwt',
          signingAlg: 'HS256',
          jwksUri: 'https://app.example.com/j',
        },
      ],
      ['CIMD-LINT-03', { grantTypes: ['refresh_token'] }],
      ['CIMD-LINT-07', { logoUri: 'http://app.example.com/logo.png' }],
      ['CIMD-DOC-02', { clientName: 42 as unknown as string }],
    ] as const)('throws InvalidClientMetadataError naming %s', (id, patch) => {
      const error = refusal(() =>
        createClientMetadata({ ...MINIMAL, ...patch } as Parameters<typeof createClientMetadata>[0]),
      );
      expect(error.code).toBe('ERR_INVALID_CLIENT_METADATA');
      expect(error).toBeInstanceOf(CimdError);
      expect(isCimdError(error, 'ERR_INVALID_CLIENT_METADATA')).toBe(true);
      expect(error.name).toBe('InvalidClientMetadataError');
      expect(error.findings.map((f) => f.id)).toContain(id);
      expect(error.message).toContain(id);
      expect(error.findings[0]?.severity).toBe('error');
    });

    it('allowPrivateNetwork accepts a local development host, but never http', () => {
      const local = { ...MINIMAL, clientId: 'https://127.0.0.1:8443/client.json', allowPrivateNetwork: true };
      expect(createClientMetadata(local).document.client_id).toBe('https://127.0.0.1:8443/client.json');
      expect('allowPrivateNetwork' in createClientMetadata(local).document).toBe(false);
      const error = refusal(() =>
        createClientMetadata({ ...local, clientId: 'http://127.0.0.1:8443/client.json' }),
      );
      expect(error.findings.map((f) => f.id)).toEqual(['CIMD-URL-01', 'CIMD-LINT-16']);
    });

    it('refuses options that are not an object', () => {
      expect(() =>
        createClientMetadata(null as unknown as Parameters<typeof createClientMetadata>[0]),
      ).toThrow(/options/);
    });
  });
});
