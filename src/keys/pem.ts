/**
 * PEM export of a private key, for tools that want PKCS#8 rather than a JWK.
 *
 * @module
 */
import { exportPKCS8, importJWK } from 'jose';
import type { SigningKey } from './assertion.js';

/** The private key of `key` as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Secret: store it with mode 0600. */
export async function exportPrivateKeyPem(key: SigningKey): Promise<string> {
  const imported = await importJWK(key.privateJwk, key.alg, { extractable: true });
  if (imported instanceof Uint8Array) throw new TypeError('a symmetric key has no PEM form');
  return exportPKCS8(imported);
}
