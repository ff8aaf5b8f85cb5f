/**
 * What the `cimd keys` subcommands share: default file names, option parsers, loading and saving
 * the key set with its public JWKS, and the mapping of failures to exit codes (a refused step
 * exits 1; a wrong step, a bad file or a failed fetch exits 2).
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import yoctoSpinner from 'yocto-spinner';
import { InvalidOptionError } from '../../../errors.js';
import { FetchError } from '../../../fetch/index.js';
import { writeFileAtomic } from '../../../keys/atomic-file.js';
import { KeySetError } from '../../../keys/errors.js';
import { DEFAULT_KEY_SET_FILE, loadKeySet, saveKeySet } from '../../../keys/file.js';
import { publicJwks } from '../../../keys/jwks.js';
import type { KeySet } from '../../../keys/key-set.js';
import { EXIT_CANNOT_CHECK, EXIT_INVALID } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';

/** The default key set file. */
export const DEFAULT_KEYS_PATH = `./${DEFAULT_KEY_SET_FILE}`;

/** The file name of the public JWKS, written beside the key set unless `--jwks` says otherwise. */
export const DEFAULT_JWKS_FILE_NAME = 'jwks.json';

/** The public JWKS file for a key set file: `--jwks`, or `jwks.json` in the key set's folder. */
export function jwksPathFor(keysPath: string, jwks: string | undefined): string {
  return jwks ?? join(dirname(keysPath), DEFAULT_JWKS_FILE_NAME);
}

/** Parses `--timeout <seconds>` (more than 0, at most 300). */
export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    throw new InvalidArgumentError('expected a number of seconds greater than 0 and at most 300');
  }
  return seconds;
}

/** Parses a whole, non-negative number of seconds (for timing settings). */
export function parseWholeSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new InvalidArgumentError('expected a whole number of seconds');
  }
  return seconds;
}

/** Parses `--max-age <days>`: a number of days greater than 0, at most 3650; returns milliseconds. */
export function parseMaxAgeDays(value: string): number {
  const days = Number(value);
  if (!Number.isFinite(days) || days <= 0 || days > 3650) {
    throw new InvalidArgumentError('expected a number of days greater than 0 and at most 3650');
  }
  return Math.round(days * 24 * 60 * 60 * 1000);
}

/** `--max-age <days>`: the maximum age of the current key (default 90 days), as milliseconds. */
export function maxAgeOption(): Option {
  return new Option(
    '--max-age <days>',
    'the maximum age of the current key, in days (default: 90)',
  ).argParser(parseMaxAgeDays);
}

/**
 * `--now <time>`: an ISO 8601 time to use as now (rehearsing a schedule, tests). Hidden from help;
 * documented in docs/cli.md.
 */
export function nowOption(): Option {
  return new Option('--now <time>', 'use this ISO 8601 time as now')
    .argParser((value: string) => {
      const ms = Date.parse(value);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
        throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-01-31T12:00:00Z');
      }
      return ms;
    })
    .hideHelp();
}

/** A subcommand that reports parse errors through `io` and never exits the process itself. */
export function subcommand(io: CliIo, name: string): Command {
  return new Command(name)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
}

/** Warns when the key set file can be read by others (it holds private keys). */
async function warnIfExposed(path: string, io: CliIo): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      writeLine(
        io.stderr,
        io.colors.yellow(
          `Warning: ${path} holds private keys but others may read it (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
        ),
      );
    }
  } catch {
    // loadKeySet has read it; a failing stat changes nothing.
  }
}

/** Loads the key set at `path`, warning on stderr when its mode lets others read it. */
export async function loadKeys(path: string, io: CliIo): Promise<KeySet> {
  const set = await loadKeySet(path);
  await warnIfExposed(path, io);
  return set;
}

/** Writes the key set (mode 0600) and then its public JWKS (mode 0644), each atomically. */
export async function saveKeys(keysPath: string, jwksPath: string, set: KeySet): Promise<void> {
  await saveKeySet(keysPath, set);
  await writeFileAtomic(jwksPath, `${JSON.stringify(publicJwks(set), null, 2)}\n`, { mode: 0o644 });
}

/** Runs `work` with a spinner on stderr when it is a terminal (and not with `--json`). */
export async function withSpinner<T>(
  io: CliIo,
  quiet: boolean,
  text: string,
  work: () => Promise<T>,
): Promise<T> {
  const spinner =
    io.interactive && !quiet
      ? yoctoSpinner({ text, stream: io.stderr as NodeJS.WriteStream }).start()
      : undefined;
  try {
    return await work();
  } finally {
    spinner?.stop();
  }
}

/** Refused steps (the next key is not published, the grace period is running) exit 1; the rest 2. */
const REFUSALS = new Set(['ERR_KEYS_NOT_PUBLISHED', 'ERR_KEYS_GRACE_PERIOD']);

/**
 * Prints a failure of a keys command and returns its exit code: 1 when a rotation step was refused
 * by its check, 2 for a wrong step, a bad key set file, an invalid option or a failed fetch.
 * Other errors are rethrown.
 */
export function reportFailure(error: unknown, io: CliIo): number {
  const { colors } = io;
  if (error instanceof KeySetError) {
    writeLine(io.stderr, `${colors.red('✗')} ${error.message} [${error.code}]`);
    if (error.code === 'ERR_KEYS_NOT_PUBLISHED')
      writeLine(io.stderr, '  (--force promotes without this check)');
    if (error.code === 'ERR_KEYS_GRACE_PERIOD') writeLine(io.stderr, '  (--force retires it now)');
    return REFUSALS.has(error.code) ? EXIT_INVALID : EXIT_CANNOT_CHECK;
  }
  if (error instanceof FetchError) {
    writeLine(io.stderr, `${colors.red('✗')} could not fetch the JWKS: ${error.message} [${error.code}]`);
    return EXIT_CANNOT_CHECK;
  }
  if (error instanceof InvalidOptionError) {
    writeLine(io.stderr, `${colors.red('✗')} ${error.message}`);
    return EXIT_CANNOT_CHECK;
  }
  throw error;
}

/** The flags every subcommand that fetches `jwksUri` takes. */
export interface FetchFlags {
  allowPrivateNetwork?: boolean;
  timeout: number;
}

/** Warns that `--allow-private-network` is on. */
export function warnPrivateNetwork(flags: FetchFlags, io: CliIo): void {
  if (!flags.allowPrivateNetwork) return;
  writeLine(
    io.stderr,
    io.colors.yellow(
      'Warning: --allow-private-network is on: a jwks_uri on this machine or a private network is fetched. Authorization servers refuse such keys; use this only for local development.',
    ),
  );
}
