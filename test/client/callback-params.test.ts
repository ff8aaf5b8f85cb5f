/** The rules a sign-in callback must pass, in order: state, iss, error, code (MCP-C-28, DISC-09). */
import { describe, expect, it } from 'vitest';
import { displayable, judgeCallback } from '../../src/client/callback-params.js';

const expected = { state: 's1', issuer: 'https://as.example.com', issuerRequired: true };
const params = (query: string) => new URLSearchParams(query);

describe('judgeCallback', () => {
  it('accepts the matching state and issuer', () => {
    expect(judgeCallback(params('code=c&state=s1&iss=https%3A%2F%2Fas.example.com'), expected)).toEqual({
      code: 'c',
      state: 's1',
      iss: 'https://as.example.com',
    });
  });

  it.each([
    ['missing', 'code=c&iss=https%3A%2F%2Fas.example.com'],
    ['wrong', 'code=c&state=s2&iss=https%3A%2F%2Fas.example.com'],
    ['a prefix', 'code=c&state=s&iss=https%3A%2F%2Fas.example.com'],
    ['repeated', 'code=c&state=s1&state=s1&iss=https%3A%2F%2Fas.example.com'],
  ])('MCP-C-28: refuses a %s state', (_name, query) => {
    expect(() => judgeCallback(params(query), expected)).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_STATE_MISMATCH' }),
    );
  });

  it('MCP-C-28: checks the state before anything else, even an error response', () => {
    expect(() => judgeCallback(params('error=access_denied&state=nope'), expected)).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_STATE_MISMATCH' }),
    );
  });

  it('DISC-09: refuses an iss of another server, and a trailing-slash variant (exact comparison)', () => {
    for (const iss of ['https://evil.example.com', 'https://as.example.com/']) {
      expect(() => judgeCallback(params(`code=c&state=s1&iss=${encodeURIComponent(iss)}`), expected)).toThrow(
        expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }),
      );
    }
  });

  it('DISC-09: requires iss when the server advertises it, and checks a present one even when not advertised', () => {
    expect(() => judgeCallback(params('code=c&state=s1'), expected)).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }),
    );
    expect(judgeCallback(params('code=c&state=s1'), { ...expected, issuerRequired: false })).toEqual({
      code: 'c',
      state: 's1',
    });
    expect(() =>
      judgeCallback(params('code=c&state=s1&iss=https%3A%2F%2Fevil.example.com'), {
        ...expected,
        issuerRequired: false,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SIGNIN_ISSUER_MISMATCH' }));
  });

  it('accepts an alternative issuer spelling only when given', () => {
    const legacy = { state: 's1', issuer: 'http://127.0.0.1:9', issuerAlternatives: ['http://127.0.0.1:9/'] };
    expect(judgeCallback(params('code=c&state=s1&iss=http%3A%2F%2F127.0.0.1%3A9%2F'), legacy).code).toBe('c');
  });

  it('turns an error response into ERR_SIGNIN_DENIED with a printable description', () => {
    expect(() =>
      judgeCallback(
        params('error=access_denied&error_description=no%0Athanks&state=s1&iss=https%3A%2F%2Fas.example.com'),
        expected,
      ),
    ).toThrow('the sign-in was declined (access_denied: nothanks).');
    expect(() =>
      judgeCallback(
        params('error=temporarily_unavailable&state=s1&iss=https%3A%2F%2Fas.example.com'),
        expected,
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_SIGNIN_DENIED',
        message: expect.stringContaining('temporarily_unavailable'),
      }),
    );
  });

  it('refuses a callback without a code', () => {
    expect(() => judgeCallback(params('state=s1&iss=https%3A%2F%2Fas.example.com'), expected)).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNIN_NO_CODE' }),
    );
  });

  it('displayable drops control characters and bounds the length', () => {
    expect(displayable('a\u0000b\u001bc\u009bd')).toBe('abcd');
    expect(displayable('x'.repeat(500))).toHaveLength(201);
  });
});
