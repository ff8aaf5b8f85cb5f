/**
 * The MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.16, `--suite auth`) against
 * our conformance client, through scripts/conformance-client.sh exactly as `npm run
 * test:conformance` runs it. The suite needs Node 22: npx downloads it on first use, hence the
 * long timeout. Any failed check or any warning fails the run. Set CIMD_SKIP_CONFORMANCE=1 to skip
 * it where the npm registry cannot be reached.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../scripts/conformance-client.sh', import.meta.url));
const CLIENT = fileURLToPath(new URL('../../dist/conformance/client.js', import.meta.url));

function run(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [SCRIPT, 'auth'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 290_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('MCP conformance suite, auth scenarios', () => {
  const skip = process.env.CIMD_SKIP_CONFORMANCE === '1';
  it.skipIf(skip)(
    'passes every auth scenario with no failure and no warning',
    { timeout: 300_000 },
    async () => {
      if (!existsSync(CLIENT))
        throw new Error('dist/conformance/client.js is missing: run `npm run build` first');
      const { code, output } = await run();
      const summary = output.slice(output.lastIndexOf('=== SUITE SUMMARY ==='));
      expect(summary, output).toMatch(/Total: \d+ passed, 0 failed, 0 warnings/);
      expect(summary).toContain('✓ auth/basic-cimd');
      expect(summary).not.toContain('✗');
      const plain = output.replaceAll(String.fromCharCode(27), '');
      expect(plain).not.toMatch(/\[[a-z0-9-]+\s*\]\s*(\[\d+m)?(WARNING|FAILURE)/);
      expect(code).toBe(0);
    },
  );
});
