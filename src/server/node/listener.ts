/**
 * A Node `http`/`https` request listener for a web-standard `fetch` handler, made for the
 * authorization server's hot paths: requests are lightweight (see `request.ts`), bodies are read
 * from the socket without web streams, and {@link TextResponse} bodies are written in one call.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TextResponse } from '../http/text-response.js';
import { bodyWasReceived, nodeRequest } from './request.js';
import { writeResponse } from './response.js';

/** The `env` handed to the handler by default: the Node message pair (as `@hono/node-server` does). */
export interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

/** A web-standard handler taking the connection's details as its second argument. */
export type NodeFetchHandler<Env> = (request: Request, env: Env) => Response | Promise<Response>;

/** Options of {@link createNodeListener}. */
export interface NodeListenerOptions<Env> {
  /**
   * The `env` of each request. Default: `{ incoming, outgoing }`, which the authorization
   * server reads the TCP peer's address from.
   */
  env?: (incoming: IncomingMessage, outgoing: ServerResponse) => Env;
  /**
   * Called with what the handler threw (the client then gets a plain `500`). Default: nothing
   * more (the authorization server answers its own errors; this is for bugs).
   */
  onError?: (error: unknown) => void;
  /**
   * The absolute URL the handler sees for a request, from the one it arrived at (`url`) and its
   * headers: for example the scheme and host a trusted reverse proxy reports. Default: `url`.
   */
  requestUrl?: (url: string, request: Request) => string;
}

/** Why a request line or `Host` cannot make an absolute URL: answered with `400`. */
class BadTargetError extends Error {}

/**
 * The absolute URL of `incoming`: its scheme (TLS or not), its `Host` header and its
 * origin-form target. Refuses a missing or malformed `Host`, a target that is not a path, and a
 * backslash in the path (which URL parsing would turn into a `/`).
 */
function urlOf(incoming: IncomingMessage): string {
  const target = incoming.url ?? '';
  if (!target.startsWith('/')) throw new BadTargetError('the request target must be a path');
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (path.includes('\\')) throw new BadTargetError('the request path contains a backslash');
  const host = incoming.headers.host;
  if (host === undefined || host === '') throw new BadTargetError('the Host header is missing');
  if (hostHeaderCount(incoming.rawHeaders) > 1) throw new BadTargetError('the Host header is repeated');
  const scheme = (incoming.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  let url: URL;
  try {
    url = new URL(`${scheme}://${host}${target}`);
  } catch {
    throw new BadTargetError('the Host header or the request target is malformed');
  }
  if (url.host !== host.toLowerCase() && url.host !== host.toLowerCase().replace(/:(80|443)$/, '')) {
    throw new BadTargetError('the Host header is malformed');
  }
  return url.href;
}

/** How many `Host` fields the request carries (RFC 9112 §3.2: more than one is a bad request). */
function hostHeaderCount(raw: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === 'host') count++;
  return count;
}

function plain(status: number, text: string): Response {
  return new TextResponse(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/**
 * A request listener (`http.createServer(listener)`) serving `handler`. The authorization
 * server's `fetch` fits: `http.createServer(createNodeListener(server.fetch)).listen(3000)`.
 */
export function createNodeListener<Env = NodeBindings>(
  handler: NodeFetchHandler<Env>,
  options: NodeListenerOptions<Env> = {},
): (incoming: IncomingMessage, outgoing: ServerResponse) => void {
  const envOf =
    options.env ??
    ((incoming: IncomingMessage, outgoing: ServerResponse) => ({ incoming, outgoing }) as unknown as Env);
  const serve = async (incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> => {
    let url: string;
    try {
      url = urlOf(incoming);
    } catch (error) {
      if (!(error instanceof BadTargetError)) throw error;
      await writeResponse(plain(400, `Bad Request: ${error.message}`), outgoing, true);
      return;
    }
    let request = nodeRequest(incoming, outgoing, url);
    if (options.requestUrl !== undefined) {
      const rewritten = options.requestUrl(url, request);
      if (rewritten !== url) request = nodeRequest(incoming, outgoing, rewritten);
    }
    let response: Response;
    try {
      response = await handler(request, envOf(incoming, outgoing));
    } catch (error) {
      options.onError?.(error);
      response = plain(500, 'Internal Server Error');
    }
    // A body not yet received in full is not waited for: the connection closes after the answer.
    await writeResponse(response, outgoing, !bodyWasReceived(request));
  };
  return (incoming, outgoing) => {
    serve(incoming, outgoing).catch((error: unknown) => {
      options.onError?.(error);
      if (!outgoing.headersSent) outgoing.writeHead(500).end();
      else outgoing.destroy();
    });
  };
}
