import { createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, importPKCS8 } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { isCimdError, lintJwks } from '../../src/index.js';
import {
  CLIENT_KEY_ALGORITHMS,
  createKeySet,
  exportPrivateKeyPem,
  generateClientKey,
  PRIVATE_JWK_MEMBERS,
  saveKeySet,
} from '../../src/keys/index.js';
import { tempDir } from './fixtures.js';

const NODE_KEY_TYPE = { ES256: 'ec', RS256: 'rsa', PS256: 'rsa', EdDSA: 'ed25519' } as const;

describe('generateClientKey', () => {
  const dir = tempDir('cimd-keys-generate-');
  afterAll(() => dir.remove());

  for (const alg of CLIENT_KEY_ALGORITHMS) {
    describe(alg, () => {
      it('CIMD-KEY-06 kid is the RFC 7638 thumbprint jose computes, on both JWKs', async () => {
        const key = await generateClientKey(alg);
        expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
        expect(key.privateJwk.kid).toBe(key.kid);
        expect(key.publicJwk.kid).toBe(key.kid);
      });

      it('CIMD-KEY-09/10 sets alg and use: sig; the public JWK carries no private member (CIMD-KEY-03)', async () => {
        const key = await generateClientKey(alg);
        expect(key.alg).toBe(alg);
        for (const jwk of [key.privateJwk, key.publicJwk]) {
          expect(jwk.alg).toBe(alg);
          expect(jwk.use).toBe('sig');
        }
        expect(key.privateJwk.d).toEqual(expect.any(String));
        for (const member of PRIVATE_JWK_MEMBERS) expect(key.publicJwk).not.toHaveProperty(member);
        expect(lintJwks({ keys: [key.publicJwk] }, { signingAlg: alg })).toEqual([]);
      });

      it('exports the private key as PKCS#8 PEM that jose and node:crypto parse', async () => {
        const key = await generateClientKey(alg);
        const pem = await exportPrivateKeyPem(key);
        expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
        await expect(importPKCS8(pem, alg)).resolves.toBeDefined();
        const nodeKey = createPrivateKey({ key: pem, format: 'pem' });
        expect(nodeKey.asymmetricKeyType).toBe(NODE_KEY_TYPE[alg]);
        const exported = nodeKey.export({ format: 'jwk' });
        expect(exported.d).toBe(key.privateJwk.d);
      });

      it('saveKeySet writes the key set with mode 0600', async () => {
        const path = join(dir.path, `${alg}.json`);
        await saveKeySet(path, createKeySet(await generateClientKey(alg)));
        expect(statSync(path).mode & 0o777).toBe(0o600);
        expect(JSON.parse(readFileSync(path, 'utf8')).keys[0].alg).toBe(alg);
      });
    });
  }

  it('makes RSA keys of 2048 bits by default, more on request, and refuses fewer', async () => {
    const bits = (n: unknown) => Buffer.from(String(n), 'base64url').length * 8;
    expect(bits((await generateClientKey('RS256')).publicJwk.n)).toBe(2048);
    expect(bits((await generateClientKey('PS256', { modulusLength: 3072 })).publicJwk.n)).toBe(3072);
    await expect(generateClientKey('RS256', { modulusLength: 1024 })).rejects.toSatisfy((error) =>
      isCimdError(error, 'ERR_INVALID_OPTION'),
    );
  });

  it('defaults to ES256 on P-256 and refuses other algorithms (CIMD-KEY-07)', async () => {
    const key = await generateClientKey();
    expect(key.alg).toBe('ES256');
    expect(key.publicJwk.crv).toBe('P-256');
    for (const alg of ['HS256', 'none', 'ES384']) {
      await expect(generateClientKey(alg as 'ES256')).rejects.toThrow(/ES256, RS256, PS256, EdDSA/);
    }
  });

  it('gives every key a different kid', async () => {
    const kids = new Set(await Promise.all([1, 2, 3, 4].map(async () => (await generateClientKey()).kid)));
    expect(kids.size).toBe(4);
  });
});
