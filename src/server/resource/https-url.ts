/**
 * The URL rule shared by resource identifiers, authorization server identifiers and the
 * authorization server's JWKS URL: `https`, or plain `http` on a loopback host for local
 * development; no fragment, no user info.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { isLoopbackHostname } from '../http/loopback.js';

/**
 * Parses `value` as an absolute `https` URL (or `http` on a loopback host) without fragment or
 * user info.
 *
 * @throws InvalidOptionError naming `name` and the broken rule.
 */
export function parseHttpsUrl(value: string | URL, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(`${name} must be an absolute URL; got ${JSON.stringify(String(value))}`);
  }
  const loopbackHttp = url.protocol === 'http:' && isLoopbackHostname(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new InvalidOptionError(
      `${name} must use https (plain http only on a loopback host); got ${url.href}`,
    );
  }
  if (url.hash !== '' || String(value).includes('#')) {
    throw new InvalidOptionError(`${name} must not have a fragment; got ${String(value)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidOptionError(`${name} must not carry user info`);
  }
  return url;
}
