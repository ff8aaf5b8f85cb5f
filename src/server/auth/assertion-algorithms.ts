/**
 * The JWS algorithms a client assertion may be signed with: asymmetric ones only (PKJ-10,
 * CIMD §4.1), narrowed to the document's `token_endpoint_auth_signing_alg` when it names one.
 *
 * @module
 */
import { SUPPORTED_SIGNING_ALGS } from '../../document/signing-alg.js';
import type { ResolvedClient } from '../clients/types.js';
import { InvalidClientError } from '../oauth-errors.js';

/**
 * Every algorithm accepted for `private_key_jwt`: RSA PKCS#1 v1.5 and PSS, ECDSA on P-256,
 * P-384 and P-521, and EdDSA over Ed25519 (`EdDSA`, and the fully specified `Ed25519` of
 * RFC 9864). Never `none` and never `HS*`: a public document cannot carry a shared secret.
 * The same list the document linter accepts for `token_endpoint_auth_signing_alg`.
 */
export const CLIENT_ASSERTION_ALGORITHMS: readonly string[] = SUPPORTED_SIGNING_ALGS;

/**
 * The algorithms `client` may sign its assertions with: only its
 * `token_endpoint_auth_signing_alg` when the document names one, otherwise
 * {@link CLIENT_ASSERTION_ALGORITHMS}.
 *
 * @throws InvalidClientError when the document names an algorithm that is not accepted.
 */
export function allowedAlgorithmsFor(client: ResolvedClient): readonly string[] {
  const named = client.metadata.token_endpoint_auth_signing_alg;
  if (named === undefined) return CLIENT_ASSERTION_ALGORITHMS;
  if (!CLIENT_ASSERTION_ALGORITHMS.includes(named)) {
    throw new InvalidClientError(
      `the client's metadata names token_endpoint_auth_signing_alg ${JSON.stringify(named)}, which this server does not accept; use one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}`,
    );
  }
  return [named];
}

/**
 * Checks the `alg` of an assertion's protected header against `allowed`.
 *
 * @throws InvalidClientError saying why the algorithm is refused.
 */
export function checkAssertionAlgorithm(alg: unknown, allowed: readonly string[]): string {
  if (typeof alg === 'string' && allowed.includes(alg)) return alg;
  if (typeof alg !== 'string' || alg === '') {
    throw new InvalidClientError('the client_assertion has no "alg" header');
  }
  if (alg.toLowerCase() === 'none') {
    throw new InvalidClientError(
      'the client_assertion is unsigned (alg "none"); sign it with the client key',
    );
  }
  if (/^HS\d+$/i.test(alg)) {
    throw new InvalidClientError(
      `the client_assertion uses the symmetric algorithm ${alg}; private_key_jwt needs an asymmetric signature`,
    );
  }
  if (allowed.length === 1) {
    throw new InvalidClientError(
      `the client_assertion is signed with ${JSON.stringify(alg.slice(0, 32))} but the client's token_endpoint_auth_signing_alg is ${allowed[0]}`,
    );
  }
  throw new InvalidClientError(
    `the client_assertion algorithm ${JSON.stringify(alg.slice(0, 32))} is not accepted; use one of ${allowed.join(', ')}`,
  );
}
