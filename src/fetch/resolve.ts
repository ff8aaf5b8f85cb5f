/**
 * Resolving a host and vetting every address it resolves to; shared by the pre-flight check and
 * the connection's own lookup.
 *
 * @module
 */

import { classifyIp, PUBLIC_UNICAST } from '../net/ip-policy.js';
import type { DnsResolver, ResolvedAddress } from './dns.js';
import { BlockedAddressError, ResolveError } from './errors.js';

/**
 * Resolves `hostname` with `resolver` (passing `signal`, the fetch's deadline, when given).
 * Rejects with a {@link ResolveError} when the resolver fails or finds nothing, and, unless
 * `allowPrivateNetwork`, with a {@link BlockedAddressError} when ANY address is not public unicast
 * (one bad address is enough: the connection may use any of them).
 */
export async function resolveVetted(
  hostname: string,
  resolver: DnsResolver,
  allowPrivateNetwork: boolean,
  signal?: AbortSignal,
): Promise<ResolvedAddress[]> {
  let addresses: ResolvedAddress[];
  try {
    addresses = await (signal === undefined ? resolver(hostname) : resolver(hostname, { signal }));
  } catch (error) {
    throw new ResolveError(hostname, error);
  }
  if (!Array.isArray(addresses) || addresses.length === 0) throw new ResolveError(hostname);
  if (!allowPrivateNetwork) {
    for (const { address } of addresses) {
      const range = classifyIp(address);
      if (range !== PUBLIC_UNICAST) throw new BlockedAddressError(hostname, range, 'lookup');
    }
  }
  return addresses;
}
