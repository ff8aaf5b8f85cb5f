import { describe, expect, it } from 'vitest';
import { readBodyBytes } from '../../../src/server/http/body.js';
import { TextResponse, textBodyOf } from '../../../src/server/http/text-response.js';

describe('TextResponse', () => {
  it('reads like new Response(text): status, headers, text(), json(), arrayBuffer()', async () => {
    const init = { status: 418, headers: { 'content-type': 'application/json', 'x-a': '1' } };
    const body = '{"a":"é"}';
    const ours = new TextResponse(body, init);
    expect(ours).toBeInstanceOf(Response);
    expect(ours.status).toBe(418);
    expect(ours.headers.get('x-a')).toBe('1');
    expect(ours.bodyUsed).toBe(false);
    expect(await ours.clone().json()).toEqual({ a: 'é' });
    expect(new Uint8Array(await ours.clone().arrayBuffer())).toEqual(
      new Uint8Array(await new Response(body, init).arrayBuffer()),
    );
    expect(await ours.text()).toBe(body);
    expect(ours.bodyUsed).toBe(true);
    await expect(ours.text()).rejects.toThrow();
  });

  it('sends a string as text/plain when no content-type is given, as Response does', () => {
    expect(new TextResponse('hi').headers.get('content-type')).toBe(
      new Response('hi').headers.get('content-type'),
    );
  });

  it('gives its body as a stream on demand, and then no longer offers the text to writers', async () => {
    const response = new TextResponse('streamed');
    expect(textBodyOf(response)).toBe('streamed');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(textBodyOf(response)).toBeUndefined();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe('streamed');
  });

  it('carries bytes as they are', async () => {
    const bytes = new Uint8Array([0, 1, 255]);
    const response = new TextResponse(bytes, { headers: { 'content-type': 'application/octet-stream' } });
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it('is copied by new Response(response.body, response), as frameworks do to add headers', async () => {
    const original = new TextResponse('copied', { status: 201, headers: { 'x-b': '2' } });
    const copy = new Response(original.body, original);
    expect(copy.status).toBe(201);
    expect(copy.headers.get('x-b')).toBe('2');
    expect(await copy.text()).toBe('copied');
  });

  it('textBodyOf knows nothing of other responses', () => {
    expect(textBodyOf(new Response('plain'))).toBeUndefined();
  });
});

describe('readBodyBytes', () => {
  const tooLarge = () => new Error('too large');

  it('reads a body once: a second reader of the same request gets the same bytes', async () => {
    const request = new Request('http://localhost/', { method: 'POST', body: 'a=1' });
    const first = await readBodyBytes(request, 100, tooLarge);
    expect(await readBodyBytes(request, 100, tooLarge)).toBe(first);
    expect(new TextDecoder().decode(first)).toBe('a=1');
  });

  it('refuses past the limit, and keeps refusing that request even with a larger limit', async () => {
    const request = new Request('http://localhost/', { method: 'POST', body: 'x'.repeat(50) });
    await expect(readBodyBytes(request, 10, tooLarge)).rejects.toThrow('too large');
    await expect(readBodyBytes(request, 1000, tooLarge)).rejects.toThrow('too large');
  });

  it('refuses a smaller limit than the bytes already read', async () => {
    const request = new Request('http://localhost/', { method: 'POST', body: 'x'.repeat(50) });
    await readBodyBytes(request, 100, tooLarge);
    await expect(readBodyBytes(request, 10, tooLarge)).rejects.toThrow('too large');
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const request = new Request('http://localhost/', {
      method: 'POST',
      body: 'x',
      headers: { 'content-length': '999' },
    });
    await expect(readBodyBytes(request, 10, tooLarge)).rejects.toThrow('too large');
    expect(request.bodyUsed).toBe(false);
  });
});
