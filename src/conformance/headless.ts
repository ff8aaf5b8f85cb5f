/**
 * A headless "browser" for sign-ins against servers that approve at once (the MCP conformance
 * suite's fake authorization server answers `/authorize` with a 302 to the redirect URI): GET the
 * authorization URL without following redirects, read the `Location`, and GET it, which lands on
 * the provider's own loopback listener. The listener then judges the callback exactly as it
 * would a real browser's (state, iss, error).
 *
 * @module
 */
import type { AuthorizationUrlHandler } from '../client/browser.js';

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * An `onAuthorizationUrl` handler that completes the authorization request without a browser.
 * Only a redirect to an http loopback URL (the provider's callback) is followed.
 *
 * @throws Error when the authorization endpoint does not redirect, or redirects elsewhere.
 */
export function createHeadlessAuthorizer(fetchImpl: typeof fetch = fetch): AuthorizationUrlHandler {
  return async (authorizationUrl) => {
    const response = await fetchImpl(authorizationUrl, { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || location === null) {
      throw new Error(`the authorization endpoint answered ${response.status} instead of redirecting back`);
    }
    const callback = new URL(location, authorizationUrl);
    if (callback.protocol !== 'http:' || !LOOPBACK_HOSTNAMES.has(callback.hostname)) {
      throw new Error(
        `the authorization endpoint redirected to ${callback.origin}, not to the loopback callback`,
      );
    }
    const delivered = await fetchImpl(callback, { redirect: 'manual' });
    await delivered.body?.cancel();
  };
}
