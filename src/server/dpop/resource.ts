/**
 * DPoP at a protected resource (RFC 9449 §7): `Authorization: DPoP <token>` with a `DPoP` proof
 * whose key is the one the token is bound to (`cnf.jkt`), whose `ath` is the token's hash, and
 * whose `htm`/`htu` are this request; `jti` replay and, when configured, server nonces
 * (`use_dpop_nonce` with a `DPoP-Nonce` header). A token bound to a key is never accepted as a
 * plain Bearer token: whoever copied it without the key cannot use it.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { AuthInfo } from '../resource/auth-info.js';
import { InvalidDpopProofError, UseDpopNonceError } from './errors.js';
import { createMemoryDpopReplayStore } from './memory-replay.js';
import { createDpopNonceSource, type DpopNonceOptions, type DpopNonceSource } from './nonce.js';
import { createDpopProofVerifier, type DpopReplayStore } from './proof.js';

/** DPoP options of the resource middleware (`dpop` of `BearerAuthOptions`). */
export interface DpopResourceOptions {
  /**
   * Where proof `jti`s are recorded: any `Store` from `mcp-cimd/store` (memory, SQLite, Redis, ...) or
   * anything with its atomic `recordJti`. Instances of the MCP server given one shared store share
   * replay detection: a proof used at one is refused at every other (RFC 9449 §11.1). The
   * authorization server's own store will do (proofs are recorded per key thumbprint under a DPoP
   * namespace). Default: a per-process memory record, which another instance never sees.
   */
  replayStore?: DpopReplayStore;
  /**
   * Require server nonces in proofs (RFC 9449 §9): `true` for a random secret and a 5-minute
   * window, the nonce options, or a nonce source. Default `false`.
   */
  nonce?: boolean | DpopNonceOptions | DpopNonceSource;
  /** Accepted proof algorithms (the `algs` of challenges). Default ES256, ES384, PS256, RS256, EdDSA. */
  algorithms?: readonly string[];
  /** How far a proof's `iat` may be from now, either way, in ms. Default 300 000. */
  iatWindowMs?: number;
  /**
   * The public origin of this server (`https://mcp.example.com`) when a proxy forwards requests
   * to it under another one: `htu` is compared with the request path on this origin. Default: the
   * request URL as received.
   */
  publicOrigin?: string;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** What the DPoP check of one request found. */
export type DpopResourceResult =
  | { ok: true; headers: Record<string, string> }
  | {
      ok: false;
      error: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';
      description: string;
      headers: Record<string, string>;
    };

/** The DPoP check of a protected resource. */
export interface DpopResourceCheck {
  /** The accepted algorithms (`algs` in challenges). */
  readonly algorithms: readonly string[];
  /** Headers for a successful response: the current `DPoP-Nonce` when nonces are on. */
  successHeaders(): Promise<Record<string, string>>;
  /** Checks the proof of a request presenting the DPoP-bound `authInfo`. */
  check(
    authInfo: AuthInfo,
    request: { proof: string | readonly string[] | undefined; method: string; url: string },
  ): Promise<DpopResourceResult>;
}

function isNonceSource(value: unknown): value is DpopNonceSource {
  return (
    typeof (value as DpopNonceSource).current === 'function' &&
    typeof (value as DpopNonceSource).check === 'function'
  );
}

/**
 * The `cnf.jkt` an access token is bound to: from our verifier's `extra.claims`, or an
 * `extra.cnf` another verifier supplies; `undefined` for an unbound token.
 */
export function boundJktOf(authInfo: AuthInfo): string | undefined {
  const extra = authInfo.extra ?? {};
  const claims = extra.claims as { cnf?: unknown } | undefined;
  const cnf = (claims?.cnf ?? extra.cnf) as { jkt?: unknown } | undefined;
  if (cnf === undefined || cnf === null || typeof cnf !== 'object') return undefined;
  return typeof cnf.jkt === 'string' ? cnf.jkt : '';
}

/** Creates the DPoP check. @throws InvalidOptionError for a bad option. */
export function createDpopResourceCheck(options: DpopResourceOptions = {}): DpopResourceCheck {
  const now = options.now ?? Date.now;
  const nonce = options.nonce ?? false;
  const nonces =
    nonce === false
      ? undefined
      : isNonceSource(nonce)
        ? nonce
        : createDpopNonceSource({ ...(nonce === true ? {} : nonce), now });
  let publicOrigin: string | undefined;
  if (options.publicOrigin !== undefined) {
    try {
      publicOrigin = new URL(options.publicOrigin).origin;
    } catch {
      throw new InvalidOptionError(
        'dpop.publicOrigin must be an absolute URL such as https://mcp.example.com',
      );
    }
  }
  const verifier = createDpopProofVerifier({
    replayStore: options.replayStore ?? createMemoryDpopReplayStore(),
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    ...(options.iatWindowMs === undefined ? {} : { iatWindowMs: options.iatWindowMs }),
    ...(nonces === undefined ? {} : { nonces }),
    now,
  });

  async function successHeaders(): Promise<Record<string, string>> {
    if (nonces === undefined) return {};
    return {
      'DPoP-Nonce': await nonces.current(),
      'Access-Control-Expose-Headers': 'WWW-Authenticate, DPoP-Nonce',
    };
  }

  return {
    algorithms: verifier.algorithms,
    successHeaders,
    async check(authInfo, request) {
      const jkt = boundJktOf(authInfo);
      if (jkt === undefined || jkt === '') {
        return {
          ok: false,
          error: 'invalid_token',
          description: 'the access token is not bound to a DPoP key; present it with the Bearer scheme',
          headers: {},
        };
      }
      let url = request.url;
      if (publicOrigin !== undefined) {
        const received = new URL(request.url, publicOrigin);
        url = `${publicOrigin}${received.pathname}`;
      }
      try {
        const proof = await verifier.verify({
          proof: request.proof,
          method: request.method,
          url,
          accessToken: authInfo.token,
        });
        if (proof.jkt !== jkt) {
          return {
            ok: false,
            error: 'invalid_token',
            description: 'the DPoP proof is signed by another key than the one the access token is bound to',
            headers: {},
          };
        }
        return { ok: true, headers: await successHeaders() };
      } catch (error) {
        if (error instanceof UseDpopNonceError) {
          return {
            ok: false,
            error: 'use_dpop_nonce',
            description: error.message,
            headers: {
              'DPoP-Nonce': error.nonce,
              'Access-Control-Expose-Headers': 'WWW-Authenticate, DPoP-Nonce',
            },
          };
        }
        if (error instanceof InvalidDpopProofError) {
          return { ok: false, error: 'invalid_dpop_proof', description: error.message, headers: {} };
        }
        throw error;
      }
    },
  };
}

/** What an `Authorization` header with the `DPoP` scheme carries, or `undefined` for another scheme. */
export function readDpopCredentials(
  authorization: string | readonly string[] | undefined,
): { kind: 'token'; token: string } | { kind: 'malformed'; description: string } | undefined {
  const values =
    authorization === undefined ? [] : typeof authorization === 'string' ? [authorization] : authorization;
  if (values.length !== 1) return undefined;
  const match = /^\s*dpop(?:[ \t]+([\s\S]*))?$/i.exec(values[0] ?? '');
  if (match === null) return undefined;
  const token = (match[1] ?? '').trim();
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
    return {
      kind: 'malformed',
      description: 'send exactly one "Authorization: DPoP <token>" header and one DPoP proof header',
    };
  }
  return { kind: 'token', token };
}
