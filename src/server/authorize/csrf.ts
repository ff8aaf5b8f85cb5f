/**
 * CSRF protection of the consent form: a random token stored in the interaction AND set in a
 * cookie bound to that interaction (its name carries the interaction id), both compared in
 * constant time, plus a same-origin check on `Origin` / `Sec-Fetch-Site`.
 *
 * The cookie is `__Host-` prefixed (Secure, Path=/, no Domain) when the issuer is https, and
 * plainly named on an http loopback issuer, where Secure cookies are not kept; HttpOnly,
 * SameSite=Lax always.
 *
 * @module
 */
import { parse, serialize } from 'hono/utils/cookie';
import { timingSafeEqualStrings } from '../crypto.js';

function isHttps(issuer: string): boolean {
  return issuer.startsWith('https:');
}

/** The name of the CSRF cookie of interaction `interactionId` on a server with `issuer`. */
export function consentCookieName(issuer: string, interactionId: string): string {
  return `${isHttps(issuer) ? '__Host-' : ''}cimd_consent_${interactionId}`;
}

/** The `Set-Cookie` value carrying `token` for interaction `interactionId`, for `maxAgeSeconds`. */
export function consentCookie(
  issuer: string,
  interactionId: string,
  token: string,
  maxAgeSeconds: number,
): string {
  return serialize(consentCookieName(issuer, interactionId), token, {
    path: '/',
    httpOnly: true,
    secure: isHttps(issuer),
    sameSite: 'Lax',
    maxAge: maxAgeSeconds,
  });
}

/** The `Set-Cookie` value that removes the CSRF cookie of interaction `interactionId`. */
export function clearConsentCookie(issuer: string, interactionId: string): string {
  return consentCookie(issuer, interactionId, '', 0);
}

/** The CSRF cookie of interaction `interactionId` sent with `request`, if any. */
export function readConsentCookie(
  request: Request,
  issuer: string,
  interactionId: string,
): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null) return undefined;
  const name = consentCookieName(issuer, interactionId);
  return parse(header, name)[name];
}

/** True when the token posted with the form and the one in the cookie both equal the interaction's. */
export function csrfTokensMatch(
  expected: string,
  posted: string | undefined,
  cookie: string | undefined,
): boolean {
  if (posted === undefined || cookie === undefined || expected === '') return false;
  // Evaluate both comparisons: no early exit.
  const postedOk = timingSafeEqualStrings(expected, posted);
  const cookieOk = timingSafeEqualStrings(expected, cookie);
  return postedOk && cookieOk;
}

/**
 * True when the request comes from a page of this server: an `Origin` header must be the
 * issuer's origin. Without one (or with `null`, which browsers send for a form posted from a page
 * with `Referrer-Policy: no-referrer`, like ours), `Sec-Fetch-Site` must be `same-origin` or
 * `none`, or absent (an older browser, still covered by the token and the SameSite cookie).
 */
export function isSameOriginRequest(request: Request, issuer: string): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== 'null') return origin === new URL(issuer).origin;
  const site = request.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
}
