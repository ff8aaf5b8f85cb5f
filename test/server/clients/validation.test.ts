/**
 * Server-side acceptance of fetched documents, by requirement ID (CIMD-AS-02..09, MCP-AS-08,
 * CIMD-DOC-10), against a real HTTPS host on loopback; plus the lint errors the server
 * deliberately tolerates (see TOLERATED_SERVER_SIDE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptClientMetadataDocument } from '../../../src/server/clients/validate-document.js';
import { toOAuthError } from '../../../src/server/oauth-errors.js';
import { createClock, documentFor, type Harness, refusal, startHarness } from './fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Serves `build(url)` at a fresh path and resolves it with a fresh registry. */
async function resolveServed(
  build: (url: string) => unknown,
  options: Parameters<Harness['registry']>[0] = {},
  headers: Record<string, string> = {},
) {
  const path = h.path();
  const url = h.url(path);
  h.serve(path, build(url), headers);
  const registry = h.registry({ now: createClock().now, ...options });
  return { path, url, registry, result: registry.resolveClient(url) };
}

describe('CIMD-AS-02: only 200 OK is a success', () => {
  it.each([201, 203, 204, 206, 304, 404, 410, 500])(
    'status %i is refused, and the message names it',
    async (status) => {
      const path = h.path();
      const url = h.url(path);
      h.serve(path, documentFor(url), {}, status);
      const registry = h.registry();
      const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_FETCH');
      expect(error.status).toBe(status);
      expect(error.fetchCode).toBe('ERR_FETCH_STATUS');
      expect(error.message).toContain(`${url} answered ${status}`);
      expect(toOAuthError(error).toJSON()).toEqual({
        error: 'invalid_client',
        error_description: error.message,
      });
    },
  );
});

describe('CIMD-AS-03: redirects are never followed', () => {
  it.each([301, 302, 303, 307, 308])(
    'a %i to a valid document is refused and the target gets no request',
    async (status) => {
      const target = h.path();
      const targetUrl = h.url(target);
      h.serve(target, documentFor(targetUrl));
      const path = h.path();
      const url = h.url(path);
      h.route(path, (_req, res) => {
        res.writeHead(status, { location: targetUrl }).end();
      });
      const error = await refusal(h.registry().resolveClient(url), 'ERR_CIMD_FETCH');
      expect(error.fetchCode).toBe('ERR_FETCH_REDIRECT');
      expect(h.hits(target)).toBe(0);
    },
  );
});

describe('CIMD-AS-04: the body is a JSON object', () => {
  it.each([
    ['truncated JSON', '{"client_id":', 'application/json'],
    ['an array', '[]', 'application/json'],
    ['a string', '"x"', 'application/json'],
    ['HTML labelled as JSON', '<!doctype html><html><body>hi</body></html>', 'application/json'],
    ['HTML', '<!doctype html><html><body>hi</body></html>', 'text/html; charset=utf-8'],
  ])('%s is refused and not cached', async (_name, body, contentType) => {
    const path = h.path();
    h.serve(path, body, { 'content-type': contentType, 'cache-control': 'max-age=600' });
    const registry = h.registry();
    const error = await refusal(registry.resolveClient(h.url(path)), 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.message).toContain('is not acceptable');
    await refusal(registry.resolveClient(h.url(path)), 'ERR_CIMD_INVALID_DOCUMENT');
    expect(h.hits(path)).toBe(2);
  });
});

