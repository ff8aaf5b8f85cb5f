/**
 * Client ids this server generates for Dynamic Client Registration, which must never look like
 * a CIMD `client_id` (CIMD-AS-27).
 *
 * @module
 */

/** The prefix of every generated client id. */
export const GENERATED_CLIENT_ID_PREFIX = 'dcr_';

/**
 * A new client id for a dynamically registered client: `dcr_` followed by 22 base64url
 * characters (128 bits from the platform CSPRNG). It never starts with `https://` (or any URL
 * scheme), so a URL `client_id` always means CIMD (CIMD-AS-27).
 */
export function generateClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const random = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${GENERATED_CLIENT_ID_PREFIX}${random}`;
}

/** True when `clientId` is a URL `client_id` in the CIMD sense: it starts with `https://` (any case). */
export function isUrlClientId(clientId: string): boolean {
  return /^https:\/\//i.test(clientId);
}
