/**
 * Reading a request body with a size cap, enforced while streaming (a missing or false
 * `Content-Length` cannot get past it). A body is read once per request: every later reader of
 * the same `Request` (the rate limiter, then the endpoint) gets the same bytes, without a copy of
 * the stream. A Node adapter can hand over the body's bytes directly ({@link attachBodySource}),
 * so no web stream is built at all.
 *
 * @module
 */
import { joinChunks } from '../../net/bytes.js';
import { InvalidRequestError } from '../oauth-errors.js';
import { createRequestSlot } from './request-slot.js';

/**
 * The request body stopped before its end: the client closed the connection (or it broke)
 * mid-body. An `invalid_request` nobody will read, logged at debug level, never as a failure.
 */
export class RequestAbortedError extends InvalidRequestError {
  constructor(cause: unknown) {
    super('the request body was not received in full: the connection closed before its end', { cause });
  }
}

/** What a capped read ends with: the bytes, or the cap it went past. */
export type CappedBody = Uint8Array | { readonly overLimit: number };

/**
 * Reads a body up to `limit` bytes: resolves with the bytes, or with `{ overLimit }` as soon as
 * more arrive (the rest is discarded); rejects with a {@link RequestAbortedError} when the body
 * breaks off.
 */
export type BodySource = (limit: number) => Promise<CappedBody>;

const sources = createRequestSlot<Request, BodySource>('cimd.bodySource');
const reads = createRequestSlot<Request, Promise<CappedBody>>('cimd.bodyRead');

/**
 * Gives `request` a faster source of its body than `request.body` (a Node adapter reading the
 * socket). Only the first read goes to it; readers never see `request.body` consumed.
 */
export function attachBodySource(request: Request, source: BodySource): void {
  sources.set(request, source);
}

/**
 * Reads `request.body` (the stream) up to `limit` bytes; past that the stream is cancelled and
 * `{ overLimit }` returned. Rejects with a {@link RequestAbortedError} when the body breaks off.
 */
export async function readStreamCapped(request: Request, limit: number): Promise<CappedBody> {
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new RequestAbortedError(error);
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: nothing here depends on the cancellation having finished.
      reader.cancel().catch(() => undefined);
      return { overLimit: limit };
    }
    chunks.push(value);
  }
  return joinChunks(chunks, size);
}

/**
 * The bytes of `request`'s body, at most `limit` bytes; past that the read stops and `tooLarge()`
 * is thrown. A declared `Content-Length` over the limit is refused before reading. The first call
 * reads the body; later calls for the same request get the same outcome (a later, larger `limit`
 * cannot bring back what the first read discarded: it is refused with `tooLarge()` as well).
 * A body that breaks off (the client disconnected) throws a {@link RequestAbortedError}.
 */
export async function readBodyBytes(
  request: Request,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  if (Number(request.headers.get('content-length') ?? '0') > limit) throw tooLarge();
  let read = reads.get(request);
  if (read === undefined) {
    const source = sources.get(request);
    read = source === undefined ? readStreamCapped(request, limit) : source(limit);
    reads.set(request, read);
  }
  const body = await read;
  if (!(body instanceof Uint8Array) || body.byteLength > limit) throw tooLarge();
  return body;
}

/** Decodes strict UTF-8, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
