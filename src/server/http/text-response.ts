/**
 * A `Response` whose body is a string or bytes already in memory. Node 20's `Response` builds a
 * web stream for every such body at construction (about 17 µs, then more to read it back); this
 * one keeps the text and builds a stream only when someone asks for `body` or a body method. The
 * server's Node listener (`mcp-cimd/server/node`) writes the text straight to the socket with
 * {@link textBodyOf}. To everyone else it is an ordinary `Response`: `status`, `headers`, `body`,
 * `text()`, `json()`, `clone()` and the rest behave as for `new Response(text, init)`.
 *
 * @module
 */

type Body = string | Uint8Array<ArrayBuffer>;

/** A {@link Response} with an in-memory body; see the module documentation. */
export class TextResponse extends Response {
  readonly #text: Body;
  #full: Response | undefined;

  /**
   * @param text - the body.
   * @param init - as for `new Response`; without a `content-type` header the body is sent as
   *   `text/plain;charset=UTF-8` (a string) or with no type (bytes), as `Response` does.
   */
  constructor(text: Body, init: ResponseInit = {}) {
    super(null, init);
    if (this.status === 204 || this.status === 205 || this.status === 304) {
      throw new TypeError(`a response with status ${this.status} cannot have a body`);
    }
    if (typeof text === 'string' && !this.headers.has('content-type')) {
      this.headers.set('content-type', 'text/plain;charset=UTF-8');
    }
    this.#text = text;
  }

  /** The same response with a real body stream: made once, on first use. */
  #materialized(): Response {
    if (this.#full === undefined) {
      this.#full = new Response(this.#text, {
        status: this.status,
        statusText: this.statusText,
        headers: this.headers,
      });
    }
    return this.#full;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#materialized().body;
  }

  override get bodyUsed(): boolean {
    return this.#full?.bodyUsed ?? false;
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#materialized().arrayBuffer();
  }

  override blob(): Promise<Blob> {
    return this.#materialized().blob();
  }

  override formData(): Promise<FormData> {
    return this.#materialized().formData();
  }

  /** Node 22's `Response.prototype.bytes()`, answered the same way where it exists. */
  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    const full = this.#materialized() as Response & { bytes?: () => Promise<Uint8Array<ArrayBuffer>> };
    return full.bytes === undefined
      ? full.arrayBuffer().then((buffer) => new Uint8Array(buffer))
      : full.bytes();
  }

  override json(): Promise<unknown> {
    return this.#materialized().json();
  }

  override text(): Promise<string> {
    return this.#materialized().text();
  }

  /**
   * The text of `response` when it is a {@link TextResponse} whose body was not taken as a stream
   * (found by its private field: a `WeakMap` per response measured slower, see `request-slot.ts`).
   */
  static textOf(response: Response): Body | undefined {
    return #text in response && response.#full === undefined ? response.#text : undefined;
  }

  override clone(): Response {
    if (this.#full?.bodyUsed) return this.#full.clone();
    return new TextResponse(this.#text, {
      status: this.status,
      statusText: this.statusText,
      headers: new Headers(this.headers),
    });
  }
}

/**
 * The in-memory body of a {@link TextResponse} nobody has read as a stream yet, or `undefined`
 * (any other response, or one whose body was taken as a stream: then write that stream).
 */
export function textBodyOf(response: Response): Body | undefined {
  return TextResponse.textOf(response);
}
