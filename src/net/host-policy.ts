/**
 * Which hosts are on the public internet, judged from the written host alone: IP literals in any
 * spelling, and names that can never be public (single labels, `localhost`, special-use suffixes).
 * Used by the `client_id` and `jwks_uri` lint rules and by the fetcher before any DNS lookup;
 * resolved addresses are checked by the fetcher with `ip-policy`. Pure JavaScript (no `node:`
 * imports), so the runtime-neutral package root can use it.
 *
 * @module
 */
import { parseIpHost } from './ip-policy.js';

/** Special-use suffixes, each with why it is not public. A name equal to one matches too. */
const NON_PUBLIC_SUFFIXES: ReadonlyArray<readonly [suffix: string, reason: string]> = [
  ['localhost', 'reserved for loopback by RFC 6761'],
  ['localdomain', 'a local-only domain'],
  ['local', 'reserved for multicast DNS on the local link by RFC 6762'],
  ['test', 'reserved for testing by RFC 6761'],
  ['invalid', 'reserved as never valid by RFC 6761'],
  ['example', 'reserved for documentation by RFC 6761'],
  ['internal', 'reserved for private use by ICANN'],
  ['home.arpa', 'reserved for home networks by RFC 8375'],
  ['onion', 'reserved for Tor onion services by RFC 7686'],
  ['alt', 'reserved for non-DNS names by RFC 9476'],
];

/**
 * Why `hostname` (a DNS name as in `URL.hostname`, not an IP literal) cannot be a public host, or
 * `undefined` when it may be one. Refused: single-label names (`intranet`), `localhost` and
 * `*.localhost`, and the special-use suffixes `.localdomain`, `.local`, `.test`, `.invalid`,
 * `.example`, `.internal`, `.home.arpa`, `.onion` and `.alt`. Case and one trailing dot are ignored.
 */
export function nonPublicHostNameReason(hostname: string): string | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === '') return 'an empty host name';
  if (!name.includes('.') && name !== 'localhost') return 'a single-label name';
  for (const [suffix, reason] of NON_PUBLIC_SUFFIXES) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return reason;
  }
  return undefined;
}

/** Why a host is not acceptable as a public host. */
export type HostProblem =
  | { kind: 'ip-literal'; host: string }
  | { kind: 'non-public-name'; host: string; reason: string };

/**
 * True when the WHATWG host parser would read `host` as an IP address: a valid IP literal in any
 * spelling, or a name whose last label is numeric (decimal, octal or 0x-hex), which the parser
 * treats as IPv4 and refuses when it is not a valid one.
 */
function looksLikeIpLiteral(host: string): boolean {
  if (parseIpHost(host) !== undefined) return true;
  const labels = host.replace(/\.$/, '').split('.');
  return /^(?:0x[0-9a-f]*|[0-9]+)$/i.test(labels[labels.length - 1] ?? '');
}

/**
 * Checks a host as written (`rawHost`, from the raw string) and as the WHATWG parser reads it
 * (`parsedHostname`, e.g. `new URL(raw).hostname`; undefined when it did not parse). Both are
 * looked at because the parser rewrites `2130706433`, `0x7f.1` or `0177.0.0.1` to `127.0.0.1`.
 * Returns undefined for a host that may be public.
 */
export function findHostProblem(
  rawHost: string,
  parsedHostname: string | undefined,
): HostProblem | undefined {
  for (const candidate of [parsedHostname, rawHost]) {
    if (candidate !== undefined && candidate !== '' && looksLikeIpLiteral(candidate)) {
      return { kind: 'ip-literal', host: candidate };
    }
  }
  const name = (parsedHostname ?? rawHost).toLowerCase().replace(/\.$/, '');
  if (name === '') return undefined;
  const reason = nonPublicHostNameReason(name);
  return reason === undefined ? undefined : { kind: 'non-public-name', host: name, reason };
}

/** A sentence explaining a {@link HostProblem}. */
export function describeHostProblem(problem: HostProblem): string {
  return problem.kind === 'ip-literal'
    ? `the host ${problem.host} is an IP address`
    : `the host ${problem.host} is not a public DNS name (${problem.reason})`;
}
