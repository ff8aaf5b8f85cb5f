// Every rule in LINT_RULES has a failing and a passing input here, and every ID any check
// emits is in the catalogue: the catalogue, the code and docs/lint-rules.md cannot drift apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkClientIdUrl,
  type Finding,
  LINT_RULES,
  type LintOptions,
  lintClientMetadata,
  lintJwks,
} from '../../src/index.js';
import { FETCH_RULES } from '../../src/validate/index.js';

const BASE = {
  client_id: 'https://app.example.com/oauth/client.json',
  client_name: 'Example App',
  redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'mcp:tools',
} as const;

const EC_KEY = { kty: 'EC', crv: 'P-256', x: 'xxxx', y: 'yyyy', kid: 'k1', use: 'sig', alg: 'ES256' };
const PKJ = {
  ...BASE,
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  jwks: { keys: [EC_KEY] },
};

const doc = (
  patch: Record<string, unknown>,
  base: Record<string, unknown> = BASE,
): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base, ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete out[key];
  return out;
};
const lint = (input: unknown, options?: LintOptions): Finding[] =>
  lintClientMetadata(input, options).findings;
const url =
  (raw: string): (() => Finding[]) =>
  () =>
    checkClientIdUrl(raw);

type Case = { fail: () => Finding[]; pass: () => Finding[] };

