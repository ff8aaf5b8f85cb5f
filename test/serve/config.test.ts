/**
 * `cimd serve` configuration: precedence flags > environment > config file > defaults, a clear
 * message for each invalid value (naming the option and where the value came from).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { optionName, SERVE_OPTIONS } from '../../src/serve/config/catalog.js';
import { parseDatabase } from '../../src/serve/config/database.js';
import { addServeOptions, givenFlagArguments, readFlagLayer } from '../../src/serve/config/flags.js';
import { emptyLayer, setValue } from '../../src/serve/config/layers.js';
import { loadServeConfig } from '../../src/serve/config/load.js';
import type { ServeConfig } from '../../src/serve/config/resolve.js';
import { configLoader } from './load-config.js';

const RESOURCE = 'http://127.0.0.1:4001/mcp';
const dir = mkdtempSync(join(tmpdir(), 'cimd-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The flag layer of a command line. */
function flagLayer(flags: string[]) {
  const command = addServeOptions(new Command('serve').exitOverride());
  command.parse(flags, { from: 'user' });
  return readFlagLayer(command);
}

const { load, problem, writeConfig } = configLoader(dir);

describe('cimd serve configuration: defaults', () => {
  it('documents and applies every default', async () => {
    const config = await load(['--resource', RESOURCE]);
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 4000,
      issuer: 'http://127.0.0.1:4000',
      resources: [RESOURCE],
      demo: false,
      store: { kind: 'sqlite', path: join(dir, 'cimd.sqlite') },
      signingKeys: { kind: 'file', path: join(dir, 'cimd.signing-keys.json') },
      registration: true,
      registrationTokens: undefined,
      rateLimit: { perIpPerMinute: 600, perClientPerMinute: 6000 },
      fetchProxy: undefined,
      trust: { mode: 'open', allow: [], deny: [], trusted: [] },
      clientPolicy: { cimd: true, resources: [], allowedRedirectUris: [] },
      dpop: { required: false, nonce: false, nonceWindowSeconds: 300 },
      accessTokenTtlSeconds: 600,
      refreshTokenTtlSeconds: 2_592_000,
      scopes: undefined,
      allowPrivateNetwork: false,
      dangerouslyAllowHttpClientIds: false,
      tls: undefined,
      trustProxy: false,
      upstream: undefined,
      upstreamDemo: false,
      upstreamAllow: { users: [], emailDomains: [], organizations: [] },
      sessionTtlSeconds: 43_200,
      userClaims: [],
      encryptionKey: { kind: 'none' },
      metrics: undefined,
      shutdownTimeoutSeconds: 10,
      audit: { kind: 'off' },
      logLevel: 'info',
    } satisfies ServeConfig);
  });

  it('keeps the signing keys in memory with the memory store', async () => {
    const config = await load(['--resource', RESOURCE, '--store', 'memory']);
    expect(config.store).toEqual({ kind: 'memory' });
    expect(config.signingKeys).toEqual({ kind: 'memory' });
  });

  it('derives the issuer from --port 0 only once bound, and https with TLS files', async () => {
    expect((await load(['--resource', RESOURCE, '--port', '0'])).issuer).toBeUndefined();
    const cert = writeConfig('cert.pem', '-----BEGIN CERTIFICATE-----\n');
    const key = writeConfig('key.pem', '-----BEGIN PRIVATE KEY-----\n');
    const config = await load([
      '--resource',
      RESOURCE,
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--port',
      '443',
    ]);
    expect(config.issuer).toBe('https://127.0.0.1');
    expect(config.tls).toEqual({ certPath: cert, keyPath: key });
  });

  it('writes an IPv6 loopback host in brackets', async () => {
    expect((await load(['--resource', RESOURCE, '--host', '::1'])).issuer).toBe('http://[::1]:4000');
  });

  it('--demo makes --resource optional', async () => {
    const config = await load(['--demo']);
    expect(config.demo).toBe(true);
    expect(config.resources).toEqual([]);
  });
});

