import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ACCESS_TOKEN_LIFETIME_MS,
  type IssueAccessTokenOptions,
  issueAccessToken,
} from '../../../src/server/tokens/access-token.js';
import { createSigningKeyManager } from '../../../src/server/tokens/signing-keys.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const BASE: IssueAccessTokenOptions = {
  issuer: 'https://as.example.com',
  subject: 'user-42',
  clientId: 'https://app.example.com/oauth/client.json',
  audience: 'https://mcp.example.com/mcp',
  scope: ['mcp:tools', 'mcp:read'],
  now: () => T0,
};

describe('issueAccessToken (RFC 9068)', () => {
  const keys = createSigningKeyManager();

  it('RES-03: issues an at+jwt whose aud is the resource, with every RFC 9068 claim', async () => {
    const issued = await issueAccessToken(keys, { ...BASE, authTime: T0 - 5000 });
    const header = decodeProtectedHeader(issued.token);
    expect(header).toEqual({ alg: 'ES256', kid: (await keys.signingKey()).kid, typ: 'at+jwt' });
    const claims = decodeJwt(issued.token);
    expect(claims).toEqual({
      iss: 'https://as.example.com',
      sub: 'user-42',
      aud: 'https://mcp.example.com/mcp',
      client_id: 'https://app.example.com/oauth/client.json',
      scope: 'mcp:tools mcp:read',
      iat: T0 / 1000,
      exp: T0 / 1000 + DEFAULT_ACCESS_TOKEN_LIFETIME_MS / 1000,
      jti: issued.jti,
      auth_time: T0 / 1000 - 5,
    });
    expect(issued.expiresAt).toBe(claims.exp);
    expect(DEFAULT_ACCESS_TOKEN_LIFETIME_MS).toBe(600_000);
  });

  it('RES-03: an array audience for several resources; duplicates collapse to one string', async () => {
    const several = await issueAccessToken(keys, {
      ...BASE,
      audience: ['https://a.example/mcp', 'https://b.example/mcp'],
    });
    expect(decodeJwt(several.token).aud).toEqual(['https://a.example/mcp', 'https://b.example/mcp']);
    const one = await issueAccessToken(keys, {
      ...BASE,
      audience: ['https://a.example/mcp', 'https://a.example/mcp'],
    });
    expect(decodeJwt(one.token).aud).toBe('https://a.example/mcp');
  });

  it('a fresh 128-bit CSPRNG jti for every token', async () => {
    const jtis = new Set<string>();
    for (let i = 0; i < 50; i++) jtis.add((await issueAccessToken(keys, BASE)).jti);
    expect(jtis.size).toBe(50);
    for (const jti of jtis) expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('omits scope when none is granted, accepts a space-separated string, and adds extra claims', async () => {
    const none = decodeJwt((await issueAccessToken(keys, { ...BASE, scope: '' })).token);
    expect(none).not.toHaveProperty('scope');
    const text = decodeJwt(
      (await issueAccessToken(keys, { ...BASE, scope: 'a  b a', claims: { tenant: 't1' } })).token,
    );
    expect(text.scope).toBe('a b');
    expect(text.tenant).toBe('t1');
  });

  it('lifetime: whole seconds, at most the keys’ tokenLifetimeMs', async () => {
    const short = await issueAccessToken(keys, { ...BASE, lifetimeMs: 90_500 });
    expect(short.expiresAt).toBe(T0 / 1000 + 90);
    await expect(issueAccessToken(keys, { ...BASE, lifetimeMs: 60 * 60 * 1000 })).resolves.toBeDefined();
    await expect(issueAccessToken(keys, { ...BASE, lifetimeMs: 60 * 60 * 1000 + 1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    await expect(issueAccessToken(keys, { ...BASE, lifetimeMs: 999 })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });

  it('refuses missing values, bad scope tokens and reserved extra claims', async () => {
    const bad: Partial<IssueAccessTokenOptions>[] = [
      { issuer: '' },
      { subject: '' },
      { clientId: '' },
      { audience: [] },
      { audience: [''] },
      { scope: ['has"quote'] },
      { claims: { aud: 'https://evil.example' } },
      { claims: { client_id: 'other' } },
      { claims: { cnf: {} } },
    ];
    for (const override of bad) {
      await expect(
        issueAccessToken(keys, { ...BASE, ...override }),
        JSON.stringify(override),
      ).rejects.toMatchObject({
        code: 'ERR_INVALID_OPTION',
      });
    }
  });
});