describe('CIMD-AS-05: client_id equals the URL byte for byte', () => {
  it.each([
    ['a trailing slash', (url: string) => `${url}/`],
    ['a different host case', (url: string) => url.replace('localhost', 'LOCALHOST')],
    ['a different spelling of the same port', (url: string) => url.replace(/:(\d+)\//, ':0$1/')],
    ['a different path case', (url: string) => url.replace('client.json', 'Client.json')],
  ])('%s is refused with both values', async (_name, mutate) => {
    let said = '';
    const { url, result } = await resolveServed((u) => {
      said = mutate(u);
      return documentFor(said);
    });
    const error = await refusal(result, 'ERR_CIMD_CLIENT_ID_MISMATCH');
    expect(error.message).toMatch(/^the document's client_id does not match its URL/);
    expect(error.message).toContain(url);
    expect(error.message).toContain(said);
    expect(error.documentClientId).toBe(said);
    expect(toOAuthError(error).error).toBe('invalid_client');
  });

  it('an explicit :443 is refused', async () => {
    const error = await acceptClientMetadataDocument(documentFor('https://app.example:443/c.json'), {
      url: 'https://app.example/c.json',
      byteLength: 200,
    }).then(
      () => undefined,
      (reason: unknown) => reason as { code: string; message: string },
    );
    expect(error?.code).toBe('ERR_CIMD_CLIENT_ID_MISMATCH');
    expect(error?.message).toContain('https://app.example:443/c.json');
  });

  it('a missing client_id is refused', async () => {
    const { result } = await resolveServed((url) => {
      const { client_id: _omitted, ...rest } = documentFor(url);
      return rest;
    });
    const error = await refusal(result, 'ERR_CIMD_CLIENT_ID_MISMATCH');
    expect(error.message).toContain('has no client_id');
    expect(error.documentClientId).toBeUndefined();
  });
});

describe('CIMD-AS-06: unknown members and grant types are tolerated', () => {
  it('the VS Code document, with the device-code grant, is accepted; grantTypes is the supported intersection', async () => {
    const { result } = await resolveServed((url) => ({
      application_type: 'native',
      client_id: url,
      client_name: 'Visual Studio Code',
      client_uri: 'https://vscode.dev/product',
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      logo_uri: 'https://code.visualstudio.com/assets/favicon.ico',
      redirect_uris: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      x_vendor_extension: { anything: true },
    }));
    const client = await result;
    expect(client.authMethod).toBe('none');
    expect(client.grantTypes).toEqual(['authorization_code', 'refresh_token']);
    expect(client.redirectUris).toEqual(['http://127.0.0.1:33418/', 'https://vscode.dev/redirect']);
    expect(client.metadata.x_vendor_extension).toEqual({ anything: true });
    expect(client.metadata.grant_types).toContain('urn:ietf:params:oauth:grant-type:device_code');
    expect(Object.isFrozen(client.metadata)).toBe(true);
  });

  it('without grant_types the RFC 7591 default applies: authorization_code only', async () => {
    const { result } = await resolveServed((url) => {
      const { grant_types: _omitted, ...rest } = documentFor(url);
      return rest;
    });
    expect((await result).grantTypes).toEqual(['authorization_code']);
  });
});

describe('CIMD-AS-07: JSON media types', () => {
  it.each(['application/cimd+json', 'application/json; charset=utf-8'])(
    '%s is accepted',
    async (contentType) => {
      const { result } = await resolveServed(documentFor, {}, { 'content-type': contentType });
      await expect(result).resolves.toMatchObject({ authMethod: 'none' });
    },
  );

  it('text/plain is refused', async () => {
    const { result } = await resolveServed(documentFor, {}, { 'content-type': 'text/plain' });
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.fetchCode).toBe('ERR_FETCH_CONTENT_TYPE');
  });
});

describe('CIMD-AS-08: token_endpoint_auth_method', () => {
  it.each(['client_secret_post', 'client_secret_basic', 'client_secret_jwt'])(
    '%s is refused',
    async (method) => {
      const { result } = await resolveServed((url) =>
        documentFor(url, { token_endpoint_auth_method: method }),
      );
      const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
      expect(error.findings.map((finding) => finding.id)).toContain('CIMD-DOC-05');
    },
  );

  it('missing: refused by default (missingAuthMethod "reject") with a clear message', async () => {
    const { result } = await resolveServed((url) => {
      const { token_endpoint_auth_method: _omitted, ...rest } = documentFor(url);
      return rest;
    });
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.message).toContain('has no token_endpoint_auth_method');
    expect(error.findings.map((finding) => finding.id)).toEqual(['CIMD-DOC-11']);
  });

  it('missing: a public client with missingAuthMethod "none"', async () => {
    const { result } = await resolveServed(
      (url) => {
        const { token_endpoint_auth_method: _omitted, ...rest } = documentFor(url);
        return rest;
      },
      { missingAuthMethod: 'none' },
    );
    const client = await result;
    expect(client.authMethod).toBe('none');
    expect(client.metadata.token_endpoint_auth_method).toBeUndefined();
  });

  it('private_key_jwt with jwks_uri and an alg is accepted', async () => {
    const { result } = await resolveServed((url) =>
      documentFor(url, {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks_uri: 'https://keys.example.com/jwks.json',
      }),
    );
    expect((await result).authMethod).toBe('private_key_jwt');
  });

  it('private_key_jwt without keys is refused (CIMD-DOC-12)', async () => {
    const { result } = await resolveServed((url) =>
      documentFor(url, {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
      }),
    );
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-DOC-12');
  });
});

describe('CIMD-AS-09: no secrets', () => {
  it.each([
    ['client_secret', 'hunter2'],
    ['client_secret_expires_at', 0],
  ])('%s is refused', async (member, value) => {
    const { result } = await resolveServed((url) => documentFor(url, { [member]: value }));
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-DOC-06');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('MCP-AS-08: the required members', () => {
  it('a document without client_name is refused', async () => {
    const { result } = await resolveServed((url) => {
      const { client_name: _omitted, ...rest } = documentFor(url);
      return rest;
    });
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toEqual(['CIMD-DOC-09']);
    expect(error.message).toContain('client_name is missing');
  });

  it('a document with an empty redirect_uris is refused', async () => {
    const { result } = await resolveServed((url) => documentFor(url, { redirect_uris: [] }));
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-DOC-09');
  });

  it('a member of the wrong type is refused (CIMD-DOC-02)', async () => {
    const { result } = await resolveServed((url) => documentFor(url, { client_name: 42 }));
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-DOC-02');
  });
});

describe('CIMD-DOC-10: redirect URIs are https, loopback http or reverse-domain private-use schemes', () => {
  it.each([
    'https://app.example.com/callback',
    'http://127.0.0.1/callback',
    'http://[::1]:8080/cb',
    'com.example.app:/callback',
  ])('%s is accepted', async (uri) => {
    const { result } = await resolveServed((url) => documentFor(url, { redirect_uris: [uri] }));
    expect((await result).redirectUris).toEqual([uri]);
  });

  it.each([
    ['http on a non-loopback host', 'http://192.168.1.5/cb', 'CIMD-DOC-10'],
    ['a fragment', 'https://app.example.com/cb#x', 'CIMD-DOC-10'],
    ['a private-use scheme without a dot', 'myapp:/callback', 'RURI-06'],
  ])('%s is refused', async (_name, uri, id) => {
    const { result } = await resolveServed((url) => documentFor(url, { redirect_uris: [uri] }));
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain(id);
  });
});

describe('lint errors the server tolerates (TOLERATED_SERVER_SIDE), and those it does not', () => {
  it('warnings never refuse: a lone loopback redirect, no refresh_token, a long name', async () => {
    const { result } = await resolveServed((url) =>
      documentFor(url, {
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code'],
        client_name: 'n'.repeat(150),
      }),
    );
    await expect(result).resolves.toMatchObject({ grantTypes: ['authorization_code'] });
  });

  it('private_key_jwt without token_endpoint_auth_signing_alg is accepted (the verifier allowlist applies)', async () => {
    const { result } = await resolveServed((url) =>
      documentFor(url, {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://keys.example.com/jwks.json',
      }),
    );
    expect((await result).authMethod).toBe('private_key_jwt');
  });

  it('an implicit grant is ignored, never granted', async () => {
    const { result } = await resolveServed((url) =>
      documentFor(url, { grant_types: ['authorization_code', 'implicit'] }),
    );
    expect((await result).grantTypes).toEqual(['authorization_code']);
  });

  it('an extra token response type is ignored; response_types without "code" is refused', async () => {
    const extra = await resolveServed((url) => documentFor(url, { response_types: ['code', 'token'] }));
    await expect(extra.result).resolves.toBeDefined();
    const none = await resolveServed((url) => documentFor(url, { response_types: ['token'] }));
    await refusal(none.result, 'ERR_CIMD_INVALID_DOCUMENT');
  });

  it('a bad display-only URL (logo_uri over http) is dropped from the metadata; a bad jwks_uri refuses', async () => {
    const logo = await resolveServed((url) =>
      documentFor(url, {
        logo_uri: 'http://cdn.example.com/logo.png',
        policy_uri: 'https://app.example.com/p',
      }),
    );
    const client = await logo.result;
    expect(client.metadata).not.toHaveProperty('logo_uri');
    expect(client.metadata.policy_uri).toBe('https://app.example.com/p');
    const keys = await resolveServed((url) =>
      documentFor(url, {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks_uri: 'http://keys.example.com/jwks.json',
      }),
    );
    const error = await refusal(keys.result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-LINT-07');
  });

  it('unused keys of a "none" client may be imperfect, but published private key material refuses', async () => {
    const kidless = await resolveServed((url) =>
      documentFor(url, { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'BBBB' }] } }),
    );
    await expect(kidless.result).resolves.toBeDefined();
    const leaked = await resolveServed((url) =>
      documentFor(url, {
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', kid: 'k', x: 'AAAA', y: 'BBBB', d: 'CCCC' }] },
      }),
    );
    const error = await refusal(leaked.result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-KEY-03');
  });

  it('key errors of a private_key_jwt client refuse (kid missing)', async () => {
    const { result } = await resolveServed((url) =>
      documentFor(url, {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'BBBB' }] },
      }),
    );
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-KEY-06');
  });

  it('grant_types without authorization_code refuses (CIMD-LINT-03)', async () => {
    const { result } = await resolveServed((url) =>
      documentFor(url, { grant_types: ['urn:ietf:params:oauth:grant-type:device_code'] }),
    );
    const error = await refusal(result, 'ERR_CIMD_INVALID_DOCUMENT');
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-LINT-03');
  });
});

