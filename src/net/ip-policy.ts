/**
 * Which IP addresses are on the public internet. Pure JavaScript plus `ipaddr.js` (no `node:`
 * imports), so the runtime-neutral root package can reuse it.
 *
 * The blocklist is the IANA special-purpose registries (RFC 6890 and successors) plus multicast,
 * matched after unwrapping IPv4-mapped IPv6. `ipaddr.js` classifies most of them; the explicit
 * table below pins every range this project promises to refuse (so an `ipaddr.js` update cannot
 * silently drop one) and gives some of them clearer names. On top of that, an IPv6 address outside
 * the global unicast block `2000::/3` is never public: this catches the deprecated IPv4-compatible
 * form `::a.b.c.d`, which `ipaddr.js` calls `unicast`.
 *
 * @module
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** The range name {@link classifyIp} gives a public unicast address. */
export const PUBLIC_UNICAST = 'unicast';

/** The range name {@link classifyIp} gives a string that is not an IP address. */
export const INVALID_IP = 'invalid';

/** Special-purpose ranges, most specific first; the first match names the address. */
const SPECIAL_PURPOSE_RANGES: ReadonlyArray<readonly [name: string, range: [Address, number]]> = [
  ['unspecified', ipaddr.parseCIDR('0.0.0.0/8')],
  ['private', ipaddr.parseCIDR('10.0.0.0/8')],
  ['carrierGradeNat', ipaddr.parseCIDR('100.64.0.0/10')],
  ['loopback', ipaddr.parseCIDR('127.0.0.0/8')],
  ['linkLocal', ipaddr.parseCIDR('169.254.0.0/16')],
  ['private', ipaddr.parseCIDR('172.16.0.0/12')],
  ['ietfProtocolAssignment', ipaddr.parseCIDR('192.0.0.0/24')],
  ['documentation', ipaddr.parseCIDR('192.0.2.0/24')],
  ['6to4Relay', ipaddr.parseCIDR('192.88.99.0/24')],
  ['private', ipaddr.parseCIDR('192.168.0.0/16')],
  ['benchmarking', ipaddr.parseCIDR('198.18.0.0/15')],
  ['documentation', ipaddr.parseCIDR('198.51.100.0/24')],
  ['documentation', ipaddr.parseCIDR('203.0.113.0/24')],
  ['multicast', ipaddr.parseCIDR('224.0.0.0/4')],
  ['broadcast', ipaddr.parseCIDR('255.255.255.255/32')],
  ['reserved', ipaddr.parseCIDR('240.0.0.0/4')],
  ['unspecified', ipaddr.parseCIDR('::/128')],
  ['loopback', ipaddr.parseCIDR('::1/128')],
  ['rfc6052', ipaddr.parseCIDR('64:ff9b::/96')],
  ['rfc6052', ipaddr.parseCIDR('64:ff9b:1::/48')],
  ['discard', ipaddr.parseCIDR('100::/64')],
  ['teredo', ipaddr.parseCIDR('2001::/32')],
  ['benchmarking', ipaddr.parseCIDR('2001:2::/48')],
  ['ietfProtocolAssignment', ipaddr.parseCIDR('2001::/23')],
  ['documentation', ipaddr.parseCIDR('2001:db8::/32')],
  ['6to4', ipaddr.parseCIDR('2002::/16')],
  ['documentation', ipaddr.parseCIDR('3fff::/20')],
  ['uniqueLocal', ipaddr.parseCIDR('fc00::/7')],
  ['linkLocal', ipaddr.parseCIDR('fe80::/10')],
  ['multicast', ipaddr.parseCIDR('ff00::/8')],
];

