/** The trust policy on its own: entry matching, precedence, the hook and option validation. */
import { describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../../src/document/schema.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { clientIdHost, createTrustPolicy } from '../../../src/server/clients/trust-policy.js';

const allowed = async (options: Parameters<typeof createTrustPolicy>[0], clientId: string) =>
  (await createTrustPolicy(options).checkClientId(clientId, 'cimd')).allowed;

describe('host patterns', () => {
  it('"*.example.com" matches subdomains at any depth, not the apex nor look-alikes', async () => {
    const options = { mode: 'allowlist' as const, allow: ['*.example.com'] };
    expect(await allowed(options, 'https://app.example.com/c.json')).toBe(true);
    expect(await allowed(options, 'https://a.b.example.com/c.json')).toBe(true);
    expect(await allowed(options, 'https://example.com/c.json')).toBe(false);
    expect(await allowed(options, 'https://badexample.com/c.json')).toBe(false);
    expect(await allowed(options, 'https://example.com.evil.net/c.json')).toBe(false);
  });

  it('"example.com" matches that host only, whatever the port', async () => {
    const options = { mode: 'allowlist' as const, allow: ['example.com'] };
    expect(await allowed(options, 'https://example.com/c.json')).toBe(true);
    expect(await allowed(options, 'https://example.com:8443/c.json')).toBe(true);
    expect(await allowed(options, 'https://app.example.com/c.json')).toBe(false);
  });

  it('host matching ignores case and a trailing dot, so a deny entry cannot be dodged', async () => {
    const options = { deny: ['evil.example'] };
    expect(await allowed(options, 'https://EVIL.example/c.json')).toBe(false);
    expect(await allowed(options, 'https://evil.example./c.json')).toBe(false);
    expect(clientIdHost('https://EVIL.example./c.json')).toBe('evil.example');
  });

  it('an exact client_id entry compares byte for byte', async () => {
    const options = { mode: 'allowlist' as const, allow: ['https://app.example.com/c.json'] };
    expect(await allowed(options, 'https://app.example.com/c.json')).toBe(true);
    expect(await allowed(options, 'https://app.example.com/c.json/')).toBe(false);
    expect(await allowed(options, 'https://app.example.com/other.json')).toBe(false);
  });

  it('IP literals are host patterns too', async () => {
    expect(await allowed({ deny: ['[::1]'] }, 'https://[::1]:8443/c.json')).toBe(false);
    expect(await allowed({ deny: ['127.0.0.1'] }, 'https://127.0.0.1/c.json')).toBe(false);
  });
});

describe('precedence', () => {
  it('deny wins over allow, trusted and the hook', async () => {
    const policy = createTrustPolicy({
      allow: ['*.example.com'],
      trusted: ['https://a.example.com/c.json'],
      deny: ['a.example.com'],
      decide: () => ({ allowed: true, reason: 'hook says yes' }),
    });
    const decision = await policy.checkClientId('https://a.example.com/c.json', 'cimd');
    expect(decision).toEqual({
      allowed: false,
      trusted: false,
      reason: 'client_id matches the deny entry a.example.com',
    });
  });

  it('the metadata phase never revives a refused decision', async () => {
    const policy = createTrustPolicy({ decide: () => ({ allowed: true, reason: 'yes' }) });
    const refused = { allowed: false, trusted: false, reason: 'no' };
    const metadata = {
      client_id: 'x',
      client_name: 'x',
      redirect_uris: ['http://127.0.0.1/cb'],
    } as ClientMetadata;
    expect(await policy.checkMetadata('https://a.example.com/c.json', metadata, 'cimd', refused)).toBe(
      refused,
    );
  });
});

describe('registered clients', () => {
  it('the allowlist does not apply; exact deny and trusted entries do', async () => {
    const policy = createTrustPolicy({ mode: 'allowlist', deny: ['dcr_bad'], trusted: ['dcr_Good-'] });
    expect(await policy.checkClientId('dcr_other', 'registered')).toEqual({
      allowed: true,
      trusted: false,
      reason: 'a registered client',
    });
    expect((await policy.checkClientId('dcr_Good-', 'registered')).trusted).toBe(true);
    expect((await policy.checkClientId('dcr_good-', 'registered')).trusted).toBe(false);
    expect((await policy.checkClientId('dcr_bad', 'registered')).allowed).toBe(false);
  });
});

describe('option validation', () => {
  it.each([
    [{ mode: 'closed' }, /mode/],
    [{ allow: 'example.com' }, /allow must be an array/],
    [{ deny: [''] }, /deny entries/],
    [{ trusted: ['example.com/path'] }, /is neither a client_id URL/],
    [{ allow: ['*.'] }, /host pattern/],
    [{ cimdServiceHosts: ['https//x'] }, /cimdServiceHosts/],
    [{ requireSameOriginRedirects: 'yes' }, /requireSameOriginRedirects/],
    [{ decide: 'no' }, /decide/],
  ])('%j is refused', (options, message) => {
    expect(() => createTrustPolicy(options as never)).toThrow(InvalidOptionError);
    expect(() => createTrustPolicy(options as never)).toThrow(message);
  });

  it('update validates too and keeps the old policy on failure', async () => {
    const policy = createTrustPolicy({ deny: ['evil.example'] });
    expect(() => policy.update({ mode: 'nope' as never })).toThrow(InvalidOptionError);
    expect((await policy.checkClientId('https://evil.example/c.json', 'cimd')).allowed).toBe(false);
  });
});
