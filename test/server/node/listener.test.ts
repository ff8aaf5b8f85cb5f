import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBodyBytes } from '../../../src/server/http/body.js';
import { TextResponse } from '../../../src/server/http/text-response.js';
import { createNodeListener, type NodeFetchHandler } from '../../../src/server/node/index.js';

const servers: Server[] = [];

async function serve(handler: NodeFetchHandler<unknown>, onError?: (error: unknown) => void) {
  const server = createServer(createNodeListener(handler, onError ? { onError } : {}));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes on a new connection and resolves with everything the server answered. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).toString().includes('\r\n\r\n')) socket.end();
    });
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

describe('createNodeListener', () => {
  it('gives the handler the absolute URL, method and headers, and writes its TextResponse', async () => {
    const port = await serve(
      (request) =>
        new TextResponse(
          JSON.stringify({ url: request.url, method: request.method, a: request.headers.get('x-a') }),
          {
            status: 201,
            headers: { 'content-type': 'application/json' },
          },
        ),
    );
    const answer = await send(port, { path: '/p/q?x=1', headers: { 'x-a': 'b' } });
    expect(answer.status).toBe(201);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(JSON.parse(answer.body)).toEqual({
      url: `http://127.0.0.1:${port}/p/q?x=1`,
      method: 'GET',
      a: 'b',
    });
  });

  it('reads a body once for every reader: readBodyBytes twice, then text() of the full request', async () => {
    const port = await serve(async (request) => {
      const first = await readBodyBytes(request, 1000, () => new Error('too large'));
      const second = await readBodyBytes(request, 1000, () => new Error('too large'));
      const text = await request.text();
      return new TextResponse(
        JSON.stringify({ first: new TextDecoder().decode(first), same: first === second, text }),
      );
    });
    const answer = await send(port, { method: 'POST', body: 'a=1&b=2' });
    expect(JSON.parse(answer.body)).toEqual({ first: 'a=1&b=2', same: true, text: 'a=1&b=2' });
  });

  it('gives the full request the body when nothing read it before (request.json())', async () => {
    const port = await serve(async (request) => new TextResponse(JSON.stringify(await request.json())));
    const answer = await send(port, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"x":[1,2]}',
    });
    expect(JSON.parse(answer.body)).toEqual({ x: [1, 2] });
  });

  it('stops reading past the limit, refuses the request and closes the connection', async () => {
    const port = await serve(async (request) => {
      try {
        await readBodyBytes(request, 10, () => new Error('the body is over 10 bytes'));
        return new TextResponse('read');
      } catch (error) {
        return new TextResponse((error as Error).message, { status: 413 });
      }
    });
    // No Content-Length to refuse up front: a chunked body.
    const answer = await send(port, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'x'.repeat(5000),
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toBe('the body is over 10 bytes');
    expect(answer.headers.connection).toBe('close');
  });

  it('keeps the connection open when the body was read to its end', async () => {
    const port = await serve(async (request) => {
      await readBodyBytes(request, 100, () => new Error('too large'));
      return new TextResponse('ok');
    });
    const answer = await send(port, { method: 'POST', body: 'a=1' });
    expect(answer.headers.connection).toBe('keep-alive');
  });

  it('streams a body that is not in memory, and keeps every Set-Cookie apart', async () => {
    const port = await serve(() => {
      const headers = new Headers();
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2; Path=/');
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('one,'));
          controller.enqueue(new TextEncoder().encode('two'));
          controller.close();
        },
      });
      return new Response(body, { headers });
    });
    const answer = await send(port);
    expect(answer.body).toBe('one,two');
    expect(answer.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('writes no body for HEAD and a body-less response', async () => {
    const port = await serve((request) =>
      request.method === 'HEAD' ? new TextResponse('ignored') : new Response(null, { status: 204 }),
    );
    expect((await send(port, { method: 'HEAD' })).body).toBe('');
    const empty = await send(port);
    expect(empty.status).toBe(204);
    expect(empty.body).toBe('');
  });

  it('a request can be logged (util.inspect) and answers every Request member', async () => {
    const { inspect } = await import('node:util');
    const port = await serve(
      (request) =>
        new TextResponse(
          JSON.stringify({
            shown: inspect(request),
            mode: request.mode,
            cache: request.cache,
            isRequest: request instanceof Request,
          }),
        ),
    );
    const answer = JSON.parse((await send(port, { path: '/seen' })).body);
    expect(answer.shown).toBe(`Request (Node) GET http://127.0.0.1:${port}/seen`);
    expect(answer.mode).toBe(new Request('http://x/').mode);
    expect(answer.cache).toBe('default');
    expect(answer.isRequest).toBe(true);
  });

  it('answers at once when the body is still arriving, even after the full request was built', async () => {
    const port = await serve((request) => {
      void request.signal; // builds the full request: its body must not be read up front
      return new TextResponse('refused', { status: 401 });
    });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`,
        );
      });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        const text = Buffer.concat(chunks).toString();
        if (text.includes('refused')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer.toLowerCase()).toContain('connection: close');
  });

  it('caps a body read after the full request was built', async () => {
    const port = await serve(async (request) => {
      void request.signal;
      try {
        const bytes = await readBodyBytes(request, 100, () => new Error('over 100 bytes'));
        return new TextResponse(`read ${bytes.byteLength}`);
      } catch (error) {
        return new TextResponse((error as Error).message, { status: 413 });
      }
    });
    expect((await send(port, { method: 'POST', body: 'x'.repeat(50) })).body).toBe('read 50');
    const large = await send(port, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'x'.repeat(100_000),
    }).catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
    // Refused (413), or the connection cut while the client was still sending: never read whole.
    expect(large.status === 413 || large.status === 0).toBe(true);
  });

  it('refuses a repeated Host header (RFC 9112 §3.2)', async () => {
    const port = await serve(() => new TextResponse('handled'));
    expect(
      await raw(
        port,
        'GET / HTTP/1.1\r\nHost: good.example\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
      ),
    ).toMatch(/^HTTP\/1\.1 400[\s\S]*Host header is repeated/);
  });

  it('writes 204 and 304 without content or Content-Length', async () => {
    const port = await serve(
      (request) =>
        new Response(null, {
          status: new URL(request.url).pathname === '/a' ? 204 : 304,
          headers: { etag: '"x"' },
        }),
    );
    for (const path of ['/a', '/b']) {
      const answer = await send(port, { path });
      expect(answer.body).toBe('');
      expect(answer.headers['content-length']).toBeUndefined();
    }
    expect(() => new TextResponse('no', { status: 204 })).toThrow(TypeError);
  });

  it('requestUrl gives the handler another URL; the body is still read from the socket', async () => {
    const server = createServer(
      createNodeListener(
        async (request) =>
          new TextResponse(
            `${request.url} ${new TextDecoder().decode(await readBodyBytes(request, 100, () => new Error('big')))}`,
          ),
        { requestUrl: (url) => url.replace(/^http:\/\/[^/]+/, 'https://auth.example') },
      ),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    expect((await send(port, { method: 'POST', path: '/token', body: 'a=1' })).body).toBe(
      'https://auth.example/token a=1',
    );
  });

  it('answers 500 and reports what the handler threw', async () => {
    const errors: unknown[] = [];
    const port = await serve(
      () => {
        throw new Error('bug');
      },
      (error) => errors.push(error),
    );
    const answer = await send(port);
    expect(answer.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('bug');
  });

  it('refuses a missing Host, a backslash in the path and a target that is not a path, before the handler', async () => {
    let called = 0;
    const port = await serve(() => {
      called++;
      return new TextResponse('handled');
    });
    expect(await raw(port, 'GET / HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 400[\s\S]*Host header is missing/);
    expect(await raw(port, 'GET /a\\b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400[\s\S]*backslash/,
    );
    expect(
      await raw(port, 'GET http://elsewhere.example/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 400[\s\S]*must be a path/);
    expect(await raw(port, 'GET / HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400/,
    );
    expect(called).toBe(0);
  });

  it('a backslash in the query is a plain query character', async () => {
    const port = await serve((request) => new TextResponse(new URL(request.url).searchParams.get('q') ?? ''));
    expect((await send(port, { path: '/?q=a\\b' })).body).toBe('a\\b');
  });

  it("aborts the full request's signal when the client goes away before the answer", async () => {
    let aborted!: Promise<string>;
    const port = await serve((request) => {
      aborted = new Promise((resolve) => request.signal.addEventListener('abort', () => resolve('aborted')));
      return aborted.then(() => new TextResponse('late'));
    });
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await expect(aborted).resolves.toBe('aborted');
  });
});

describe('mcp-cimd/server/node', () => {
  it('is a package export pointing at the built listener', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./server/node']).toEqual({
      types: './dist/server/node/index.d.ts',
      default: './dist/server/node/index.js',
    });
  });
});