/** IPv6 global unicast (RFC 4291 §2.4): everything else is reserved or special. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

function parseAddress(ip: string): Address | undefined {
  try {
    return ipaddr.parse(ip);
  } catch {
    return undefined;
  }
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else the address itself. */
function unwrapMapped(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

function inRange(address: Address, [network, bits]: [Address, number]): boolean {
  return address.kind() === network.kind() && address.match(network, bits);
}

/**
 * Classifies an IP address: `'unicast'` for a public unicast address, otherwise the name of the
 * special-purpose range it falls in (`'loopback'`, `'private'`, `'linkLocal'`, `'carrierGradeNat'`,
 * `'uniqueLocal'`, `'multicast'`, `'broadcast'`, `'unspecified'`, `'reserved'`, `'documentation'`,
 * `'benchmarking'`, `'ietfProtocolAssignment'`, `'6to4Relay'`, `'rfc6052'` (NAT64), `'6to4'`,
 * `'teredo'`, `'discard'`, or another `ipaddr.js` range name such as `'as112'`), or `'invalid'`
 * when `ip` is not an IP address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is unwrapped first and
 * classified as the IPv4 address it carries.
 *
 * Accepts what `ipaddr.js` parses: dotted IPv4 (also the `inet_aton` forms `127.1`, `0x7f.1`,
 * `0177.0.0.1`, `2130706433`) and IPv6 without brackets, optionally with a zone (`fe80::1%eth0`).
 * For hosts as written in a URL, use {@link parseIpHost} first.
 */
export function classifyIp(ip: string): string {
  const parsed = parseAddress(ip);
  if (parsed === undefined) return INVALID_IP;
  const address = unwrapMapped(parsed);
  for (const [name, range] of SPECIAL_PURPOSE_RANGES) {
    if (inRange(address, range)) return name;
  }
  const range = address.range();
  if (range !== PUBLIC_UNICAST) return range;
  if (address.kind() === 'ipv6' && !inRange(address, IPV6_GLOBAL_UNICAST)) return 'reserved';
  return PUBLIC_UNICAST;
}

/** True when `ip` is an IP address on the public internet (see {@link classifyIp}). */
export function isPublicUnicastIp(ip: string): boolean {
  return classifyIp(ip) === PUBLIC_UNICAST;
}

/** Characters that end a host in a URL; a string holding one is not a bare host. */
const NOT_IN_A_HOST = /[/\\?#@\s]/;

/** The IPv4 address the WHATWG URL host parser reads `host` as, if any. */
function whatwgIpv4(host: string): string | undefined {
  if (NOT_IN_A_HOST.test(host) || host.includes(':')) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`https://${host}/`).hostname;
  } catch {
    return undefined;
  }
  return ipaddr.IPv4.isValidFourPartDecimal(hostname) ? hostname : undefined;
}

/** The IPv4 address `inet_aton` (and `ipaddr.js`) read `host` as, if any. */
function inetAtonIpv4(host: string): string | undefined {
  return ipaddr.IPv4.isValid(host) ? ipaddr.IPv4.parse(host).toString() : undefined;
}

function canonicalIpv6(host: string): string | undefined {
  return ipaddr.IPv6.isValid(host) ? ipaddr.IPv6.parse(host).toString() : undefined;
}

/**
 * The canonical IP address a URL host names, or `undefined` when `host` is a name (or garbage).
 *
 * `host` is the host as written in a URL, without port: IPv6 in brackets (`[::ffff:7f00:1]`,
 * unbracketed IPv6 is accepted too) or IPv4 in any spelling the WHATWG URL parser or `inet_aton`
 * accept: decimal `2130706433`, hex `0x7f000001`, mixed `0x7f.1`, octal `0177.0.0.1`, short `127.1`,
 * a trailing dot, percent-encoded or full-width digits. The result is dotted decimal for IPv4 and
 * RFC 5952 text without brackets for IPv6 (`'::ffff:7f00:1'`), ready for {@link classifyIp}.
 */
export function parseIpHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    return host.endsWith(']') ? canonicalIpv6(host.slice(1, -1)) : undefined;
  }
  if (host.includes(':')) return canonicalIpv6(host);
  return inetAtonIpv4(host) ?? whatwgIpv4(host);
}
