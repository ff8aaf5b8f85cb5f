import { describe, expect, it } from 'vitest';
import { checkServedOrigin, defaultPort } from '../../src/cli/commands/host/origin-check.js';

const TLS = { tls: true, host: '127.0.0.1', port: 8443 };

describe('cimd host: the startup check that the document is served at its client_id (CIMD-DOC-03)', () => {
  it('accepts the listening origin, localhost for a loopback address, any host on a wildcard address', () => {
    expect(checkServedOrigin('https://127.0.0.1:8443/client.json', TLS)).toEqual({
      ok: true,
      origin: 'https://127.0.0.1:8443',
    });
    expect(checkServedOrigin('https://localhost:8443/client.json', TLS)).toEqual({
      ok: true,
      origin: 'https://localhost:8443',
    });
    expect(checkServedOrigin('https://localhost:8443/c.json', { ...TLS, host: '::1' }).ok).toBe(true);
    expect(checkServedOrigin('https://dev.example.com:8443/c.json', { ...TLS, host: '0.0.0.0' }).ok).toBe(
      true,
    );
  });

  it('refuses another port, host or scheme, saying which', () => {
    const problems = (clientId: string, target = TLS) => {
      const check = checkServedOrigin(clientId, target);
      return check.ok ? [] : check.problems;
    };
    expect(problems('https://localhost:9443/client.json')).toEqual([
      'client_id names port 9443, but this server listens on port 8443 (see --port)',
    ]);
    expect(problems('https://app.example.com:8443/client.json')).toEqual([
      'client_id names the host app.example.com, but this server listens on 127.0.0.1 (see --host)',
    ]);
    expect(problems('https://localhost:8443/client.json', { ...TLS, tls: false })[0]).toMatch(
      /without --tls-cert and --tls-key this server speaks plain http/,
    );
    expect(problems('https://[::1]:8443/client.json')).toHaveLength(1);
    expect(problems('https://localhost/client.json')).toEqual([
      'client_id names port 443, but this server listens on port 8443 (see --port)',
    ]);
  });

  it('behind a proxy, --public-url (an origin or the document URL) must give the client_id', () => {
    const proxied = { tls: false, host: '127.0.0.1', port: 8080 };
    const id = 'https://app.example.com/oauth/client.json';
    expect(checkServedOrigin(id, { ...proxied, publicUrl: 'https://app.example.com' })).toEqual({
      ok: true,
      origin: 'https://app.example.com',
    });
    expect(checkServedOrigin(id, { ...proxied, publicUrl: id }).ok).toBe(true);
    const wrong = checkServedOrigin(id, { ...proxied, publicUrl: 'https://www.app.example.com' });
    expect(wrong.ok).toBe(false);
    expect(wrong.ok ? '' : wrong.problems[0]).toContain(
      'served as https://www.app.example.com/oauth/client.json',
    );
  });

  it("listens on the client_id's port by default (8080 behind a proxy)", () => {
    expect(defaultPort('https://localhost:8443/client.json', undefined)).toBe(8443);
    expect(defaultPort('https://app.example.com/client.json', undefined)).toBe(443);
    expect(defaultPort('https://app.example.com/client.json', 'https://app.example.com')).toBe(8080);
  });
});
