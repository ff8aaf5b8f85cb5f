/**
 * Units of the upstream sign-in: our subject (`subjectFor`), the allow-lists (`checkAllowList`,
 * `isAllowed`), and how provider errors are classified (`classifyUpstreamError`) into what the
 * MCP client is told (`UpstreamError.failure`).
 */
import { describe, expect, it } from 'vitest';
import { classifyUpstreamError, UpstreamError } from '../../../src/server/upstream/errors.js';
import { checkAllowList, isAllowed, subjectFor } from '../../../src/server/upstream/identity.js';
import type { UpstreamIdentity } from '../../../src/server/upstream/provider.js';

const ISSUER = 'https://idp.example.com';

describe('subjectFor', () => {
  it('is a stable opaque u_ + base64url SHA-256 of (issuer, subject)', async () => {
    const subject = await subjectFor(ISSUER, '248289761001');
    expect(subject).toMatch(/^u_[A-Za-z0-9_-]{43}$/);
    expect(await subjectFor(ISSUER, '248289761001')).toBe(subject);
    expect(subject).not.toContain('248289761001');
  });

  it('differs by subject and by issuer, and the issuer/subject boundary cannot be shifted', async () => {
    const subjects = await Promise.all([
      subjectFor(ISSUER, 'alice'),
      subjectFor(ISSUER, 'Alice'),
      subjectFor('https://other.example.com', 'alice'),
      subjectFor('a|b', 'c'),
      subjectFor('a', 'b|c'),
      subjectFor('https://github.com', '1'),
      subjectFor('https://github.com', '10'),
    ]);
    expect(new Set(subjects).size).toBe(subjects.length);
  });
});

describe('checkAllowList', () => {
  it('trims and lower-cases entries and drops the @ of e-mail domains', () => {
    expect(
      checkAllowList({
        users: [' Alice '],
        emailDomains: ['@Example.COM', 'example.org'],
        organizations: ['ACME'],
      }),
    ).toEqual({ users: ['alice'], emailDomains: ['example.com', 'example.org'], organizations: ['acme'] });
    expect(checkAllowList(undefined)).toEqual({ users: [], emailDomains: [], organizations: [] });
  });

  it('refuses empty or non-string entries with InvalidOptionError', () => {
    expect(() => checkAllowList({ users: [''] })).toThrow(/allow\.users must list non-empty strings/);
    expect(() => checkAllowList({ emailDomains: ['  '] })).toThrow(/allow\.emailDomains/);
    expect(() => checkAllowList({ organizations: [42 as unknown as string] })).toThrow(
      /allow\.organizations/,
    );
  });
});

describe('isAllowed', () => {
  const alice: UpstreamIdentity = {
    issuer: ISSUER,
    subject: 'Sub-123',
    username: 'Alice-GH',
    email: 'Alice@Example.com',
    emailVerified: true,
    organizations: ['Acme', 'widgets'],
  };
  const allowed = (list: Parameters<typeof checkAllowList>[0], identity: UpstreamIdentity = alice) =>
    isAllowed(identity, checkAllowList(list));

  it('admits everyone when no list is configured', () => {
    expect(allowed(undefined)).toBe(true);
    expect(allowed({ users: [], emailDomains: [], organizations: [] })).toBe(true);
  });

  it('users: by upstream subject, user name or verified e-mail, without case', () => {
    expect(allowed({ users: ['sub-123'] })).toBe(true);
    expect(allowed({ users: ['alice-gh'] })).toBe(true);
    expect(allowed({ users: ['alice@example.com'] })).toBe(true);
    expect(allowed({ users: ['bob', 'bob@example.com'] })).toBe(false);
    expect(allowed({ users: ['alice@example.com'] }, { ...alice, emailVerified: false })).toBe(false);
  });

  it('emailDomains: a verified address in the domain only (not a subdomain, not a suffix)', () => {
    expect(allowed({ emailDomains: ['example.com'] })).toBe(true);
    expect(allowed({ emailDomains: ['example.com'] }, { ...alice, emailVerified: false })).toBe(false);
    // A provider that does not say the address is verified (Entra ID, plain OAuth 2) never matches.
    const { emailVerified: _verified, ...unsure } = alice;
    expect(allowed({ emailDomains: ['example.com'] }, unsure)).toBe(false);
    expect(allowed({ users: ['alice@example.com'] }, unsure)).toBe(false);
    expect(allowed({ emailDomains: ['example.com'] }, { ...alice, email: 'a@sub.example.com' })).toBe(false);
    expect(allowed({ emailDomains: ['example.com'] }, { ...alice, email: 'a@badexample.com' })).toBe(false);
    expect(allowed({ emailDomains: ['example.com'] }, { ...alice, email: 'a@example.com@evil.test' })).toBe(
      false,
    );
    const { email: _email, ...noEmail } = alice;
    expect(allowed({ emailDomains: ['example.com'] }, noEmail)).toBe(false);
  });

  it('organizations: one of the user’s organisations, without case; none known admits nobody by this list', () => {
    expect(allowed({ organizations: ['acme'] })).toBe(true);
    expect(allowed({ organizations: ['other'] })).toBe(false);
    const { organizations: _orgs, ...noOrgs } = alice;
    expect(allowed({ organizations: ['acme'] }, noOrgs)).toBe(false);
  });

  it('a user matching any one list is admitted', () => {
    expect(allowed({ users: ['nobody'], emailDomains: ['nowhere.test'], organizations: ['acme'] })).toBe(
      true,
    );
    expect(allowed({ users: ['nobody'], emailDomains: ['example.com'], organizations: ['none'] })).toBe(true);
    expect(allowed({ users: ['nobody'], emailDomains: ['nowhere.test'], organizations: ['none'] })).toBe(
      false,
    );
  });
});

