// The package root must run anywhere (browsers, workers, Deno, Bun): no
// file that src/index.ts reaches may import a node: module.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';

const srcDir = new URL('../../src/', import.meta.url);

/** Every source file the root entry reaches through relative imports, transitively. */
function reachableFromRoot(): URL[] {
  const seen = new Map<string, URL>();
  const queue = [new URL('index.ts', srcDir)];
  while (queue.length > 0) {
    const file = queue.pop() as URL;
    if (seen.has(file.href)) continue;
    seen.set(file.href, file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      queue.push(new URL(`${match[1]}.ts`, file));
    }
  }
  return [...seen.values()];
}
const files = reachableFromRoot();

describe('the package root', () => {
  it.each(files.map((file) => [file.pathname.split('/src/')[1] ?? file.pathname, file] as const))(
    '%s has no node: import',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      expect(source).not.toMatch(/from\s+['"]node:/);
      expect(source).not.toMatch(/import\s*\(\s*['"]node:/);
      expect(source).not.toMatch(/require\s*\(/);
      expect(source).not.toMatch(/\bprocess\.|\bBuffer\b/);
    },
  );

  it('index.ts uses explicit named exports only', () => {
    const source = readFileSync(new URL('index.ts', srcDir), 'utf8');
    expect(source).not.toMatch(/export\s+\*/);
  });

  it('exports the document toolkit', () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'CimdError',
        'InvalidClientMetadataError',
        'InvalidOptionError',
        'LINT_RULES',
        'MAX_CLIENT_METADATA_BYTES',
        'PLACEHOLDER_CLIENT_ID',
        'checkClientIdUrl',
        'clientMetadataSchema',
        'createClientMetadata',
        'isCimdError',
        'isClientIdUrl',
        'isLoopbackRedirectUri',
        'lintClientMetadata',
        'lintJwks',
        'matchRedirectUri',
      ].sort(),
    );
  });

  it('clientMetadataSchema keeps unknown members and types the registered ones', () => {
    const input = {
      client_id: 'https://app.example.com/c.json',
      client_name: 'x',
      redirect_uris: ['http://127.0.0.1/cb'],
      extra: { nested: true },
    };
    expect(root.clientMetadataSchema.parse(input)).toEqual(input);
    expect(root.clientMetadataSchema.safeParse({ ...input, redirect_uris: [] }).success).toBe(false);
    expect(root.clientMetadataSchema.safeParse({ ...input, grant_types: 'x' }).success).toBe(false);
  });
});
