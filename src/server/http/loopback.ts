/**
 * Loopback host names: `localhost` (and `*.localhost`), `127.0.0.0/8` and `::1`.
 *
 * @module
 */

/** True for `localhost`, `*.localhost`, an address in 127.0.0.0/8, and `::1` (brackets allowed). */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127(?:\.\d{1,3}){3}$/.test(host);
}
