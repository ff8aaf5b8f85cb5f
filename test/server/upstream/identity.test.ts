/**
 * Who signs in, against a real OpenID provider: our `sub` is derived from (provider issuer,
 * provider subject), the same for every sign-in of one upstream user, different for another,
 * never an e-mail address or a user name; and the allow-lists (`users`, `emailDomains`) refuse
 * everyone else with a 403 page whose "Return to the application" link carries
 * `error=access_denied` to the validated redirect URI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectFor } from '../../../src/server/index.js';
import { expectNotAllowedPage, signIn, subjectOf } from './flow.js';
import { CookieJar, type ProxyHarness, startProxyHarness } from './harness.js';

const ACCOUNTS = [
  { accountId: 'alice', email: 'alice@example.com', name: 'Alice' },
  { accountId: 'bob', email: 'bob@example.org', name: 'Bob' },
  { accountId: 'carol', email: 'carol@example.org', emailVerified: false, name: 'Carol' },
];

describe('our subject for upstream users', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({ idp: { accounts: ACCOUNTS } });
  });
  afterAll(async () => harness?.close());

  it('is stable across sign-ins of one upstream user, different for another, never the e-mail or user name', async () => {
    const client = await harness.registerClient();
    const subjects: string[] = [];
    for (const login of ['alice', 'alice', 'bob']) {
      const { started, response } = await signIn(harness, new CookieJar(), client, login);
      subjects.push(await subjectOf(harness, client, started, response));
    }
    const [alice, aliceAgain, bob] = subjects;
    expect(aliceAgain).toBe(alice);
    expect(bob).not.toBe(alice);
    expect(alice).toBe(await subjectFor(harness.idp?.issuer ?? '', 'alice'));
    for (const subject of subjects) {
      expect(subject).toMatch(/^u_[A-Za-z0-9_-]{43}$/);
      expect(subject).not.toContain('@');
      expect(subject).not.toMatch(/alice|bob|example/);
    }
  });
});

describe('allow-list of users', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({
      idp: { accounts: ACCOUNTS },
      authenticator: { allow: { users: ['ALICE', 'bob@example.org'] } },
    });
  });
  afterAll(async () => harness?.close());

  it('admits a listed upstream subject (case-insensitive) and a listed verified e-mail address', async () => {
    const client = await harness.registerClient();
    for (const login of ['alice', 'bob']) {
      const { started, response } = await signIn(harness, new CookieJar(), client, login);
      expect(await subjectOf(harness, client, started, response)).toMatch(/^u_/);
    }
  });

  it('refuses anyone else with the 403 page linking back with access_denied; no session starts', async () => {
    const client = await harness.registerClient();
    const browser = new CookieJar();
    const { started, response } = await signIn(harness, browser, client, 'mallory');
    await expectNotAllowedPage(harness, client, response, started.state);
    expect([...browser.cookies.keys()].some((name) => name.includes('session'))).toBe(false);
    const [line] = harness.logs.filter((l) => l.fields.event === 'upstream.sign_in_failed').slice(-1);
    expect(line?.fields.upstreamSubject).toBe('mallory');
  });
});

describe('allow-list of e-mail domains', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({
      idp: { accounts: ACCOUNTS },
      authenticator: { allow: { emailDomains: ['@Example.org'] } },
    });
  });
  afterAll(async () => harness?.close());

  it('admits a verified address in the domain', async () => {
    const client = await harness.registerClient();
    const { started, response } = await signIn(harness, new CookieJar(), client, 'bob');
    expect(await subjectOf(harness, client, started, response)).toBe(
      await subjectFor(harness.idp?.issuer ?? '', 'bob'),
    );
  });

  it('refuses another domain, and an unverified address in the domain', async () => {
    const client = await harness.registerClient();
    for (const login of ['alice', 'carol']) {
      const { started, response } = await signIn(harness, new CookieJar(), client, login);
      await expectNotAllowedPage(harness, client, response, started.state);
    }
  });
});
