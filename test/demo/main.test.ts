/**
 * `npm start` as it runs: the built `dist/demo/main.js` in a subprocess prints its banner, the
 * URLs it prints answer, and Ctrl-C (SIGINT) stops everything with exit 0.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/demo/main.js', import.meta.url));

beforeAll(() => {
  if (!existsSync(MAIN))
    throw new Error('dist/demo/main.js is missing: run `npm run build` first (npm test does)');
});

describe('npm start (dist/demo/main.js)', () => {
  it('prints working URLs, validates its documents, and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [MAIN, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stdout, { timeout: 15_000 }).toContain('Press Ctrl-C to stop.');
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
      expect(stderr).toMatch(/"level":"warn".*allow-private-network/);

      child.kill('SIGINT');
      const code = await Promise.race([
        exited,
        new Promise<never>((_, fail) => setTimeout(() => fail(new Error('no exit within 5 s')), 5000)),
      ]);
      expect(code).toBe(0);
      expect(stdout).toContain('stopped');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('explains a bad option and exits 2', async () => {
    const child = spawn(process.execPath, [MAIN, '--store', 'redis'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exit) => resolve(exit)));
    expect(stderr).toContain('--store: expected one of memory, sqlite; got "redis"');
    expect(code).toBe(2);
  });
});
