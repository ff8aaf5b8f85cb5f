/**
 * Client authentication at the token endpoint (code exchange and refresh): `private_key_jwt`
 * with a signed assertion (RFC 7523 §2.2; `aud` = the authorization server's issuer), `none`
 * (`client_id` only), and, for clients that were issued a secret by pre-registration or Dynamic
 * Client Registration, `client_secret_basic` / `client_secret_post`. A CIMD client never has a
 * secret. The method is never silently downgraded.
 *
 * @module
 */
import { SignInError } from './errors.js';

/** The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Signs one client assertion for `clientId` (`iss` = `sub`) and `audience` (`aud`, the issuer):
 * typ `client-authentication+jwt`, a CSPRNG `jti`, `iat`, a short `exp`, the current key's `kid`.
 * `mcp-cimd/keys` makes one: `const s = await createAssertionSigner(keySet)`, then pass `s`.
 */
export type ClientAssertionSigner = (input: { clientId: string; audience: string }) => Promise<string>;

/** A signer object such as the one `createAssertionSigner` (mcp-cimd/keys) returns. */
export interface AssertionSignerObject {
  /** The JWS algorithm, checked against the document and the server when known. */
  readonly alg?: string;
  sign(input: { clientId: string; audience: string }): Promise<string>;
}

/** A signer function or object. */
export type AssertionSignerLike = ClientAssertionSigner | AssertionSignerObject;

/** The token-endpoint auth methods the provider can perform. */
export type TokenEndpointAuthMethod =
  | 'none'
  | 'private_key_jwt'
  | 'client_secret_basic'
  | 'client_secret_post';

/** The signer function of a signer function or object. */
export function toAssertionSigner(signer: AssertionSignerLike): ClientAssertionSigner {
  return typeof signer === 'function' ? signer : (input) => signer.sign(input);
}

/** The algorithm a signer object declares, if any. */
export function signerAlgorithm(signer: AssertionSignerLike | undefined): string | undefined {
  return signer !== undefined && typeof signer !== 'function' ? signer.alg : undefined;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'none',
  'private_key_jwt',
  'client_secret_basic',
  'client_secret_post',
]);

/**
 * The method for a client that was not identified by its document (DCR or pre-registered),
 * chosen like the SDK does: the registered method when the server supports it, else Basic, Post
 * or none by what the server lists (RFC 8414 §2: an absent list means `client_secret_basic`).
 */
export function selectRegisteredClientMethod(input: {
  declared?: string | undefined;
  hasSecret: boolean;
  supported?: readonly string[] | undefined;
}): TokenEndpointAuthMethod {
  const supported = input.supported ?? [];
  const declared = input.declared;
  if (
    declared !== undefined &&
    KNOWN_METHODS.has(declared) &&
    (supported.length === 0 || supported.includes(declared))
  ) {
    return declared as TokenEndpointAuthMethod;
  }
  if (supported.length === 0) return input.hasSecret ? 'client_secret_basic' : 'none';
  if (input.hasSecret && supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (input.hasSecret && supported.includes('client_secret_post')) return 'client_secret_post';
  if (supported.includes('none')) return 'none';
  return input.hasSecret ? 'client_secret_basic' : 'none';
}

/**
 * Checks that the authorization server accepts `private_key_jwt` (and the signing algorithm,
 * when both sides name one) before a sign-in starts.
 *
 * @throws SignInError `ERR_SIGNIN_AUTH_METHOD` with what to change.
 */
export function assertPrivateKeyJwtSupported(
  metadata:
    | {
        issuer?: string;
        token_endpoint_auth_methods_supported?: string[] | undefined;
        token_endpoint_auth_signing_alg_values_supported?: string[] | undefined;
      }
    | undefined,
  alg: string | undefined,
): void {
  const who = metadata?.issuer ?? 'the authorization server';
  const methods = metadata?.token_endpoint_auth_methods_supported;
  if (methods === undefined || !methods.includes('private_key_jwt')) {
    throw new SignInError(
      'ERR_SIGNIN_AUTH_METHOD',
      `the client's document says token_endpoint_auth_method "private_key_jwt", but ${who} does not list private_key_jwt in token_endpoint_auth_methods_supported (it lists ${methods === undefined ? 'nothing, which means client_secret_basic' : methods.join(', ') || 'nothing'}). The client will not fall back to a weaker method; use a server that supports private_key_jwt, or publish a document with "none".`,
    );
  }
  const algs = metadata?.token_endpoint_auth_signing_alg_values_supported;
  if (alg !== undefined && algs !== undefined && !algs.includes(alg)) {
    throw new SignInError(
      'ERR_SIGNIN_AUTH_METHOD',
      `the client signs its assertions with ${alg}, but ${who} accepts only ${algs.join(', ')} (token_endpoint_auth_signing_alg_values_supported). Use a key of a supported algorithm.`,
    );
  }
}

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 §2.3.1 for Basic credentials). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** What {@link applyClientAuthentication} needs. */
export interface ClientAuthenticationInput {
  method: TokenEndpointAuthMethod;
  clientId: string;
  clientSecret?: string | undefined;
  /** Needed for `private_key_jwt`. */
  signer?: ClientAssertionSigner | undefined;
  /** The authorization server's issuer: the assertion's `aud` (a single string). */
  audience?: string | undefined;
}

/**
 * Adds the client's credentials to a token request: the headers and form parameters are
 * changed in place.
 *
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` when the method needs something that is missing.
 */
export async function applyClientAuthentication(
  input: ClientAuthenticationInput,
  headers: Headers,
  params: URLSearchParams,
): Promise<void> {
  switch (input.method) {
    case 'private_key_jwt': {
      if (input.signer === undefined) {
        throw new SignInError(
          'ERR_SIGNIN_CLIENT_CONFIG',
          'private_key_jwt needs a signing key; pass a signer (cimd connect --key <key set file>).',
        );
      }
      if (input.audience === undefined || input.audience === '') {
        throw new SignInError(
          'ERR_SIGNIN_AUTH_METHOD',
          'private_key_jwt needs the authorization server’s issuer for the assertion audience, and its metadata has none.',
        );
      }
      const assertion = await input.signer({ clientId: input.clientId, audience: input.audience });
      params.set('client_id', input.clientId);
      params.set('client_assertion_type', JWT_BEARER_ASSERTION_TYPE);
      params.set('client_assertion', assertion);
      return;
    }
    case 'client_secret_basic':
    case 'client_secret_post': {
      if (input.clientSecret === undefined) {
        throw new SignInError(
          'ERR_SIGNIN_CLIENT_CONFIG',
          `${input.method} needs a client secret, and none is configured.`,
        );
      }
      if (input.method === 'client_secret_basic') {
        const credentials = `${formEncode(input.clientId)}:${formEncode(input.clientSecret)}`;
        headers.set('Authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
      } else {
        params.set('client_id', input.clientId);
        params.set('client_secret', input.clientSecret);
      }
      return;
    }
    case 'none':
      params.set('client_id', input.clientId);
      return;
  }
}
