/**
 * A `Request` for a Node `IncomingMessage` that costs little until it is used: `method`, `url`
 * and `headers` come straight from the message (the headers built on first use), and the body is
 * read from the socket into bytes the first time a reader asks (`readBodyBytes` in
 * `http/body.ts`), without a web stream. Anything else (`body`, `signal`, `clone()`, `text()`…)
 * builds a full `Request` once and answers from it, with the same bytes as its body.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { attachBodySource, type CappedBody, RequestAbortedError, readStreamCapped } from '../http/body.js';

/** Reads `incoming`'s body into memory, stopping (and discarding the rest) past `limit` bytes. */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<CappedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onBroken);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        settle();
        // The rest is read and dropped (the response then closes the connection).
        incoming.resume();
        resolve({ overLimit: limit });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      settle();
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      resolve(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    };
    const onBroken = (error: unknown) => {
      settle();
      reject(new RequestAbortedError(error));
    };
    const onClose = () => {
      if (!incoming.complete) onBroken(new Error('the connection closed before the end of the body'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onBroken);
    incoming.on('close', onClose);
  });
}

/** What this class answers itself; every other member of `Request.prototype` is the full request's. */
const OWN_MEMBERS = new Set(['constructor', 'method', 'url', 'headers']);

/** The request of one `IncomingMessage`; made by {@link nodeRequest}. */
class NodeRequest {
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #url: string;
  #headers: Headers | undefined;
  #body: Promise<CappedBody> | undefined;
  #full: Request | undefined;

  constructor(incoming: IncomingMessage, outgoing: ServerResponse, url: string) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#url = url;
  }

  get method(): string {
    return this.#incoming.method ?? 'GET';
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    if (this.#headers === undefined) {
      const headers = new Headers();
      const raw = this.#incoming.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
      this.#headers = headers;
    }
    return this.#headers;
  }

  /**
   * The body, read once whatever asks first, capped at the first reader's `limit`: straight from
   * the socket, or, once the full request took the socket's stream, from that stream.
   */
  readBody(limit: number): Promise<CappedBody> {
    if (this.#body === undefined) {
      this.#body =
        this.#full === undefined ? readIncoming(this.#incoming, limit) : readStreamCapped(this.#full, limit);
    }
    return this.#body;
  }

  /**
   * Whether the whole message (its body included) has arrived, so the connection can carry the
   * next request once the response is written; never waits.
   */
  bodyReceived(): boolean {
    return this.#incoming.complete;
  }

  #materialized(): Request {
    if (this.#full !== undefined) return this.#full;
    const aborted = new AbortController();
    this.#outgoing.once('close', () => {
      if (!this.#outgoing.writableFinished) aborted.abort(new Error('the client closed the connection'));
    });
    const method = this.method;
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const read = this.#body;
    let body: ReadableStream<Uint8Array> | null = null;
    if (hasBody && read !== undefined) {
      // Already read (capped): those bytes, handed over when the stream is first read.
      body = new ReadableStream<Uint8Array>(
        {
          pull: async (controller) => {
            const bytes = await read;
            if (!(bytes instanceof Uint8Array)) {
              controller.error(new Error(`the body was discarded past ${bytes.overLimit} bytes`));
              return;
            }
            if (bytes.byteLength > 0) controller.enqueue(bytes);
            controller.close();
          },
        },
        { highWaterMark: 0 },
      );
    } else if (hasBody) {
      // Not read yet: the socket's own stream, with its back-pressure (never buffered whole).
      body = Readable.toWeb(this.#incoming) as ReadableStream<Uint8Array>;
    }
    this.#full = new Request(this.#url, {
      method,
      headers: this.headers,
      body,
      signal: aborted.signal,
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
    return this.#full;
  }

  /** What `util.inspect` (and so `console.log`) shows, without building the full request. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Request (Node) ${this.method} ${this.#url}`;
  }

  static {
    // Every other member of Request (today's and future runtimes'), answered by the full request.
    for (const name of Object.getOwnPropertyNames(Request.prototype)) {
      if (OWN_MEMBERS.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name);
      if (descriptor?.get !== undefined) {
        Object.defineProperty(NodeRequest.prototype, name, {
          get(this: NodeRequest) {
            return (this.#materialized() as unknown as Record<string, unknown>)[name];
          },
        });
      } else if (typeof descriptor?.value === 'function') {
        Object.defineProperty(NodeRequest.prototype, name, {
          value(this: NodeRequest, ...args: unknown[]) {
            const full = this.#materialized() as unknown as Record<string, (...a: unknown[]) => unknown>;
            return full[name]?.(...args);
          },
        });
      }
    }
  }
}
Object.setPrototypeOf(NodeRequest.prototype, Request.prototype);

/**
 * The `Request` for `incoming` at absolute `url`; `outgoing` is its response (the full request's
 * `signal` aborts when the client goes away before the response is finished).
 */
export function nodeRequest(incoming: IncomingMessage, outgoing: ServerResponse, url: string): Request {
  const request = new NodeRequest(incoming, outgoing, url) as unknown as Request;
  attachBodySource(request, (limit) => (request as unknown as NodeRequest).readBody(limit));
  return request;
}

/** Whether the whole of `request` (made by {@link nodeRequest}) has arrived; true for others. */
export function bodyWasReceived(request: Request): boolean {
  return request instanceof NodeRequest ? request.bodyReceived() : true;
}
