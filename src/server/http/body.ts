/**
 * Reading a request body with a size cap, enforced while streaming (a missing or false
 * `Content-Length` cannot get past it).
 *
 * @module
 */
import { joinChunks } from '../../net/bytes.js';
import { InvalidRequestError } from '../oauth-errors.js';

/**
 * The request body stopped before its end: the client closed the connection (or it broke)
 * mid-body. An `invalid_request` nobody will read, logged at debug level, never as a failure.
 */
export class RequestAbortedError extends InvalidRequestError {
  constructor(cause: unknown) {
    super('the request body was not received in full: the connection closed before its end', { cause });
  }
}

/**
 * The bytes of `request`'s body, at most `limit` bytes; past that the stream is cancelled and
 * `tooLarge()` is thrown. A declared `Content-Length` over the limit is refused before reading.
 * Works on a copy (`request.clone()`) as well: the rate limiter reads one.
 * A body that breaks off (the client disconnected) throws a {@link RequestAbortedError}.
 */
export async function readBodyBytes(
  request: Request,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  if (Number(request.headers.get('content-length') ?? '0') > limit) throw tooLarge();
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
      // Not awaited: cancelling one branch of a cloned (teed) body settles only once the other
      // branch is read too, and nothing here depends on the cancellation having finished.
      reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return joinChunks(chunks, size);
}

/** Decodes strict UTF-8, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