describe('the client_id URL is checked before anything is fetched', () => {
  it.each([
    ['no path', (origin: string) => `${origin}/`],
    ['a fragment', (origin: string) => `${origin}/c.json#x`],
    ['a dot segment', (origin: string) => `${origin}/a/../c.json`],
    ['userinfo', (origin: string) => origin.replace('https://', 'https://user@')],
  ])('%s: ERR_CIMD_INVALID_CLIENT_ID with zero requests', async (_name, build) => {
    const before = [...h.host.hits.values()].reduce((sum, count) => sum + count, 0);
    const clientId = build(h.host.origin);
    const error = await refusal(h.registry().resolveClient(clientId), 'ERR_CIMD_INVALID_CLIENT_ID');
    expect(error.findings.length).toBeGreaterThan(0);
    expect(toOAuthError(error).error).toBe('invalid_client');
    const after = [...h.host.hits.values()].reduce((sum, count) => sum + count, 0);
    expect(after).toBe(before);
  });

  it('without allowPrivateNetwork a loopback client_id is refused (CIMD-URL-09)', async () => {
    const path = h.path();
    h.serve(path, documentFor(h.url(path)));
    const error = await refusal(
      h.registry({ allowPrivateNetwork: false }).resolveClient(h.url(path)),
      'ERR_CIMD_INVALID_CLIENT_ID',
    );
    expect(error.findings.map((finding) => finding.id)).toContain('CIMD-URL-09');
    expect(h.hits(path)).toBe(0);
  });

  it('a failed fetch never reveals the address a name resolved to', async () => {
    const path = h.path();
    h.serve(path, {}, {}, 500);
    const error = await refusal(h.registry().resolveClient(h.url(path)), 'ERR_CIMD_FETCH');
    expect(error.message).not.toContain('127.0.0.1');
  });
});
