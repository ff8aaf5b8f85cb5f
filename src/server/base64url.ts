/**
 * base64url encoding for the authorization server's hot paths: Node's native `Buffer` codec
 * where the runtime has one, else jose's (which goes through `btoa`, about 2 µs for 32 bytes).
 * Not for modules the runtime-neutral `mcp-cimd/resource` entry reaches.
 *
 * @module
 */
import { base64url } from 'jose';

/** Node's `Buffer`, where the runtime has one (found on `globalThis`, never imported). */
export const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/** `input` (bytes, or a string as its UTF-8 bytes) in base64url without padding. */
export function encodeBase64url(input: Uint8Array | string): string {
  if (NodeBuffer === undefined) return base64url.encode(input);
  const bytes =
    typeof input === 'string'
      ? NodeBuffer.from(input, 'utf8')
      : NodeBuffer.from(input.buffer, input.byteOffset, input.byteLength);
  return bytes.toString('base64url');
}

/** The bytes of base64url `input`. */
export function decodeBase64url(input: string): Uint8Array {
  return NodeBuffer === undefined ? base64url.decode(input) : NodeBuffer.from(input, 'base64url');
}
