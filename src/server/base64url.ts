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

/** `bytes` in base64url without padding. */
export function encodeBase64url(bytes: Uint8Array): string {
  return NodeBuffer === undefined
    ? base64url.encode(bytes)
    : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
