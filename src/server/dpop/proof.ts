/**
 * DPoP proof verification (RFC 9449 §4.3): one `DPoP` header holding one JWT with `typ`
 * `dpop+jwt`, an allowlisted asymmetric `alg`, a public `jwk` header (no private members) that
 * verifies the signature, `htm` equal to the request method, `htu` equal to the request URI
 * without query and fragment, `iat` within a window, `ath` (the SHA-256 of the access token) at a
 * resource, the server's nonce when it requires one, and a `jti` never seen before (recorded
 * atomically in the store under a DPoP namespace, so every instance shares it).
 *
 * @module
 */

import {
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  errors,
  type JWK,
  jwtVerify,
} from 'jose';
import { InvalidOptionError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { markReplay } from '../events.js';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../tokens/signing-algorithms.js';
import { InvalidDpopProofError, UseDpopNonceError } from './errors.js';
import type { DpopNonceSource } from './nonce.js';

/** The DPoP signing algorithms accepted by default (and advertised). */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'PS256',
  'RS256',
  'EdDSA',
]);

/** The default `iat` window: a proof may be 300 s old or 300 s ahead, in ms. */
export const DEFAULT_DPOP_IAT_WINDOW_MS = 300_000;

/** The store namespace DPoP proof `jti`s are recorded under (with the key's thumbprint). */
export const DPOP_JTI_NAMESPACE = 'dpop-proof';

/** Private JWK members a proof's `jwk` header must not carry (RFC 9449 §4.3 point 7). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;

/** Where proof `jti`s are recorded: the server `Store`, or anything with its atomic `recordJti`. */
export type DpopReplayStore = Pick<Store, 'recordJti'>;

