/**
 * The JWS algorithms a CIMD client may sign its `private_key_jwt` assertions with, and the key
 * each needs. Only asymmetric algorithms: the document is public, so a shared secret cannot
 * be in it (CIMD-01 §4.1), and `none` is no signature at all.
 *
 * @module
 */

/** The key type (and curve) an algorithm needs. */
export interface KeyRequirement {
  /** The JWK `kty`. */
  kty: 'RSA' | 'EC' | 'OKP';
  /** The JWK `crv`, for EC and OKP keys. */
  crv?: string;
}

const REQUIREMENTS: ReadonlyMap<string, KeyRequirement> = new Map<string, KeyRequirement>([
  ['RS256', { kty: 'RSA' }],
  ['RS384', { kty: 'RSA' }],
  ['RS512', { kty: 'RSA' }],
  ['PS256', { kty: 'RSA' }],
  ['PS384', { kty: 'RSA' }],
  ['PS512', { kty: 'RSA' }],
  ['ES256', { kty: 'EC', crv: 'P-256' }],
  ['ES384', { kty: 'EC', crv: 'P-384' }],
  ['ES512', { kty: 'EC', crv: 'P-521' }],
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ['Ed25519', { kty: 'OKP', crv: 'Ed25519' }],
]);

/** The signing algorithms this package accepts, in a stable order (for messages). */
export const SUPPORTED_SIGNING_ALGS: readonly string[] = Object.freeze([...REQUIREMENTS.keys()]);

/** The key an algorithm needs, or undefined when the algorithm is not an accepted signing alg. */
export function keyRequirementFor(alg: string): KeyRequirement | undefined {
  return REQUIREMENTS.get(alg);
}

/**
 * Why `alg` cannot sign a client assertion, as a sentence with the fix, or undefined when it
 * can.
 */
export function signingAlgProblem(alg: unknown): string | undefined {
  if (typeof alg === 'string' && REQUIREMENTS.has(alg)) return undefined;
  const fix = `use an asymmetric algorithm such as ES256 or RS256 (accepted: ${SUPPORTED_SIGNING_ALGS.join(', ')})`;
  if (typeof alg !== 'string') return `the signing alg must be a string; ${fix}`;
  if (alg.toLowerCase() === 'none')
    return `the signing alg "none" means an unsigned assertion, which no server accepts; ${fix}`;
  if (/^HS\d+$/i.test(alg)) {
    return `the signing alg ${alg} needs a shared secret, which a public document cannot carry; ${fix}`;
  }
  return `the signing alg ${JSON.stringify(alg)} is not a JWS signing algorithm this package accepts; ${fix}`;
}
