// The package root must run anywhere (browsers, workers, Deno, Bun): nothing under
// src/document, nor src/index.ts, may import a node: module.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';

const srcDir = new URL('../../src/', import.meta.url);
const documentDir = new URL('document/', srcDir);
const files = [
  ...readdirSync(documentDir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => new URL(name, documentDir)),
  new URL('index.ts', srcDir),
  new URL('errors.ts', srcDir),
];

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
