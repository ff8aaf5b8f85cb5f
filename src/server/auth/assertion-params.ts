/**
 * Reading the client-authentication parameters of a token request (RFC 7521 §4.2, RFC 7523
 * §2.2): `client_assertion_type`, `client_assertion` and `client_id`, each at most once.
 *
 * @module
 */
import { InvalidRequestError } from '../oauth-errors.js';
import { decodeAssertion } from './assertion-decode.js';

/** The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * The form parameters of a token request: a `URLSearchParams` (repeated names kept), or a plain
 * object whose values are a string or, for a repeated name, an array of strings (the shape most
 * body parsers produce). `undefined` values are treated as absent.
 */
export type TokenRequestParams =
  | URLSearchParams
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The client-authentication parameters of a token request, each present at most once. */
export interface ClientAssertionParams {
  /** `client_assertion_type`, when sent. */
  clientAssertionType?: string;
  /** `client_assertion`, when sent. */
  clientAssertion?: string;
  /** `client_id`, when sent. */
  clientId?: string;
}

/** All values sent for `name` (empty values dropped: RFC 6749 §3.2 treats them as omitted). */
function valuesOf(params: TokenRequestParams, name: string): string[] {
  let values: unknown[];
  if (params instanceof URLSearchParams) {
    values = params.getAll(name);
  } else {
    const value: unknown = Object.hasOwn(params, name) ? params[name] : undefined;
    values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  }
  if (values.some((value) => typeof value !== 'string')) {
    throw new InvalidRequestError(`the ${name} parameter must be a string`);
  }
  return (values as string[]).filter((value) => value !== '');
}

function single(params: TokenRequestParams, name: string): string | undefined {
  const values = valuesOf(params, name);
  if (values.length > 1) {
    throw new InvalidRequestError(`the ${name} parameter is repeated; send it exactly once`);
  }
  return values[0];
}

/**
 * Reads `client_assertion_type`, `client_assertion` and `client_id` from a token request's form
 * parameters. Empty values count as omitted (RFC 6749 §3.2).
 *
 * @throws InvalidRequestError (`invalid_request`, 400) when one of them is sent more than once
 *   (PKJ-01: a request carries exactly one assertion) or is not a string.
 */
export function readClientAssertionParams(params: TokenRequestParams): ClientAssertionParams {
  if (typeof params !== 'object' || params === null) {
    throw new InvalidRequestError('the token request has no form parameters');
  }
  const result: ClientAssertionParams = {};
  const type = single(params, 'client_assertion_type');
  const assertion = single(params, 'client_assertion');
  const clientId = single(params, 'client_id');
  if (type !== undefined) result.clientAssertionType = type;
  if (assertion !== undefined) result.clientAssertion = assertion;
  if (clientId !== undefined) result.clientId = clientId;
  return result;
}

/**
 * The client a token request claims to be, for looking it up before authenticating it: the
 * `client_id` parameter when sent, otherwise the `iss` of the (NOT yet verified) client
 * assertion. `undefined` when neither names one. Only a hint: the client is authenticated by
 * {@link ClientAssertionVerifier.verify}, which checks both against the resolved client.
 *
 * @throws InvalidRequestError when a parameter is repeated (see {@link readClientAssertionParams}).
 */
export function claimedClientId(params: TokenRequestParams): string | undefined {
  const read = readClientAssertionParams(params);
  if (read.clientId !== undefined) return read.clientId;
  if (read.clientAssertion === undefined) return undefined;
  try {
    const { iss } = decodeAssertion(read.clientAssertion).payload;
    return typeof iss === 'string' && iss !== '' ? iss : undefined;
  } catch {
    return undefined;
  }
}
