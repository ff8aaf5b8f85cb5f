/**
 * DPoP (RFC 9449) for clients: a key pair kept for the life of a token store, a fresh proof per
 * request (`jti`, `htm`, `htu` without query and fragment, `iat`, `ath` with an access token, the
 * server's nonce), and a `fetch` wrapper that presents `Authorization: DPoP <token>`, remembers
 * each origin's `DPoP-Nonce`, and retries once when a server answers `use_dpop_nonce` (400 at a
 * token endpoint, 401 at a resource).
 *
 * @module
 */
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from 'jose';

/** A DPoP key pair (the private key may be non-extractable). */
export interface DpopKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/** A fresh DPoP key pair for `alg` (default ES256); the private key is not extractable. */
export async function generateDpopKeyPair(alg = 'ES256'): Promise<DpopKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
  return { privateKey, publicKey };
}

/** Options of one proof. */
export interface DpopProofOptions {
  /** The access token sent with the proof (`ath`). */
  accessToken?: string;
  /** A nonce to use instead of the one remembered for the URL's origin. */
  nonce?: string;
}

/** Makes proofs with one key and remembers the servers' nonces. */
export interface DpopProver {
  /** The JWS algorithm. */
  readonly alg: string;
  /** The RFC 7638 thumbprint of the key (the `cnf.jkt` of tokens bound to it). */
  thumbprint(): Promise<string>;
  /** The public JWK put in every proof's `jwk` header (its public members only). */
  publicJwk(): Promise<JWK>;
  /** A fresh proof for `method` `url`. */
  proof(method: string, url: string | URL, options?: DpopProofOptions): Promise<string>;
  /** The nonce last received from `url`'s origin. */
  nonceFor(url: string | URL): string | undefined;
  /** Remembers the `DPoP-Nonce` of `response` for `url`'s origin. */
  rememberNonce(url: string | URL, response: Response): void;
  /** Remembers `nonce` for `url`'s origin (the newest wins). */
  setNonce(url: string | URL, nonce: string): void;
}

function htuOf(url: string | URL): string {
  const parsed = new URL(String(url));
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

async function ath(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
  return base64url.encode(new Uint8Array(digest));
}

/** A prover for `keyPair` signing with `alg` (default ES256). */
export function createDpopProver(keyPair: DpopKeyPair, alg = 'ES256'): DpopProver {
  const nonces = new Map<string, string>();
  let jwk: Promise<JWK> | undefined;
  const publicJwk = (): Promise<JWK> => {
    jwk ??= exportJWK(keyPair.publicKey).then(({ kty, crv, x, y, n, e }) =>
      Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined)),
    );
    return jwk;
  };
  return {
    alg,
    thumbprint: async () => calculateJwkThumbprint(await publicJwk(), 'sha256'),
    publicJwk,
    async proof(method, url, options = {}) {
      const nonce = options.nonce ?? nonces.get(new URL(String(url)).origin);
      const claims: Record<string, unknown> = {
        jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
        htm: method.toUpperCase(),
        htu: htuOf(url),
        iat: Math.floor(Date.now() / 1000),
      };
      if (options.accessToken !== undefined) claims.ath = await ath(options.accessToken);
      if (nonce !== undefined) claims.nonce = nonce;
      return new SignJWT(claims)
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: await publicJwk() })
        .sign(keyPair.privateKey);
    },
    nonceFor: (url) => nonces.get(new URL(String(url)).origin),
    rememberNonce(url, response) {
      const nonce = response.headers.get('dpop-nonce');
      if (nonce !== null && nonce !== '') nonces.set(new URL(String(url)).origin, nonce);
    },
    setNonce(url, nonce) {
      if (nonce !== '') nonces.set(new URL(String(url)).origin, nonce);
    },
  };
}