/** One failing and one passing input per rule. */
const CASES: Record<string, Case> = {
  'CIMD-URL-01': { fail: url('http://app.example.com/c.json'), pass: url('https://app.example.com/c.json') },
  'CIMD-URL-02': { fail: url('https://app.example.com/'), pass: url('https://app.example.com/c.json') },
  'CIMD-URL-03': {
    fail: url('https://app.example.com/a/%2e%2e/c.json'),
    pass: url('https://app.example.com/a/..c.json'),
  },
  'CIMD-URL-04': {
    fail: url('https://app.example.com/c.json#'),
    pass: url('https://app.example.com/c.json'),
  },
  'CIMD-URL-05': {
    fail: url('https://u@app.example.com/c.json'),
    pass: url('https://app.example.com/u@c.json'),
  },
  'CIMD-URL-06': {
    fail: url('https://app.example.com/c.json?v=1'),
    pass: url('https://app.example.com/c.json'),
  },
  'CIMD-URL-08': {
    fail: url(`https://app.example.com/${'a'.repeat(80)}.json`),
    pass: url(`https://app.example.com/${'a'.repeat(70)}.json`),
  },
  'CIMD-URL-09': { fail: url('https://0x7f.1/c.json'), pass: url('https://app.example.com/c.json') },
  'CIMD-DOC-02': { fail: () => lint({ ...BASE, client_name: 42 }), pass: () => lint(BASE) },
  'CIMD-DOC-03': {
    fail: () => lint(BASE, { url: `${BASE.client_id}/` }),
    pass: () => lint(BASE, { url: BASE.client_id }),
  },
  'CIMD-DOC-05': {
    fail: () => lint(doc({ token_endpoint_auth_method: 'client_secret_post' })),
    pass: () => lint(BASE),
  },
  'CIMD-DOC-06': { fail: () => lint(doc({ client_secret: 's3cret' })), pass: () => lint(BASE) },
  'CIMD-DOC-07': {
    fail: () => lint(BASE, { byteLength: 5121 }),
    pass: () => lint(BASE, { byteLength: 5120 }),
  },
  'CIMD-DOC-08': {
    fail: () => lint(doc({ jwks_uri: 'https://app.example.com/jwks.json' }, PKJ)),
    pass: () => lint(PKJ),
  },
  'CIMD-DOC-09': { fail: () => lint(doc({ client_name: undefined })), pass: () => lint(BASE) },
  'CIMD-DOC-10': {
    fail: () => lint(doc({ redirect_uris: ['http://192.168.1.5/cb'] })),
    pass: () => lint(doc({ redirect_uris: ['https://app.example.com/cb'] })),
  },
  'CIMD-DOC-11': { fail: () => lint(doc({ token_endpoint_auth_method: undefined })), pass: () => lint(BASE) },
  'CIMD-DOC-12': {
    fail: () => lint(doc({ jwks: undefined }, PKJ)),
    pass: () => lint(PKJ),
  },
  'RURI-06': {
    fail: () => lint(doc({ redirect_uris: ['myapp://cb'] })),
    pass: () => lint(doc({ redirect_uris: ['com.example.app:/cb'] })),
  },
  'CIMD-KEY-01': { fail: () => lintJwks({ keys: {} }), pass: () => lintJwks({ keys: [EC_KEY] }) },
  'CIMD-KEY-02': { fail: () => lintJwks({ keys: [] }), pass: () => lintJwks({ keys: [EC_KEY] }) },
  'CIMD-KEY-03': {
    fail: () => lintJwks({ keys: [{ ...EC_KEY, d: 'secret' }] }),
    pass: () => lintJwks({ keys: [EC_KEY] }),
  },
  'CIMD-KEY-04': {
    fail: () => lintJwks({ keys: [{ kid: 'k1' }] }),
    pass: () => lintJwks({ keys: [EC_KEY] }),
  },
  'CIMD-KEY-05': {
    fail: () => lintJwks({ keys: [{ kty: 'oct', kid: 'k1' }] }),
    pass: () => lintJwks({ keys: [EC_KEY] }),
  },
  'CIMD-KEY-06': {
    fail: () => lintJwks({ keys: [EC_KEY, { ...EC_KEY }] }),
    pass: () => lintJwks({ keys: [EC_KEY, { ...EC_KEY, kid: 'k2' }] }),
  },
  'CIMD-KEY-07': {
    fail: () => lintJwks({ keys: [EC_KEY] }, { signingAlg: 'HS256' }),
    pass: () => lintJwks({ keys: [EC_KEY] }, { signingAlg: 'ES256' }),
  },
  'CIMD-KEY-08': {
    fail: () => lintJwks({ keys: [{ ...EC_KEY, alg: undefined }] }, { signingAlg: 'RS256' }),
    pass: () => lintJwks({ keys: [{ ...EC_KEY, alg: undefined }] }, { signingAlg: 'ES256' }),
  },
  'CIMD-KEY-09': {
    fail: () => lintJwks({ keys: [{ ...EC_KEY, alg: 'ES384' }] }, { signingAlg: 'ES256' }),
    pass: () => lintJwks({ keys: [EC_KEY] }, { signingAlg: 'ES256' }),
  },
  'CIMD-KEY-10': {
    fail: () => lintJwks({ keys: [{ ...EC_KEY, use: 'enc' }] }),
    pass: () => lintJwks({ keys: [EC_KEY] }),
  },
  'CIMD-LINT-01': {
    fail: url('https://app.example.com/c.json '),
    pass: url('https://app.example.com/c.json'),
  },
  'CIMD-LINT-02': { fail: () => lint(doc({ grant_types: ['authorization_code'] })), pass: () => lint(BASE) },
  'CIMD-LINT-03': { fail: () => lint(doc({ grant_types: ['refresh_token'] })), pass: () => lint(BASE) },
  'CIMD-LINT-04': {
    fail: () => lint(doc({ grant_types: ['authorization_code', 'refresh_token', 'implicit'] })),
    pass: () => lint(BASE),
  },
  'CIMD-LINT-05': { fail: () => lint(doc({ response_types: ['code', 'token'] })), pass: () => lint(BASE) },
  'CIMD-LINT-06': {
    fail: () => lint(doc({ response_types: ['code', 'code id_token'] })),
    pass: () => lint(BASE),
  },
  'CIMD-LINT-07': {
    fail: () => lint(doc({ logo_uri: 'http://app.example.com/logo.png' })),
    pass: () => lint(doc({ logo_uri: 'https://cdn.example.net/logo.png' })),
  },
  'CIMD-LINT-08': {
    fail: () => lint(doc({ jwks: undefined, jwks_uri: 'https://10.0.0.1/jwks.json' }, PKJ)),
    pass: () => lint(doc({ jwks: undefined, jwks_uri: 'https://app.example.com/jwks.json' }, PKJ)),
  },
  'CIMD-LINT-09': {
    fail: () => lint(doc({ redirect_uris: ['http://127.0.0.1/callback'] })),
    pass: () => lint(BASE),
  },
  'CIMD-LINT-10': {
    fail: () => lint(doc({ redirect_uris: ['http://localhost:*/callback', 'http://127.0.0.1/callback'] })),
    pass: () => lint(BASE),
  },
  'CIMD-LINT-11': { fail: () => lint(doc({ client_name: ' ' })), pass: () => lint(BASE) },
  'CIMD-LINT-12': {
    fail: () => lint(doc({ redirect_uris: [...BASE.redirect_uris, 'http://localhost/callback'] })),
    pass: () => lint(BASE),
  },
  'CIMD-LINT-13': {
    fail: () => lint(doc({ token_endpoint_auth_method: 'none' }, PKJ)),
    pass: () => lint(PKJ),
  },
  'CIMD-LINT-14': {
    fail: () => lint(doc({ client_uri: 'https://other.example.net/' })),
    pass: () => lint(doc({ client_uri: 'https://app.example.com/' })),
  },
  'CIMD-LINT-15': {
    fail: () =>
      lint(doc({ client_id: 'https://YOUR-DOMAIN.example/path/to/client.json' }), {
        allowPrivateNetwork: true,
      }),
    pass: () => lint(BASE, { allowPrivateNetwork: true }),
  },
  'CIMD-LINT-16': {
    fail: () => lint(doc({ scope: undefined })),
    pass: () => lint(doc({ scope: 'mcp:tools' })),
  },
};

