import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  createBearerAuthenticator,
  hasQueryToken,
  readBearerCredentials,
} from '../../../src/server/resource/authenticate.js';
import { authorizationServer, RESOURCE_METADATA_URL } from './helpers.js';

describe('readBearerCredentials (RFC 6750 §2.1)', () => {
  it.each([
    [undefined, { kind: 'none' }],
    ['', { kind: 'none' }],
    [[], { kind: 'none' }],
    ['Basic dXNlcjpwYXNz', { kind: 'none' }],
    ['DPoP abc', { kind: 'none' }],
    ['Bearer abc.def-ghi_jkl~+/==', { kind: 'token', token: 'abc.def-ghi_jkl~+/==' }],
    ['bearer   abc  ', { kind: 'token', token: 'abc' }],
    [['Bearer abc'], { kind: 'token', token: 'abc' }],
  ])('%j -> %j', (header, expected) => {
    expect(readBearerCredentials(header)).toEqual(expected);
  });

  it.each([
    ['Bearer'],
    ['Bearer '],
    ['Bearer a b'],
    ['Bearer a,b'],
    ['Bearer "abc"'],
    ['Bearer a=b'],
    [['Bearer a', 'Bearer b']],
    ['(bad scheme) abc'],
  ])('%j is malformed', (header) => {
    expect(readBearerCredentials(header).kind).toBe('malformed');
  });
});

describe('hasQueryToken (MCP-C-20)', () => {
  it.each([
    ['/mcp?access_token=x', true],
    ['https://ex.com/mcp?a=1&access_token=', true],
    ['/mcp?x=access_token', false],
    ['/mcp#access_token=x', false],
    ['/mcp', false],
    [undefined, false],
  ])('%j -> %j', (url, expected) => {
    expect(hasQueryToken(url)).toBe(expected);
  });
});

describe('createBearerAuthenticator', () => {
  it('takes duplicate header values as an array (Express headersDistinct) and refuses them', async () => {
    const as = authorizationServer();
    const authenticate = createBearerAuthenticator({
      verifier: await as.verifier(),
      resourceMetadataUrl: RESOURCE_METADATA_URL,
    });
    const token = await as.issue();
    expect((await authenticate({ authorization: [`Bearer ${token}`] })).ok).toBe(true);
    const twice = await authenticate({ authorization: [`Bearer ${token}`, `Bearer ${token}`] });
    expect(twice.ok).toBe(false);
    if (!twice.ok) expect(twice.reply.status).toBe(400);
  });

  it('refuses an insecure resourceMetadataUrl', () => {
    expect(() =>
      createBearerAuthenticator({
        verifier: { verifyAccessToken: async () => ({ token: '', clientId: '', scopes: [] }) },
        resourceMetadataUrl: 'http://mcp.example.com/.well-known/oauth-protected-resource',
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('mcp-cimd/server/express loads without Express', () => {
  it('imports express for types only', async () => {
    const source = await readFile(new URL('../../../src/server/express.ts', import.meta.url), 'utf8');
    const imports = source.split('\n').filter((line) => /from 'express'/.test(line));
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports) expect(line).toMatch(/^import type /);
  });
});