describe('classifyUpstreamError', () => {
  const classify = (error: unknown) => classifyUpstreamError(error, 'code exchange');

  it('keeps an UpstreamError as it is', () => {
    const error = new UpstreamError('ERR_UPSTREAM_USER_NOT_ALLOWED', 'not a member');
    expect(classify(error)).toBe(error);
  });

  it("the provider's access_denied is DENIED (the client gets access_denied)", () => {
    const error = classify({ error: 'access_denied' });
    expect(error.code).toBe('ERR_UPSTREAM_DENIED');
    expect(error.failure).toBe('access_denied');
    expect(error.message).toContain('code exchange');
  });

  it('the provider being down, slow or failing is UNAVAILABLE (temporarily_unavailable)', () => {
    const fetchFailed = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const unavailable = [
      { error: 'temporarily_unavailable' },
      { error: 'server_error' },
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      new DOMException('aborted', 'AbortError'),
      Object.assign(new Error('request timed out'), { code: 'OAUTH_TIMEOUT' }),
      fetchFailed,
      Object.assign(new Error('server responded with an error'), { status: 502 }),
      // openid-client: an unexpected status, the Response as the cause.
      new Error('unexpected HTTP response status code', { cause: new Response('down', { status: 503 }) }),
      new Error('outer', { cause: new Error('middle', { cause: new DOMException('t', 'TimeoutError') }) }),
    ];
    for (const value of unavailable) {
      const error = classify(value);
      expect(error.code, String(value)).toBe('ERR_UPSTREAM_UNAVAILABLE');
      expect(error.failure).toBe('temporarily_unavailable');
    }
  });

  it('every other failed check is INVALID_RESPONSE (server_error), naming the check from the cause chain', () => {
    const invalid = [
      { error: 'invalid_grant' },
      new Error('unexpected HTTP response status code', { cause: new Response('no', { status: 400 }) }),
      Object.assign(new Error('bad request'), { status: 400 }),
      new Error('invalid response encountered', {
        cause: new Error('unexpected "iss" (issuer) response parameter value'),
      }),
      new TypeError('Cannot read properties of undefined'),
      'a string',
      undefined,
    ];
    for (const value of invalid) {
      const error = classify(value);
      expect(error.code, String(value)).toBe('ERR_UPSTREAM_INVALID_RESPONSE');
      expect(error.failure).toBe('server_error');
    }
    expect(classify(invalid[3]).message).toBe(
      'the identity provider\'s answer failed a check (code exchange): invalid response encountered: unexpected "iss" (issuer) response parameter value',
    );
  });

  it('maps every code to what the client is told', () => {
    const failures = {
      ERR_UPSTREAM_DENIED: 'access_denied',
      ERR_UPSTREAM_USER_NOT_ALLOWED: 'user_not_allowed',
      ERR_UPSTREAM_UNAVAILABLE: 'temporarily_unavailable',
      ERR_UPSTREAM_INVALID_RESPONSE: 'server_error',
      ERR_UPSTREAM_NO_TOKENS: 'server_error',
      ERR_UPSTREAM_REFRESH: 'server_error',
    } as const;
    for (const [code, failure] of Object.entries(failures)) {
      const error = new UpstreamError(code as keyof typeof failures, 'x');
      expect(error.failure).toBe(failure);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
    }
  });
});
