/**
 * Reading the JSON body of a registration request (RFC 7591 §3.1): `application/json`, at most
 * {@link MAX_REGISTRATION_BYTES}, valid UTF-8 and valid JSON.
 *
 * @module
 */
import { decodeUtf8, readBodyBytes } from '../http/body.js';
import { InvalidClientMetadataWireError, InvalidRequestError, OAuthError } from '../oauth-errors.js';

/** The largest registration request read, in bytes (16 KiB: room for inline keys and many redirect URIs). */
export const MAX_REGISTRATION_BYTES = 16_384;

function tooLarge(limit: number): OAuthError {
  return new OAuthError('invalid_request', `the registration request is larger than ${limit} bytes`, 413);
}

/**
 * The parsed JSON body of `request`.
 *
 * @throws InvalidRequestError (400) for another content type; an `invalid_request` OAuthError
 *   with status 413 for a body over `limit` bytes (declared or read); InvalidClientMetadataWireError
 *   (400) for a body that is not UTF-8 JSON.
 */
export async function readJsonBody(request: Request, limit = MAX_REGISTRATION_BYTES): Promise<unknown> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new InvalidRequestError('send the client metadata as an application/json body (RFC 7591 §3.1)');
  }
  const text = decodeUtf8(await readBodyBytes(request, limit, () => tooLarge(limit)));
  if (text === undefined)
    throw new InvalidClientMetadataWireError('the registration request is not valid UTF-8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidClientMetadataWireError('the registration request is not valid JSON');
  }
}
