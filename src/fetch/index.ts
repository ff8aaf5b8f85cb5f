/**
 * `mcp-cimd/fetch`: the SSRF-safe fetcher used for client metadata documents and key sets, and
 * the IP address policy behind it.
 *
 * @module
 */

export { classifyIp, isPublicUnicastIp, parseIpHost } from '../net/ip-policy.js';
export {
  createDnsResolver,
  type DnsLookupOptions,
  type DnsResolver,
  type DnsResolverOptions,
  defaultResolver,
  type ResolvedAddress,
} from './dns.js';
export { FetchError, type FetchErrorCode, type FetchErrorDetails } from './errors.js';
export { DEFAULT_TIMEOUT_MS, DOCUMENT_MAX_BYTES, IMAGE_MAX_BYTES, JWKS_MAX_BYTES } from './limits.js';
export { createSafeFetcher } from './safe-fetch.js';
export type { SafeFetcher, SafeFetchOptions, SafeFetchRequest, SafeFetchResponse } from './types.js';