const ids = (findings: Finding[]): string[] => findings.map((finding) => finding.id);

describe('the rule catalogue', () => {
  it('lists every rule exactly once', () => {
    const all = LINT_RULES.map((rule) => rule.id);
    expect(new Set(all).size).toBe(all.length);
  });

  it('has a failing and a passing case for every rule, and no case for a rule it lacks', () => {
    expect(Object.keys(CASES).sort()).toEqual(LINT_RULES.map((rule) => rule.id).sort());
  });

  it.each(LINT_RULES.map((rule) => [rule.id, rule] as const))(
    '%s fails its failing input and passes its passing input',
    (id, rule) => {
      const failing = CASES[id]!.fail();
      const hits = failing.filter((finding) => finding.id === id);
      expect(hits.length, `${id} should fire`).toBeGreaterThan(0);
      for (const hit of hits) expect(hit.severity).toBe(rule.severity);
      expect(ids(CASES[id]!.pass())).not.toContain(id);
    },
  );

  it('emits only catalogued IDs with the catalogue severity, and a message with a fix', () => {
    const severity = new Map(LINT_RULES.map((rule) => [rule.id, rule.severity]));
    for (const testCase of Object.values(CASES)) {
      for (const finding of [...testCase.fail(), ...testCase.pass()]) {
        expect(severity.get(finding.id), finding.id).toBe(finding.severity);
        expect(finding.message.length).toBeGreaterThan(20);
        expect(finding.path.startsWith('$')).toBe(true);
      }
    }
  });

  it('the base fixtures lint without any finding', () => {
    expect(lint(BASE)).toEqual([]);
    expect(lint(PKJ)).toEqual([]);
  });

  it('docs/lint-rules.md documents every rule with its severity', () => {
    const docs = readFileSync(new URL('../../docs/lint-rules.md', import.meta.url), 'utf8');
    const rows = docs
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    for (const rule of LINT_RULES) {
      const row = rows.find((cells) => cells[1] === rule.id);
      expect(row, rule.id).toBeDefined();
      expect(row?.[2], rule.id).toBe(rule.severity);
      expect(row?.[4]?.length ?? 0, `${rule.id} says how to fix`).toBeGreaterThan(5);
    }
    const documented = rows.map((cells) => cells[1]).filter((id) => /^(CIMD|RURI)-/.test(id ?? ''));
    const catalogued = [...LINT_RULES, ...FETCH_RULES].map((rule) => rule.id);
    expect([...new Set(documented)].sort()).toEqual([...new Set(catalogued)].sort());
    for (const rule of FETCH_RULES) {
      expect(
        rows.some((cells) => cells[1] === rule.id && cells[2] === rule.severity),
        rule.id,
      ).toBe(true);
    }
  });

  it('catalogue summaries are single lines', () => {
    for (const rule of LINT_RULES) expect(rule.summary).not.toContain('\n');
  });
});
