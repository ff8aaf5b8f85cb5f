/**
 * One request to a token endpoint by the grants without a browser (client credentials, RFC 8693
 * token exchange, the RFC 7523 JWT bearer grant): a form POST to an https endpoint (or http on
 * loopback, for local development), the JSON answer, and a `SignInError` that names the
 * endpoint and the server's OAuth error (never a token or an assertion).
 *
 * @module
 */
import { SignInError } from './errors.js';
import type { FetchLike } from './fetch-like.js';

const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for an `https` URL, or an `http` one on a loopback host. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTNAMES.has(url.hostname));
}

/** `error: error_description` of an OAuth error body, for messages. */
export function describeOAuthError(body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const { error, error_description: description } = body as Record<string, unknown>;
    if (typeof error === 'string') {
      return typeof description === 'string' ? `${error}: ${description}` : error;
    }
  }
  return 'no OAuth error in the response';
}

/**
 * POSTs `params` to `endpoint` with `headers` (plus the form content type and `Accept: JSON`)
 * and returns the JSON body of a 2xx answer. `what` names the request in errors.
 *
 * @throws SignInError `ERR_SIGNIN_SERVER_UNSUPPORTED` for an endpoint that is not https (or loopback http);
 *   `ERR_SIGNIN_FAILED` for an error answer (with the server's OAuth error) or a body that is not a JSON object.
 */
export async function postTokenRequest(input: {
  endpoint: string | URL;
  params: URLSearchParams;
  headers?: Headers;
  fetch?: FetchLike | undefined;
  what: string;
}): Promise<Record<string, unknown>> {
  const url = new URL(String(input.endpoint));
  if (!isSecureOrLoopback(url)) {
    throw new SignInError(
      'ERR_SIGNIN_SERVER_UNSUPPORTED',
      `the token endpoint ${url.origin === 'null' ? url.protocol : url.origin} of the ${input.what} is not https; nothing was sent.`,
    );
  }
  const headers = new Headers(input.headers);
  headers.set('content-type', 'application/x-www-form-urlencoded');
  headers.set('accept', 'application/json');
  const send = input.fetch ?? ((target, init) => globalThis.fetch(target, init));
  const response = await send(url.href, { method: 'POST', headers, body: input.params.toString() });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      `the ${input.what} at ${url.href} failed with ${response.status}: ${describeOAuthError(body)}`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      `the ${input.what} at ${url.href} answered without a JSON object`,
    );
  }
  return body as Record<string, unknown>;
}
