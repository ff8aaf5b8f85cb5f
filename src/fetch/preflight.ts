/**
 * The SSRF check made before any connection: the host as written, then what it resolves to.
 *
 * @module
 */

import { nonPublicHostNameReason } from '../net/host-policy.js';
import { classifyIp, PUBLIC_UNICAST, parseIpHost } from '../net/ip-policy.js';
import type { DnsResolver } from './dns.js';
import { BlockedAddressError, FetchError } from './errors.js';
import { resolveVetted } from './resolve.js';
import { echo } from './target-url.js';

/** What to do about an SSRF refusal, appended to every such message. */
export const SSRF_ADVICE =
  'only hosts on the public internet are fetched: publish it on a public host (allowPrivateNetwork lifts this for local development only)';

/** The {@link FetchError} for an address refused by the lookup or the socket check. */
export function blockedAddressFetchError(url: URL, error: BlockedAddressError): FetchError {
  return new FetchError(
    'ERR_SSRF_BLOCKED',
    url.href,
    `${echo(url.href)} was refused: ${error.message}; ${SSRF_ADVICE}`,
    { cause: error },
  );
}

/** Resolves `promise`, or rejects with `signal.reason` as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // Subscribed on every path, so a late rejection of `promise` is never unhandled.
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Refuses `url` unless its host is on the public internet: an IP literal must be public unicast;
 * a name must not be a special-use name (`localhost`, `.internal`, ...) and every address it
 * resolves to must be public unicast. Skipped entirely with `allowPrivateNetwork`. Throws a
 * {@link FetchError} (`ERR_SSRF_BLOCKED`), or rejects with the resolver's failure (a
 * `ResolveError`) or `signal.reason`.
 */
export async function assertPublicTarget(
  url: URL,
  options: { allowPrivateNetwork: boolean; resolver: DnsResolver },
  signal: AbortSignal,
): Promise<void> {
  if (options.allowPrivateNetwork) return;
  const ip = parseIpHost(url.hostname);
  if (ip !== undefined) {
    const range = classifyIp(ip);
    if (range === PUBLIC_UNICAST) return;
    throw new FetchError(
      'ERR_SSRF_BLOCKED',
      url.href,
      `${echo(url.href)} names ${ip}, a non-public address (${range}); ${SSRF_ADVICE}`,
    );
  }
  const reason = nonPublicHostNameReason(url.hostname);
  if (reason !== undefined) {
    throw new FetchError(
      'ERR_SSRF_BLOCKED',
      url.href,
      `${echo(url.href)} was refused: ${url.hostname} is not a public host name (${reason}); ${SSRF_ADVICE}`,
    );
  }
  try {
    await untilAborted(resolveVetted(url.hostname, options.resolver, false, signal), signal);
  } catch (error) {
    if (error instanceof BlockedAddressError) throw blockedAddressFetchError(url, error);
    throw error;
  }
}
