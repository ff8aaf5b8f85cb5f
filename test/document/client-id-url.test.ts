import { describe, expect, it } from 'vitest';
import { checkClientIdUrl, isClientIdUrl } from '../../src/index.js';

const idsOf = (raw: string, options?: { allowPrivateNetwork?: boolean }): string[] =>
  checkClientIdUrl(raw, options).map((finding) => finding.id);

describe('checkClientIdUrl', () => {
  it('accepts a plain https URL with a path, with no finding at all', () => {
    expect(checkClientIdUrl('https://app.example.com/oauth/client.json')).toEqual([]);
    expect(isClientIdUrl('https://app.example.com/oauth/client.json')).toBe(true);
  });

  it('reports every finding at $.client_id', () => {
    const findings = checkClientIdUrl('http://u@10.0.0.1/#');
    expect(findings.length).toBeGreaterThan(3);
    for (const finding of findings) expect(finding.path).toBe('$.client_id');
  });

  it.each([
    'http://app.example.com/c.json',
    'ftp://app.example.com/c.json',
    'HTTP://app.example.com/c.json',
    'app.example.com/c.json',
    'https:app.example.com/c.json',
    '',
    'https:///c.json',
    'https://app.example.com:0/c.json',
    'https://app.example.com:65536/c.json',
    'https://app.example.com:abc/c.json',
    'https://app.example.com:/c.json',
    'https://app exa.com/c.json',
  ])('CIMD-URL-01 refuses %j', (raw) => {
    expect(idsOf(raw)).toContain('CIMD-URL-01');
    expect(isClientIdUrl(raw)).toBe(false);
  });

  it('CIMD-URL-01 accepts an upper-case HTTPS scheme (schemes are case-insensitive)', () => {
    expect(idsOf('HTTPS://app.example.com/c.json')).not.toContain('CIMD-URL-01');
  });

  it('CIMD-URL-01 refuses a value that is not a string', () => {
    expect(idsOf(42 as unknown as string)).toEqual(['CIMD-URL-01']);
  });

  it.each([
    'https://app.example.com',
    'https://app.example.com/',
    'https://app.example.com?x=1',
    'https://app.example.com:8443',
  ])('CIMD-URL-02 refuses the root path in %j', (raw) => {
    expect(idsOf(raw)).toContain('CIMD-URL-02');
  });

  it.each(['https://app.example.com/c.json', 'https://app.example.com//', 'https://app.example.com/a/'])(
    'CIMD-URL-02 accepts the path of %j',
    (raw) => {
      expect(idsOf(raw)).not.toContain('CIMD-URL-02');
    },
  );

  it.each([
    'https://app.example.com/a/../c.json',
    'https://app.example.com/./c.json',
    'https://app.example.com/a/..',
    'https://app.example.com/a/%2e%2e/c.json',
    'https://app.example.com/a/%2E%2E/c.json',
    'https://app.example.com/a/.%2e/c.json',
    'https://app.example.com/a/%2e./c.json',
    'https://app.example.com/%2e/c.json',
  ])('CIMD-URL-03 refuses dot segments in %j', (raw) => {
    expect(idsOf(raw)).toContain('CIMD-URL-03');
  });

  it('CIMD-URL-03 refuses %2e%2e segments (which the WHATWG parser would silently resolve)', () => {
    const raw = 'https://app.example.com/a/%2e%2e/c.json';
    expect(new URL(raw).pathname).toBe('/c.json');
    expect(isClientIdUrl(raw)).toBe(false);
  });

  it.each([
    'https://app.example.com/.well-known/client.json',
    'https://app.example.com/a..b/c.json',
    'https://app.example.com/.../c',
  ])('CIMD-URL-03 accepts names that merely contain dots: %j', (raw) => {
    expect(idsOf(raw)).not.toContain('CIMD-URL-03');
  });

  it.each([
    'https://app.example.com/c.json#x',
    'https://app.example.com/c.json#',
    'https://app.example.com/c.json?#',
  ])('CIMD-URL-04 refuses the fragment in %j', (raw) => {
    expect(idsOf(raw)).toContain('CIMD-URL-04');
  });

  it.each([
    'https://u:p@app.example.com/c.json',
    'https://u@app.example.com/c.json',
    'https://:p@app.example.com/c.json',
    'https://@app.example.com/c.json',
  ])('CIMD-URL-05 refuses the userinfo in %j', (raw) => {
    expect(idsOf(raw)).toContain('CIMD-URL-05');
  });

  it('CIMD-URL-05 accepts an "@" in the path', () => {
    expect(idsOf('https://app.example.com/@team/c.json')).toEqual([]);
  });

  it('CIMD-URL-06 warns about a query but still accepts the URL', () => {
    const findings = checkClientIdUrl('https://app.example.com/c.json?v=1');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: 'CIMD-URL-06', severity: 'warning' });
    expect(isClientIdUrl('https://app.example.com/c.json?v=1')).toBe(true);
    expect(idsOf('https://app.example.com/c.json?')).toEqual(['CIMD-URL-06']);
  });

  it.each([
    'https://app.example.com:8443/c.json',
    'https://app.example.com:443/c.json',
    'https://app.example.com:1/c.json',
  ])('CIMD-URL-07 accepts any port: %j', (raw) => {
    expect(checkClientIdUrl(raw)).toEqual([]);
  });

  it('CIMD-URL-08 warns above 100 characters, not at 100', () => {
    const prefix = 'https://app.example.com/';
    const at100 = `${prefix}${'a'.repeat(100 - prefix.length)}`;
    expect(at100).toHaveLength(100);
    expect(checkClientIdUrl(at100)).toEqual([]);
    const findings = checkClientIdUrl(`${at100}b`);
    expect(findings.map((finding) => [finding.id, finding.severity])).toEqual([['CIMD-URL-08', 'warning']]);
    expect(isClientIdUrl(`${at100}b`)).toBe(true);
  });

  it.each([
    'https://127.0.0.1/c.json',
    'https://10.0.0.1/c.json',
    'https://8.8.8.8/c.json',
    'https://[::1]/c.json',
    'https://[::ffff:7f00:1]/c.json',
    'https://[2001:db8::1]:8443/c.json',
    'https://2130706433/c.json',
    'https://0x7f000001/c.json',
    'https://0x7f.1/c.json',
    'https://0177.0.0.1/c.json',
    'https://127.1/c.json',
    'https://127.0.0.1./c.json',
    'https://%31%32%37.0.0.1/c.json',
  ])('CIMD-URL-09 refuses the IP-literal host of %j', (raw) => {
    expect(idsOf(raw)).toEqual(['CIMD-URL-09']);
    expect(checkClientIdUrl(raw)[0]?.message).toContain('IP address');
    expect(idsOf(raw, { allowPrivateNetwork: true })).toEqual([]);
  });

  it.each([
    'https://localhost/c.json',
    'https://LOCALHOST/c.json',
    'https://intranet/c.json',
    'https://printer.local/c.json',
    'https://app.localhost/c.json',
    'https://app.test/c.json',
    'https://app.invalid/c.json',
    'https://app.example/c.json',
    'https://api.corp.internal/c.json',
    'https://router.home.arpa/c.json',
    'https://com./c.json',
  ])('CIMD-URL-09 refuses the non-public name in %j unless allowPrivateNetwork', (raw) => {
    expect(idsOf(raw)).toEqual(['CIMD-URL-09']);
    expect(isClientIdUrl(raw)).toBe(false);
    expect(isClientIdUrl(raw, { allowPrivateNetwork: true })).toBe(true);
  });

  it.each([
    'https://app.example.com/c.json',
    'https://localhost.example.com/c.json',
    'https://test.dev/c.json',
    'https://1password.com/c.json',
  ])('CIMD-URL-09 accepts the public name in %j', (raw) => {
    expect(idsOf(raw)).toEqual([]);
  });

  it('allowPrivateNetwork never lifts the https rule', () => {
    expect(idsOf('http://localhost/c.json', { allowPrivateNetwork: true })).toEqual(['CIMD-URL-01']);
  });

  it.each([
    ['a space', 'https://app.example.com/c .json'],
    ['a leading space', ' https://app.example.com/c.json'],
    ['a trailing newline', 'https://app.example.com/c.json\n'],
    ['a tab', 'https://app.example.com/c\t.json'],
    ['a backslash', 'https://app.example.com\\c.json'],
    ['a NUL', 'https://app.example.com/c.json\u0000'],
    ['a no-break space', 'https://app.example.com/c\u00a0.json'],
  ])('CIMD-LINT-01 refuses %s', (_label, raw) => {
    expect(idsOf(raw)).toContain('CIMD-LINT-01');
    expect(isClientIdUrl(raw)).toBe(false);
  });
});
