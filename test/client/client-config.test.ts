/**
 * The client configuration file: one identity per MCP server and purpose. Parsing names the
 * faulty entry; selection is exact by default, by origin only for entries that ask for it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientFor, loadClientConfig, parseClientConfig } from '../../src/client/index.js';
import { tempDir } from '../keys/fixtures.js';

const entry = (extra: Record<string, unknown> = {}) => ({
  url: 'https://mcp.example.com/mcp',
  clientId: 'https://app.example.com/oauth/mcp-example.json',
  ...extra,
});
const parseError = (value: unknown) => {
  try {
    parseClientConfig(value, { source: 'cimd-clients.json' });
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('expected a refusal');
};

describe('parseClientConfig', () => {
  it('refuses a bad file with a message naming the entry, each with ERR_SIGNIN_CLIENT_CONFIG', () => {
    expect(parseError([]).message).toContain('must be a JSON object with a "servers" array');
    expect(parseError({ servers: [] }).message).toContain('"servers" must be a non-empty array');
    expect(parseError({ servers: [], extra: 1 }).message).toContain('unknown member "extra"');
    const badUrl = parseError({ servers: [entry(), entry({ url: 'ftp://x/mcp' })] });
    expect(badUrl.code).toBe('ERR_SIGNIN_CLIENT_CONFIG');
    expect(badUrl.message).toContain('cimd-clients.json: servers[1] (ftp://x/mcp): url must be');
    expect(parseError({ servers: [entry({ clientId: 'http://app.example.com/c.json' })] }).message).toContain(
      'servers[0] (https://mcp.example.com/mcp): clientId must be the https URL',
    );
    expect(parseError({ servers: [entry({ clientId: 'https://app.example.com/' })] }).message).toContain(
      'clientId must be',
    );
    expect(parseError({ servers: [entry({ keyFile: 'k.json' })] }).message).toContain(
      'unknown member "keyFile"',
    );
    expect(parseError({ servers: [entry({ keys: 3 })] }).message).toContain('keys must be the path');
    expect(parseError({ servers: [entry({ purpose: ' ' })] }).message).toContain('purpose must be');
    expect(parseError({ servers: [entry({ match: 'prefix' })] }).message).toContain('match must be');
    expect(parseError({ servers: ['x'] }).message).toContain('servers[0] must be an object');
    expect(
      parseError({ servers: [entry(), entry({ url: 'https://mcp.example.com/mcp#x' })] }).message,
    ).toContain('without credentials or fragment');
    expect(parseError({ servers: [entry(), entry()] }).message).toContain(
      'servers[0] and servers[1] are both for https://mcp.example.com/mcp: one identity per server and purpose',
    );
  });

  it('resolves keys against the file folder', async () => {
    const dir = tempDir('cimd-client-config-');
    try {
      const path = join(dir.path, 'cimd-clients.json');
      writeFileSync(path, JSON.stringify({ servers: [entry({ keys: './keys/a.json' })] }));
      const config = await loadClientConfig(path);
      expect(config.file).toBe(path);
      expect(config.servers[0]).toMatchObject({
        keys: join(dir.path, 'keys/a.json'),
        match: 'exact',
        index: 0,
      });
      writeFileSync(path, '{ nope');
      await expect(loadClientConfig(path)).rejects.toThrow(/is not JSON/);
      await expect(loadClientConfig(join(dir.path, 'missing.json'))).rejects.toThrow(
        /cannot read the client configuration/,
      );
    } finally {
      dir.remove();
    }
  });
});

describe('clientFor', () => {
  const config = parseClientConfig({
    servers: [
      entry({ purpose: 'read tickets' }),
      entry({ clientId: 'https://app.example.com/oauth/writer.json', purpose: 'file tickets' }),
      {
        url: 'https://tools.example.org/',
        match: 'origin',
        clientId: 'https://app.example.com/oauth/tools.json',
      },
      { url: 'https://tools.example.org/special', clientId: 'https://app.example.com/oauth/special.json' },
    ],
  });

  it('is strict: the exact URL, never a lookalike path or trailing slash', () => {
    expect(() => clientFor(config, 'https://mcp.example.com/mcp/')).toThrow(
      /has no entry for https:\/\/mcp\.example\.com\/mcp\/ \(matching is exact/,
    );
    expect(() => clientFor(config, 'https://mcp.example.com/other')).toThrow(/configured: https:\/\/mcp/);
  });

  it('picks one identity per purpose, and asks for a purpose when a server has several', () => {
    expect(clientFor(config, 'https://mcp.example.com/mcp', { purpose: 'file tickets' }).clientId).toBe(
      'https://app.example.com/oauth/writer.json',
    );
    expect(() => clientFor(config, 'https://mcp.example.com/mcp')).toThrow(
      /has 2 entries for https:\/\/mcp\.example\.com\/mcp: name one by purpose \("read tickets", "file tickets"\)/,
    );
    expect(() => clientFor(config, 'https://mcp.example.com/mcp', { purpose: 'admin' })).toThrow(
      /no entry for https:\/\/mcp\.example\.com\/mcp with purpose "admin"/,
    );
  });

  it('falls back to an origin entry only when no entry matches exactly', () => {
    expect(clientFor(config, 'https://tools.example.org/any/path').clientId).toBe(
      'https://app.example.com/oauth/tools.json',
    );
    expect(clientFor(config, 'https://tools.example.org/special').clientId).toBe(
      'https://app.example.com/oauth/special.json',
    );
    expect(() => clientFor(config, 'https://tools.example.org:8443/mcp')).toThrow(/has no entry/);
  });
});
