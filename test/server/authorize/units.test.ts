/** The small pure parts of the authorization flow. */
import { describe, expect, it } from 'vitest';
import {
  consentCookieName,
  csrfTokensMatch,
  isSameOriginRequest,
} from '../../../src/server/authorize/csrf.js';
import { sniffImageType } from '../../../src/server/authorize/image-type.js';
import { isInteractionId } from '../../../src/server/authorize/interaction.js';
import { safeErrorDescription } from '../../../src/server/authorize/redirect.js';
import { canonicalResource } from '../../../src/server/authorize/resource.js';

describe('canonicalResource (MCP-AS-12)', () => {
  it.each([
    ['HTTPS://MCP.EXAMPLE.COM/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com:8443/MCP?x=Y', 'https://mcp.example.com:8443/MCP?x=Y'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
  ])('%s → %s', (input, output) => {
    expect(canonicalResource(input)).toBe(output);
  });

  it.each(['/mcp', 'mcp.example.com/mcp', 'https://x/#', 'https://u@x/', 'https:///x', 'urn:x:y'])(
    '%s is not acceptable',
    (input) => {
      expect(canonicalResource(input)).toBeUndefined();
    },
  );
});

describe('safeErrorDescription (RFC 6749 §4.1.2.1 character set)', () => {
  it('replaces quotes, backslashes, controls and non-ASCII, and shortens', () => {
    expect(safeErrorDescription('a "b" \\ c\r\nd é')).toBe('a ?b? ? c??d ?');
    expect(safeErrorDescription('x'.repeat(1000))).toHaveLength(300);
  });
});

describe('sniffImageType', () => {
  it('recognises PNG, JPEG, GIF and WebP, and nothing else', () => {
    expect(sniffImageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe(
      'image/png',
    );
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(new TextEncoder().encode('GIF89a'))).toBe('image/gif');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WAVE'))).toBeUndefined();
    expect(sniffImageType(new TextEncoder().encode('<svg'))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
  });
});

describe('CSRF helpers', () => {
  it('the cookie name is __Host- prefixed only on https issuers', () => {
    expect(consentCookieName('https://a.example', 'id')).toBe('__Host-cimd_consent_id');
    expect(consentCookieName('http://127.0.0.1:4000', 'id')).toBe('cimd_consent_id');
  });

  it('both the posted token and the cookie must equal the expected one', () => {
    expect(csrfTokensMatch('t', 't', 't')).toBe(true);
    expect(csrfTokensMatch('t', 't', undefined)).toBe(false);
    expect(csrfTokensMatch('t', undefined, 't')).toBe(false);
    expect(csrfTokensMatch('t', 'u', 't')).toBe(false);
    expect(csrfTokensMatch('t', 't', 'u')).toBe(false);
    expect(csrfTokensMatch('', '', '')).toBe(false);
  });

  const request = (headers: Record<string, string>) =>
    new Request('https://a.example/consent', { method: 'POST', headers });
  it.each([
    [{ origin: 'https://a.example' }, true],
    [{ origin: 'https://a.example:443' }, false],
    [{ origin: 'https://b.example' }, false],
    [{ origin: 'null', 'sec-fetch-site': 'same-origin' }, true],
    [{ origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
    [{ 'sec-fetch-site': 'same-site' }, false],
    [{ 'sec-fetch-site': 'none' }, true],
    [{}, true],
  ])('%j → %s', (headers, expected) => {
    expect(isSameOriginRequest(request(headers), 'https://a.example')).toBe(expected);
  });
});

describe('interaction ids', () => {
  it('are 32 base64url characters', () => {
    expect(isInteractionId('A'.repeat(32))).toBe(true);
    expect(isInteractionId('A'.repeat(31))).toBe(false);
    expect(isInteractionId(`${'A'.repeat(31)}/`)).toBe(false);
  });
});
