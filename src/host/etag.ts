/**
 * Entity tags for the served bodies and the `If-None-Match` check (RFC 9110 §8.8.3, §13.1.2).
 * Runtime-neutral: Web Crypto only.
 *
 * @module
 */

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A strong entity tag for `body`: the quoted base64url SHA-256 of its bytes (first 16 bytes). */
export async function entityTag(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body as Uint8Array<ArrayBuffer>));
  return `"${base64url(digest.subarray(0, 16))}"`;
}

/** The opaque part of an entity tag, without a `W/` prefix (weak comparison). */
function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * True when an `If-None-Match` header value matches `etag` under weak comparison: `*`, or a
 * list naming it (with or without `W/`). A matching GET or HEAD is answered `304 Not Modified`.
 */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const value = header.trim();
  if (value === '*') return true;
  const wanted = opaque(etag);
  const tags = value.match(/(?:W\/)?"[^"]*"/g) ?? [];
  return tags.some((tag) => opaque(tag) === wanted);
}
