/**
 * `private_key_jwt` client authentication at the token endpoint (RFC 7523 §2.2 and §3, RFC 7521
 * §4.2, OIDC Core §9, CIMD §6.5): the verifier checks the request's assertion parameters, the
 * algorithm, the `typ`, the claims, the signature against the client's published keys, and
 * records the `jti` once in the shared store.
 *
 * @module
 */

import type { ResolvedClient } from '../clients/types.js';
import { InvalidClientError } from '../oauth-errors.js';
import { allowedAlgorithmsFor, checkAssertionAlgorithm } from './assertion-algorithms.js';
import { checkAssertionClaims, checkAssertionType } from './assertion-claims.js';
import { type DecodedAssertion, decodeAssertion } from './assertion-decode.js';
import {
  JWT_BEARER_ASSERTION_TYPE,
  readClientAssertionParams,
  type TokenRequestParams,
} from './assertion-params.js';
import { verifyAssertionSignature } from './assertion-signature.js';
import { clientKeySource } from './client-keys.js';
import { createJwksCache, type JwksCacheOptions } from './jwks-cache.js';
import { thumbprintsOf } from './key-set.js';
import { PendingJti, recordAssertionJti } from './pending-jti.js';
import {
  type ClientAssertionVerifierOptions,
  resolveVerifierSettings,
  type VerifierSettings,
} from './verifier-options.js';

/** The longest `client_assertion` accepted, in characters (16 KiB): far above any real assertion. */
export const MAX_CLIENT_ASSERTION_LENGTH = 16_384;

/** A successfully authenticated client, with what the token endpoint binds to the grant (PKJ-17). */
export interface VerifiedClientAssertion {
  /** The authenticated `client_id`. */
  clientId: string;
  /** The assertion's `jti`, now recorded as used (or in {@link pendingJti}). */
  jti: string;
  /**
   * The `jti`, not yet recorded, when `verify` was asked to leave that to the caller
   * ({@link VerifyAssertionOptions.deferJtiRecord}).
   */
  pendingJti?: PendingJti;
  /** The JWS algorithm it was signed with. */
  alg: string;
  /** The `kid` of the verifying key (from the header, or the published key's when the header had none). */
  kid?: string;
  /** RFC 7638 SHA-256 thumbprint (base64url) of the verifying key: bind refresh tokens to it. */
  keyThumbprint: string;
  /** The assertion's `exp`, epoch ms. */
  expiresAt: number;
  /** Where the key came from: the document's inline `jwks` or its `jwks_uri`. */
  keySource: 'jwks' | 'jwks_uri';
}

/** Options of {@link ClientAssertionVerifier.verify}. */
export interface VerifyAssertionOptions {
  /**
   * Leave the `jti` unrecorded and return it as `pendingJti`, for a caller that records it with
   * its own store write (a refresh grant's rotation). The caller MUST then record it before it
   * changes anything and whatever happens, refusing the request as a replay when it was not new
   * (`PendingJti`). Default false: the `jti` is recorded before `verify` resolves.
   */
  deferJtiRecord?: boolean;
}

/** Verifies `private_key_jwt` client assertions; see {@link createClientAssertionVerifier}. */
export interface ClientAssertionVerifier {
  /**
   * Authenticates `client` with the `client_assertion` of a token request.
   *
   * @param client - the client the request names, resolved (its document's keys and
   *   `token_endpoint_auth_signing_alg` are used).
   * @param params - the token request's form parameters (see {@link TokenRequestParams}).
   * @param options - `deferJtiRecord` leaves the `jti` to the caller (see
   *   {@link VerifyAssertionOptions}); a replay is then not detected here.
   * @throws InvalidRequestError (`invalid_request`) when an assertion parameter is repeated or
   *   malformed (PKJ-01); InvalidClientError (`invalid_client`, 401) for every other failure,
   *   a replayed `jti` included, with a description safe to send. Store failures are rethrown as
   *   they are.
   */
  verify(
    client: ResolvedClient,
    params: TokenRequestParams,
    options?: VerifyAssertionOptions,
  ): Promise<VerifiedClientAssertion>;
  /**
   * Whether the key with RFC 7638 thumbprint `keyThumbprint` is still in `client`'s current key
   * set (inline, or its `jwks_uri` as cached: a removed key is noticed within one cache
   * lifetime). A refresh should fail once the key it was bound to is gone (CIMD §6.3.1, PKJ-17).
   *
   * @throws InvalidClientError when the client's keys cannot be loaded.
   */
  isKeyStillPublished(client: ResolvedClient, keyThumbprint: string): Promise<boolean>;
  /**
   * Forgets this instance's copy of the key set fetched from `jwksUri`, or of every fetched set
   * without an argument (the store's shared copy is left as it is): the next assertion that needs
   * it reads the store or fetches it again (a purge, see `watchCachePurges`).
   */
  forgetKeySet(jwksUri?: string): void;
}

function decode(assertion: string): DecodedAssertion {
  try {
    return decodeAssertion(assertion);
  } catch (cause) {
    throw new InvalidClientError(
      'the client_assertion is not a well-formed signed JWT (compact JWS with a JSON claims set)',
      { cause },
    );
  }
}

