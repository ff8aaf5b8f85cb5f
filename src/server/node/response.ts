/**
 * Writing a web `Response` to a Node `ServerResponse`: status, headers (every `Set-Cookie` kept
 * apart), then the body: a {@link TextResponse}'s text in one write, any other body streamed with
 * back-pressure (stopped when the client goes away).
 *
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { textBodyOf } from '../http/text-response.js';

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
  const text = textBodyOf(response);
  if (text !== undefined) {
    headers['content-length'] = typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
    outgoing.writeHead(response.status, headers);
    outgoing.end(text);
    return;
  }
  const body = response.body;
  if (body === null) {
    outgoing.writeHead(response.status, headers);
    outgoing.end();
    return;
  }
  outgoing.writeHead(response.status, headers);
  await pipeBody(body, outgoing);
}
