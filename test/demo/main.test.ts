/**
 * `npm start` as it runs: the built `dist/demo/main.js` in a subprocess prints its banner, the
 * URLs it prints answer, and Ctrl-C (SIGINT) stops everything with exit 0.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MAIN, requireBuiltDemo, spawnNode } from '../serve/process.js';

beforeAll(() => requireBuiltDemo());

describe('npm start (dist/demo/main.js)', () => {
  it('prints working URLs, validates its documents, and stops cleanly on SIGINT', async () => {
    const demo = spawnNode(DEMO_MAIN, ['--port', '0']);
    try {
      await expect.poll(() => demo.stdout(), { timeout: 15_000 }).toContain('Press Ctrl-C to stop.');
      const stdout = demo.stdout();
      const url = (label: RegExp) => label.exec(stdout)?.[1] ?? '';
      const issuer = url(/Authorization server\s+(\S+)/);
      const metadata = url(/metadata \(RFC 8414\)\s+(\S+)/);
      const mcp = url(/Demo MCP server\s+(\S+)/);
      const resourceMetadata = url(/resource metadata\s+(\S+)/);
      const client = url(/Demo client\s+(\S+)/);
      const authorize = url(/^\s+(http:\/\/\S+\/authorize\?\S+)$/m);

      expect(stdout).toMatch(/public client\s+https:\/\/localhost:\d+\/oauth\/client\.json\s+valid/);
      expect(stdout).toMatch(/private_key_jwt client\s+https:\/\/localhost:\d+\/oauth\/agent\.json\s+valid/);
      expect(((await (await fetch(metadata)).json()) as { issuer: string }).issuer).toBe(issuer);
      const unauthorized = await fetch(mcp, { method: 'POST' });
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${resourceMetadata}"`,
      );
      expect((await fetch(resourceMetadata)).status).toBe(200);
      expect((await fetch(client)).status).toBe(200);
      expect(new URL(authorize).searchParams.get('code_challenge_method')).toBe('S256');
      expect(demo.stderr()).toMatch(/"level":"warn".*allow-private-network/);

      expect(await demo.stop('SIGINT')).toBe(0);
      expect(demo.stdout()).toContain('stopped');
    } finally {
      demo.child.kill('SIGKILL');
    }
  });

  it('explains a bad option and exits 2', async () => {
    const demo = spawnNode(DEMO_MAIN, ['--store', 'mongodb']);
    const code = await demo.exited;
    expect(demo.stderr()).toContain(
      '--store: expected one of memory, sqlite, postgres, redis; got "mongodb"',
    );
    expect(code).toBe(2);
  });
});
