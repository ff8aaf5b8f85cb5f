/**
 * The fetcher's DNS resolver (`createDnsResolver`) against a DNS responder on 127.0.0.1 that the
 * test controls: it never reaches the machine's resolver or any outside address.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { createDnsResolver, type DnsResolverOptions } from '../../src/fetch/dns.js';
import { type DnsResponder, startDnsResponder } from './dns-responder.js';

const GOOD = 'good.example';
const GOOD_V4 = '93.184.215.14';
const GOOD_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

let dns: DnsResponder;
beforeAll(async () => {
  dns = await startDnsResponder();
  dns.answer(GOOD, GOOD_V4, GOOD_V6);
  dns.answer('v6only.example', GOOD_V6);
});
afterAll(async () => {
  await dns.close();
});

let stalledCounter = 0;
/** A fresh name the responder never answers. */
function stalledName(): string {
  stalledCounter += 1;
  const name = `s${stalledCounter}.stalled.example`;
  dns.stall(name);
  return name;
}

function resolver(options: DnsResolverOptions = {}) {
  return createDnsResolver({ servers: [dns.server], hostsFile: false, ...options });
}

/** Tracks whether `promise` settled, and how. */
function track<T>(promise: Promise<T>): { settled: () => boolean; result: Promise<T | { code?: string }> } {
  let settled = false;
  const result = promise.then(
    (value) => {
      settled = true;
      return value;
    },
    (error: { code?: string }) => {
      settled = true;
      return error;
    },
  );
  return { settled: () => settled, result };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('createDnsResolver', () => {
  it('asks DNS for A and AAAA and returns every address, IPv4 first', async () => {
    const resolve = resolver();
    expect(await resolve(GOOD)).toEqual([
      { address: GOOD_V4, family: 4 },
      { address: GOOD_V6, family: 6 },
    ]);
    expect(await resolve('v6only.example')).toEqual([{ address: GOOD_V6, family: 6 }]);
    expect(await resolve('GOOD.example.')).toHaveLength(2);
  });

  it('a name that does not exist fails with ENOTFOUND', async () => {
    await expect(resolver()('missing.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('callers asking for a name being looked up share the lookup', async () => {
    dns.answer('shared.example', GOOD_V4);
    const resolve = resolver();
    const all = await Promise.all(Array.from({ length: 10 }, () => resolve('shared.example')));
    expect(all.every((addresses) => addresses[0]?.address === GOOD_V4)).toBe(true);
    expect(dns.queriesFor('shared.example')).toBe(2);
  });

  it('IP literals are returned as they are; localhost and *.localhost are loopback, never asked of DNS', async () => {
    const resolve = resolver();
    expect(await resolve('192.0.2.1')).toEqual([{ address: '192.0.2.1', family: 4 }]);
    expect(await resolve('[::1]')).toEqual([{ address: '::1', family: 6 }]);
    const loopback = [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
    expect(await resolve('localhost')).toEqual(loopback);
    expect(await resolve('app.LOCALHOST')).toEqual(loopback);
    expect(dns.queriesFor('localhost') + dns.queriesFor('app.localhost')).toBe(0);
  });

  it('names in the hosts file resolve through it alone; an unreadable hosts file counts as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cimd-hosts-'));
    try {
      const hostsFile = join(dir, 'hosts');
      writeFileSync(
        hostsFile,
        '# comment\n192.0.2.10 pinned.example alias.example # trailing\n2001:db8::10 pinned.example\n::1 localhost\nnot-an-ip bogus.example\n',
      );
      const resolve = resolver({ hostsFile });
      expect(await resolve('Pinned.Example')).toEqual([
        { address: '192.0.2.10', family: 4 },
        { address: '2001:db8::10', family: 6 },
      ]);
      expect(await resolve('alias.example')).toEqual([{ address: '192.0.2.10', family: 4 }]);
      expect(await resolve('localhost')).toEqual([{ address: '::1', family: 6 }]);
      expect(dns.queriesFor('pinned.example') + dns.queriesFor('alias.example')).toBe(0);
      expect(await resolver({ hostsFile: join(dir, 'absent') })(GOOD)).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks its options', () => {
    expect(() => createDnsResolver({ servers: [] })).toThrow(InvalidOptionError);
    expect(() => createDnsResolver({ servers: ['not an address'] })).toThrow(/servers/);
    expect(() => createDnsResolver({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createDnsResolver({ maxConcurrent: 1.5 })).toThrow(/maxConcurrent/);
    expect(() => createDnsResolver({ hostsFile: '' })).toThrow(/hostsFile/);
  });
});

describe('issue 9 flaw 6: a few stalled DNS names starve everyone', () => {
  it('eight stalled names in flight do not delay a good name; the stalled lookups end at their deadline', async () => {
    const resolve = resolver({ timeoutMs: 1500 });
    const names = Array.from({ length: 8 }, stalledName);
    const started = performance.now();
    const stalled = names.map((name) => track(resolve(name)));
    await until(() => names.every((name) => dns.queriesFor(name) > 0));

    for (let i = 0; i < 20; i += 1) {
      dns.answer(`good${i}.example`, GOOD_V4);
      expect(await resolve(`good${i}.example`)).toEqual([{ address: GOOD_V4, family: 4 }]);
    }
    // Every good lookup finished while all eight stalled ones were still waiting for an answer.
    expect(stalled.filter((lookup) => lookup.settled())).toHaveLength(0);
    // Liveness, generously: twenty good lookups on loopback take nowhere near the stall deadline.
    expect(performance.now() - started).toBeLessThan(1500);

    const outcomes = await Promise.all(stalled.map((lookup) => lookup.result));
    expect(outcomes.map((outcome) => (outcome as { code?: string }).code)).toEqual(Array(8).fill('ETIMEOUT'));
  });

  it("a lookup ends with its caller's signal (the fetch's deadline) and frees its slot at once", async () => {
    const resolve = resolver({ timeoutMs: 60_000, maxConcurrent: 1 });
    const name = stalledName();
    const controller = new AbortController();
    const stalled = track(resolve(name, { signal: controller.signal }));
    await until(() => dns.queriesFor(name) > 0);
    const queued = track(resolve(GOOD));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The only slot is taken by the stalled name: the good lookup waits...
    expect(queued.settled()).toBe(false);
    const reason = new Error('the fetch deadline passed');
    controller.abort(reason);
    // ...until the stalled lookup's caller gives up, not for the stalled lookup's own 60 s.
    expect(await stalled.result).toBe(reason);
    expect(await queued.result).toHaveLength(2);
  });

  it('at most maxConcurrent lookups ask DNS at once, maxQueued more wait, and past that a lookup fails at once', async () => {
    const resolve = resolver({ timeoutMs: 60_000, maxConcurrent: 2, maxQueued: 1 });
    const controller = new AbortController();
    const first = stalledName();
    const second = stalledName();
    const third = stalledName();
    const a = track(resolve(first, { signal: controller.signal }));
    const b = track(resolve(second, { signal: controller.signal }));
    const waiting = track(resolve(GOOD));
    await expect(resolve(third)).rejects.toMatchObject({ code: 'ELOOKUPQUEUEFULL' });
    expect(dns.queriesFor(third)).toBe(0);
    controller.abort(new Error('done'));
    await Promise.all([a.result, b.result]);
    expect(await waiting.result).toHaveLength(2);
  });

  it('a lookup whose every caller gave up is not joined by a later caller', async () => {
    const resolve = resolver({ timeoutMs: 60_000 });
    const name = stalledName();
    const controller = new AbortController();
    const gone = track(resolve(name, { signal: controller.signal }));
    await until(() => dns.queriesFor(name) > 0);
    controller.abort(new Error('gone'));
    await gone.result;
    const asked = dns.queriesFor(name);
    // A new caller starts a lookup of its own (new queries), ended by its own signal.
    const later = new AbortController();
    const fresh = track(resolve(name, { signal: later.signal }));
    await until(() => dns.queriesFor(name) > asked);
    expect(fresh.settled()).toBe(false);
    const reason = new Error('later caller gone');
    later.abort(reason);
    expect(await fresh.result).toBe(reason);
  });
});