describe('cimd serve configuration: precedence flags > environment > config file > defaults', () => {
  const file = writeConfig('precedence.json', {
    port: 4100,
    logLevel: 'debug',
    resources: ['http://127.0.0.1:4101/mcp'],
    allow: ['file.example'],
    registration: true,
  });

  it('a flag beats the environment, which beats the file, which beats the default', async () => {
    expect((await load(['--config', file, '--port', '4300'], { CIMD_PORT: '4200' })).port).toBe(4300);
    expect((await load(['--config', file], { CIMD_PORT: '4200' })).port).toBe(4200);
    expect((await load(['--config', file])).port).toBe(4100);
    expect((await load(['--resource', RESOURCE])).port).toBe(4000);
  });

  it("a caller's defaults (the demo's) sit below the config file and above the built-in ones", async () => {
    const defaults = emptyLayer();
    setValue(defaults, 'store', 'memory', "npm start's default");
    setValue(defaults, 'logLevel', 'warn', "npm start's default");
    const withDefaults = (env: Record<string, string>, configFile?: string) =>
      loadServeConfig({ flags: flagLayer(['--resource', RESOURCE]), configFile, env, cwd: dir, defaults });
    expect(await withDefaults({})).toMatchObject({ store: { kind: 'memory' }, logLevel: 'warn' });
    expect((await withDefaults({}, file)).logLevel).toBe('debug');
    expect((await withDefaults({ CIMD_STORE: 'sqlite' })).store.kind).toBe('sqlite');
  });

  it('the given flags, written out again, load the same configuration', async () => {
    const flags = [
      ...['--port', '4300', '--no-registration', '--allow', 'a.example', '--allow', 'b.example'],
      ...['--resource', RESOURCE, '--allow-private-network'],
    ];
    const command = addServeOptions(new Command('serve').exitOverride());
    command.parse(flags, { from: 'user' });
    const again = givenFlagArguments(command);
    expect(again).toEqual(
      expect.arrayContaining(['--no-registration', '--allow-private-network', '--port', '4300']),
    );
    expect(again.join(' ')).toContain('--allow a.example --allow b.example');
    expect(await load(again)).toEqual(await load(flags));
    expect(await load(again)).toMatchObject({ port: 4300, registration: false, allowPrivateNetwork: true });
  });

  it('CIMD_PORT beats PORT, and CIMD_HOST beats HOST', async () => {
    const config = await load(['--resource', RESOURCE], {
      PORT: '5000',
      CIMD_PORT: '5001',
      HOST: '127.0.0.2',
      CIMD_HOST: '127.0.0.3',
    });
    expect(config.port).toBe(5001);
    expect(config.host).toBe('127.0.0.3');
    expect((await load(['--resource', RESOURCE], { PORT: '5000', HOST: '127.0.0.2' })).issuer).toBe(
      'http://127.0.0.2:5000',
    );
  });

  it('lists are replaced as a whole by a higher layer, never merged', async () => {
    expect((await load(['--config', file])).trust.allow).toEqual(['file.example']);
    expect(
      (await load(['--config', file], { CIMD_ALLOW: 'env.example, *.env.example' })).trust.allow,
    ).toEqual(['env.example', '*.env.example']);
    const flagged = await load(['--config', file, '--allow', 'a.example', '--allow', 'b.example'], {
      CIMD_ALLOW: 'env.example',
    });
    expect(flagged.trust.allow).toEqual(['a.example', 'b.example']);
    expect((await load([], { CIMD_RESOURCES: `${RESOURCE},https://mcp.example.com/mcp` })).resources).toEqual(
      [RESOURCE, 'https://mcp.example.com/mcp'],
    );
  });

  it('--no-registration beats CIMD_REGISTRATION and the file; an absent flag does not override them', async () => {
    expect(
      (await load(['--config', file, '--no-registration'], { CIMD_REGISTRATION: 'true' })).registration,
    ).toBe(false);
    expect((await load(['--config', file], { CIMD_REGISTRATION: 'off' })).registration).toBe(false);
    expect((await load(['--config', file])).registration).toBe(true);
  });

  it('LOG_LEVEL and CIMD_LOG_LEVEL set the log level; the flag wins', async () => {
    expect((await load(['--config', file], { LOG_LEVEL: 'warn' })).logLevel).toBe('warn');
    expect((await load(['--config', file], { LOG_LEVEL: 'warn', CIMD_LOG_LEVEL: 'error' })).logLevel).toBe(
      'error',
    );
    expect((await load(['--config', file, '--log-level', 'trace'], { LOG_LEVEL: 'warn' })).logLevel).toBe(
      'trace',
    );
    expect((await load(['--config', file])).logLevel).toBe('debug');
  });

  it('CIMD_CONFIG names the file when --config does not', async () => {
    expect((await load([], { CIMD_CONFIG: file })).port).toBe(4100);
  });

  it('an empty environment variable counts as unset', async () => {
    expect((await load(['--config', file], { CIMD_PORT: '', PORT: ' ' })).port).toBe(4100);
  });

  it('scopes are space- or comma-separated, booleans take yes/no/on/off/1/0', async () => {
    const config = await load(['--resource', RESOURCE, '--scopes', 'mcp:tools mcp:read,mcp:write'], {
      CIMD_ALLOW_PRIVATE_NETWORK: 'yes',
      CIMD_DANGEROUSLY_ALLOW_HTTP_CLIENT_IDS: '1',
    });
    expect(config.scopes).toEqual(['mcp:tools', 'mcp:read', 'mcp:write']);
    expect(config.allowPrivateNetwork).toBe(true);
    expect(config.dangerouslyAllowHttpClientIds).toBe(true);
  });

  it('paths in the config file are relative to the file', async () => {
    const sub = join(dir, 'conf');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub, { recursive: true });
    const nested = join(sub, 'cimd.json');
    writeFileSync(
      nested,
      JSON.stringify({ resources: [RESOURCE], database: 'data/x.db', signingKeys: 'keys.json' }),
    );
    const config = await load(['--config', nested]);
    expect(config.store).toEqual({ kind: 'sqlite', path: join(sub, 'data', 'x.db') });
    expect(config.signingKeys).toEqual({ kind: 'file', path: join(sub, 'keys.json') });
  });
});

