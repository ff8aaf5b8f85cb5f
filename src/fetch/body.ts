/**
 * Reading a response body under a size cap, and decoding it as JSON.
 *
 * @module
 */

import type { Readable } from 'node:stream';
import { joinChunks } from '../net/bytes.js';
import { FetchError } from './errors.js';
import { echo } from './target-url.js';

/**
 * Reads `body` to the end, failing with `ERR_FETCH_TOO_LARGE` (and destroying the stream, which
 * drops the connection) the moment more than `maxBytes` have arrived. Returns a fresh copy.
 */
export async function readCapped(body: Readable, maxBytes: number, url: URL): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      body.destroy();
      throw new FetchError(
        'ERR_FETCH_TOO_LARGE',
        url.href,
        `${echo(url.href)} sent more than ${maxBytes} bytes, over the ${maxBytes}-byte limit: keep it at most ${maxBytes} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return joinChunks(chunks, total);
}

/** `bytes` as UTF-8 text and parsed JSON; `ERR_FETCH_INVALID_JSON` when either fails. */
export function decodeJson(
  bytes: Uint8Array,
  url: URL,
  headers?: Readonly<Record<string, string>>,
): { text: string; json: unknown } {
  // Only on failure: what a diagnosis (cimd validate's hosting hints) needs.
  const diagnosis = () => ({
    ...(headers === undefined ? {} : { headers }),
    bodyStart: new TextDecoder('utf-8').decode(bytes.subarray(0, 64)),
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new FetchError(
      'ERR_FETCH_INVALID_JSON',
      url.href,
      `${echo(url.href)} is not valid UTF-8, so not JSON: serve the document as UTF-8 JSON`,
      { cause: error, ...diagnosis() },
    );
  }
  try {
    return { text, json: JSON.parse(text) };
  } catch (error) {
    throw new FetchError(
      'ERR_FETCH_INVALID_JSON',
      url.href,
      `${echo(url.href)} is not valid JSON (${bytes.byteLength} bytes): serve a JSON document`,
      { cause: error, ...diagnosis() },
    );
  }
}
