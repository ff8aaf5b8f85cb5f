/**
 * DPoP proofs made by hand with jose, as a client would make them (RFC 9449 §4.2), with every
 * member overridable (`undefined` removes it) so each verification rule can be broken alone.
 */
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { accessTokenHash } from '../../../src/server/dpop/proof.js';

/** A DPoP key pair with its public JWK and thumbprint. */
export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  jkt: string;
  alg: string;
}

export async function createDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return {
    privateKey,
    publicJwk,
    privateJwk: await exportJWK(privateKey),
    jkt: await calculateJwkThumbprint(publicJwk, 'sha256'),
    alg,
  };
}

let counter = 0;

/** Options of {@link makeProof}. */
export interface ProofOptions {
  htm?: string;
  htu: string;
  /** The access token (its hash becomes `ath`). */
  accessToken?: string;
  nonce?: string | undefined;
  /** Epoch ms of `iat`. Default now. */
  now?: number;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

/** A DPoP proof by `key` (fresh `jti` each time). */
export async function makeProof(key: DpopKey, options: ProofOptions): Promise<string> {
  counter += 1;
  const claims: Record<string, unknown> = {
    jti: `proof-${counter}-${Math.random().toString(36).slice(2)}`,
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: Math.floor((options.now ?? Date.now()) / 1000),
    ...(options.accessToken === undefined ? {} : { ath: await accessTokenHash(options.accessToken) }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...options.claims,
  };
  const header: Record<string, unknown> = {
    alg: key.alg,
    typ: 'dpop+jwt',
    jwk: key.publicJwk,
    ...options.header,
  };
  for (const record of [claims, header])
    for (const [name, value] of Object.entries(record)) if (value === undefined) delete record[name];
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}
