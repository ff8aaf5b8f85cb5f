/**
 * `mcp-cimd/resource` and `mcp-cimd/resource/express` (issue 10, point 2): the resource-server
 * side in an entry of its own, with the old `mcp-cimd/server` and `mcp-cimd/server/express` names
 * kept as aliases until 1.0 (the very same functions), and the layering rule that the library in
 * src/server never imports the entry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The entries' runtime exports, read as records (every name is looked up dynamically). */
const resource: Record<string, unknown> = await import('../../src/resource/index.js');
const resourceExpress: Record<string, unknown> = await import('../../src/resource/express.js');
const server: Record<string, unknown> = await import('../../src/server/index.js');
const serverExpress: Record<string, unknown> = await import('../../src/server/express.js');

const RESOURCE_SIDE = [
  'accessTokenHash',
  'boundJktOf',
  'createDpopResourceCheck',
  'createDpopNonceSource',
  'createMemoryDpopReplayStore',
  'InvalidDpopProofError',
  'UseDpopNonceError',
  'bearerAuth',
  'bearerRequestOf',
  'createAccessTokenVerifier',
  'createBearerAuthenticator',
  'DEFAULT_ACCESS_TOKEN_ALGORITHMS',
  'InsufficientScopeError',
  'InvalidTokenError',
  'PROTECTED_RESOURCE_WELL_KNOWN',
  'protectedResourceMetadata',
  'protectedResourceMetadataHandler',
  'protectedResourceMetadataPath',
  'protectedResourceMetadataRoute',
  'protectedResourceMetadataUrl',
  'toResponse',
  'wwwAuthenticate',
] as const;

describe('mcp-cimd/resource', () => {
  it.each(RESOURCE_SIDE)('exports %s, the same value as mcp-cimd/server (alias until 1.0)', (name) => {
    expect(resource[name]).toBeDefined();
    expect(resource[name]).toBe(server[name]);
  });

  it('every runtime export of mcp-cimd/resource that mcp-cimd/server also has is the same value', () => {
    const shared = Object.keys(resource).filter((name) => name in server);
    expect(shared.length).toBeGreaterThanOrEqual(RESOURCE_SIDE.length);
    for (const name of shared) {
      expect(resource[name], name).toBe(server[name]);
    }
  });

  it('mcpSdkVerifier is the one mcp-cimd/server/express exports', () => {
    expect(resource.mcpSdkVerifier).toBe(serverExpress.mcpSdkVerifier);
  });

  it('carries nothing of the authorization server', () => {
    for (const name of [
      'createAuthorizationServer',
      'createClientRegistry',
      'devLogin',
      'issueAccessToken',
    ]) {
      expect(resource).not.toHaveProperty(name);
    }
  });
});

describe('mcp-cimd/resource/express', () => {
  it.each(['requireBearer', 'protectedResourceMetadataRouter', 'mcpSdkVerifier'] as const)(
    'exports %s, the same function as mcp-cimd/server/express',
    (name) => {
      expect(typeof resourceExpress[name]).toBe('function');
      expect(resourceExpress[name]).toBe(serverExpress[name]);
    },
  );
});

describe('the package exports', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, { types: string; default: string }>;
  };

  it.each([
    ['./resource', 'resource/index'],
    ['./resource/express', 'resource/express'],
    ['./server', 'server/index'],
    ['./server/express', 'server/express'],
  ])('%s points at dist/%s', (entry, file) => {
    expect(pkg.exports[entry]).toEqual({ types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` });
  });
});

describe('layering', () => {
  const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
  function files(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return files(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    });
  }

  it('nothing under src/server imports src/resource', () => {
    const offenders = files(join(SRC, 'server')).filter((file) =>
      /['"](?:\.\.\/)+resource\/(?:index|express)\.js['"]/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((file) => relative(SRC, file))).toEqual([]);
  });
});
