/**
 * The JSON media-type rule: `application/json` or `application/<name>+json` (CIMD §4.1), with
 * any parameters, case-insensitive. Pure JavaScript.
 *
 * @module
 */

/** `application/json` or a structured-syntax `+json` subtype (RFC 6839), with RFC 9110 token characters. */
const JSON_MEDIA_TYPE = /^application\/(?:[!#$%&'*+.^_`|~0-9a-z-]+\+)?json$/;

/** The media type of a `Content-Type` value: lower-cased, without parameters or surrounding space. */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/**
 * True when `contentType` (a `Content-Type` header value) is `application/json` or
 * `application/<name>+json`, e.g. `application/json; charset=utf-8` or `application/cimd+json`.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_MEDIA_TYPE.test(mediaTypeOf(contentType));
}

/** The raster image types a logo may have. Never `image/svg+xml`: SVG is a document that can carry script. */
export const IMAGE_MEDIA_TYPES: readonly string[] = Object.freeze([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

/** True when `contentType` is one of {@link IMAGE_MEDIA_TYPES} (parameters and case ignored). */
export function isImageContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && IMAGE_MEDIA_TYPES.includes(mediaTypeOf(contentType));
}