/** True when `response` asks for a (new) DPoP nonce: 401 with a `use_dpop_nonce` challenge, or a 400 `use_dpop_nonce` body. */
export async function isUseDpopNonce(response: Response): Promise<boolean> {
  if (response.headers.get('dpop-nonce') === null) return false;
  if (response.status === 401)
    return /error="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '');
  if (response.status !== 400) return false;
  try {
    return ((await response.clone().json()) as { error?: unknown }).error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

/** The fetch signature the MCP SDK's transports take. */
export type DpopFetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;
type FetchLike = DpopFetchLike;

/**
 * A `fetch` that adds a fresh DPoP proof to every request (and `Authorization: DPoP <token>` when
 * `accessToken` gives one), remembers nonces and retries once on `use_dpop_nonce`. Request bodies
 * must be replayable (strings, form data, buffers), as the MCP SDK's are.
 */
export function dpopFetch(
  prover: DpopProver,
  accessToken?: () => string | undefined | Promise<string | undefined>,
  baseFetch: FetchLike = fetch,
): FetchLike {
  return async (input, init = {}) => {
    const url = String(input);
    const method = init.method ?? 'GET';
    const token = await accessToken?.();
    const send = async (): Promise<Response> => {
      const headers = new Headers(init.headers);
      headers.set('DPoP', await prover.proof(method, url, token === undefined ? {} : { accessToken: token }));
      if (token !== undefined) headers.set('Authorization', `DPoP ${token}`);
      const response = await baseFetch(input, { ...init, headers });
      prover.rememberNonce(url, response);
      return response;
    };
    const first = await send();
    if (!(await isUseDpopNonce(first))) return first;
    await first.body?.cancel();
    return send();
  };
}

/** Where a token store keeps its DPoP key (the private JWK: as secret as the refresh tokens beside it). */
export const DPOP_KEY_STORE_KEY = 'dpop:key';

/** The part of a token store the DPoP key needs. */
interface KeyStore {
  get(key: string): unknown | Promise<unknown>;
  set(key: string, value: unknown): void | Promise<void>;
}

/**
 * The DPoP key pair of `store`: loaded from it, or generated (ES256) and saved on first use, so
 * tokens bound to it stay usable across runs. One key per token store.
 */
export async function loadDpopKeyPair(store: KeyStore): Promise<DpopKeyPair> {
  const saved = (await store.get(DPOP_KEY_STORE_KEY)) as { alg?: unknown; privateJwk?: JWK } | undefined;
  let privateJwk =
    saved?.alg === 'ES256' && typeof saved.privateJwk?.d === 'string' ? saved.privateJwk : undefined;
  if (privateJwk === undefined) {
    const generated = await generateKeyPair('ES256', { extractable: true });
    privateJwk = await exportJWK(generated.privateKey);
    await store.set(DPOP_KEY_STORE_KEY, { alg: 'ES256', privateJwk });
  }
  const { d: _d, ...publicJwk } = privateJwk;
  const [privateKey, publicKey] = await Promise.all([
    importJWK({ ...privateJwk, ext: false }, 'ES256'),
    importJWK(publicJwk, 'ES256'),
  ]);
  return { privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey };
}

/** Options of {@link createDpopClientFetch}. Give `keyPair` or `prover`. */
export interface DpopClientFetchOptions {
  /** The key pair (e.g. from {@link loadDpopKeyPair}); a prover (ES256) is made for it. */
  keyPair?: DpopKeyPair | Promise<DpopKeyPair>;
  /** A prover to share (its key and remembered nonces), instead of `keyPair`. */
  prover?: DpopProver | Promise<DpopProver>;
  /** Whether `accessToken` was issued as a DPoP token (`token_type: DPoP`). */
  isBound(accessToken: string): boolean | Promise<boolean>;
  /** The underlying fetch. Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

function isTokenRequest(method: string, body: unknown): boolean {
  if (method !== 'POST') return false;
  if (body instanceof URLSearchParams) return body.has('grant_type');
  return typeof body === 'string' && /(^|&)grant_type=/.test(body);
}

/**
 * The fetch of a client provider with `dpop: true`, under the MCP SDK's transport and its OAuth
 * requests: token requests (a form with `grant_type`) get a proof; a request carrying
 * `Authorization: Bearer <token>` for a DPoP-bound token is sent as `Authorization: DPoP <token>`
 * with a proof (`ath`); each origin's `DPoP-Nonce` is remembered and a `use_dpop_nonce` answer is
 * retried once. A request that already carries a `DPoP` proof (SDK 2.x's `auth()` makes its own
 * with the provider's `dpop()` session) and everything else pass through unchanged.
 *
 * @throws TypeError when neither `keyPair` nor `prover` is given.
 */
export function createDpopClientFetch(options: DpopClientFetchOptions): FetchLike {
  const base: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const { keyPair } = options;
  if (options.prover === undefined && keyPair === undefined) {
    throw new TypeError('createDpopClientFetch needs keyPair or prover');
  }
  let prover: Promise<DpopProver> | undefined =
    options.prover === undefined ? undefined : Promise.resolve(options.prover);
  const proverOf = (): Promise<DpopProver> => {
    prover ??= Promise.resolve(keyPair as DpopKeyPair | Promise<DpopKeyPair>).then((pair) =>
      createDpopProver(pair),
    );
    return prover;
  };
  return async (input, init = {}) => {
    const url = String(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    if (headers.has('dpop')) return base(input, init);
    const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(headers.get('authorization') ?? '')?.[1];
    let accessToken: string | undefined;
    if (bearer !== undefined && (await options.isBound(bearer))) accessToken = bearer;
    else if (!isTokenRequest(method, init.body)) return base(input, init);
    const dpop = await proverOf();
    const send = async (): Promise<Response> => {
      const sent = new Headers(headers);
      sent.set('DPoP', await dpop.proof(method, url, accessToken === undefined ? {} : { accessToken }));
      if (accessToken !== undefined) sent.set('Authorization', `DPoP ${accessToken}`);
      const response = await base(input, { ...init, headers: sent });
      dpop.rememberNonce(url, response);
      return response;
    };
    const first = await send();
    if (!(await isUseDpopNonce(first))) return first;
    await first.body?.cancel();
    return send();
  };
}
