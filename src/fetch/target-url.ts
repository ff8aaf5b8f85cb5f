/**
 * The URL rules checked before anything touches the network: https only, no userinfo, no fragment.
 *
 * @module
 */
import { FetchError } from './errors.js';

/** Longest URL echoed in an error message, in characters. */
const MAX_ECHOED_URL = 200;

/** `value` shortened for an error message. */
export function echo(value: string): string {
  return value.length > MAX_ECHOED_URL ? `${value.slice(0, MAX_ECHOED_URL)}…` : value;
}

function invalid(url: string, problem: string): FetchError {
  return new FetchError('ERR_FETCH_INVALID_URL', url, `${echo(url)} ${problem}`);
}

/**
 * Parses the URL to fetch and checks that it is an https URL without userinfo or fragment (any
 * port is allowed). Throws a {@link FetchError} with `ERR_FETCH_INVALID_URL` otherwise.
 */
export function parseTargetUrl(input: string): URL {
  if (typeof input !== 'string') {
    throw invalid(String(input), 'is not a URL string; pass the https URL to fetch');
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    throw new FetchError('ERR_FETCH_INVALID_URL', input, `${echo(input)} is not a valid absolute URL`, {
      cause: error,
    });
  }
  if (url.protocol !== 'https:') {
    throw invalid(
      input,
      `uses ${url.protocol.replace(/:$/, '')}; only https URLs are fetched: serve it over https`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    const redacted = new URL(url.href);
    redacted.username = '';
    redacted.password = '';
    throw invalid(
      redacted.href,
      'was given with a user name or password (not shown); remove the userinfo: credentials are never sent',
    );
  }
  if (input.includes('#')) {
    throw invalid(input, 'has a fragment (#...); remove it: fragments are not part of what is fetched');
  }
  return url;
}
