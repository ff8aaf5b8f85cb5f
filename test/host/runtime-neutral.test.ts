// mcp-cimd/host runs anywhere the Fetch API does (workers, Deno, Bun): no file that
// src/host/index.ts reaches may import a node: module or use Node globals.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function reachable(entry: URL): URL[] {
  const seen = new Map<string, URL>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as URL;
    if (seen.has(file.href)) continue;
    seen.set(file.href, file);
    for (const match of readFileSync(file, 'utf8').matchAll(
      /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g,
    )) {
      queue.push(new URL(`${match[1]}.ts`, file));
    }
  }
  return [...seen.values()];
}

describe('mcp-cimd/host', () => {
  const files = reachable(new URL('../../src/host/index.ts', import.meta.url));
  it.each(files.map((file) => [file.pathname.split('/src/')[1] ?? file.pathname, file] as const))(
    '%s has no node: import and no Node global',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      expect(source).not.toMatch(/from\s+['"]node:/);
      expect(source).not.toMatch(/\bprocess\.|\bBuffer\b|require\s*\(/);
    },
  );
});
