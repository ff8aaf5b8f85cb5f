/**
 * `cimd admin keys list` and `cimd admin keys rotate`: the server's token signing keys where
 * `cimd serve` keeps them (a file beside the SQLite database or `--signing-keys`; sealed in a
 * shared store), listed with their ages, and rotated now. A rotation in the store runs under the
 * store's rotation lock, as the servers' own rotations do; every running `cimd serve` publishes
 * the new key at its next `/jwks` request and signs with it within a minute.
 *
 * @module
 */
import type { Command } from 'commander';
import { SHARED_STORE_NEEDS_KEY } from '../../../serve/config/encryption-key.js';
import { openSigningKeyStorage, openSigningKeys, signingKeyTokenLifetimeMs } from '../../../serve/store.js';
import { parseSigningKeySet, type StoredSigningKey } from '../../../server/tokens/signing-key-set.js';
import type { SigningKeyStorage } from '../../../server/tokens/signing-key-storage.js';
import { DEFAULT_CLOCK_SKEW_MS } from '../../../server/tokens/signing-keys.js';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import {
  type AdminContext,
  adminGroup,
  adminSubcommand,
  humanAge,
  isoTime,
  type JsonFlag,
  printJson,
  printTable,
  withAdminStore,
} from './shared.js';

/** The storage, and the encryption key it needs when sealed in the store. */
function sharedOf(context: AdminContext): {
  store: AdminContext['store'];
  encryptionKey: Uint8Array | undefined;
} {
  const { config, store } = context;
  if (config.signingKeys.kind === 'memory') {
    throw new UsageError(
      'the signing keys are kept in memory by each server process (an in-memory database): there is nothing to list or rotate',
    );
  }
  if (config.signingKeys.kind === 'store' && config.encryptionKey === undefined) {
    throw new UsageError(SHARED_STORE_NEEDS_KEY);
  }
  return { store, encryptionKey: config.encryptionKey?.key.reveal() };
}

function storageOf(context: AdminContext): SigningKeyStorage {
  return openSigningKeyStorage(context.config.signingKeys, sharedOf(context));
}

function whereJson(context: AdminContext): Record<string, unknown> {
  const { signingKeys } = context.config;
  return signingKeys.kind === 'file' ? { kind: 'file', path: signingKeys.path } : { kind: signingKeys.kind };
}

/** One key as listed. */
interface ListedKey {
  kid: string;
  alg: string;
  state: 'current' | 'retired';
  createdAt: string;
  retiredAt: string | null;
  ageSeconds: number;
  published: boolean;
}

/** The stored keys, newest first, with whether `/jwks` still publishes each. */
async function listKeys(context: AdminContext, storage: SigningKeyStorage): Promise<ListedKey[]> {
  const text = await storage.load();
  if (text === undefined) return [];
  const now = Date.now();
  const retentionMs = signingKeyTokenLifetimeMs(context.config.accessTokenTtlSeconds) + DEFAULT_CLOCK_SKEW_MS;
  const keys: StoredSigningKey[] = [...parseSigningKeySet(text).keys].sort(
    (a, b) => b.createdAt - a.createdAt,
  );
  return keys.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    state: key.retiredAt === undefined ? 'current' : 'retired',
    createdAt: isoTime(key.createdAt),
    retiredAt: key.retiredAt === undefined ? null : isoTime(key.retiredAt),
    ageSeconds: Math.max(0, Math.floor((now - key.createdAt) / 1000)),
    published: key.retiredAt === undefined || key.retiredAt + retentionMs > now,
  }));
}

function printKeys(io: CliIo, keys: readonly ListedKey[]): void {
  printTable(
    io,
    ['KID', 'ALG', 'STATE', 'AGE', 'CREATED', 'PUBLISHED'],
    keys.map((key) => [
      key.kid,
      key.alg,
      key.state,
      humanAge(key.ageSeconds * 1000),
      key.createdAt,
      key.published ? 'yes' : 'no',
    ]),
  );
}

function listSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = adminSubcommand(io, 'list').description(
    "List the server's signing keys with their ages and whether /jwks publishes them",
  );
  return command.action(async (flags: JsonFlag) => {
    await withAdminStore(command, async (context) => {
      const keys = await listKeys(context, storageOf(context));
      if (flags.json) printJson(io, { storage: whereJson(context), keys });
      else if (keys.length === 0) {
        writeLine(io.stderr, 'No signing keys yet: cimd serve makes the first when it starts.');
      } else printKeys(io, keys);
    });
    setExit(EXIT_OK);
  });
}

function rotateSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = adminSubcommand(io, 'rotate').description(
    "Rotate the server's signing key now: a new key signs, the previous one stays published until the tokens it signed expire",
  );
  return command.action(async (flags: JsonFlag) => {
    const code = await withAdminStore(command, async (context) => {
      const shared = sharedOf(context);
      const storage = storageOf(context);
      const previous = (await listKeys(context, storage)).find((key) => key.state === 'current');
      if (previous === undefined) {
        if (flags.json) printJson(io, { rotated: false, storage: whereJson(context), keys: [] });
        writeLine(
          io.stderr,
          'No signing keys yet: cimd serve makes the first when it starts; nothing to rotate.',
        );
        return EXIT_INVALID;
      }
      const manager = await openSigningKeys(
        context.config.signingKeys,
        context.config.accessTokenTtlSeconds,
        shared,
      );
      await manager.rotate();
      const keys = await listKeys(context, storage);
      const current = keys.find((key) => key.state === 'current');
      if (flags.json) {
        printJson(io, {
          rotated: true,
          storage: whereJson(context),
          previousKid: previous.kid,
          currentKid: current?.kid ?? null,
          keys,
        });
        return EXIT_OK;
      }
      writeLine(io.stdout, `Rotated the signing key: ${current?.kid} signs new tokens.`);
      printKeys(io, keys);
      writeLine(
        io.stderr,
        'Running servers publish the new key at their next /jwks request and sign with it within a minute.',
      );
      return EXIT_OK;
    });
    setExit(code);
  });
}

/** Defines `cimd admin keys` (`list`, `rotate`). */
export function adminKeysCommand(io: CliIo, setExit: (code: number) => void): Command {
  return adminGroup(io, 'keys', "The server's token signing keys: list and rotate")
    .addCommand(listSubcommand(io, setExit))
    .addCommand(rotateSubcommand(io, setExit));
}
