/**
 * Writing a web `Response` to a Node `ServerResponse`: status (and reason phrase), headers (every
 * `Set-Cookie` kept apart), then the body (none for 204, 205 and 304): a {@link TextResponse}'s text in one write, any other body streamed with
 * back-pressure (stopped when the client goes away).
 *
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { textBodyOf } from '../http/text-response.js';

/** Statuses whose responses carry no content: 204, 205 and 304. */
const BODILESS_STATUSES = new Set([204, 205, 304]);

function headersOf(response: Response): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  return headers;
}

async function pipeBody(body: ReadableStream<Uint8Array>, outgoing: ServerResponse): Promise<void> {
  const reader = body.getReader();
  const gone = () => {
    reader.cancel().catch(() => undefined);
  };
  outgoing.once('close', gone);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || outgoing.destroyed) break;
      if (!outgoing.write(value)) {
        await new Promise<void>((resolve) => {
          const resume = () => {
            outgoing.off('drain', resume);
            outgoing.off('close', resume);
            resolve();
          };
          outgoing.on('drain', resume);
          outgoing.on('close', resume);
        });
      }
    }
  } finally {
    outgoing.off('close', gone);
  }
  outgoing.end();
}

/**
 * Writes `response` to `outgoing`. With `closeConnection`, asks the client to close the
 * connection afterwards (a request body that was not read to its end).
 */
export async function writeResponse(
  response: Response,
  outgoing: ServerResponse,
  closeConnection = false,
): Promise<void> {
  const headers = headersOf(response);
  if (closeConnection) headers.connection = 'close';
  const head = (status: number) =>
    response.statusText === ''
      ? outgoing.writeHead(status, headers)
      : outgoing.writeHead(status, response.statusText, headers);
  if (BODILESS_STATUSES.has(response.status)) {
    // RFC 9110 §15.3.5, §15.3.6, §15.4.5: no content, and no Content-Length.
    delete headers['content-length'];
    head(response.status);
    outgoing.end();
    return;
  }
  const text = textBodyOf(response);
  if (text !== undefined) {
    headers['content-length'] = typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
    head(response.status);
    outgoing.end(text);
    return;
  }
  const body = response.body;
  head(response.status);
  if (body === null) {
    outgoing.end();
    return;
  }
  await pipeBody(body, outgoing);
}
