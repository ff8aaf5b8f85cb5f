/**
 * Security headers of every HTML page the server renders (consent, errors): a strict CSP with no
 * scripts at all and styles only by nonce, no framing, no referrer, no sniffing, no caching.
 *
 * The CSP deliberately has no `form-action`: browsers apply it to the redirect that follows a
 * form post, which would block the redirect back to the client after consent.
 *
 * @module
 */
import { randomToken } from '../random-token.js';

/** A fresh nonce for one page's `<style>` element. */
export function newStyleNonce(): string {
  return randomToken(16);
}

/** The headers for an HTML page whose only inline style carries `styleNonce`. */
export function htmlPageHeaders(styleNonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `style-src 'nonce-${styleNonce}'`,
      "img-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'cross-origin-opener-policy': 'same-origin',
  };
}
