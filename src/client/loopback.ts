/**
 * The loopback callback of a native sign-in (RFC 8252 §7.3, §8.3; RURI-10/11): an HTTP listener
 * bound to a loopback address only, open only while one sign-in waits (closed after the
 * callback, an error, a timeout or `close()`), answering one path and never redirecting.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALLBACK_PAGE_HEADERS, failurePage, successPage } from './callback-page.js';
import { type AuthorizationResponse, type CallbackExpectations, judgeCallback } from './callback-params.js';
import { isSignInError, SignInError } from './errors.js';
import type { LoopbackHost } from './redirect.js';

/** Default time a sign-in may take, in milliseconds: 5 minutes. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 300_000;

/** Options of {@link startLoopbackListener}. */
export interface LoopbackListenerOptions extends CallbackExpectations {
  /** The host of the redirect URI; `localhost` listens on 127.0.0.1 (and ::1 when available). */
  host: LoopbackHost;
  /** The port; 0 (the default) lets the system pick a free one. */
  port?: number;
  /** The path the callback arrives on, as written in the redirect URI. */
  path: string;
  /** How long to wait for the callback, in milliseconds. Default {@link DEFAULT_CALLBACK_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** A listener waiting for one callback. */
export interface LoopbackListener {
  /** The port it listens on. */
  readonly port: number;
  /** The addresses it is bound to (loopback only). */
  readonly addresses: readonly string[];
  /**
   * Settles once: the checked authorization response, or a {@link SignInError} (state or issuer
   * mismatch, an `error` response, no code, timeout, cancellation). Already marked handled, so
   * not awaiting it never crashes the process.
   */
  readonly result: Promise<AuthorizationResponse>;
  /** Closes the listener; a sign-in still waiting fails with `ERR_SIGNIN_CANCELLED`. Safe to call twice. */
  close(): Promise<void>;
}

/** The addresses to bind for a redirect host. */
function bindAddresses(host: LoopbackHost): { required: string; optional?: string } {
  if (host === '[::1]') return { required: '::1' };
  if (host === 'localhost') return { required: '127.0.0.1', optional: '::1' };
  return { required: '127.0.0.1' };
}

function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function send(res: ServerResponse, status: number, body: string, headers = CALLBACK_PAGE_HEADERS): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The raw path and query of a request target (`/callback?code=…`). */
function splitTarget(target: string): { path: string; query: string } {
  const question = target.indexOf('?');
  return question < 0
    ? { path: target, query: '' }
    : { path: target.slice(0, question), query: target.slice(question + 1) };
}

/**
 * Starts a listener for one sign-in callback. It answers only `GET <path>` with the expected
 * `Host`; anything else gets a 404 or 400 and does not end the sign-in. The first callback on
 * the path is judged ({@link judgeCallback}), answered with a page that says the tab can be
 * closed, and ends the sign-in either way; then the listener closes.
 *
 * @throws SignInError `ERR_SIGNIN_LISTENER` when the port cannot be bound.
 */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new SignInError(
      'ERR_SIGNIN_FAILED',
      `timeoutMs must be a positive integer; got ${String(timeoutMs)}`,
    );
  }
  let settle!: (outcome: { ok: true; value: AuthorizationResponse } | { ok: false; error: Error }) => void;
  const result = new Promise<AuthorizationResponse>((resolve, reject) => {
    settle = (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error));
  });
  result.catch(() => {});

  const servers: Server[] = [];
  let port = 0;
  let done = false;
  let timer: NodeJS.Timeout | undefined;

  const closeAll = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    await Promise.all(servers.map(closeServer));
  };
  const finish = (
    outcome: { ok: true; value: AuthorizationResponse } | { ok: false; error: Error },
  ): void => {
    if (done) return;
    done = true;
    settle(outcome);
    void closeAll();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const { path, query } = splitTarget(req.url ?? '/');
    if (done || req.method !== 'GET' || path !== options.path) {
      send(res, 404, failurePage('This address only receives the sign-in callback.'));
      return;
    }
    if (req.headers.host !== `${options.host}:${port}`) {
      send(res, 400, failurePage('This request was not addressed to the sign-in callback.'));
      return;
    }
    let outcome: { ok: true; value: AuthorizationResponse } | { ok: false; error: Error };
    try {
      outcome = { ok: true, value: judgeCallback(new URLSearchParams(query), options) };
    } catch (error) {
      outcome = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
    const body = outcome.ok
      ? successPage()
      : failurePage(
          isSignInError(outcome.error) ? outcome.error.message : 'The sign-in response was refused.',
        );
    res.on('finish', () => finish(outcome));
    res.on('close', () => finish(outcome));
    send(res, outcome.ok ? 200 : 400, body, { ...CALLBACK_PAGE_HEADERS, connection: 'close' });
  };

  const { required, optional } = bindAddresses(options.host);
  const addresses: string[] = [];
  try {
    const first = createServer(handle);
    servers.push(first);
    port = await listen(first, required, options.port ?? 0);
    addresses.push(required);
    if (optional !== undefined) {
      const second = createServer(handle);
      try {
        await listen(second, optional, port);
        servers.push(second);
        addresses.push(optional);
      } catch {
        // No IPv6 loopback here (or the port is taken on it): 127.0.0.1 alone serves localhost.
      }
    }
  } catch (error) {
    await closeAll();
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new SignInError(
      'ERR_SIGNIN_LISTENER',
      `cannot listen for the sign-in callback on ${required}:${options.port ?? 0} (${reason}); free the port or let the system pick one.`,
      { cause: error },
    );
  }

  timer = setTimeout(() => {
    finish({
      ok: false,
      error: new SignInError(
        'ERR_SIGNIN_TIMEOUT',
        `nobody completed the sign-in within ${Math.round(timeoutMs / 1000)} s; the callback listener is closed. Start again.`,
      ),
    });
  }, timeoutMs);

  return {
    port,
    addresses,
    result,
    close: async () => {
      finish({
        ok: false,
        error: new SignInError(
          'ERR_SIGNIN_CANCELLED',
          'the sign-in was cancelled before the callback arrived.',
        ),
      });
      await closeAll();
    },
  };
}

/**
 * Finds a free port on a loopback host by binding port 0 and closing at once. Nothing stays open:
 * the listener itself opens only when the sign-in starts.
 */
export async function findFreeLoopbackPort(host: LoopbackHost): Promise<number> {
  const server = createServer();
  try {
    return await listen(server, bindAddresses(host).required, 0);
  } catch (error) {
    throw new SignInError(
      'ERR_SIGNIN_LISTENER',
      `cannot find a free port on ${host} for the sign-in callback: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await closeServer(server);
  }
}