describe('cimd serve configuration: DATABASE_URL and --database', () => {
  it.each([
    ['./data/x.sqlite', join(dir, 'data', 'x.sqlite')],
    ['sqlite:./x.db', join(dir, 'x.db')],
    ['sqlite:///var/lib/cimd/x.db', '/var/lib/cimd/x.db'],
    ['sqlite://x.db', join(dir, 'x.db')],
    ['file:///var/lib/cimd/x.db', '/var/lib/cimd/x.db'],
    ['file:x.db', join(dir, 'x.db')],
    [':memory:', ':memory:'],
  ])('%s is the SQLite file %s', (value, path) => {
    expect(parseDatabase(value, dir)).toEqual({ ok: true, path });
  });

  it('DATABASE_URL sets the file, --database beats it, and the keys go beside it', async () => {
    const fromEnv = await load(['--resource', RESOURCE], { DATABASE_URL: 'sqlite:./env.sqlite' });
    expect(fromEnv.store).toEqual({ kind: 'sqlite', path: join(dir, 'env.sqlite') });
    expect(fromEnv.signingKeys).toEqual({ kind: 'file', path: join(dir, 'env.signing-keys.json') });
    const fromFlag = await load(['--resource', RESOURCE, '--database', 'flag.db'], {
      DATABASE_URL: 'env.db',
    });
    expect(fromFlag.store).toEqual({ kind: 'sqlite', path: join(dir, 'flag.db') });
  });

  it('an in-memory SQLite database keeps its keys in memory', async () => {
    expect((await load(['--resource', RESOURCE, '--database', ':memory:'])).signingKeys).toEqual({
      kind: 'memory',
    });
  });

  it.each([
    ['postgres://cimd@db.example:5432/cimd', 'postgres'],
    ['postgresql://db.example/cimd', 'postgres'],
    ['redis://cache.example:6379/0', 'redis'],
    ['rediss://:secret@cache.example:6380', 'redis'],
  ])('%s selects the %s store, whose signing keys live sealed in it', async (url, kind) => {
    const config = await load(['--resource', RESOURCE, '--database', url], {
      CIMD_ENCRYPTION_KEY: 'mEGQjKJ8Q1fN0mlxyTSeFyFP3q2GySwO_lJJHhx7_hU',
    });
    expect(config.store).toEqual({ kind, url });
    expect(config.signingKeys).toEqual({ kind: 'store' });
    expect(config.encryptionKey.kind).toBe('given');
  });

  it('a DATABASE_URL is ignored by the memory store', async () => {
    const config = await load(['--resource', RESOURCE, '--store', 'memory'], {
      DATABASE_URL: 'postgres://db/cimd',
    });
    expect(config.store).toEqual({ kind: 'memory' });
  });
});

