/**
 * The "is this host on the public internet by name?" heuristic shared by the `client_id` and
 * `jwks_uri` rules: IP literals in any spelling, and names that cannot be public (single
 * labels, `localhost`, and the special-use suffixes below). Resolved addresses are the
 * fetcher's business (`mcp-cimd/fetch`); this module looks at the written host only.
 *
 * @module
 */

import ipaddr from 'ipaddr.js';

/** Name suffixes that never denote a public host (RFC 2606, RFC 6761, RFC 6762, RFC 8375, ICANN). */
const NON_PUBLIC_SUFFIXES = [
  'localhost',
  'local',
  'test',
  'invalid',
  'example',
  'internal',
  'home.arpa',
] as const;

/** Why a host is not acceptable as a public host, or undefined when it is. */
export type HostProblem = { kind: 'ip-literal'; host: string } | { kind: 'non-public-name'; host: string };

function isIpLiteral(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (ipaddr.isValid(bare)) return true;
  // The WHATWG host parser reads a name whose last label is numeric (decimal, octal or
  // 0x-hex) as an IPv4 address, so `0x7f.1` and `127.1` are addresses too.
  const labels = bare.replace(/\.$/, '').split('.');
  const last = labels[labels.length - 1] ?? '';
  return /^(?:0x[0-9a-f]*|[0-9]+)$/i.test(last);
}

/**
 * Checks a host as written (`rawHost`, from the raw string) and as the WHATWG parser reads it
 * (`parsedHostname`, e.g. `new URL(raw).hostname`; undefined when it did not parse). Both are
 * looked at because the parser rewrites `2130706433`, `0x7f.1` or `0177.0.0.1` to `127.0.0.1`.
 */
export function findHostProblem(
  rawHost: string,
  parsedHostname: string | undefined,
): HostProblem | undefined {
  for (const candidate of [parsedHostname, rawHost]) {
    if (candidate !== undefined && candidate !== '' && isIpLiteral(candidate)) {
      return { kind: 'ip-literal', host: candidate };
    }
  }
  const name = (parsedHostname ?? rawHost).toLowerCase().replace(/\.$/, '');
  if (name === '') return undefined;
  if (!name.includes('.')) return { kind: 'non-public-name', host: name };
  for (const suffix of NON_PUBLIC_SUFFIXES) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return { kind: 'non-public-name', host: name };
  }
  return undefined;
}

/** A sentence explaining a {@link HostProblem}. */
export function describeHostProblem(problem: HostProblem): string {
  return problem.kind === 'ip-literal'
    ? `the host ${problem.host} is an IP address`
    : `the host ${problem.host} is not a public DNS name (single label or a reserved suffix such as .local, .test, .example, .internal, .localhost, .home.arpa)`;
}
