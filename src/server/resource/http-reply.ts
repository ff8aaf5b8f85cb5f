/**
 * A framework-neutral HTTP answer: the bearer check and the metadata endpoint compute one, and
 * each adapter (web-standard `Response`, Hono, Express) only writes it out.
 *
 * @module
 */

/** Status, headers and an optional body of an HTTP response. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  /** The body text (JSON when `Content-Type` says so); absent for an empty body. */
  body?: string;
}

/** `reply` as a web-standard `Response` (no body for 204, 304 and `HEAD`). */
export function toResponse(reply: HttpReply, method = 'GET'): Response {
  const empty = reply.body === undefined || method === 'HEAD' || reply.status === 204 || reply.status === 304;
  return new Response(empty ? null : reply.body, { status: reply.status, headers: reply.headers });
}

/** A JSON reply; `Cache-Control: no-store` unless `headers` says otherwise. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(value),
  };
}
