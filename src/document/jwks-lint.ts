/**
 * Lints a public JWK Set as published in a client metadata document (`jwks`) or at its
 * `jwks_uri`: public signing keys only (CIMD-KEY-01..10).
 *
 * @module
 */

import { createFinding, type Finding } from './findings.js';
import { childPath } from './paths.js';
import { keyRequirementFor, signingAlgProblem } from './signing-alg.js';

/** Options of {@link lintJwks}. */
export interface LintJwksOptions {
  /**
   * The algorithm the client signs its assertions with (`token_endpoint_auth_signing_alg`).
   * When given, every key must be able to verify it. Default: no algorithm check.
   */
  signingAlg?: string;
  /** The JSON path of the set, used in findings. Default `'$.jwks'`. */
  path?: string;
}

/** JWK members that belong to a private or symmetric key and must never be published. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Lints a public JWK Set. Every finding is an error:
 * the set is an object with a non-empty `keys` array of objects (CIMD-KEY-01, -02); no key
 * carries a private member `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth` or `k` (CIMD-KEY-03: the
 * key has leaked and must be rotated); every key has a `kty` (CIMD-KEY-04) that is not the
 * symmetric `oct` (CIMD-KEY-05) and a unique `kid` (CIMD-KEY-06); a `use` is `sig` and
 * `key_ops` allows `verify` (CIMD-KEY-10). With `signingAlg`: the algorithm is asymmetric
 * (CIMD-KEY-07: never `none` or `HS*`), every key fits it (CIMD-KEY-08: RS and PS need RSA;
 * ES256/384/512 need EC P-256/P-384/P-521; EdDSA and Ed25519 need OKP Ed25519), and a key's own
 * `alg` equals it (CIMD-KEY-09).
 *
 * @param jwks - the parsed JSON value of the set.
 * @returns the findings, unsorted; empty when the set is fine.
 */
export function lintJwks(jwks: unknown, options: LintJwksOptions = {}): Finding[] {
  const base = options.path ?? '$.jwks';
  const findings: Finding[] = [];

  const requirement = options.signingAlg === undefined ? undefined : keyRequirementFor(options.signingAlg);
  if (options.signingAlg !== undefined && requirement === undefined) {
    findings.push(
      createFinding('CIMD-KEY-07', `${capitalise(signingAlgProblem(options.signingAlg) ?? '')}.`, base),
    );
  }

  if (!isPlainObject(jwks)) {
    findings.push(
      createFinding(
        'CIMD-KEY-01',
        'jwks must be a JSON object of the form {"keys": [ ...public JWKs... ]}; wrap the keys in it.',
        base,
      ),
    );
    return findings;
  }
  const keysPath = childPath(base, 'keys');
  const keys = jwks.keys;
  if (!Array.isArray(keys)) {
    findings.push(
      createFinding(
        'CIMD-KEY-01',
        'jwks.keys must be an array of public JWKs; put the keys in a "keys" array.',
        keysPath,
      ),
    );
    return findings;
  }
  if (keys.length === 0) {
    findings.push(
      createFinding(
        'CIMD-KEY-02',
        'jwks.keys is empty, so no assertion can be verified; add the public key(s) you sign with (cimd keys).',
        keysPath,
      ),
    );
  }

  const seenKids = new Set<string>();
  keys.forEach((key: unknown, index) => {
    const keyPath = childPath(keysPath, index);
    if (!isPlainObject(key)) {
      findings.push(
        createFinding(
          'CIMD-KEY-01',
          'Each entry of jwks.keys must be a JWK object; remove or fix this entry.',
          keyPath,
        ),
      );
      return;
    }
    const leaked = PRIVATE_MEMBERS.filter((member) => member in key);
    if (leaked.length > 0) {
      findings.push(
        createFinding(
          'CIMD-KEY-03',
          `Leaked private key: this key carries the private member(s) ${leaked.join(', ')}. Remove them, and since the private key has been published, generate a new key pair and rotate to it (cimd keys).`,
          keyPath,
        ),
      );
    }
    const kty = key.kty;
    if (typeof kty !== 'string' || kty === '') {
      findings.push(
        createFinding(
          'CIMD-KEY-04',
          'This key has no "kty"; every JWK needs one (RSA, EC or OKP). Export the key again.',
          keyPath,
        ),
      );
    } else if (kty === 'oct') {
      findings.push(
        createFinding(
          'CIMD-KEY-05',
          'This is a symmetric key (kty "oct"); a public document cannot carry a shared secret. Remove it and use an asymmetric key (EC P-256 with ES256, or RSA with RS256).',
          keyPath,
        ),
      );
    }
    const kid = key.kid;
    if (typeof kid !== 'string' || kid === '') {
      findings.push(
        createFinding(
          'CIMD-KEY-06',
          'This key has no "kid"; servers pick the verification key by kid, and rotation needs it. Give every key a unique kid (e.g. its RFC 7638 thumbprint).',
          keyPath,
        ),
      );
    } else if (seenKids.has(kid)) {
      findings.push(
        createFinding(
          'CIMD-KEY-06',
          `The kid ${JSON.stringify(kid)} is used by more than one key; give every key a unique kid.`,
          childPath(keyPath, 'kid'),
        ),
      );
    } else {
      seenKids.add(kid);
    }
    if (key.use !== undefined && key.use !== 'sig') {
      findings.push(
        createFinding(
          'CIMD-KEY-10',
          `This key has "use": ${JSON.stringify(key.use)}; keys for private_key_jwt verify signatures. Set "use": "sig" or remove the key.`,
          childPath(keyPath, 'use'),
        ),
      );
    }
    if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify'))) {
      findings.push(
        createFinding(
          'CIMD-KEY-10',
          'This key has "key_ops" without "verify"; a published signing key must allow verification. Set "key_ops": ["verify"] or drop key_ops.',
          childPath(keyPath, 'key_ops'),
        ),
      );
    }
    if (key.alg !== undefined && (typeof key.alg !== 'string' || keyRequirementFor(key.alg) === undefined)) {
      findings.push(
        createFinding(
          'CIMD-KEY-07',
          `This key's alg: ${signingAlgProblem(key.alg)}.`,
          childPath(keyPath, 'alg'),
        ),
      );
    } else if (
      options.signingAlg !== undefined &&
      requirement !== undefined &&
      key.alg !== undefined &&
      key.alg !== options.signingAlg
    ) {
      findings.push(
        createFinding(
          'CIMD-KEY-09',
          `This key says "alg": ${JSON.stringify(key.alg)} but token_endpoint_auth_signing_alg is ${options.signingAlg}; make them equal (or drop the key's alg).`,
          childPath(keyPath, 'alg'),
        ),
      );
    }
    if (requirement !== undefined && typeof kty === 'string' && kty !== 'oct' && kty !== '') {
      const crv = key.crv;
      if (kty !== requirement.kty || (requirement.crv !== undefined && crv !== requirement.crv)) {
        const needed =
          requirement.crv === undefined
            ? `kty ${requirement.kty}`
            : `kty ${requirement.kty} with crv ${requirement.crv}`;
        const actual = typeof crv === 'string' ? `kty ${kty} with crv ${crv}` : `kty ${kty}`;
        findings.push(
          createFinding(
            'CIMD-KEY-08',
            `This key (${actual}) cannot verify ${options.signingAlg ?? ''} signatures, which need ${needed}; publish a matching key or change token_endpoint_auth_signing_alg.`,
            keyPath,
          ),
        );
      }
    }
  });
  return findings;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