describe('cimd serve configuration: each invalid value gets a clear message', () => {
  const R = ['--resource', RESOURCE];
  it.each<[string, string[], Record<string, string>, RegExp]>([
    [
      'a port that is not a number',
      R,
      { CIMD_PORT: 'abc' },
      /--port \(from CIMD_PORT\): expected a whole number from 0 to 65535; got "abc"/,
    ],
    [
      'a port out of range',
      [...R, '--port', '70000'],
      {},
      /--port: expected a whole number from 0 to 65535; got "70000"/,
    ],
    ['a fractional port', [...R, '--port', '40.5'], {}, /--port: expected a whole number/],
    [
      'a boolean that is not one',
      R,
      { CIMD_REGISTRATION: 'maybe' },
      /--no-registration \(from CIMD_REGISTRATION\): expected true or false/,
    ],
    [
      'an unknown store',
      [...R, '--store', 'mongodb'],
      {},
      /--store: expected one of memory, sqlite, postgres, redis; got "mongodb"/,
    ],
    [
      '--store postgres without a PostgreSQL URL',
      [...R, '--store', 'postgres', '--encryption-key-file', 'k'],
      {},
      /--store: --store postgres needs --database \(or DATABASE_URL\) to name a postgres URL/,
    ],
    [
      'an unknown trust mode',
      [...R, '--trust-mode', 'closed'],
      {},
      /--trust-mode: expected one of open, allowlist/,
    ],
    [
      'a zero lifetime',
      [...R, '--access-token-ttl', '0'],
      {},
      /--access-token-ttl: expected a whole number of seconds from 1 to 86400; got "0"/,
    ],
    [
      'a lifetime over the cap',
      R,
      { CIMD_REFRESH_TOKEN_TTL: '99999999999' },
      /--refresh-token-ttl \(from CIMD_REFRESH_TOKEN_TTL\): expected a whole number of seconds from 1 to 31536000/,
    ],
    [
      'an unknown log level',
      R,
      { LOG_LEVEL: 'loud' },
      /--log-level \(from LOG_LEVEL\): expected one of fatal, error, warn, info, debug, trace, silent/,
    ],
    [
      'an http issuer off loopback',
      [...R, '--issuer', 'http://auth.example.com'],
      {},
      /--issuer: issuer must use https \(plain http only on a loopback host\)/,
    ],
    [
      'an issuer with a trailing slash',
      [...R, '--issuer', 'http://127.0.0.1:4000/'],
      {},
      /--issuer: issuer must not end with a slash/,
    ],
    [
      'an https issuer off loopback (dev login)',
      [...R, '--issuer', 'https://auth.example.com', '--trust-proxy'],
      {},
      /--issuer: https:\/\/auth\.example\.com is not on loopback.*development login.*loopback-only.*--upstream \(oidc, github, google, entra or oauth2\)/,
    ],
    [
      'the development login on a listener beyond loopback (issue 9, flaw 4)',
      [...R, '--host', '0.0.0.0', '--issuer', 'http://127.0.0.1:4000'],
      {},
      /--host: 0\.0\.0\.0 is beyond loopback.*development login.*--upstream/,
    ],
    [
      'the development login behind a reverse proxy (issue 9, flaw 4)',
      [...R, '--trust-proxy'],
      {},
      /--trust-proxy: the development login cannot run behind a reverse proxy/,
    ],
    [
      'a wildcard host without an issuer',
      [...R, '--host', '0.0.0.0'],
      {},
      /--host: 0\.0\.0\.0 listens on every interface.*set --issuer/,
    ],
    [
      'a public host without https',
      [...R, '--host', '192.0.2.10'],
      {},
      /--host: the issuer derived from it, http:\/\/192\.0\.2\.10:4000, is invalid.*https/,
    ],
    ['no resource', [], {}, /--resource: at least one resource is required/],
    [
      'a resource that is not a URL',
      ['--resource', 'mcp'],
      {},
      /--resource: resources must be absolute URIs; got "mcp"/,
    ],
    [
      'an http resource off loopback',
      ['--resource', 'http://mcp.example.com/mcp'],
      {},
      /--resource: a resource must use https/,
    ],
    [
      'a PostgreSQL DATABASE_URL without an encryption key',
      R,
      { DATABASE_URL: 'postgres://db.example/cimd' },
      /--encryption-key-file: a shared store \(PostgreSQL or Redis\) needs --encryption-key-file/,
    ],
    [
      'a Redis --database without an encryption key',
      [...R, '--database', 'redis://localhost:6379'],
      {},
      /--encryption-key-file: a shared store \(PostgreSQL or Redis\) needs --encryption-key-file/,
    ],
    [
      'an unknown database scheme',
      [...R, '--database', 'mongodb://x'],
      {},
      /MongoDB databases are not supported; use SQLite/,
    ],
    [
      'a TLS certificate without its key',
      [...R, '--tls-cert', 'cert.pem'],
      {},
      /--tls-cert: --tls-cert and --tls-key go together/,
    ],
    [
      'unreadable TLS files',
      [...R, '--tls-cert', 'missing.pem', '--tls-key', 'missing.key'],
      {},
      /--tls-cert: cannot read .*missing\.pem: ENOENT/,
    ],
    [
      'a malformed deny entry',
      [...R, '--deny', 'exa mple'],
      {},
      /--deny: deny entry "exa mple" is neither a client_id URL .* nor a host pattern/,
    ],
    [
      'an allowlist with nothing on it',
      [...R, '--trust-mode', 'allowlist'],
      {},
      /--trust-mode: allowlist mode with no --allow or --trusted entry would refuse every client document/,
    ],
    ['an invalid scope', [...R, '--scopes', 'a"b'], {}, /--scopes: "a\\"b" is not a valid scope token/],
  ])('%s', async (_name, flags, env, expected) => {
    expect(await problem(flags, env)).toMatch(expected);
  });

  it('reports every problem at once, one per line', async () => {
    const message = await problem(['--port', 'x', '--store', 'nope'], { CIMD_ACCESS_TOKEN_TTL: '-1' });
    expect(message.split('\n')).toEqual([
      'invalid configuration:',
      expect.stringMatching(/^ {2}- --port: /),
      expect.stringMatching(/^ {2}- --store: /),
      expect.stringMatching(/^ {2}- --access-token-ttl \(from CIMD_ACCESS_TOKEN_TTL\): /),
    ]);
  });

  it('names the config file for its values, and refuses unknown keys with the known ones', async () => {
    const file = writeConfig('bad.json', { prot: 4000, port: 'high', resources: [RESOURCE] });
    const message = await problem(['--config', file]);
    expect(message).toContain(`unknown option "prot" in ${file}; known keys: port, host, issuer`);
    expect(message).toContain(
      `--port (from "port" in ${file}): expected a whole number from 0 to 65535; got "high"`,
    );
  });

  it('a missing, non-JSON or non-object config file is a clear error', async () => {
    expect(await problem(['--config', join(dir, 'nope.json')])).toMatch(
      /cannot read the config file .*nope\.json/,
    );
    expect(await problem(['--config', writeConfig('broken.json', '{ port: 1')])).toMatch(
      /broken\.json is not valid JSON/,
    );
    expect(await problem(['--config', writeConfig('array.json', '[1]')])).toMatch(
      /must hold a JSON object of options/,
    );
  });
});

describe('cimd serve configuration: documented', () => {
  it('the docs/configuration.md table lists every flag, environment variable and config key', () => {
    const readme = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const spec of SERVE_OPTIONS) {
      expect(readme).toContain(`\`${optionName(spec)}`);
      if (!spec.secret) expect(readme).toContain(`\`${spec.key}\``);
      for (const env of spec.env) expect(readme).toContain(`\`${env}\``);
    }
  });
});
