/**
 * The keys requests are counted under: the client's IP (an IPv6 client by its /64, the block one
 * subscriber usually holds, so rotating addresses within it gains nothing) and the `client_id`
 * the request names (hashed when long, so no key exceeds {@link MAX_RATE_LIMIT_KEY_LENGTH}).
 *
 * @module
 */
import ipaddr from 'ipaddr.js';
import { sha256Base64url } from '../crypto.js';

/** The longest key sent to a counter, in characters. */
export const MAX_RATE_LIMIT_KEY_LENGTH = 160;

/** A `client_id` longer than this is counted by its SHA-256. */
const MAX_CLEAR_CLIENT_ID = 128;

/** The key of a client address: `ip:<IPv4>` or `ip:<first 64 bits of IPv6>::/64`. */
export function ipRateLimitKey(address: string): string {
  const plain = address.split('%')[0] ?? address; // an IPv6 zone id is not part of the address
  if (!ipaddr.isValid(plain)) return `ip:?${plain.slice(0, 64)}`;
  const parsed = ipaddr.parse(plain);
  if (parsed.kind() === 'ipv4') return `ip:${parsed.toString()}`;
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return `ip:${v6.toIPv4Address().toString()}`;
  const prefix = v6.parts.slice(0, 4).map((part) => part.toString(16));
  return `ip:${prefix.join(':')}::/64`;
}

/** The key of a `client_id`: `client:<client_id>`, or `client:#<SHA-256>` when it is long. */
export async function clientRateLimitKey(clientId: string): Promise<string> {
  if (clientId.length <= MAX_CLEAR_CLIENT_ID) return `client:${clientId}`;
  return `client:#${await sha256Base64url(clientId)}`;
}
