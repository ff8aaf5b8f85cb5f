/**
 * Byte helpers shared by the fetcher and the server's body readers (no `node:` imports).
 *
 * @module
 */

/** Concatenates `chunks` (whose lengths add up to `size`) into one array. */
export function joinChunks(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
