/**
 * A throwaway certificate authority for tests: one CA and one leaf certificate for the loopback
 * names (`localhost`, `127.0.0.1`, `::1`), made with the system `openssl` in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  /** PEM of the CA certificate: trust it through `NODE_EXTRA_CA_CERTS` or a fetcher's `ca` option. */
  caCert: string;
  /** Path of the CA certificate file (for `NODE_EXTRA_CA_CERTS`). */
  caCertPath: string;
  /** PEM of the server certificate for the loopback names. */
  cert: string;
  /** PEM of the server key. */
  key: string;
  /** Removes the temporary folder. */
  dispose(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const detail =
      (error as { code?: string }).code === 'ENOENT' ? 'the openssl command is not installed' : String(error);
    throw new Error(`createTestCa could not run openssl ${args[0]}: ${detail}`);
  }
}

/** Options of {@link createTestCa}. */
export interface TestCaOptions {
  /**
   * More DNS names the server certificate covers, besides the loopback ones (for a test that
   * resolves a public-looking name to this machine itself, such as through a proxy). Default none.
   */
  extraNames?: readonly string[];
}

/** Creates a CA and a loopback server certificate signed by it (EC P-256, valid for one day). */
export function createTestCa(options: TestCaOptions = {}): TestCa {
  const extra = (options.extraNames ?? []).map((name) => {
    if (!/^[a-z0-9.*-]+$/i.test(name))
      throw new Error(`createTestCa: ${JSON.stringify(name)} is not a DNS name`);
    return `,DNS:${name}`;
  });
  const dir = mkdtempSync(join(tmpdir(), 'cimd-test-ca-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-sha256',
      '-days',
      '1',
      '-subj',
      '/CN=mcp-cimd test CA',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key'], dir);
  openssl(['req', '-new', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr'], dir);
  writeFileSync(
    join(dir, 'server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1,IP:::1${extra.join('')}`,
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-sha256',
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    ],
    dir,
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    caCert: read('ca.crt'),
    caCertPath: join(dir, 'ca.crt'),
    cert: read('server.crt'),
    key: read('server.key'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
