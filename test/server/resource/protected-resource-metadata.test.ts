import { describe, expect, it } from 'vitest';
import {
  protectedResourceMetadata,
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
} from '../../../src/server/resource/protected-resource-metadata.js';

describe('DISC-01: protectedResourceMetadataUrl inserts the well-known segment between host and path', () => {
  it.each([
    ['https://ex.com/public/mcp', 'https://ex.com/.well-known/oauth-protected-resource/public/mcp'],
    ['https://ex.com/mcp', 'https://ex.com/.well-known/oauth-protected-resource/mcp'],
    ['https://ex.com', 'https://ex.com/.well-known/oauth-protected-resource'],
    ['https://ex.com/', 'https://ex.com/.well-known/oauth-protected-resource'],
    ['https://ex.com/mcp/', 'https://ex.com/.well-known/oauth-protected-resource/mcp/'],
    ['https://ex.com:8443/mcp', 'https://ex.com:8443/.well-known/oauth-protected-resource/mcp'],
    ['https://ex.com:443/mcp', 'https://ex.com/.well-known/oauth-protected-resource/mcp'],
    ['https://EX.com/mcp', 'https://ex.com/.well-known/oauth-protected-resource/mcp'],
    ['https://ex.com/mcp?tenant=a', 'https://ex.com/.well-known/oauth-protected-resource/mcp?tenant=a'],
    ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp'],
    ['http://[::1]:3000/', 'http://[::1]:3000/.well-known/oauth-protected-resource'],
  ])('%s -> %s', (resource, expected) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(expected);
    expect(protectedResourceMetadataUrl(new URL(resource))).toBe(expected);
  });

  it.each(['https://ex.com/mcp#frag', 'https://ex.com/mcp#', 'ftp://ex.com/mcp', 'mcp', ''])(
    'refuses %j',
    (resource) => {
      expect(() => protectedResourceMetadataUrl(resource)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    },
  );

  it('gives the routing path without the query', () => {
    expect(protectedResourceMetadataPath('https://ex.com/mcp?x=1')).toBe(
      '/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataPath('https://ex.com')).toBe('/.well-known/oauth-protected-resource');
  });
});

describe('protectedResourceMetadata (RFC 9728 §2)', () => {
  it('MCP-RS-01: the JSON with a non-empty authorization_servers and bearer_methods_supported ["header"]', () => {
    expect(
      protectedResourceMetadata({
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://as.example.com'],
        scopesSupported: ['mcp:tools', 'mcp:read'],
        resourceName: 'Example MCP',
        resourceDocumentation: 'https://docs.example.com/mcp',
      }),
    ).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://as.example.com'],
      scopes_supported: ['mcp:tools', 'mcp:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example MCP',
      resource_documentation: 'https://docs.example.com/mcp',
    });
  });

  it('DISC-02: omits empty members', () => {
    const metadata = protectedResourceMetadata({
      resource: 'https://mcp.example.com/mcp',
      authorizationServers: ['https://as.example.com', 'https://as.example.com'],
      scopesSupported: [],
      resourceName: '',
      bearerMethodsSupported: [],
    });
    expect(metadata).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://as.example.com'],
    });
  });

  it('DISC-03: publishes the resource exactly as given (clients compare it with the URL they requested)', () => {
    const metadata = protectedResourceMetadata({
      resource: 'https://mcp.example.com',
      authorizationServers: [new URL('https://as.example.com/tenant')],
    });
    expect(metadata.resource).toBe('https://mcp.example.com');
    expect(metadata.authorization_servers).toEqual(['https://as.example.com/tenant']);
  });

  it('MCP-RS-01: refuses an empty authorization_servers, and unusable URLs', () => {
    const cases = [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: [] },
      { resource: 'http://mcp.example.com/mcp', authorizationServers: ['https://as.example.com'] },
      { resource: 'https://mcp.example.com/mcp#x', authorizationServers: ['https://as.example.com'] },
      { resource: 'https://mcp.example.com/mcp', authorizationServers: ['http://as.example.com'] },
      { resource: 'https://mcp.example.com/mcp', authorizationServers: ['https://as.example.com/?q=1'] },
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://as.example.com'],
        bearerMethodsSupported: ['cookie'],
      },
    ];
    for (const options of cases) {
      expect(() => protectedResourceMetadata(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('allows plain http on loopback for local development', () => {
    expect(
      protectedResourceMetadata({
        resource: 'http://127.0.0.1:3000/mcp',
        authorizationServers: ['http://localhost:4000'],
      }).authorization_servers,
    ).toEqual(['http://localhost:4000']);
  });
});
