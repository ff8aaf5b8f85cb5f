/**
 * Decoding a client assertion's header and claims (not verifying them). A token request decodes
 * its assertion twice back to back: once to learn which client it claims to be (to look that
 * client up), once to verify it. The last decoding is kept, so the second is free.
 *
 * @module
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';

/** An assertion's protected header and claims, as sent (unverified). Shared: never modify it. */
export interface DecodedAssertion {
  readonly header: Readonly<ProtectedHeaderParameters>;
  readonly payload: Readonly<JWTPayload>;
}

let last: { assertion: string; decoded: DecodedAssertion } | undefined;

/**
 * The header and claims of the compact JWS `assertion`.
 *
 * @throws jose's errors when it is not a compact JWS with a JSON object header and claims set.
 */
export function decodeAssertion(assertion: string): DecodedAssertion {
  if (last !== undefined && last.assertion === assertion) return last.decoded;
  const decoded: DecodedAssertion = {
    header: decodeProtectedHeader(assertion),
    payload: decodeJwt(assertion),
  };
  last = { assertion, decoded };
  return decoded;
}
