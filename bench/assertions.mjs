// Client assertions (`private_key_jwt`, RFC 7523) for the bench: one shape for every server and
// every scenario, so ours and the peer verify the same tokens.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

/** Signs one ES256 client assertion (unique `jti`, 240 s lifetime) with `key` (a CryptoKey), `kid` in the header. */
export function signClientAssertion(key, kid, clientId, audience) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'client-authentication+jwt' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('240s')
    .sign(key);
}
