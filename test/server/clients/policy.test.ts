/**
 * The trust policy in the registry (CIMD-AS-10, -17, -28; CIMD §6.8): checked before any fetch
 * and again with the metadata on every resolution, cache hits included; against a real HTTPS
 * host on loopback that counts requests.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTrustPolicy, type TrustContext } from '../../../src/server/clients/trust-policy.js';
import { toOAuthError } from '../../../src/server/oauth-errors.js';
import { createClock, documentFor, type Harness, refusal, startHarness } from './fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function served(extra: (url: string) => Record<string, unknown> = () => ({})): { path: string; url: string } {
  const path = h.path();
  const url = h.url(path);
  h.serve(path, documentFor(url, extra(url)), { 'cache-control': 'max-age=600' });
  return { path, url };
}

describe('CIMD-AS-28: allowlist mode', () => {
  it('an unlisted client is refused with ZERO fetches (host hit count 0)', async () => {
    const { path, url } = served();
    const registry = h.registry({
      trustPolicy: { mode: 'allowlist', allow: ['https://other.example.com/c.json'] },
    });
    const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    expect(h.hits(path)).toBe(0);
    expect(error.decision).toEqual({
      allowed: false,
      trusted: false,
      reason: 'client_id is not on the allow list (allowlist mode)',
    });
    expect(error.message).toContain('not on the allow list');
    expect(toOAuthError(error).error).toBe('invalid_client');
  });

  it('a client listed by exact client_id is allowed', async () => {
    const { url } = served();
    const registry = h.registry({ trustPolicy: { mode: 'allowlist', allow: [url] } });
    const client = await registry.resolveClient(url);
    expect(client.trust).toEqual({
      allowed: true,
      trusted: false,
      reason: `client_id matches the allow entry ${url}`,
    });
  });

  it('a client listed by host pattern is allowed', async () => {
    const { url } = served();
    const registry = h.registry({ trustPolicy: { mode: 'allowlist', allow: ['localhost'] } });
    expect((await registry.resolveClient(url)).trust.allowed).toBe(true);
  });

  it('a trusted entry also allows', async () => {
    const { url } = served();
    const registry = h.registry({ trustPolicy: { mode: 'allowlist', trusted: [url] } });
    expect((await registry.resolveClient(url)).trust).toMatchObject({ allowed: true, trusted: true });
  });
});

describe('deny, allow and trusted entries', () => {
  it('deny beats allow (and trusted): refused without a fetch', async () => {
    const { path, url } = served();
    const registry = h.registry({ trustPolicy: { allow: ['localhost'], trusted: [url], deny: [url] } });
    const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    expect(error.decision?.reason).toBe(`client_id matches the deny entry ${url}`);
    expect(h.hits(path)).toBe(0);
  });

  it('a deny host pattern refuses every client on the host', async () => {
    const { path, url } = served();
    const registry = h.registry({ trustPolicy: { deny: ['LOCALHOST'] } });
    await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    expect(h.hits(path)).toBe(0);
  });

  it('open mode: any valid client is allowed and not trusted; trusted entries mark trust', async () => {
    const a = served();
    const b = served();
    const registry = h.registry({ trustPolicy: { trusted: [b.url] } });
    expect((await registry.resolveClient(a.url)).trust).toEqual({
      allowed: true,
      trusted: false,
      reason: 'open mode: any valid client is allowed',
    });
    const trusted = await registry.resolveClient(b.url);
    expect(trusted.trust.trusted).toBe(true);
    expect(trusted.trust.reason).toContain(`trusted entry ${b.url}`);
  });
});

describe('the decide hook', () => {
  it('is called with the client id before the fetch, then with the metadata', async () => {
    const { url } = served();
    const calls: Omit<TrustContext, 'decision'>[] = [];
    const registry = h.registry({
      trustPolicy: {
        decide: ({ decision: _decision, ...context }) => {
          calls.push(context);
          return undefined;
        },
      },
    });
    const client = await registry.resolveClient(url);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual({ clientId: url, source: 'cimd', phase: 'client_id' });
    expect(calls[1]).toMatchObject({
      clientId: url,
      source: 'cimd',
      phase: 'metadata',
      metadata: { client_name: 'Test client' },
    });
    expect(client.trust.reason).toBe('open mode: any valid client is allowed');
  });

  it('can refuse with its own reason before any fetch', async () => {
    const { path, url } = served();
    const registry = h.registry({
      trustPolicy: { decide: async () => ({ allowed: false, reason: 'this domain is under review' }) },
    });
    const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    expect(error.message).toContain('this domain is under review');
    expect(h.hits(path)).toBe(0);
  });

  it('can refuse after seeing the metadata, and mark trust', async () => {
    const evil = served(() => ({ client_name: 'Totally Google Drive' }));
    const good = served();
    const registry = h.registry({
      trustPolicy: {
        decide: ({ phase, metadata }) => {
          if (phase !== 'metadata') return undefined;
          if (metadata?.client_name.includes('Google')) return { allowed: false, reason: 'impersonation' };
          return { allowed: true, trusted: true, reason: 'vetted' };
        },
      },
    });
    await refusal(registry.resolveClient(evil.url), 'ERR_CIMD_POLICY_DENIED');
    expect((await registry.resolveClient(good.url)).trust).toEqual({
      allowed: true,
      trusted: true,
      reason: 'vetted',
    });
  });

  it('can allow a client the allowlist does not list, but never a denied one', async () => {
    const listed = served();
    const denied = served();
    const decide = vi.fn(() => ({ allowed: true, reason: 'pre-registered in the database' }));
    const registry = h.registry({ trustPolicy: { mode: 'allowlist', deny: [denied.url], decide } });
    expect((await registry.resolveClient(listed.url)).trust.reason).toBe('pre-registered in the database');
    await refusal(registry.resolveClient(denied.url), 'ERR_CIMD_POLICY_DENIED');
    expect(h.hits(denied.path)).toBe(0);
  });

  it('a malformed hook answer fails closed', async () => {
    const { url } = served();
    const registry = h.registry({ trustPolicy: { decide: () => ({ allowed: 'yes' }) as never } });
    const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    expect(error.decision?.reason).toContain('invalid decision');
  });

  it('a hook that throws fails the resolution with its error (mapped to server_error)', async () => {
    const { url } = served();
    const registry = h.registry({
      trustPolicy: {
        decide: () => {
          throw new Error('database down');
        },
      },
    });
    const error = await registry.resolveClient(url).catch((reason: unknown) => reason);
    expect((error as Error).message).toBe('database down');
    expect(toOAuthError(error).toJSON()).toEqual({
      error: 'server_error',
      error_description: 'the server failed to handle the request; try again later',
    });
  });
});

describe('the policy is checked again on every cache hit', () => {
  it('a policy changed after caching refuses the client without a fetch, and allows it again when reverted', async () => {
    const clock = createClock();
    const { path, url } = served();
    const policy = createTrustPolicy();
    const registry = h.registry({ now: clock.now, trustPolicy: policy });
    await registry.resolveClient(url);
    policy.update({ deny: [url] });
    await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    registry.trustPolicy.update({ requireSameOriginRedirects: true });
    expect((await registry.resolveClient(url)).trust.allowed).toBe(true);
    expect(h.hits(path)).toBe(1);
  });

  it('a hook is consulted on cache hits too', async () => {
    const { path, url } = served();
    let blocked = false;
    const registry = h.registry({
      trustPolicy: {
        decide: () => (blocked ? { allowed: false, reason: 'blocked by the operator' } : undefined),
      },
    });
    await registry.resolveClient(url);
    blocked = true;
    await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    expect(h.hits(path)).toBe(1);
  });
});

describe('CIMD-AS-17: same-origin redirect URIs (optional)', () => {
  it('an https redirect URI on another origin is refused', async () => {
    const { url } = served(() => ({ redirect_uris: ['https://evil.example/cb'] }));
    const registry = h.registry({ trustPolicy: { requireSameOriginRedirects: true } });
    const error = await refusal(registry.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
    expect(error.decision?.reason).toBe(
      `the redirect URI https://evil.example/cb is not on the client_id's origin ${h.host.origin} (same-origin policy)`,
    );
  });

  it('same-origin https and loopback redirect URIs are accepted', async () => {
    const { url } = served((u) => ({
      redirect_uris: [
        `${new URL(u).origin}/callback`,
        'http://127.0.0.1/callback',
        'http://localhost/callback',
      ],
    }));
    const registry = h.registry({ trustPolicy: { requireSameOriginRedirects: true } });
    await expect(registry.resolveClient(url)).resolves.toBeDefined();
  });

  it('is off by default', async () => {
    const { url } = served(() => ({ redirect_uris: ['https://elsewhere.example/cb'] }));
    await expect(h.registry().resolveClient(url)).resolves.toBeDefined();
  });
});

describe('CIMD-AS-10: exempt CIMD services for development', () => {
  it('a document on a configured CIMD service host is exempt from the same-origin rule', async () => {
    const { url } = served(() => ({ redirect_uris: ['https://evil.example/cb'] }));
    const registry = h.registry({
      trustPolicy: { requireSameOriginRedirects: true, cimdServiceHosts: ['localhost'] },
    });
    await expect(registry.resolveClient(url)).resolves.toBeDefined();
    const other = h.registry({
      trustPolicy: { requireSameOriginRedirects: true, cimdServiceHosts: ['*.localhost'] },
    });
    await refusal(other.resolveClient(url), 'ERR_CIMD_POLICY_DENIED');
  });
});
