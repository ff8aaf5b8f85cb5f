import { describe, expect, it } from 'vitest';
import { type Finding, InvalidOptionError, type LintOptions, lintClientMetadata } from '../../src/index.js';

const BASE = {
  client_id: 'https://app.example.com/oauth/client.json',
  client_name: 'Example App',
  redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'mcp:tools',
};
const EC_KEY = { kty: 'EC', crv: 'P-256', x: 'xxxx', y: 'yyyy', kid: 'k1' };
const PKJ = {
  ...BASE,
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  jwks_uri: 'https://app.example.com/oauth/jwks.json',
};

function withPatch(
  patch: Record<string, unknown>,
  base: Record<string, unknown> = BASE,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete out[key];
  return out;
}
const findingsOf = (input: unknown, options?: LintOptions): Finding[] =>
  lintClientMetadata(input, options).findings;
const idsOf = (input: unknown, options?: LintOptions): string[] =>
  findingsOf(input, options).map((finding) => finding.id);
const only = (input: unknown, id: string, options?: LintOptions): Finding[] =>
  findingsOf(input, options).filter((finding) => finding.id === id);

/** Documents reported by third parties (cimd-requirements.md §4.1), rebuilt from that table. */
const REAL_WORLD: Record<string, Record<string, unknown>> = {
  'VS Code': {
    client_id: 'https://vscode.dev/oauth/client-metadata.json',
    client_name: 'Visual Studio Code',
    redirect_uris: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    application_type: 'native',
    client_uri: 'https://vscode.dev/product',
    logo_uri: 'https://code.visualstudio.com/assets/branding/code-stable.png',
  },
  'Claude Code': {
    client_id: 'https://claude.ai/oauth/claude-code-client-metadata',
    client_name: 'Claude Code',
    redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
  Codex: {
    client_id: 'https://chatgpt.com/oauth/codex/client.json',
    client_name: 'Codex',
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
  ChatGPT: {
    client_id: 'https://chatgpt.com/oauth/client.json',
    client_name: 'ChatGPT',
    redirect_uris: ['https://chatgpt.com/connector_platform_oauth_redirect'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks_uri: 'https://chatgpt.com/oauth/jwks.json',
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
  'claude.ai': {
    client_id: 'https://claude.ai/oauth/mcp-oauth-client-metadata',
    client_name: 'Claude',
    redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    response_types: ['code'],
  },
};

describe('lintClientMetadata', () => {
  describe('report', () => {
    it('is valid with no findings for a good document, and returns the parsed document', () => {
      const report = lintClientMetadata(BASE);
      expect(report).toEqual({ valid: true, findings: [], document: BASE });
    });

    it('keeps unknown members in the document (CIMD-DOC-04) in the input order', () => {
      const input = { 'x-extra': 1, ...BASE, 'client_name#ja': 'アプリ' };
      const report = lintClientMetadata(input);
      expect(report.valid).toBe(true);
      expect(report.document).toEqual(input);
      expect(Object.keys(report.document ?? {})).toEqual(Object.keys(input));
    });

    it('sorts findings: errors, then warnings, then info; then by path (numerically)', () => {
      const input = withPatch({
        client_uri: 'https://elsewhere.example.net/',
        grant_types: ['authorization_code'],
        redirect_uris: Array.from({ length: 12 }, (_, i) => `http://192.168.1.${i}/cb`),
        client_secret: 'x',
      });
      const findings = findingsOf(input);
      const rank = { error: 0, warning: 1, info: 2 } as const;
      for (let i = 1; i < findings.length; i++) {
        expect(rank[findings[i - 1]!.severity]).toBeLessThanOrEqual(rank[findings[i]!.severity]);
      }
      const redirectPaths = findings.filter((f) => f.id === 'CIMD-DOC-10').map((f) => f.path);
      expect(redirectPaths.slice(0, 3)).toEqual([
        '$.redirect_uris[0]',
        '$.redirect_uris[1]',
        '$.redirect_uris[2]',
      ]);
      expect(redirectPaths.at(-1)).toBe('$.redirect_uris[11]');
      expect(findings.at(-1)?.severity).toBe('info');
    });

    it('is valid with warnings only', () => {
      const report = lintClientMetadata(withPatch({ grant_types: undefined }));
      expect(report.valid).toBe(true);
      expect(report.findings.map((f) => f.id)).toEqual(['CIMD-LINT-02']);
    });

    it('refuses bad options with InvalidOptionError', () => {
      expect(() => lintClientMetadata(BASE, { byteLength: -1 })).toThrow(InvalidOptionError);
      expect(() => lintClientMetadata(BASE, { byteLength: 1.5 })).toThrow(/byteLength/);
      expect(() => lintClientMetadata(BASE, { url: 42 as unknown as string })).toThrow(/url/);
    });
  });

  describe('real-world documents (cimd-requirements.md §4.1)', () => {
    it.each(Object.entries(REAL_WORLD))('%s lints without errors', (_name, input) => {
      const report = lintClientMetadata(input, { url: input.client_id as string });
      expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(report.valid).toBe(true);
      expect(report.document).toBeDefined();
    });

    it('VS Code draws only the loopback-twin warning (its client_uri shares the client_id origin) and the no-scope info', () => {
      expect(findingsOf(REAL_WORLD['VS Code']).map((f) => [f.id, f.path])).toEqual([
        ['CIMD-LINT-09', '$.redirect_uris[0]'],
        ['CIMD-LINT-16', '$'],
      ]);
      expect(only(REAL_WORLD['VS Code'], 'CIMD-LINT-09')[0]?.message).toContain('http://localhost:33418/');
    });

    it('Claude Code and Codex, which list both loopback hosts, draw only the no-scope info', () => {
      expect(idsOf(REAL_WORLD['Claude Code'])).toEqual(['CIMD-LINT-16']);
      expect(idsOf(REAL_WORLD.Codex)).toEqual(['CIMD-LINT-16']);
    });

    it('CIMD-LINT-16: a document without scope is told the client may ask for any scope (info, still valid)', () => {
      const report = lintClientMetadata(withPatch({ scope: undefined }));
      expect(report.valid).toBe(true);
      expect(report.findings).toEqual([
        expect.objectContaining({
          id: 'CIMD-LINT-16',
          severity: 'info',
          message: expect.stringContaining('no scope: the client may ask for any scope the server offers'),
        }),
      ]);
      expect(idsOf(withPatch({ scope: 'read' }))).toEqual([]);
    });
  });

  describe('CIMD-DOC-02 a JSON object with well-typed members', () => {
    it.each([
      ['an array', []],
      ['null', null],
      ['a string', '{"client_id":"x"}'],
      ['a number', 5],
    ])('CIMD-DOC-02 refuses %s with no document', (_label, input) => {
      const report = lintClientMetadata(input);
      expect(report.valid).toBe(false);
      expect(report.findings.map((f) => [f.id, f.path])).toEqual([['CIMD-DOC-02', '$']]);
      expect(report.document).toBeUndefined();
    });

    it('CIMD-DOC-02 refuses undefined and values that are not JSON', () => {
      expect(idsOf(undefined)).toContain('CIMD-DOC-02');
      expect(idsOf({ ...BASE, n: 10n })).toContain('CIMD-DOC-02');
    });

    it.each([
      [{ redirect_uris: 'http://127.0.0.1/callback' }, '$.redirect_uris', 'array'],
      [{ redirect_uris: ['http://127.0.0.1/callback', 7] }, '$.redirect_uris[1]', 'string'],
      [{ client_name: null }, '$.client_name', 'string'],
      [{ client_id: 42 }, '$.client_id', 'string'],
      [{ grant_types: 'authorization_code' }, '$.grant_types', 'array'],
      [{ scope: ['a', 'b'] }, '$.scope', 'space-separated'],
      [{ contacts: [1] }, '$.contacts[0]', 'string'],
      [{ token_endpoint_auth_method: 1 }, '$.token_endpoint_auth_method', 'string'],
      [{ logo_uri: {} }, '$.logo_uri', 'URL'],
    ])('CIMD-DOC-02 refuses the wrong type %j at its zod path', (patch, path, expected) => {
      const hits = only(withPatch(patch), 'CIMD-DOC-02');
      expect(hits.map((f) => f.path)).toEqual([path]);
      expect(hits[0]?.message).toContain(expected);
      expect(lintClientMetadata(withPatch(patch)).document).toBeUndefined();
    });

    it('CIMD-DOC-02 leaves jwks to the key rules', () => {
      const input = withPatch({ jwks: { keys: [{ kid: 'a' }] } }, { ...PKJ, jwks_uri: undefined });
      expect(idsOf(input)).toEqual(['CIMD-KEY-04']);
    });
  });

  describe('CIMD-DOC-03 client_id equals the serving URL byte for byte', () => {
    it('CIMD-DOC-03 passes when equal, and is not checked without url', () => {
      expect(idsOf(BASE, { url: BASE.client_id })).toEqual([]);
      expect(idsOf(BASE)).toEqual([]);
    });

    it.each([
      ['a trailing slash', 'https://app.example.com/oauth/client.json/', 'trailing "/"'],
      ['host case', 'https://APP.example.com/oauth/client.json', 'letter case'],
      ['an explicit :443', 'https://app.example.com:443/oauth/client.json', ':443'],
      ['another path', 'https://app.example.com/other.json', ''],
    ])('CIMD-DOC-03 fails on %s and shows both URLs', (_label, url, hint) => {
      const hits = only(BASE, 'CIMD-DOC-03', { url });
      expect(hits).toHaveLength(1);
      expect(hits[0]?.message).toContain(url);
      expect(hits[0]?.message).toContain(BASE.client_id);
      expect(hits[0]?.message).toContain(hint);
      expect(hits[0]?.path).toBe('$.client_id');
    });

    it('CIMD-DOC-03 also fails when the document says :443 and the URL does not', () => {
      expect(
        idsOf(withPatch({ client_id: 'https://app.example.com:443/oauth/client.json' }), {
          url: BASE.client_id,
        }),
      ).toEqual(['CIMD-DOC-03']);
    });
  });

  describe('CIMD-DOC-05 no shared-secret auth method', () => {
    it.each(['client_secret_basic', 'client_secret_post', 'client_secret_jwt'])(
      'CIMD-DOC-05 refuses %s and says what to use',
      (method) => {
        const hits = only(withPatch({ token_endpoint_auth_method: method }), 'CIMD-DOC-05');
        expect(hits).toHaveLength(1);
        expect(hits[0]?.message).toContain('shared secret');
        expect(hits[0]?.message).toContain('"none"');
        expect(hits[0]?.message).toContain('"private_key_jwt"');
      },
    );

    it.each(['tls_client_auth', 'self_signed_tls_client_auth', 'NONE', ''])(
      'CIMD-DOC-05 refuses any other method: %j',
      (method) => {
        expect(idsOf(withPatch({ token_endpoint_auth_method: method }))).toContain('CIMD-DOC-05');
      },
    );

    it('CIMD-DOC-05 accepts none and private_key_jwt', () => {
      expect(idsOf(BASE)).not.toContain('CIMD-DOC-05');
      expect(idsOf(PKJ)).not.toContain('CIMD-DOC-05');
    });
  });

  describe('CIMD-DOC-06 no client secret', () => {
    it.each(['client_secret', 'client_secret_expires_at'])('CIMD-DOC-06 refuses %s', (member) => {
      const hits = only(withPatch({ [member]: member === 'client_secret' ? 'x' : 0 }), 'CIMD-DOC-06');
      expect(hits.map((f) => f.path)).toEqual([`$.${member}`]);
    });

    it('CIMD-DOC-06 passes without them', () => {
      expect(idsOf(BASE)).not.toContain('CIMD-DOC-06');
    });
  });

  describe('CIMD-DOC-07 at most 5120 bytes', () => {
    const padded = (bytes: number): Record<string, unknown> => {
      const base = JSON.stringify({ ...BASE, software_id: '' });
      return { ...BASE, software_id: 'a'.repeat(bytes - new TextEncoder().encode(base).byteLength) };
    };

    it('CIMD-DOC-07 passes 5120 bytes and fails 5121 (measured as UTF-8 JSON)', () => {
      expect(new TextEncoder().encode(JSON.stringify(padded(5120))).byteLength).toBe(5120);
      expect(idsOf(padded(5120))).toEqual([]);
      expect(idsOf(padded(5121))).toEqual(['CIMD-DOC-07']);
    });

    it('CIMD-DOC-07 counts UTF-8 bytes, not characters', () => {
      const name = 'é'.repeat(2600);
      expect(JSON.stringify({ ...BASE, client_name: name }).length).toBeLessThan(5120);
      expect(idsOf({ ...BASE, client_name: name })).toContain('CIMD-DOC-07');
    });

    it('CIMD-DOC-07 uses byteLength when given', () => {
      expect(idsOf(BASE, { byteLength: 5121 })).toEqual(['CIMD-DOC-07']);
      expect(idsOf(padded(6000), { byteLength: 5120 })).toEqual([]);
    });
  });

  describe('CIMD-DOC-08 not both jwks and jwks_uri', () => {
    it('CIMD-DOC-08 fails with both and passes with one', () => {
      expect(idsOf(withPatch({ jwks: { keys: [EC_KEY] } }, PKJ))).toEqual(['CIMD-DOC-08']);
      expect(idsOf(PKJ)).toEqual([]);
      expect(idsOf(withPatch({ jwks_uri: undefined, jwks: { keys: [EC_KEY] } }, PKJ))).toEqual([]);
    });
  });

  describe('CIMD-DOC-09 required members', () => {
    it.each(['client_id', 'client_name', 'redirect_uris'])(
      'CIMD-DOC-09 fails without %s, at its path',
      (member) => {
        const report = lintClientMetadata(withPatch({ [member]: undefined }));
        expect(report.findings.filter((f) => f.id === 'CIMD-DOC-09').map((f) => f.path)).toEqual([
          `$.${member}`,
        ]);
        expect(report.findings.map((f) => f.id)).not.toContain('CIMD-DOC-02');
        expect(report.document).toBeUndefined();
      },
    );

    it('CIMD-DOC-09 fails on an empty redirect_uris', () => {
      expect(idsOf(withPatch({ redirect_uris: [] }))).toEqual(['CIMD-DOC-09']);
    });

    it('CIMD-DOC-09 reports all three on an empty object', () => {
      expect(idsOf({}).filter((id) => id === 'CIMD-DOC-09')).toHaveLength(3);
    });
  });

  describe('CIMD-DOC-10 and RURI-06 redirect URIs', () => {
    const redirectIds = (uri: string): string[] =>
      findingsOf(withPatch({ redirect_uris: [uri, 'http://127.0.0.1/x', 'http://localhost/x'] }))
        .filter((f) => f.path === '$.redirect_uris[0]')
        .map((f) => f.id);

    it.each([
      'https://app.example.com/cb',
      'https://app.example.com:8443/cb',
      'https://127.0.0.1:8443/cb',
      'http://127.0.0.1/callback',
      'http://127.0.0.1:33418/',
      'http://[::1]/callback',
      'http://localhost/callback',
      'http://localhost:3000/callback',
      'com.example.app:/callback',
      'com.example.app://callback',
      'https://app.example.com/cb?source=mcp',
    ])('CIMD-DOC-10 accepts %j', (uri) => {
      expect(redirectIds(uri).filter((id) => id === 'CIMD-DOC-10' || id === 'RURI-06')).toEqual([]);
    });

    it.each([
      ['non-loopback http', 'http://192.168.1.5/cb', 'not loopback'],
      ['http on a public host', 'http://app.example.com/cb', 'not loopback'],
      ['127.0.0.2', 'http://127.0.0.2/cb', 'not loopback'],
      ['upper-case host', 'http://LOCALHOST/cb', 'lowercase'],
      ['upper-case scheme', 'HTTP://127.0.0.1/cb', 'lowercase'],
      ['a wildcard port on an IP', 'http://127.0.0.1:*/cb', 'http://127.0.0.1/cb'],
      ['a port out of range', 'http://127.0.0.1:70000/cb', 'port'],
      ['userinfo', 'https://user@app.example.com/cb', 'userinfo'],
      ['userinfo on loopback', 'http://user:pw@127.0.0.1/cb', 'userinfo'],
      ['a fragment', 'https://app.example.com/cb#frag', 'fragment'],
      ['a bare fragment', 'https://app.example.com/cb#', 'fragment'],
      ['a dot segment', 'https://app.example.com/a/../cb', 'segment'],
      ['an encoded dot segment', 'https://app.example.com/a/%2E%2E/cb', 'segment'],
      ['no host', 'https:///cb', 'no host'],
      ['no scheme', '/callback', 'absolute'],
      ['whitespace', 'https://app.example.com/c b', 'space'],
      ['a backslash', 'https://app.example.com\\cb', 'backslash'],
      ['an empty string', '', 'absolute'],
    ])('CIMD-DOC-10 refuses %s: %j', (_label, uri, words) => {
      const hits = only(withPatch({ redirect_uris: [uri] }), 'CIMD-DOC-10');
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.map((f) => f.message).join(' ')).toContain(words);
      expect(hits[0]?.path).toBe('$.redirect_uris[0]');
    });

    it.each([
      'myapp://cb',
      'myapp:/cb',
      'javascript:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
      'urn:ietf:wg:oauth:2.0:oob',
    ])('RURI-06 refuses the dotless scheme of %j', (uri) => {
      expect(redirectIds(uri)).toEqual(['RURI-06']);
    });

    it('RURI-06 accepts reverse-domain private-use schemes', () => {
      expect(redirectIds('com.example.app:/oauth2redirect')).toEqual([]);
    });
  });

  describe('CIMD-DOC-11 explicit auth method', () => {
    it('CIMD-DOC-11 warns when token_endpoint_auth_method is missing, naming the RFC 7591 default', () => {
      const hits = only(withPatch({ token_endpoint_auth_method: undefined }), 'CIMD-DOC-11');
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ severity: 'warning', path: '$.token_endpoint_auth_method' });
      expect(hits[0]?.message).toContain('client_secret_basic');
      expect(lintClientMetadata(withPatch({ token_endpoint_auth_method: undefined })).valid).toBe(true);
    });

    it('CIMD-DOC-11 passes when it is set', () => {
      expect(idsOf(BASE)).not.toContain('CIMD-DOC-11');
    });
  });

  describe('CIMD-DOC-12 private_key_jwt needs keys and an algorithm', () => {
    it('CIMD-DOC-12 passes with jwks_uri or jwks and the alg', () => {
      expect(idsOf(PKJ)).toEqual([]);
      expect(idsOf(withPatch({ jwks_uri: undefined, jwks: { keys: [EC_KEY] } }, PKJ))).toEqual([]);
    });

    it('CIMD-DOC-12 fails without keys', () => {
      expect(only(withPatch({ jwks_uri: undefined }, PKJ), 'CIMD-DOC-12').map((f) => f.path)).toEqual(['$']);
    });

    it('CIMD-DOC-12 fails (error, as atproto enforces) without token_endpoint_auth_signing_alg', () => {
      const hits = only(withPatch({ token_endpoint_auth_signing_alg: undefined }, PKJ), 'CIMD-DOC-12');
      expect(hits.map((f) => [f.path, f.severity])).toEqual([['$.token_endpoint_auth_signing_alg', 'error']]);
    });

    it('CIMD-DOC-12 fails on an empty jwks.keys (reported once, not also as CIMD-KEY-02)', () => {
      const ids = idsOf(withPatch({ jwks_uri: undefined, jwks: { keys: [] } }, PKJ));
      expect(ids).toEqual(['CIMD-DOC-12']);
    });

    it('CIMD-DOC-12 does not apply to public clients', () => {
      expect(idsOf(withPatch({ token_endpoint_auth_signing_alg: undefined }))).toEqual([]);
    });
  });

  describe('keys in documents (CIMD-KEY-*)', () => {
    const inline = (keys: unknown[], alg = 'ES256'): Record<string, unknown> =>
      withPatch({ jwks_uri: undefined, jwks: { keys }, token_endpoint_auth_signing_alg: alg }, PKJ);

    it('CIMD-KEY-03 reports a leaked private key in an inline jwks as an error', () => {
      const report = lintClientMetadata(inline([{ ...EC_KEY, d: 'private' }]));
      expect(report.valid).toBe(false);
      expect(report.findings.map((f) => [f.id, f.path])).toEqual([['CIMD-KEY-03', '$.jwks.keys[0]']]);
      expect(report.findings[0]?.message).toMatch(/leaked private key/i);
      expect(report.findings[0]?.message).toMatch(/rotate/);
    });

    it('CIMD-KEY-07 refuses none and HS256 as token_endpoint_auth_signing_alg, once', () => {
      for (const alg of ['none', 'HS256']) {
        expect(only(inline([EC_KEY], alg), 'CIMD-KEY-07').map((f) => f.path)).toEqual([
          '$.token_endpoint_auth_signing_alg',
        ]);
        expect(only(withPatch({ token_endpoint_auth_signing_alg: alg }, PKJ), 'CIMD-KEY-07')).toHaveLength(1);
      }
    });

    it('CIMD-KEY-08 checks inline keys against the document signing alg', () => {
      expect(only(inline([EC_KEY], 'RS256'), 'CIMD-KEY-08').map((f) => f.path)).toEqual(['$.jwks.keys[0]']);
      expect(idsOf(inline([EC_KEY], 'ES256'))).toEqual([]);
    });
  });

  describe('CIMD-LINT-02 .. -06 grants and response types', () => {
    it('CIMD-LINT-02 warns when refresh_token is missing, or grant_types is (RFC 7591 default)', () => {
      expect(only(withPatch({ grant_types: ['authorization_code'] }), 'CIMD-LINT-02')[0]?.severity).toBe(
        'warning',
      );
      expect(only(withPatch({ grant_types: undefined }), 'CIMD-LINT-02')[0]?.message).toContain('defaults');
      expect(idsOf(BASE)).not.toContain('CIMD-LINT-02');
    });

    it('CIMD-LINT-03 fails without authorization_code, and tolerates unknown grants', () => {
      expect(idsOf(withPatch({ grant_types: ['refresh_token', 'implicit'] }))).toContain('CIMD-LINT-03');
      expect(
        idsOf(
          withPatch({ grant_types: [...BASE.grant_types, 'urn:ietf:params:oauth:grant-type:device_code'] }),
        ),
      ).toEqual([]);
    });

    it('CIMD-LINT-03 and -02 accept an agent document that lists client_credentials only', () => {
      expect(idsOf(withPatch({ grant_types: ['client_credentials'] }))).toEqual([]);
      expect(idsOf(withPatch({ grant_types: ['client_credentials', 'refresh_token'] }))).toEqual([]);
    });

    it('CIMD-LINT-04 fails on implicit at its index', () => {
      expect(
        only(withPatch({ grant_types: [...BASE.grant_types, 'implicit'] }), 'CIMD-LINT-04').map(
          (f) => f.path,
        ),
      ).toEqual(['$.grant_types[2]']);
    });

    it('CIMD-LINT-05 fails without code or with token-returning types; passes when absent', () => {
      expect(idsOf(withPatch({ response_types: ['token'] }))).toEqual(['CIMD-LINT-05', 'CIMD-LINT-05']);
      expect(idsOf(withPatch({ response_types: ['code', 'code token'] }))).toEqual(['CIMD-LINT-05']);
      expect(idsOf(withPatch({ response_types: [] }))).toEqual(['CIMD-LINT-05']);
      expect(idsOf(withPatch({ response_types: undefined }))).toEqual([]);
    });

    it('CIMD-LINT-06 warns about other response types', () => {
      expect(
        only(withPatch({ response_types: ['code', 'none'] }), 'CIMD-LINT-06').map((f) => [
          f.path,
          f.severity,
        ]),
      ).toEqual([['$.response_types[1]', 'warning']]);
    });
  });

  describe('CIMD-LINT-07, -08, -14 URLs in the document', () => {
    it.each(['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'jwks_uri'])(
      'CIMD-LINT-07 refuses a non-https %s',
      (member) => {
        const input = withPatch({ [member]: 'http://app.example.com/x' }, PKJ);
        expect(only(input, 'CIMD-LINT-07').map((f) => f.path)).toEqual([`$.${member}`]);
      },
    );

    it.each([
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:image/png;base64,AAAA'],
      ['file:', 'file:///etc/passwd'],
      ['userinfo', 'https://user@app.example.com/logo.png'],
      ['no host', 'https:///logo.png'],
      ['a bad port', 'https://app.example.com:99999/logo.png'],
      ['whitespace', 'https://app.example.com/lo go.png'],
    ])('CIMD-LINT-07 refuses a logo_uri with %s', (_label, value) => {
      expect(idsOf(withPatch({ logo_uri: value }))).toEqual(['CIMD-LINT-07']);
    });

    it('CIMD-LINT-07 refuses a jwks_uri fragment but allows one on other URLs', () => {
      expect(idsOf(withPatch({ jwks_uri: 'https://app.example.com/jwks.json#k' }, PKJ))).toEqual([
        'CIMD-LINT-07',
      ]);
      expect(idsOf(withPatch({ policy_uri: 'https://app.example.com/legal#privacy' }))).toEqual([]);
    });

    it.each([
      'https://10.0.0.1/jwks.json',
      'https://[::1]/jwks.json',
      'https://0x7f.1/jwks.json',
      'https://keys.internal/jwks.json',
      'https://localhost/jwks.json',
    ])('CIMD-LINT-08 refuses the non-public jwks_uri %j unless allowPrivateNetwork', (value) => {
      const input = withPatch({ jwks_uri: value }, PKJ);
      expect(idsOf(input)).toEqual(['CIMD-LINT-08']);
      expect(idsOf(input, { allowPrivateNetwork: true })).toEqual([]);
    });

    it('CIMD-LINT-14 notes a client_uri on another origin, as info', () => {
      const hits = only(withPatch({ client_uri: 'https://www.example.com/' }), 'CIMD-LINT-14');
      expect(hits.map((f) => f.severity)).toEqual(['info']);
      expect(lintClientMetadata(withPatch({ client_uri: 'https://www.example.com/' })).valid).toBe(true);
      expect(idsOf(withPatch({ client_uri: 'https://app.example.com/about' }))).toEqual([]);
    });
  });

  describe('CIMD-LINT-09, -10 loopback redirect URIs', () => {
    it('CIMD-LINT-09 warns when only 127.0.0.1 is listed, suggesting localhost', () => {
      const hits = only(withPatch({ redirect_uris: ['http://127.0.0.1/callback'] }), 'CIMD-LINT-09');
      expect(hits).toHaveLength(1);
      expect(hits[0]?.message).toContain('http://localhost/callback');
    });

    it('CIMD-LINT-09 warns when only localhost is listed, suggesting 127.0.0.1', () => {
      expect(
        only(withPatch({ redirect_uris: ['http://localhost/callback'] }), 'CIMD-LINT-09')[0]?.message,
      ).toContain('http://127.0.0.1/callback');
    });

    it('CIMD-LINT-09 counts [::1] as the IP twin, and compares paths', () => {
      expect(
        idsOf(withPatch({ redirect_uris: ['http://[::1]/callback', 'http://localhost/callback'] })),
      ).toEqual([]);
      expect(idsOf(withPatch({ redirect_uris: ['http://127.0.0.1/a', 'http://localhost/b'] }))).toEqual([
        'CIMD-LINT-09',
        'CIMD-LINT-09',
      ]);
      expect(
        idsOf(withPatch({ redirect_uris: ['http://127.0.0.1:33418/cb', 'http://localhost/cb'] })),
      ).toEqual([]);
      expect(idsOf(withPatch({ redirect_uris: ['https://app.example.com/cb'] }))).toEqual([]);
    });

    it('CIMD-LINT-10 warns about FastMCP http://localhost:*/callback and says what to register', () => {
      const input = withPatch({
        redirect_uris: ['http://localhost:*/callback', 'http://127.0.0.1/callback'],
      });
      const report = lintClientMetadata(input);
      expect(report.valid).toBe(true);
      expect(report.findings.map((f) => f.id)).toEqual(['CIMD-LINT-10']);
      expect(report.findings[0]?.message).toContain('http://localhost/callback');
    });
  });

  describe('CIMD-LINT-11, -12, -13 names, duplicates and unused keys', () => {
    it('CIMD-LINT-11 warns on an empty or very long client_name', () => {
      expect(idsOf(withPatch({ client_name: '' }))).toEqual(['CIMD-LINT-11']);
      expect(idsOf(withPatch({ client_name: 'x'.repeat(101) }))).toEqual(['CIMD-LINT-11']);
      expect(idsOf(withPatch({ client_name: 'x'.repeat(100) }))).toEqual([]);
    });

    it('CIMD-LINT-12 warns on duplicates at the repeated entry', () => {
      expect(
        only(withPatch({ grant_types: [...BASE.grant_types, 'refresh_token'] }), 'CIMD-LINT-12').map(
          (f) => f.path,
        ),
      ).toEqual(['$.grant_types[2]']);
      expect(only(withPatch({ scope: 'read write read' }), 'CIMD-LINT-12').map((f) => f.path)).toEqual([
        '$.scope',
      ]);
      expect(only(withPatch({ contacts: ['a@example.com', 'a@example.com'] }), 'CIMD-LINT-12')).toHaveLength(
        1,
      );
      expect(idsOf(withPatch({ scope: 'read write' }))).toEqual([]);
    });

    it('CIMD-LINT-13 warns about keys a public client never uses', () => {
      expect(
        only(withPatch({ token_endpoint_auth_method: 'none' }, PKJ), 'CIMD-LINT-13').map((f) => f.path),
      ).toEqual(['$.jwks_uri']);
      expect(idsOf(PKJ)).toEqual([]);
    });
  });

  describe('CIMD-LINT-15 placeholder and URL rules in documents', () => {
    it('CIMD-LINT-15 flags the placeholder even when private hosts are allowed, and URL-09 refuses it otherwise', () => {
      const input = withPatch({ client_id: 'https://YOUR-DOMAIN.example/path/to/client.json' });
      expect(idsOf(input, { allowPrivateNetwork: true })).toEqual(['CIMD-LINT-15']);
      expect(idsOf(input)).toEqual(['CIMD-URL-09', 'CIMD-LINT-15']);
    });

    it('runs the client_id URL rules on the document', () => {
      expect(idsOf(withPatch({ client_id: 'https://app.example.com/a/%2e%2e/client.json' }))).toEqual([
        'CIMD-URL-03',
      ]);
      expect(only(withPatch({ client_id: 'https://localhost/c.json' }), 'CIMD-URL-09')).toHaveLength(1);
      expect(
        idsOf(withPatch({ client_id: 'https://localhost/c.json' }), { allowPrivateNetwork: true }),
      ).toEqual([]);
    });
  });
});
