/**
 * `cimd serve` configuration, the secret parts: the `private_key_jwt` key for the upstream (a
 * `cimd keys` key set or a PKCS#8 PEM), and secrets that never reach a message or a log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { saveKeySet } from '../../src/keys/file.js';
import { exportPrivateKeyPem, generateClientKey } from '../../src/keys/index.js';
import { createKeySet } from '../../src/keys/key-set.js';
import { createLogger } from '../../src/serve/logging.js';
import { configLoader } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'cimd-upstream-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { load, problem, writeConfig } = configLoader(dir);

const KEY = 'q6Sg7bn4Hy3uR9Lw0XeMv2TcKp8JzAaD5fYiOsEhN1k'; // 43 base64url characters: 32 bytes
const SECRET = 'the-upstream-client-secret-5f3a';
const R = ['--resource', 'https://mcp.example.com/mcp'];
const OIDC = [...R, '--upstream', 'oidc', '--upstream-issuer', 'https://idp.example.com'];
const CLIENT = ['--upstream-client-id', 'mcp-auth'];

describe('upstream configuration: the private_key_jwt key', () => {
  it('a cimd keys key set: its current key signs, with its kid', async () => {
    const key = await generateClientKey('ES256');
    const path = join(dir, 'upstream-keys.json');
    await saveKeySet(path, createKeySet(key));
    const config = await load([...OIDC, ...CLIENT, '--upstream-auth-method', 'private_key_jwt'], {
      CIMD_UPSTREAM_KEY: path,
    });
    expect(config.upstream?.auth).toMatchObject({
      method: 'private_key_jwt',
      kid: key.kid,
      alg: 'ES256',
      path,
    });
  });

  it('a PKCS#8 PEM key: its kid is the thumbprint, as cimd keys names keys', async () => {
    const key = await generateClientKey('RS256');
    const path = writeConfig('upstream-key.pem', await exportPrivateKeyPem(key));
    const config = await load([
      ...[...OIDC, ...CLIENT, '--upstream-auth-method', 'private_key_jwt'],
      ...['--upstream-key', path],
    ]);
    expect(config.upstream?.auth).toMatchObject({ method: 'private_key_jwt', kid: key.kid, alg: 'RS256' });
  });

  it('anything else is refused, saying what the file is not', async () => {
    const path = writeConfig('not-a-key.txt', 'hello');
    expect(
      await problem([
        ...OIDC,
        ...CLIENT,
        '--upstream-auth-method',
        'private_key_jwt',
        '--upstream-key',
        path,
      ]),
    ).toMatch(
      /--upstream-key: .*not-a-key\.txt is neither a cimd keys key set \(JSON\) nor a PKCS#8 PEM private key/,
    );
  });
});

describe('upstream configuration: secrets never reach a message or a log', () => {
  it('a malformed CIMD_ENCRYPTION_KEY is refused without quoting it', async () => {
    const bad = 'this-is-the-secret-but-too-short';
    const message = await problem(R, { CIMD_ENCRYPTION_KEY: bad });
    expect(message).toMatch(/CIMD_ENCRYPTION_KEY: the encryption key must be 32 random bytes/);
    expect(message).not.toContain(bad);
  });

  it('the configuration prints, inspects and logs (redacting logger) without its secrets', async () => {
    const config = await load([...OIDC, ...CLIENT], {
      CIMD_UPSTREAM_CLIENT_SECRET: SECRET,
      CIMD_ENCRYPTION_KEY: KEY,
    });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'trace',
      destination: { write: (line: string) => lines.push(line) } as never,
    });
    logger.info({ config }, 'configuration');
    logger.debug(
      { upstream: config.upstream, key: config.encryptionKey },
      `client secret ${String(config.upstream?.auth)}`,
    );
    const printed = [JSON.stringify(config), inspect(config, { depth: 10 }), ...lines].join('\n');
    expect(printed).toContain('[REDACTED]');
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(KEY);
    expect(printed).not.toContain('Uint8Array'); // nor the key's bytes
  });
});
