import { describe, expect, it } from 'vitest';
import { quotedString, wwwAuthenticate } from '../../../src/server/resource/www-authenticate.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('wwwAuthenticate (RFC 6750 §3, RFC 9728 §5.1)', () => {
  it('MCP-RS-02: 401 without a token: resource_metadata and no error attribute (RFC 6750 §3.1)', () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: PRM })).toBe(`Bearer resource_metadata="${PRM}"`);
  });

  it('MCP-RS-03: the scope attribute, space-separated and de-duplicated', () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: PRM, scope: ['mcp:tools', 'mcp:read', 'mcp:tools'] })).toBe(
      `Bearer resource_metadata="${PRM}", scope="mcp:tools mcp:read"`,
    );
    expect(wwwAuthenticate({ resourceMetadataUrl: new URL(PRM), scope: 'a b' })).toBe(
      `Bearer resource_metadata="${PRM}", scope="a b"`,
    );
    expect(wwwAuthenticate({ resourceMetadataUrl: PRM, scope: [] })).toBe(
      `Bearer resource_metadata="${PRM}"`,
    );
  });

  it('MCP-RS-04: an invalid token gets error="invalid_token" with its description', () => {
    expect(
      wwwAuthenticate({
        resourceMetadataUrl: PRM,
        error: 'invalid_token',
        errorDescription: 'the access token has expired',
      }),
    ).toBe(
      `Bearer resource_metadata="${PRM}", error="invalid_token", error_description="the access token has expired"`,
    );
  });

  it('MCP-RS-06: insufficient scope gets error="insufficient_scope", scope and resource_metadata', () => {
    const header = wwwAuthenticate({
      resourceMetadataUrl: PRM,
      error: 'insufficient_scope',
      scope: ['mcp:admin'],
      errorDescription: 'needs mcp:admin',
    });
    expect(header).toBe(
      `Bearer resource_metadata="${PRM}", scope="mcp:admin", error="insufficient_scope", error_description="needs mcp:admin"`,
    );
  });

  it('escapes " and \\ in quoted strings (RFC 9110 §5.6.4)', () => {
    expect(quotedString('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(
      wwwAuthenticate({
        resourceMetadataUrl: PRM,
        error: 'invalid_token',
        errorDescription: 'bad "kid" \\x',
      }),
    ).toContain('error_description="bad \\"kid\\" \\\\x"');
  });

  it('never lets CR, LF or non-ASCII through (no header injection)', () => {
    const header = wwwAuthenticate({
      resourceMetadataUrl: PRM,
      error: 'invalid_token',
      errorDescription: 'line\r\nSet-Cookie: a=b é',
    });
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toContain('error_description="line??Set-Cookie: a=b ?"');
  });

  it('sends no error_description without an error', () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: PRM, errorDescription: 'ignored' })).toBe(
      `Bearer resource_metadata="${PRM}"`,
    );
  });
});