/** Options of {@link createDpopProofVerifier}. */
export interface DpopProofVerifierOptions {
  /** Records `jti`s (atomic, shared by every instance). */
  replayStore: DpopReplayStore;
  /** Accepted `alg`s. Default `['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']`; asymmetric only. */
  algorithms?: readonly string[];
  /** How far `iat` may be from now, either way, in ms. Default 300 000. */
  iatWindowMs?: number;
  /** When set, every proof must carry a nonce this source accepts (`use_dpop_nonce` otherwise). */
  nonces?: DpopNonceSource;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** What one request offers for checking. */
export interface DpopProofRequest {
  /** The `DPoP` header value(s) (more than one is refused). */
  proof: string | readonly string[] | undefined;
  /** The HTTP method of the request. */
  method: string;
  /** The request URI as the server is reached (absolute); query and fragment are ignored. */
  url: string | URL;
  /** The access token presented with the proof (at a resource): `ath` must be its hash. */
  accessToken?: string;
}

/** A verified proof. */
export interface VerifiedDpopProof {
  /** The RFC 7638 SHA-256 thumbprint of the proof's key (`cnf.jkt`). */
  jkt: string;
  /** The proof's public key. */
  jwk: JWK;
  jti: string;
  alg: string;
}

/** Verifies one DPoP proof; see {@link createDpopProofVerifier}. */
export interface DpopProofVerifier {
  /** The accepted algorithms (for metadata and `algs` in challenges). */
  readonly algorithms: readonly string[];
  /** The nonce source, when nonces are required. */
  readonly nonces: DpopNonceSource | undefined;
  /**
   * @throws InvalidDpopProofError when the proof fails a check; UseDpopNonceError when it lacks
   *   the current nonce (with the nonce to use).
   */
  verify(request: DpopProofRequest): Promise<VerifiedDpopProof>;
}

/** `url` without query and fragment, normalized by the WHATWG URL parser (RFC 9449 §4.3 point 9). */
export function htuOf(url: string | URL): string | undefined {
  try {
    const parsed = new URL(String(url));
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/** The `ath` of `accessToken`: base64url SHA-256 of its ASCII bytes (RFC 9449 §4.2). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
  return base64url.encode(new Uint8Array(digest));
}

/** Checks the verifier options; used by the server and the resource middleware alike. */
export function checkDpopAlgorithms(algorithms: readonly string[] | undefined): string[] {
  const list = [...(algorithms ?? DEFAULT_DPOP_ALGORITHMS)];
  if (list.length === 0 || list.some((alg) => !ASYMMETRIC_JWS_ALGORITHMS.has(alg))) {
    throw new InvalidOptionError(
      `DPoP algorithms must be a non-empty list of asymmetric JWS algorithms (${[...ASYMMETRIC_JWS_ALGORITHMS].join(', ')})`,
    );
  }
  return list;
}

function joseFailure(error: unknown): InvalidDpopProofError {
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidDpopProofError(
      'the DPoP proof is signed with an algorithm this server does not accept',
      {
        cause: error,
      },
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidDpopProofError('the DPoP proof signature does not verify with its jwk header', {
      cause: error,
    });
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'typ') {
    return new InvalidDpopProofError('the DPoP proof "typ" header must be "dpop+jwt"', { cause: error });
  }
  return new InvalidDpopProofError('the DPoP proof is not a valid JWT with a public jwk header', {
    cause: error,
  });
}

/** Creates a DPoP proof verifier. @throws InvalidOptionError for a bad option. */
export function createDpopProofVerifier(options: DpopProofVerifierOptions): DpopProofVerifier {
  if (typeof options.replayStore?.recordJti !== 'function') {
    throw new InvalidOptionError('the DPoP replayStore must implement recordJti (the server Store)');
  }
  const algorithms = checkDpopAlgorithms(options.algorithms);
  const iatWindowMs = options.iatWindowMs ?? DEFAULT_DPOP_IAT_WINDOW_MS;
  if (!Number.isSafeInteger(iatWindowMs) || iatWindowMs < 1000) {
    throw new InvalidOptionError('the DPoP iatWindowMs must be an integer of at least 1000 milliseconds');
  }
  const now = options.now ?? Date.now;
  const { replayStore, nonces } = options;

  async function verify(request: DpopProofRequest): Promise<VerifiedDpopProof> {
    const values =
      request.proof === undefined
        ? []
        : typeof request.proof === 'string'
          ? [request.proof]
          : [...request.proof];
    // §4.3 (1): exactly one DPoP header.
    if (values.length === 0) throw new InvalidDpopProofError('the request has no DPoP proof header');
    if (values.length > 1) throw new InvalidDpopProofError('the request must carry exactly one DPoP header');
    const proof = (values[0] as string).trim();
    // §4.3 (2): a single well-formed JWT.
    if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof)) {
      throw new InvalidDpopProofError('the DPoP header is not a single compact JWT');
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch (cause) {
      throw new InvalidDpopProofError('the DPoP proof header is not valid JSON', { cause });
    }
    // §4.3 (4): typ.
    if (header.typ !== 'dpop+jwt')
      throw new InvalidDpopProofError('the DPoP proof "typ" header must be "dpop+jwt"');
    // §4.3 (5): an asymmetric algorithm on the allowlist.
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
      throw new InvalidDpopProofError(
        `the DPoP proof "alg" must be one of ${algorithms.join(', ')} (asymmetric, never none or HS*)`,
      );
    }
    // §4.3 (7): a public key in the jwk header, no private members.
    const jwk = header.jwk;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
      throw new InvalidDpopProofError('the DPoP proof has no "jwk" header with its public key');
    }
    if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
      throw new InvalidDpopProofError(
        'the DPoP proof "jwk" header must be a public key (it has private members)',
      );
    }
    // §4.3 (6): the signature verifies with that key.
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, { algorithms, typ: 'dpop+jwt' }));
    } catch (error) {
      throw joseFailure(error);
    }
    // §4.3 (3): the required claims.
    const { jti, htm, htu, iat } = payload;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
      throw new InvalidDpopProofError('the DPoP proof must have a "jti" claim (a unique string)');
    }
    if (typeof htm !== 'string') throw new InvalidDpopProofError('the DPoP proof must have an "htm" claim');
    if (typeof htu !== 'string') throw new InvalidDpopProofError('the DPoP proof must have an "htu" claim');
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      throw new InvalidDpopProofError('the DPoP proof must have a numeric "iat" claim');
    }
    // §4.3 (8): htm.
    if (htm !== request.method.toUpperCase()) {
      throw new InvalidDpopProofError(
        `the DPoP proof "htm" must be the request method ${request.method.toUpperCase()}`,
      );
    }
    // §4.3 (9): htu, without query and fragment.
    const expected = htuOf(request.url);
    if (expected === undefined || htuOf(htu) !== expected) {
      throw new InvalidDpopProofError(
        `the DPoP proof "htu" must be the request URI ${expected ?? ''} (without query and fragment)`,
      );
    }
    // §4.3 (11): iat within the window.
    const at = now();
    if (Math.abs(iat * 1000 - at) > iatWindowMs) {
      throw new InvalidDpopProofError(
        `the DPoP proof "iat" is more than ${iatWindowMs / 1000} s away from the server's time; make a fresh proof`,
      );
    }
    // §4.3 (12): ath at a resource.
    if (request.accessToken !== undefined) {
      if (typeof payload.ath !== 'string' || payload.ath !== (await accessTokenHash(request.accessToken))) {
        throw new InvalidDpopProofError('the DPoP proof "ath" must be the SHA-256 hash of the access token');
      }
    }
    // §4.3 (10), §8, §9: the server's nonce.
    if (nonces !== undefined) {
      const nonce = payload.nonce;
      if (typeof nonce !== 'string' || !(await nonces.check(nonce))) {
        throw new UseDpopNonceError(
          nonce === undefined
            ? 'this server requires a DPoP nonce: retry with the one in the DPoP-Nonce header'
            : 'the DPoP nonce is unknown or expired: retry with the one in the DPoP-Nonce header',
          await nonces.current(),
        );
      }
    }
    const jkt = await calculateJwkThumbprint(jwk as JWK, 'sha256');
    // §11.1: a proof is used once (jti recorded for as long as its iat would be accepted).
    if (!(await replayStore.recordJti(`${DPOP_JTI_NAMESPACE}:${jkt}`, jti, 2 * iatWindowMs + 1000))) {
      throw markReplay(
        new InvalidDpopProofError(
          'the DPoP proof was already used (its jti was seen before); make a fresh proof',
        ),
        'dpop',
      );
    }
    return { jkt, jwk: jwk as JWK, jti, alg: header.alg };
  }

  return { algorithms, nonces, verify };
}
