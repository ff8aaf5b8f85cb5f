import { describe, expect, it } from 'vitest';
import { isLoopbackRedirectUri, matchRedirectUri } from '../../src/index.js';

const accepts = (requested: string, registered: readonly string[]): void => {
  const result = matchRedirectUri(requested, registered);
  expect(result, `${requested} should match ${registered.join(', ')}`).toMatchObject({ ok: true });
};
const refuses = (requested: string, registered: readonly string[]): string => {
  const result = matchRedirectUri(requested, registered);
  expect(result.ok, `${requested} should not match ${registered.join(', ')}`).toBe(false);
  return result.ok ? '' : result.reason;
};

describe('matchRedirectUri', () => {
  describe('RURI-02 exact simple string comparison', () => {
    const registered = ['https://app.example/cb'];

    it('RURI-02 accepts the registered URI and says which entry matched', () => {
      expect(matchRedirectUri('https://app.example/cb', ['https://other.example/x', ...registered])).toEqual({
        ok: true,
        registered: 'https://app.example/cb',
      });
    });

    it.each([
      'https://app.example/cb/',
      'https://APP.example/cb',
      'HTTPS://app.example/cb',
      'https://app.example/cb?x=1',
      'https://app.example/cb?',
      'https://app.example:443/cb',
      'https://app.example/c%62',
      'https://app.example/CB',
      'https://app.example/c',
      'https://app.example.evil.example/cb',
      'http://app.example/cb',
    ])('RURI-02 refuses %j (no normalisation, prefix or case folding)', (requested) => {
      const reason = refuses(requested, registered);
      expect(reason).toBe(`${requested} is not registered; registered: https://app.example/cb`);
    });

    it('RURI-02 has no wildcards: a registered * is a literal character', () => {
      refuses('https://a.example.com/cb', ['https://*.example.com/cb']);
      refuses('https://app.example/cb/x', ['https://app.example/cb/*']);
      refuses('http://127.0.0.1:5555/callback', ['http://127.0.0.1:*/callback']);
      refuses('http://[::1]:5555/callback', ['http://[::1]:*/callback']);
    });

    it('RURI-02 refuses everything when nothing is registered', () => {
      expect(refuses('https://app.example/cb', [])).toContain('no redirect URIs are registered');
    });
  });

  describe('RURI-03 loopback IP literals match on any port', () => {
    const registered = ['http://127.0.0.1/callback'];

    it.each([
      'http://127.0.0.1/callback',
      'http://127.0.0.1:51004/callback',
      'http://127.0.0.1:1/callback',
      'http://127.0.0.1:65535/callback',
    ])('RURI-03 accepts %j', (requested) => {
      expect(matchRedirectUri(requested, registered)).toEqual({
        ok: true,
        registered: 'http://127.0.0.1/callback',
      });
    });

    it('RURI-03 example: 127.0.0.1:5000/callback2 is not registered and the reason lists what is', () => {
      expect(
        refuses('http://127.0.0.1:5000/callback2', ['http://127.0.0.1/callback', 'https://app.example/cb']),
      ).toBe(
        'http://127.0.0.1:5000/callback2 is not registered; registered: http://127.0.0.1/callback, https://app.example/cb',
      );
    });

    it.each([
      'http://127.0.0.1:51004/callback2',
      'http://127.0.0.1:51004/callback/',
      'http://127.0.0.1:51004/Callback',
      'http://127.0.0.1:51004/callback?x=1',
      'https://127.0.0.1:51004/callback',
      'http://[::1]:51004/callback',
      'http://localhost:51004/callback',
      'http://127.0.0.2:51004/callback',
      'HTTP://127.0.0.1:51004/callback',
      'http://0x7f.1:51004/callback',
      'http://2130706433:51004/callback',
    ])('RURI-03 refuses %j (only the port may differ)', (requested) => {
      refuses(requested, registered);
    });

    it('RURI-03 applies to [::1] too, and never cross-matches 127.0.0.1', () => {
      accepts('http://[::1]:5000/callback', ['http://[::1]/callback']);
      accepts('http://[::1]/callback', ['http://[::1]:33418/callback']);
      refuses('http://127.0.0.1:5000/callback', ['http://[::1]/callback']);
    });

    it('RURI-03 keeps the query exact', () => {
      accepts('http://127.0.0.1:5000/cb?x=1', ['http://127.0.0.1/cb?x=1']);
      refuses('http://127.0.0.1:5000/cb?x=2', ['http://127.0.0.1/cb?x=1']);
      refuses('http://127.0.0.1:5000/cb', ['http://127.0.0.1/cb?x=1']);
    });

    it('RURI-03 gives https loopback no port exception', () => {
      accepts('https://127.0.0.1:8443/cb', ['https://127.0.0.1:8443/cb']);
      refuses('https://127.0.0.1:9443/cb', ['https://127.0.0.1:8443/cb']);
      refuses('https://localhost:9443/cb', ['https://localhost/cb']);
      expect(refuses('https://127.0.0.1:9443/cb', ['http://127.0.0.1/cb'])).toContain('only http loopback');
    });

    it('RURI-03 needs the registered scheme and host written exactly (no case folding)', () => {
      refuses('http://127.0.0.1:5000/callback', ['HTTP://127.0.0.1/callback']);
      refuses('http://localhost:5000/callback', ['http://LOCALHOST/callback']);
    });
  });

  describe('RURI-04 the port is ignored even when the registered URI names one', () => {
    it('RURI-04 accepts VS Code falling back from 33418 to a random port', () => {
      accepts('http://127.0.0.1:49152/', ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect']);
      accepts('http://127.0.0.1:33418/', ['http://127.0.0.1:33418/']);
      accepts('http://127.0.0.1/', ['http://127.0.0.1:33418/']);
    });

    it('RURI-04 still refuses a different path', () => {
      refuses('http://127.0.0.1:49152/x', ['http://127.0.0.1:33418/']);
      refuses('http://127.0.0.1:49152', ['http://127.0.0.1:33418/']);
    });
  });

  describe('RURI-05 localhost matches on any port, never cross-matched with IP literals', () => {
    it('RURI-05 example: localhost:3118 ok, 127.0.0.1:3118 refused', () => {
      accepts('http://localhost:3118/callback', ['http://localhost/callback']);
      const reason = refuses('http://127.0.0.1:3118/callback', ['http://localhost/callback']);
      expect(reason).toContain('different hosts');
    });

    it('RURI-05 refuses localhost against 127.0.0.1 and [::1] registrations', () => {
      refuses('http://localhost:3118/callback', ['http://127.0.0.1/callback', 'http://[::1]/callback']);
      refuses('http://LOCALHOST:3118/callback', ['http://localhost/callback']);
    });

    it('RURI-05 accepts Claude Code and Codex on ephemeral ports on either host', () => {
      const claudeCode = ['http://localhost/callback', 'http://127.0.0.1/callback'];
      expect(matchRedirectUri('http://localhost:54321/callback', claudeCode)).toEqual({
        ok: true,
        registered: 'http://localhost/callback',
      });
      expect(matchRedirectUri('http://127.0.0.1:54321/callback', claudeCode)).toEqual({
        ok: true,
        registered: 'http://127.0.0.1/callback',
      });
      const codex = ['http://127.0.0.1/callback', 'http://localhost/callback'];
      accepts('http://127.0.0.1:1455/callback', codex);
      accepts('http://localhost:1455/callback', codex);
      refuses('http://localhost:1455/auth/callback', codex);
    });

    it('RURI-05 reads a registered FastMCP http://localhost:*/callback as localhost on any port, that path only', () => {
      const registered = ['http://localhost:*/callback'];
      expect(matchRedirectUri('http://localhost:5555/callback', registered)).toEqual({
        ok: true,
        registered: 'http://localhost:*/callback',
      });
      accepts('http://localhost/callback', registered);
      refuses('http://localhost:5555/callback2', registered);
      refuses('http://127.0.0.1:5555/callback', registered);
      refuses('https://localhost:5555/callback', registered);
      refuses('http://localhost:*/callback', registered);
    });
  });

  describe('requested URIs that never match', () => {
    it.each([
      ['userinfo', 'http://u@127.0.0.1/callback'],
      ['empty userinfo', 'https://@app.example/cb'],
      ['a fragment', 'https://app.example/cb#x'],
      ['a bare fragment', 'https://app.example/cb#'],
      ['a dot segment', 'https://app.example/a/../cb'],
      ['a single-dot segment', 'https://app.example/./cb'],
      ['an encoded dot segment', 'https://app.example/a/%2e%2e/cb'],
      ['a mixed encoded dot segment', 'https://app.example/a/.%2E/cb'],
      ['a space', 'https://app.example/c b'],
      ['a leading space', ' https://app.example/cb'],
      ['a trailing newline', 'https://app.example/cb\n'],
      ['a tab', 'https://app.example/c\tb'],
      ['a backslash', 'https://app.example\\cb'],
      ['no scheme', '//app.example/cb'],
      ['an empty string', ''],
    ])('refuses a requested URI with %s, even when that exact string is registered', (_label, requested) => {
      const reason = refuses(requested, [requested]);
      expect(reason).toContain('never matches');
    });

    it.each([
      'http://127.0.0.1:abc/callback',
      'http://127.0.0.1:/callback',
      'http://127.0.0.1:0/callback',
      'http://127.0.0.1:65536/callback',
      'http://127.0.0.1:-1/callback',
      'http://127.0.0.1:123456/callback',
      'http://127.0.0.1: 80/callback',
      'http://127.0.0.1:*/callback',
    ])('refuses the requested port in %j', (requested) => {
      refuses(requested, ['http://127.0.0.1/callback', requested]);
    });

    it('a registered URI with a fragment or userinfo never matches a loopback request', () => {
      refuses('http://127.0.0.1:5000/callback', ['http://127.0.0.1/callback#']);
      refuses('http://127.0.0.1:5000/callback', ['http://u@127.0.0.1/callback']);
    });

    it('a registered list that is not an array matches nothing', () => {
      expect(matchRedirectUri('https://app.example/cb', undefined as unknown as string[]).ok).toBe(false);
      expect(
        matchRedirectUri('https://app.example/cb', [7, 'https://app.example/cb'] as unknown as string[]).ok,
      ).toBe(true);
    });

    it('a non-string requested URI is refused', () => {
      expect(matchRedirectUri(undefined as unknown as string, ['x']).ok).toBe(false);
    });
  });
});

describe('isLoopbackRedirectUri', () => {
  it.each([
    'http://127.0.0.1/callback',
    'http://127.0.0.1:33418/',
    'http://[::1]/cb',
    'http://[::1]:8080/cb',
    'http://localhost/callback',
    'http://localhost:3000/callback',
    'http://localhost:*/callback',
  ])('is true for %j', (uri) => {
    expect(isLoopbackRedirectUri(uri)).toBe(true);
  });

  it.each([
    'https://127.0.0.1/callback',
    'http://127.0.0.2/callback',
    'http://LOCALHOST/callback',
    'HTTP://127.0.0.1/callback',
    'http://localhost.example.com/callback',
    'http://u@localhost/callback',
    'http://127.0.0.1:*/callback',
    'http://127.0.0.1:0/callback',
    'http://192.168.1.5/cb',
    'http://127.0.0.1/call back',
    'com.example.app:/cb',
    '',
  ])('is false for %j', (uri) => {
    expect(isLoopbackRedirectUri(uri)).toBe(false);
  });
});
