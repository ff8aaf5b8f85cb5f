/** `keysCommand` registered on a program in process, as main.ts will do it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { afterAll, describe, expect, it } from 'vitest';
import { keysCommand } from '../../src/cli/commands/keys.js';
import type { CliIo } from '../../src/cli/io.js';
import { tempDir } from '../keys/fixtures.js';

function captureIo(): CliIo & { out(): string; err(): string } {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  return {
    stdout: sink((text) => {
      stdout += text;
    }),
    stderr: sink((text) => {
      stderr += text;
    }),
    interactive: false,
    colors: pc.createColors(false),
    out: () => stdout,
    err: () => stderr,
  };
}

async function run(
  args: string[],
): Promise<{ code: number | undefined; io: ReturnType<typeof captureIo>; error?: unknown }> {
  const io = captureIo();
  let code: number | undefined;
  const program = new Command('cimd').exitOverride();
  program.addCommand(
    keysCommand(io, (exit) => {
      code = exit;
    }).exitOverride(),
  );
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code, io };
  } catch (error) {
    return { code, io, error };
  }
}

describe('keysCommand (in process)', () => {
  const dir = tempDir('cimd-keys-inprocess-');
  afterAll(() => dir.remove());

  it('generates, then exports the public JWKS through the injected streams', async () => {
    const out = join(dir.path, 'k.json');
    const generated = await run(['keys', 'generate', '--out', out, '--alg', 'PS256', '--json']);
    expect(generated.error).toBeUndefined();
    expect(generated.code).toBe(0);
    expect(JSON.parse(generated.io.out())).toMatchObject({ alg: 'PS256', keysFile: out });
    const exported = await run(['keys', 'export', '--public', '--keys', out]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.io.out())).toEqual(
      JSON.parse(readFileSync(join(dir.path, 'jwks.json'), 'utf8')),
    );
  });

  it('reports a parse error through the injected stderr and throws instead of exiting', async () => {
    const result = await run(['keys', 'generate', '--alg', 'HS256']);
    expect(result.error).toBeInstanceOf(CommanderError);
    expect(result.io.err()).toMatch(/Allowed choices are ES256, RS256, PS256, EdDSA/);
  });
});
