/**
 * Shared setup of the client-resolution tests: a real HTTPS host on loopback with the test CA,
 * an injected clock, and registries that trust the CA and allow the private network (loopback).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'vitest';
import { ClientResolutionError } from '../../../src/server/clients/errors.js';
import {
  type ClientRegistry,
  type ClientRegistryOptions,
  createClientRegistry,
} from '../../../src/server/clients/registry.js';
import { createMemoryStore } from '../../../src/store/memory/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { type Handler, type HttpsHost, startHttpsHost } from '../../helpers/https-host.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';

/** A clock tests move by hand. */
export interface TestClock {
  now: () => number;
  advance(ms: number): void;
  /** The time the clock started at. */
  readonly start: number;
}

export function createClock(start = Date.now()): TestClock {
  let current = start;
  return {
    start,
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

/** One HTTPS host and CA for a test file, with helpers. */
export interface Harness {
  ca: TestCa;
  host: HttpsHost;
  /** A fresh, unique path on the host, e.g. `/c7/client.json`. */
  path(name?: string): string;
  /** `https://localhost:<port>` + path. */
  url(path: string): string;
  /** Requests the host saw for `path`. */
  hits(path: string): number;
  /** Serves `body` (JSON-encoded unless a string) at `path`. */
  serve(path: string, body: unknown, headers?: Record<string, string>, status?: number): void;
  /** Routes `path` to `handler`. */
  route(path: string, handler: Handler): void;
  /** A registry trusting the CA, on loopback, with `options` on top; closed by `close`. */
  registry(options?: ClientRegistryOptions): ClientRegistry;
  /** A memory store on `clock`. */
  store(clock: TestClock): Store;
  close(): Promise<void>;
}

let counter = 0;

export async function startHarness(): Promise<Harness> {
  const ca = createTestCa();
  const host = await startHttpsHost(ca);
  const registries: ClientRegistry[] = [];
  return {
    ca,
    host,
    path: (name = 'client.json') => {
      counter += 1;
      return `/c${counter}/${name}`;
    },
    url: (path) => `${host.origin}${path}`,
    hits: (path) => host.hits.get(path) ?? 0,
    serve: (path, body, headers = {}, status = 200) => {
      host.route(path, (_req: IncomingMessage, res: ServerResponse) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
      });
    },
    route: (path, handler) => host.route(path, handler),
    registry: (options = {}) => {
      const { fetchOptions, ...rest } = options;
      const registry = createClientRegistry({
        allowPrivateNetwork: true,
        ...rest,
        ...(rest.fetcher === undefined ? { fetchOptions: { ca: ca.caCert, ...fetchOptions } } : {}),
      });
      registries.push(registry);
      return registry;
    },
    store: (clock) => createMemoryStore({ now: clock.now }),
    close: async () => {
      await Promise.all(registries.map((registry) => registry.close()));
      await host.close();
      ca.dispose();
    },
  };
}

/** A valid public-client document for `clientId`, with `extra` members on top. */
export function documentFor(clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Test client',
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
  };
}

/** Awaits `promise`, expecting a `ClientResolutionError` (with `code` when given). */
export async function refusal(promise: Promise<unknown>, code?: string): Promise<ClientResolutionError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the resolution to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ClientResolutionError);
  const typed = error as ClientResolutionError;
  if (code !== undefined) expect(typed.code, typed.message).toBe(code);
  return typed;
}
