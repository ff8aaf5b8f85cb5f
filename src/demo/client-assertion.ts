/**
 * The demo agent's `private_key_jwt` client assertion (RFC 7523 §2.2): `iss` and `sub` are the
 * `client_id`, `aud` the issuer, a random `jti`, a one-minute lifetime, `typ`
 * `client-authentication+jwt`, signed with the key published at its `jwks_uri`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { DemoClient } from './documents.js';

/** The `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Lifetime of an assertion, in seconds. */
const ASSERTION_LIFETIME_SECONDS = 60;

/** Signs a client assertion for `client` (which must have a signing key) to `issuer`. */
export async function signClientAssertion(client: DemoClient, issuer: string): Promise<string> {
  const signingKey = client.signingKey;
  if (signingKey === undefined) throw new Error(`the demo client ${client.name} has no signing key`);
  return new SignJWT({})
    .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: 'client-authentication+jwt' })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(issuer)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime(`${ASSERTION_LIFETIME_SECONDS}s`)
    .sign(signingKey.key);
}