/** The assertion of a request, after the parameter rules of PKJ-01, PKJ-02 and PKJ-16. */
function assertionOf(client: ResolvedClient, params: TokenRequestParams): string {
  const read = readClientAssertionParams(params);
  if (client.authMethod !== 'private_key_jwt') {
    throw new InvalidClientError(
      "the client's token_endpoint_auth_method is not private_key_jwt, so it cannot authenticate with a client_assertion",
    );
  }
  if (read.clientAssertionType === undefined && read.clientAssertion === undefined) {
    throw new InvalidClientError(
      `this client authenticates with private_key_jwt; send client_assertion_type=${JWT_BEARER_ASSERTION_TYPE} and a client_assertion`,
    );
  }
  if (read.clientAssertionType !== JWT_BEARER_ASSERTION_TYPE) {
    throw new InvalidClientError(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
  }
  if (read.clientAssertion === undefined) {
    throw new InvalidClientError('the client_assertion parameter is missing');
  }
  if (read.clientId !== undefined && read.clientId !== client.clientId) {
    throw new InvalidClientError(
      'the client_id parameter names a different client than the one authenticating',
    );
  }
  if (read.clientAssertion.length > MAX_CLIENT_ASSERTION_LENGTH) {
    throw new InvalidClientError(
      `the client_assertion is longer than ${MAX_CLIENT_ASSERTION_LENGTH} characters`,
    );
  }
  return read.clientAssertion;
}

function cacheOptions(options: ClientAssertionVerifierOptions, settings: VerifierSettings): JwksCacheOptions {
  const cache: JwksCacheOptions = { fetcher: options.fetcher, now: settings.now };
  if (options.emit !== undefined) cache.emit = options.emit;
  if (options.shareKeySets !== false && typeof options.store?.cacheGet === 'function')
    cache.store = options.store;
  if (options.jwksCacheBounds !== undefined) cache.bounds = options.jwksCacheBounds;
  if (options.kidRefetchCooldownMs !== undefined) cache.kidRefetchCooldownMs = options.kidRefetchCooldownMs;
  if (options.maxCachedKeySets !== undefined) cache.maxEntries = options.maxCachedKeySets;
  return cache;
}

/**
 * Creates a `private_key_jwt` verifier; create one per server and reuse it (it holds the
 * `jwks_uri` cache). For each assertion it checks, in order: the parameters (exactly one
 * `client_assertion` of type `jwt-bearer`, a `client_id` parameter naming the same client:
 * PKJ-01, PKJ-02, PKJ-16); the `alg` against an explicit asymmetric allowlist, narrowed to the
 * document's `token_endpoint_auth_signing_alg` (PKJ-10); the `typ` (PKJ-13); the claims `iss`,
 * `sub`, `aud`, `exp`, `nbf`, `iat`, `jti` (PKJ-03..09); the signature with the document's
 * inline `jwks` or its `jwks_uri` (PKJ-14); and finally records the `jti` for the client until
 * `exp` plus the clock skew, so a replay fails on every instance sharing the store (PKJ-09).
 *
 * Defaults: `audience` `'issuer-or-token-endpoint'`, `maxLifetimeMs` 300 000, `clockSkewMs`
 * 30 000, `jwksCacheBounds` 60 000 .. 3 600 000 ms, `kidRefetchCooldownMs` 30 000,
 * `shareKeySets` true, `maxCachedKeySets` 1000, `now` `Date.now`.
 *
 * @throws InvalidOptionError for invalid options.
 */
export function createClientAssertionVerifier(
  options: ClientAssertionVerifierOptions,
): ClientAssertionVerifier {
  const settings = resolveVerifierSettings(options);
  const cache = createJwksCache(cacheOptions(options, settings));
  const { store, now, clockSkewMs } = settings;

  return {
    async verify(client, params, options) {
      const assertion = assertionOf(client, params);
      const { header, payload } = decode(assertion);
      const alg = checkAssertionAlgorithm(header.alg, allowedAlgorithmsFor(client));
      checkAssertionType(header.typ);
      const claims = checkAssertionClaims(payload, {
        clientId: client.clientId,
        issuer: settings.issuer,
        ...(settings.tokenEndpoint === undefined ? {} : { tokenEndpoint: settings.tokenEndpoint }),
        audience: settings.audience,
        now: now(),
        clockSkewMs,
        maxLifetimeMs: settings.maxLifetimeMs,
      });
      const source = clientKeySource(client, cache);
      const key = await verifyAssertionSignature(assertion, header, alg, source);
      const ttlMs = Math.max(1, Math.ceil(claims.expiresAt + clockSkewMs - now()));
      const record = { clientId: client.clientId, jti: claims.jti, ttlMs };
      const pendingJti = options?.deferJtiRecord === true ? new PendingJti(record) : undefined;
      if (pendingJti === undefined) await recordAssertionJti(store, record);
      const verified: VerifiedClientAssertion = {
        clientId: client.clientId,
        jti: claims.jti,
        alg,
        keyThumbprint: key.thumbprint,
        expiresAt: claims.expiresAt,
        keySource: source.kind,
      };
      if (key.kid !== undefined) verified.kid = key.kid;
      if (pendingJti !== undefined) verified.pendingJti = pendingJti;
      return verified;
    },

    async isKeyStillPublished(client, keyThumbprint) {
      const keySet = await clientKeySource(client, cache).current();
      return (await thumbprintsOf(keySet)).has(keyThumbprint);
    },

    forgetKeySet(jwksUri) {
      cache.forget(jwksUri);
    },
  };
}
