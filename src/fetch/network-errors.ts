/**
 * Turning DNS, TCP, TLS and HTTP-parsing failures into {@link FetchError}s with messages a user
 * can act on. Messages are built from the URL and error codes only: low-level messages can carry
 * resolved addresses (`connect ECONNREFUSED 10.0.0.7:443`), so they stay in `cause`.
 *
 * @module
 */
import { BlockedAddressError, errorCode, FetchError, ResolveError } from './errors.js';
import { blockedAddressFetchError } from './preflight.js';
import { ProxyTunnelError } from './proxy.js';
import { echo } from './target-url.js';

/** TLS verification codes meaning "no trusted CA vouches for this certificate". */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** Codes of a connection that timed out below the fetcher's own deadline. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** What went wrong, by error code, as the end of a sentence starting with the URL. */
function describeCode(code: string, url: URL): string {
  const host = url.host;
  if (UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return `presented a TLS certificate that is not trusted (${code}): serve a certificate from a public CA (or pass its CA in the ca option)`;
  }
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return `presented an expired TLS certificate (${code}): renew the certificate`;
    case 'CERT_NOT_YET_VALID':
      return `presented a TLS certificate that is not valid yet (${code}): check the certificate dates`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `presented a TLS certificate that does not cover ${url.hostname} (${code}): serve a certificate for this host`;
    case 'ECONNREFUSED':
      return `refused the connection (nothing listens on ${host}): check the host and port`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return `closed the connection before the response was complete (${code}): try again later`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return `could not be reached (${code}): check the host and your network`;
  }
  if (code.startsWith('HPE_')) return `sent a malformed HTTP response (${code}): fix the server`;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return `failed the TLS handshake (${code}): check that the server speaks https on this port`;
  }
  return `could not be fetched (${code}): check the URL and try again later`;
}

/** `error` and its chain of causes, outermost first. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * The {@link FetchError} for a failure of the network part of fetching `url`: an SSRF refusal from
 * the connection's lookup or socket check, DNS, TCP, TLS, or a malformed response.
 */
export function networkFetchError(error: unknown, url: URL): FetchError {
  const chain = causeChain(error);
  for (const link of chain) {
    if (link instanceof FetchError) return link;
    if (link instanceof BlockedAddressError) return blockedAddressFetchError(url, link);
    if (link instanceof ProxyTunnelError) {
      return new FetchError(
        'ERR_FETCH_NETWORK',
        url.href,
        `${echo(url.href)} could not be fetched: ${link.message}`,
        {
          cause: error,
        },
      );
    }
    if (link instanceof ResolveError) {
      return new FetchError(
        'ERR_FETCH_NETWORK',
        url.href,
        `${echo(url.href)} could not be fetched: ${link.message}; check the host name and your DNS`,
        { cause: error },
      );
    }
  }
  const code = chain.map(errorCode).find((value) => value !== undefined);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new FetchError(
      'ERR_FETCH_TIMEOUT',
      url.href,
      `${echo(url.href)} timed out (${code}): try again later`,
      {
        cause: error,
      },
    );
  }
  const problem = code === undefined ? 'could not be fetched: try again later' : describeCode(code, url);
  return new FetchError('ERR_FETCH_NETWORK', url.href, `${echo(url.href)} ${problem}`, { cause: error });
}
