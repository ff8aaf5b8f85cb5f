/** Options and URLs the fetcher refuses before touching the network. */
import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { isJsonContentType } from '../../src/fetch/content-type.js';
import {
  createSafeFetcher,
  DEFAULT_TIMEOUT_MS,
  type DnsResolver,
  DOCUMENT_MAX_BYTES,
  FetchError,
  JWKS_MAX_BYTES,
  type SafeFetchOptions,
  type SafeFetchRequest,
} from '../../src/fetch/index.js';

describe('limits', () => {
  it('exports the documented defaults', () => {
    expect(DOCUMENT_MAX_BYTES).toBe(5120);
    expect(JWKS_MAX_BYTES).toBe(65_536);
    expect(DEFAULT_TIMEOUT_MS).toBe(5000);
  });
});

describe('createSafeFetcher options are validated eagerly', () => {
  it.each([
    { timeoutMs: 0 },
    { timeoutMs: -1 },
    { timeoutMs: 1.5 },
    { timeoutMs: Number.NaN },
    { timeoutMs: Number.POSITIVE_INFINITY },
    { timeoutMs: 2 ** 31 },
    { timeoutMs: '5000' },
    { maxBytes: 0 },
    { maxBytes: -5 },
    { maxBytes: 10.5 },
    { maxBytes: '5120' },
    { allowPrivateNetwork: 'yes' },
    { userAgent: '' },
    { userAgent: 'bad\r\nx-injected: 1' },
    { resolver: 'dns' },
    { ca: 'not a certificate' },
    { ca: [] },
  ])('throws InvalidOptionError for %j', (options) => {
    expect(() => createSafeFetcher(options as unknown as SafeFetchOptions)).toThrow(InvalidOptionError);
    try {
      createSafeFetcher(options as unknown as SafeFetchOptions);
    } catch (error) {
      expect((error as InvalidOptionError).code).toBe('ERR_INVALID_OPTION');
    }
  });

  it('accepts valid options', async () => {
    const fetcher = createSafeFetcher({
      timeoutMs: 1,
      maxBytes: 1,
      userAgent: 'x/1',
      allowPrivateNetwork: false,
    });
    await fetcher.close();
  });
});

describe('per-request options', () => {
  const resolver = vi.fn<DnsResolver>(async () => [{ address: '93.184.215.14', family: 4 }]);

  it.each([
    { headers: { cookie: 'a=b' } },
    { headers: { authorization: 'Bearer x' } },
    { headers: { host: 'evil.example' } },
    { headers: { 'if-none-match': 'x\r\ny: z' } },
    { timeoutMs: 0 },
    { maxBytes: -1 },
    { allowNotModified: 1 },
    { signal: {} },
  ])('rejects %j with InvalidOptionError before any lookup', async (request) => {
    const fetcher = createSafeFetcher({ resolver });
    const error = await fetcher
      .fetch('https://docs.cimd-example.dev/c.json', request as unknown as SafeFetchRequest)
      .catch((reason: unknown) => reason);
    await fetcher.close();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(resolver).not.toHaveBeenCalled();
  });
});

describe('URLs', () => {
  it.each([
    ['http://127.0.0.1/c.json', 'only https URLs are fetched'],
    ['http://docs.cimd-example.dev/c.json', 'only https URLs are fetched'],
    ['file:///etc/passwd', 'only https URLs are fetched'],
    ['ftp://docs.cimd-example.dev/c.json', 'only https URLs are fetched'],
    ['data:application/json,{}', 'only https URLs are fetched'],
    ['not a url', 'is not a valid absolute URL'],
    ['/c.json', 'is not a valid absolute URL'],
    ['https://docs.cimd-example.dev/c.json#frag', 'has a fragment'],
    ['https://docs.cimd-example.dev/c.json#', 'has a fragment'],
  ])('CIMD-AS-23 refuses %s', async (url, message) => {
    const resolver = vi.fn<DnsResolver>(async () => [{ address: '93.184.215.14', family: 4 }]);
    const fetcher = createSafeFetcher({ resolver, allowPrivateNetwork: true });
    const error = await fetcher.fetch(url).catch((reason: unknown) => reason);
    await fetcher.close();
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).code).toBe('ERR_FETCH_INVALID_URL');
    expect((error as FetchError).message).toContain(message);
    expect(resolver).not.toHaveBeenCalled();
  });

  it('refuses userinfo without echoing the password', async () => {
    const fetcher = createSafeFetcher();
    const error = (await fetcher
      .fetch('https://user:s3cret@docs.cimd-example.dev/c.json')
      .catch((reason: unknown) => reason)) as FetchError;
    await fetcher.close();
    expect(error.code).toBe('ERR_FETCH_INVALID_URL');
    expect(error.message).not.toContain('s3cret');
    expect(error.url).toBe('https://docs.cimd-example.dev/c.json');
  });
});

describe('isJsonContentType', () => {
  it.each([
    'application/json',
    'application/JSON',
    'application/json; charset=utf-8',
    ' application/json ;charset=UTF-8',
    'application/cimd+json',
    'application/jwk-set+json',
    'application/vnd.example.v1+json',
  ])('accepts %j', (value) => {
    expect(isJsonContentType(value)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'text/html',
    'text/json',
    'application/jsonp',
    'application/+json',
    'application/json-seq',
    'json',
  ])('refuses %j', (value) => {
    expect(isJsonContentType(value)).toBe(false);
  });
});
