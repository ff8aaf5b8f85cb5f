/**
 * Default limits of the SSRF-safe fetcher.
 *
 * @module
 */

/** Size cap for a client metadata document, in bytes (5 KiB, CIMD §6.6). Inclusive: 5120 bytes pass. */
export const DOCUMENT_MAX_BYTES = 5120;

/** Size cap suggested for a JWKS fetched from `jwks_uri`, in bytes (64 KiB). Inclusive. */
export const JWKS_MAX_BYTES = 65_536;

/** Size cap of an image (a client's logo) fetched with `accept: 'image'`, in bytes (64 KiB). Inclusive. */
export const IMAGE_MAX_BYTES = 65_536;

/** Default deadline of one fetch, in milliseconds, spanning DNS, connect, TLS, headers and body. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** The largest deadline accepted, in milliseconds (the largest delay a timer supports). */
export const MAX_TIMEOUT_MS = 2_147_483_647;
