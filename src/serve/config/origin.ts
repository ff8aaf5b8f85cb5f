/**
 * The origin of a listening address, as it is written in an issuer or a resource URL.
 *
 * @module
 */

/** `host` as it is written in a URL (an IPv6 address in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The canonical `scheme://host[:port]` of an address (a default port is left out). */
export function originOf(host: string, port: number, tls: boolean): string {
  return new URL(`${tls ? 'https' : 'http'}://${urlHost(host)}:${port}`).origin;
}
