/**
 * The layers of the source tree, read from the import statements (static, dynamic and
 * `export … from`) of every file under src/: the CLI and the demo both sit on src/serve and
 * never import each other; src/serve imports neither; the library in src/server imports none of
 * the three.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every TypeScript file under `dir`, as paths relative to src/ (`cli/main.ts`). */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The files under src/ that `file` imports through relative specifiers, relative to src/. */
function importsOf(file: string): string[] {
  const source = readFileSync(join(SRC, file), 'utf8');
  return [...source.matchAll(IMPORT)].map((match) =>
    relative(SRC, resolve(dirname(join(SRC, file)), match[1] ?? '')),
  );
}

const files = sourceFiles();

/** `[file, imported]` for every import from a file under `from` of a file under `to`. */
function crossings(from: string, to: readonly string[]): string[] {
  return files
    .filter((file) => file.startsWith(`${from}/`))
    .flatMap((file) =>
      importsOf(file)
        .filter((target) => to.some((folder) => target.startsWith(`${folder}/`)))
        .map((target) => `${file} imports ${target}`),
    );
}

describe('the layers of src/', () => {
  it('finds the files and their imports', () => {
    expect(files).toContain('cli/commands/serve.ts');
    expect(importsOf('cli/commands/serve.ts')).toContain('serve/start.js');
    expect(importsOf('demo/main.ts')).toContain('demo/start.js'); // a dynamic import
  });

  it('src/cli never imports src/demo', () => {
    expect(crossings('cli', ['demo'])).toEqual([]);
  });

  it('src/demo never imports src/cli', () => {
    expect(crossings('demo', ['cli'])).toEqual([]);
  });

  it('src/serve imports neither src/cli nor src/demo', () => {
    expect(crossings('serve', ['cli', 'demo'])).toEqual([]);
  });

  it('src/server imports none of src/serve, src/cli and src/demo', () => {
    expect(crossings('server', ['serve', 'cli', 'demo'])).toEqual([]);
  });
});
