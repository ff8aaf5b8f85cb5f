/**
 * Name resolution for the fetcher: the resolver type and the default, `node:dns` based one.
 *
 * @module
 */
import { lookup } from 'node:dns/promises';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  /** The IP address as text, e.g. `'93.184.215.14'` or `'2606:2800:21f:cb07:6820:80da:af6b:8b2c'`. */
  address: string;
  /** The address family. */
  family: 4 | 6;
}

/**
 * Resolves a host name to every address it may connect to. The fetcher calls it before
 * connecting and again inside the connection's own lookup, and refuses the fetch when any
 * answer is not a public unicast address. Inject one in tests; the default is
 * {@link defaultResolver}.
 */
export type DnsResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The default resolver: `node:dns` `lookup` with `{ all: true, verbatim: true }` (the system resolver, hosts file included). */
export const defaultResolver: DnsResolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};
