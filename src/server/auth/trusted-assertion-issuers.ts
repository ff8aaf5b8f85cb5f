/**
 * The enterprise identity providers whose identity assertions (ID-JAGs, the Identity Assertion
 * JWT Authorization Grant of draft-ietf-oauth-identity-assertion-authz-grant, MCP's
 * enterprise-managed authorization, SEP-990) this server trusts: an issuer and its public keys,
 * inline (`jwks`) or at a `jwks_uri` the operator configured (fetched with jose's remote key set,
 * cached and refetched on an unknown `kid`).
 *
 * @module
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { InvalidOptionError } from '../../errors.js';
import { isLoopbackHostname } from '../http/loopback.js';

/** One trusted enterprise identity provider. Give exactly one of `jwks` and `jwksUri`. */
export interface TrustedAssertionIssuer {
  /** Its issuer identifier: the ID-JAG's `iss`, compared as a plain string. */
  issuer: string;
  /** Its public keys. */
  jwks?: JSONWebKeySet;
  /** Where its public keys are served (`https`, or `http` on a loopback host). */
  jwksUri?: string;
}

/** The compiled set: the key resolver of each trusted issuer. */
export type TrustedAssertionIssuers = ReadonlyMap<string, JWTVerifyGetKey>;

function checkUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(`${name} must be an absolute URL; got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
    throw new InvalidOptionError(`${name} must be https (or http on a loopback host); got ${value}`);
  }
  return url;
}

/**
 * Checks `list` and builds each issuer's key resolver; `undefined` (the grant is off) for none.
 *
 * @throws InvalidOptionError for an issuer that is not an https URL (or loopback http), a
 *   duplicate issuer, or an entry without exactly one of `jwks` and `jwksUri`.
 */
export function compileTrustedAssertionIssuers(
  list: readonly TrustedAssertionIssuer[] | undefined,
): TrustedAssertionIssuers | undefined {
  if (list === undefined || list.length === 0) return undefined;
  const issuers = new Map<string, JWTVerifyGetKey>();
  for (const [index, entry] of list.entries()) {
    const name = `trustedAssertionIssuers[${index}]`;
    if (typeof entry?.issuer !== 'string') throw new InvalidOptionError(`${name}.issuer must be a string`);
    checkUrl(entry.issuer, `${name}.issuer`);
    if (issuers.has(entry.issuer)) {
      throw new InvalidOptionError(`${name}.issuer ${entry.issuer} is listed twice`);
    }
    if ((entry.jwks === undefined) === (entry.jwksUri === undefined)) {
      throw new InvalidOptionError(`${name} needs exactly one of jwks and jwksUri`);
    }
    if (entry.jwks !== undefined && !Array.isArray(entry.jwks.keys)) {
      throw new InvalidOptionError(`${name}.jwks must be a JWK Set ({ "keys": [...] })`);
    }
    issuers.set(
      entry.issuer,
      entry.jwks !== undefined
        ? createLocalJWKSet(entry.jwks)
        : createRemoteJWKSet(checkUrl(entry.jwksUri as string, `${name}.jwksUri`), {
            timeoutDuration: 5000,
            cooldownDuration: 30_000,
          }),
    );
  }
  return issuers;
}
