// mcp-cimd/resource runs anywhere the Fetch API does (workers, Deno, Bun, Node): no file that
// src/resource/index.ts reaches may import a node: module or use a Node global directly (a
// feature-detected `globalThis.process` is fine).
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

describe('mcp-cimd/resource', () => {
  const files = reachable(new URL('../../src/resource/index.ts', import.meta.url));

  it('reaches the resource-server modules and none of the authorization server', () => {
    const names = files.map((file) => file.pathname.split('/src/')[1]);
    expect(names).toContain('server/resource/bearer.ts');
    expect(
      names.filter((name) =>
        /server\/(authorization-server|authorize|grants|login|upstream)\//.test(name ?? ''),
      ),
    ).toEqual([]);
  });

  it.each(files.map((file) => [file.pathname.split('/src/')[1] ?? file.pathname, file] as const))(
    '%s has no node: import and no Node global',
    (_name, file) => {
      // Code only: a comment may name what a feature-detected path would use.
      const source = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(source).not.toMatch(/from\s+['"]node:/);
      expect(source).not.toMatch(/\bprocess\.|\bBuffer\b|require\s*\(/);
    },
  );
});
