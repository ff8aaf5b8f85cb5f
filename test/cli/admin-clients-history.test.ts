/**
 * `cimd admin clients show` (in process) on a SQLite file the authorization server wrote while a
 * real CIMD document on loopback changed its identity fields: one history entry per document,
 * the fields that changed, the name from and to (JSON-quoted: control characters never reach the
 * terminal), the keys added and removed.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { exportJWK, generateKeyPair } from 'jose';
import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsCommand } from '../../src/cli/commands/admin/clients.js';
import type { CliIo } from '../../src/cli/io.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../keys/fixtures.js';
import { documentFor, type Harness, startHarness } from '../server/authorize/helpers.js';

let h: Harness;
const dir = tempDir('cimd-admin-history-');
const database = join(dir.path, 'cimd.sqlite');
let store: Store;

beforeAll(async () => {
  h = await startHarness();
  store = await createSqliteStore({ path: database, cleanupIntervalMs: 0 });
});
afterAll(async () => {
  await store.close();
  await h.close();
  dir.remove();
});

function captureIo(): CliIo & { out(): string } {
  let stdout = '';
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
    stderr: sink(() => {}),
    interactive: false,
    colors: pc.createColors(false),
    out: () => stdout,
  };
}

async function show(clientId: string, json = false): Promise<{ code: number | undefined; out: string }> {
  const io = captureIo();
  let code: number | undefined;
  const program = new Command('admin').exitOverride();
  program.addCommand(
    clientsCommand(io, (exit) => {
      code = exit;
    }).exitOverride(),
  );
  await program.parseAsync(
    ['clients', 'show', clientId, '--database', database, ...(json ? ['--json'] : [])],
    {
      from: 'user',
    },
  );
  return { code, out: io.out() };
}

describe('cimd admin clients show: the identity history of a client document', () => {
  it('lists each document with the identity fields that changed, the name from and to, the keys', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const { publicKey: nextKey } = await generateKeyPair('ES256', { extractable: true });
    const k1 = { ...(await exportJWK(publicKey)), kid: 'k1' };
    const k2 = { ...(await exportJWK(nextKey)), kid: 'k2' };
    const keyed = { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' };
    const clientId = h.client({ ...keyed, jwks: { keys: [k1] } });
    const s = h.server({ store, clients: { cacheBounds: { minTtlMs: 1000, maxTtlMs: 1000 } } });
    const versions = [
      { client_name: 'Tool\u001b[31m One', logo_uri: 'https://logos.example/1.png' },
      { client_name: 'Tool Two', logo_uri: 'https://logos.example/1.png' },
      { client_name: 'Tool Two', logo_uri: 'https://logos.example/2.png', jwks: { keys: [k2] } },
    ];
    for (const version of versions) {
      h.reserve(clientId, documentFor(clientId, { ...keyed, jwks: { keys: [k1] }, ...version }));
      s.clock.advance(1_500);
      await s.server.context.registry.resolveClient(clientId);
    }

    const text = await show(clientId);
    expect(text.code).toBe(0);
    expect(text.out).toContain('3 document fingerprints, oldest first:');
    expect(text.out).not.toContain('\u001b');
    expect(text.out).toContain('"Tool\\u001b[31m One"');
    expect(text.out).toContain('changed client_name; name "Tool\\u001b[31m One" -> "Tool Two"');
    expect(text.out).toMatch(/changed jwks, logo_uri; keys added [\w-]{43}; keys removed [\w-]{43}/);

    const json = await show(clientId, true);
    const documents = (JSON.parse(json.out) as { documents: { clientName: string; changes: unknown }[] })
      .documents;
    expect(documents.map((document) => document.clientName)).toStrictEqual([
      'Tool\u001b[31m One',
      'Tool Two',
      'Tool Two',
    ]);
    expect(
      documents.map((document) => (document.changes as { fields: string[] } | null)?.fields),
    ).toStrictEqual([undefined, ['client_name'], ['jwks', 'logo_uri']]);
  });
});
