/**
 * `cimd serve` configuration of the upstream identity provider, the encryption key, user claims,
 * sessions and `--trust-proxy`: defaults, precedence (flags > environment > config file), secrets
 * and their file twins, and each refusal's message (the key and logs: upstream-secrets.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configLoader } from './load-config.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-upstream-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { load, problem, writeConfig } = configLoader(dir);

const KEY = 'q6Sg7bn4Hy3uR9Lw0XeMv2TcKp8JzAaD5fYiOsEhN1k'; // 43 base64url characters: 32 bytes
const SECRET = 'the-upstream-client-secret-5f3a';
const R = ['--resource', RESOURCE];
const OIDC = [...R, '--upstream', 'oidc', '--upstream-issuer', 'https://idp.example.com'];
const CLIENT = ['--upstream-client-id', 'mcp-auth'];

describe('upstream configuration: defaults', () => {
  it('without --upstream: the development login, no encryption key, a 12-hour session', async () => {
    const config = await load(R);
    expect(config).toMatchObject({
      upstream: undefined,
      upstreamDemo: false,
      trustProxy: false,
      sessionTtlSeconds: 43_200,
      userClaims: [],
      encryptionKey: { kind: 'none' },
    });
  });

  it('oidc: client_secret_basic, the provider default scopes, a 10 s deadline, the key file beside the database', async () => {
    const config = await load([...OIDC, ...CLIENT], { CIMD_UPSTREAM_CLIENT_SECRET: SECRET });
    expect(config.upstream).toMatchObject({
      provider: 'oidc',
      issuer: 'https://idp.example.com',
      clientId: 'mcp-auth',
      auth: { method: 'client_secret_basic' },
      scopes: undefined,
      timeoutSeconds: 10,
      insecure: false,
    });
    const auth = config.upstream?.auth;
    expect(auth?.method !== 'private_key_jwt' && auth?.secret.reveal()).toBe(SECRET);
    expect(config.encryptionKey).toEqual({ kind: 'file', path: join(dir, 'cimd.encryption.key') });
  });

  it('github and oauth2 default to client_secret_post; oauth2 takes its endpoints and an issuer from them', async () => {
    const env = { CIMD_UPSTREAM_CLIENT_SECRET: SECRET };
    const github = await load([...R, '--upstream', 'github', ...CLIENT], env);
    expect(github.upstream).toMatchObject({ provider: 'github', issuer: undefined });
    expect(github.upstream?.auth.method).toBe('client_secret_post');
    const oauth2 = await load(
      [
        ...[...R, '--upstream', 'oauth2', ...CLIENT],
        ...['--upstream-authorization-endpoint', 'https://sso.example.com/oauth/authorize'],
        ...['--upstream-token-endpoint', 'https://sso.example.com/oauth/token'],
        ...['--upstream-userinfo-endpoint', 'https://api.example.com/me', '--upstream-subject-field', 'id'],
      ],
      env,
    );
    expect(oauth2.upstream).toMatchObject({
      provider: 'oauth2',
      issuer: 'https://sso.example.com',
      auth: { method: 'client_secret_post' },
      oauth2: { userinfoEndpoint: 'https://api.example.com/me', subjectField: 'id' },
    });
  });

  it('an ephemeral key with the memory store; the given key otherwise', async () => {
    const env = { CIMD_UPSTREAM_CLIENT_SECRET: SECRET };
    expect((await load([...OIDC, ...CLIENT, '--store', 'memory'], env)).encryptionKey).toEqual({
      kind: 'ephemeral',
    });
    const given = await load([...OIDC, ...CLIENT], { ...env, CIMD_ENCRYPTION_KEY: KEY });
    expect(given.encryptionKey).toMatchObject({ kind: 'given', source: 'CIMD_ENCRYPTION_KEY' });
    const file = writeConfig('enc.key', `${'ab'.repeat(32)}\n`);
    const fromFile = await load([...OIDC, ...CLIENT, '--encryption-key-file', file], env);
    expect(fromFile.encryptionKey).toMatchObject({ kind: 'given', source: file });
    expect(fromFile.encryptionKey.kind === 'given' && fromFile.encryptionKey.key.reveal()).toEqual(
      new Uint8Array(32).fill(0xab),
    );
  });

  it('--upstream-demo implies --demo, needs no resource, and gets a key for its own provider', async () => {
    const config = await load(['--upstream-demo', '--store', 'memory']);
    expect(config).toMatchObject({ demo: true, upstreamDemo: true, upstream: undefined });
    expect(config.encryptionKey).toEqual({ kind: 'ephemeral' });
  });

  it('lists: users, e-mail domains (an @ dropped), organisations, scopes and user claims', async () => {
    const config = await load(
      [...R, '--upstream', 'github', ...CLIENT, '--upstream-allow-orgs', 'acme,widgets'],
      {
        CIMD_UPSTREAM_CLIENT_SECRET: SECRET,
        CIMD_UPSTREAM_ALLOW_USERS: 'octocat, 1001',
        CIMD_UPSTREAM_ALLOW_EMAIL_DOMAINS: '@example.com',
        CIMD_UPSTREAM_SCOPES: 'read:user user:email',
        CIMD_USER_CLAIMS: 'email,name',
        CIMD_SESSION_TTL: '3600',
      },
    );
    expect(config.upstreamAllow).toEqual({
      users: ['octocat', '1001'],
      emailDomains: ['example.com'],
      organizations: ['acme', 'widgets'],
    });
    expect(config.upstream?.scopes).toEqual(['read:user', 'user:email']);
    expect(config.userClaims).toEqual(['email', 'name']);
    expect(config.sessionTtlSeconds).toBe(3600);
  });

  it('an https issuer starts with --trust-proxy (or TLS files), and with an upstream off loopback', async () => {
    const config = await load([...OIDC, ...CLIENT, '--issuer', 'https://auth.example.com', '--trust-proxy'], {
      CIMD_UPSTREAM_CLIENT_SECRET: SECRET,
    });
    expect(config).toMatchObject({ issuer: 'https://auth.example.com', trustProxy: true });
  });
});

describe('upstream configuration: precedence', () => {
  const file = writeConfig('upstream.json', {
    resources: [RESOURCE],
    upstream: 'oidc',
    upstreamIssuer: 'https://file.example.com',
    upstreamClientId: 'from-file',
    upstreamClientSecretFile: 'file-secret.txt',
  });
  writeConfig('file-secret.txt', 'secret-from-file\n');
  const secretOf = (config: Awaited<ReturnType<typeof load>>) => {
    const auth = config.upstream?.auth;
    return auth?.method === 'private_key_jwt' ? undefined : auth?.secret.reveal();
  };

  it('a flag beats the environment, which beats the config file', async () => {
    expect((await load(['--config', file])).upstream?.clientId).toBe('from-file');
    const env = { CIMD_UPSTREAM_CLIENT_ID: 'from-env', CIMD_UPSTREAM_ISSUER: 'https://env.example.com' };
    expect((await load(['--config', file], env)).upstream).toMatchObject({
      clientId: 'from-env',
      issuer: 'https://env.example.com',
    });
    const flagged = await load(['--config', file, '--upstream-client-id', 'from-flag'], env);
    expect(flagged.upstream?.clientId).toBe('from-flag');
  });

  it('the secret file named in the config file is relative to it; CIMD_UPSTREAM_CLIENT_SECRET beats it', async () => {
    expect(secretOf(await load(['--config', file]))).toBe('secret-from-file');
    expect(secretOf(await load(['--config', file], { CIMD_UPSTREAM_CLIENT_SECRET: SECRET }))).toBe(SECRET);
  });

  it('--upstream-client-secret-file beats CIMD_UPSTREAM_CLIENT_SECRET', async () => {
    const flagFile = writeConfig('flag-secret.txt', 'secret-from-flag');
    const config = await load(['--config', file, '--upstream-client-secret-file', flagFile], {
      CIMD_UPSTREAM_CLIENT_SECRET: SECRET,
    });
    expect(secretOf(config)).toBe('secret-from-flag');
  });

  it('a secret and its file both in the environment is refused', async () => {
    expect(
      await problem(['--config', file], {
        CIMD_UPSTREAM_CLIENT_SECRET: SECRET,
        CIMD_UPSTREAM_CLIENT_SECRET_FILE: 'file-secret.txt',
      }),
    ).toMatch(
      /CIMD_UPSTREAM_CLIENT_SECRET: give the secret one way: CIMD_UPSTREAM_CLIENT_SECRET or --upstream-client-secret-file \(CIMD_UPSTREAM_CLIENT_SECRET_FILE\), not both/,
    );
  });

  it('secrets are refused in the config file', async () => {
    const bad = writeConfig('secret.json', { resources: [RESOURCE], encryptionKey: KEY });
    const message = await problem(['--config', bad]);
    expect(message).toMatch(
      /"encryptionKey" in .*secret\.json: keep secrets out of the config file; use "encryptionKeyFile" \(a file of its own, mode 0600\) or the CIMD_ENCRYPTION_KEY environment variable/,
    );
    expect(message).not.toContain(KEY);
  });
});

describe('upstream configuration: each invalid combination gets a clear message', () => {
  const S = { CIMD_UPSTREAM_CLIENT_SECRET: SECRET };
  it.each<[string, string[], Record<string, string>, RegExp]>([
    [
      'an unknown provider',
      [...R, '--upstream', 'okta'],
      {},
      /--upstream: expected one of none, oidc, github, google, entra, oauth2; got "okta"/,
    ],
    [
      'oidc without an issuer',
      [...R, '--upstream', 'oidc', ...CLIENT],
      S,
      /--upstream-issuer: is required with --upstream oidc/,
    ],
    [
      'entra without an issuer',
      [...R, '--upstream', 'entra', ...CLIENT],
      S,
      /--upstream-issuer: is required with --upstream entra: the tenant's issuer/,
    ],
    [
      'entra with the multi-tenant issuer',
      [
        ...R,
        '--upstream',
        'entra',
        ...CLIENT,
        '--upstream-issuer',
        'https://login.microsoftonline.com/common/v2.0',
      ],
      S,
      /--upstream-issuer: use one tenant's issuer, not the multi-tenant "common"/,
    ],
    [
      'google with an issuer',
      [...R, '--upstream', 'google', ...CLIENT, '--upstream-issuer', 'https://x.example'],
      S,
      /--upstream-issuer: is not used with google/,
    ],
    [
      'oauth2 without endpoints',
      [...R, '--upstream', 'oauth2', ...CLIENT],
      S,
      /--upstream-authorization-endpoint: is required with --upstream oauth2/,
    ],
    [
      'an endpoint with another provider',
      [...OIDC, ...CLIENT, '--upstream-token-endpoint', 'https://x.example/t'],
      S,
      /--upstream-token-endpoint: is for --upstream oauth2 only \(the provider is oidc\)/,
    ],
    [
      'a hosted domain off google',
      [...OIDC, ...CLIENT, '--upstream-hosted-domain', 'example.com'],
      S,
      /--upstream-hosted-domain: is for --upstream google only/,
    ],
    [
      'organisations off github',
      [...OIDC, ...CLIENT, '--upstream-allow-orgs', 'acme'],
      S,
      /--upstream-allow-orgs: is for --upstream github only/,
    ],
    [
      'an upstream option without --upstream',
      [...R, '--upstream-client-id', 'x'],
      {},
      /--upstream-client-id: needs --upstream \(oidc, github, google, entra or oauth2\)/,
    ],
    [
      'an allow list without --upstream',
      [...R],
      { CIMD_UPSTREAM_ALLOW_USERS: 'a' },
      /--upstream-allow-users \(from CIMD_UPSTREAM_ALLOW_USERS\): needs --upstream/,
    ],
    [
      '--upstream-demo with --upstream',
      [...OIDC, ...CLIENT, '--upstream-demo'],
      S,
      /--upstream-demo: starts its own provider: give either --upstream-demo or --upstream oidc, not both/,
    ],
    [
      'private_key_jwt without a key',
      [...OIDC, ...CLIENT, '--upstream-auth-method', 'private_key_jwt'],
      {},
      /--upstream-key: is required with --upstream-auth-method private_key_jwt/,
    ],
    [
      'private_key_jwt with a secret',
      [...OIDC, ...CLIENT, '--upstream-auth-method', 'private_key_jwt'],
      S,
      /CIMD_UPSTREAM_CLIENT_SECRET: a client secret is not used with --upstream-auth-method private_key_jwt/,
    ],
    [
      'a key with a secret method',
      [...OIDC, ...CLIENT, '--upstream-key', 'k.pem'],
      S,
      /--upstream-key: is used with --upstream-auth-method private_key_jwt only \(the method is client_secret_basic\)/,
    ],
    [
      'github with private_key_jwt',
      [
        ...R,
        '--upstream',
        'github',
        ...CLIENT,
        '--upstream-auth-method',
        'private_key_jwt',
        '--upstream-key',
        'k.pem',
      ],
      {},
      /--upstream-auth-method: GitHub OAuth apps authenticate with a client secret/,
    ],
    [
      'an unreadable secret file',
      [...OIDC, ...CLIENT, '--upstream-client-secret-file', 'missing.txt'],
      {},
      /--upstream-client-secret-file: cannot read .*missing\.txt: ENOENT/,
    ],
    [
      'an empty secret file',
      [...OIDC, ...CLIENT, '--upstream-client-secret-file', writeConfig('empty.txt', '\n')],
      {},
      /--upstream-client-secret-file: .*empty\.txt is empty/,
    ],
    [
      'an http upstream off loopback',
      [...R, '--upstream', 'oidc', ...CLIENT, '--upstream-issuer', 'http://idp.example.com'],
      S,
      /--upstream-issuer: http:\/\/idp\.example\.com must use https \(plain http only on a loopback host/,
    ],
    [
      'a bad encryption key file',
      [...OIDC, ...CLIENT, '--encryption-key-file', writeConfig('bad.key', 'short')],
      S,
      /--encryption-key-file: .*bad\.key: the encryption key must be 32 random bytes/,
    ],
    [
      'an unknown user claim',
      [...R, '--user-claims', 'name,phone'],
      {},
      /--user-claims: expected name and\/or email; got "phone"/,
    ],
    [
      'a session too short',
      [...R],
      { CIMD_SESSION_TTL: '5' },
      /--session-ttl \(from CIMD_SESSION_TTL\): expected a whole number of seconds from 60 to 2592000/,
    ],
    [
      'an https issuer on plain http without --trust-proxy',
      [...OIDC, ...CLIENT, '--issuer', 'https://auth.example.com'],
      S,
      /--issuer: https:\/\/auth\.example\.com is https, but cimd serve would listen with plain http: serve https directly with --tls-cert and --tls-key, or, behind a reverse proxy that terminates TLS, pass --trust-proxy/,
    ],
  ])('%s', async (_name, flags, env, expected) => {
    expect(await problem(flags, env)).toMatch(expected);
  });
});
