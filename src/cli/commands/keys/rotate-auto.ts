/**
 * `cimd keys rotate --auto`: the whole staged rotation from a scheduler. Each run does at most the
 * next due step (stage, promote, retire; see `autoRotateStep`), rewrites the key set and the
 * public JWKS when it changed something, and prints what it did or "nothing to do". Exit 0 either
 * way; errors (an unreadable key set, a jwks_uri that cannot be fetched) exit 2.
 *
 * @module
 */
import { autoRotateStep } from '../../../keys/auto-rotation.js';
import type { KeySet } from '../../../keys/key-set.js';
import { fetchPublishedJwks } from '../../../keys/published.js';
import { EXIT_OK } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import { type FetchFlags, saveKeys, warnPrivateNetwork, withSpinner } from './shared.js';

/** The flags `--auto` reads. */
export interface AutoRotateFlags extends FetchFlags {
  keys: string;
  jwksPath: string;
  json?: boolean;
  /** The maximum age of the current key, in milliseconds (from `--max-age <days>`). */
  maxAge?: number;
  /** Now, in epoch milliseconds (from `--now`). */
  now?: number;
}

/** Runs one `--auto` step on `set` (already loaded from `flags.keys`); returns the exit code. */
export async function runAutoRotate(set: KeySet, flags: AutoRotateFlags, io: CliIo): Promise<number> {
  warnPrivateNetwork(flags, io);
  const where = set.jwksUri ?? 'the jwks_uri';
  const result = await autoRotateStep(set, {
    fetchPublished: () =>
      withSpinner(io, flags.json === true, `Fetching ${where}`, () =>
        fetchPublishedJwks(set, {
          allowPrivateNetwork: flags.allowPrivateNetwork === true,
          timeoutMs: Math.round(flags.timeout * 1000),
        }),
      ),
    ...(flags.maxAge === undefined ? {} : { maxKeyAgeMs: flags.maxAge }),
    ...(flags.now === undefined ? {} : { now: flags.now }),
  });
  if (result.step !== 'none') await saveKeys(flags.keys, flags.jwksPath, result.keySet);
  const { colors } = io;
  const mark = result.step === 'none' ? colors.dim('·') : colors.green('✓');
  writeLine(io.stderr, `${mark} ${result.message[0]?.toUpperCase()}${result.message.slice(1)}`);
  if (result.step === 'stage' || result.step === 'retire') {
    writeLine(io.stderr, `${colors.bold('Next:')} publish ${flags.jwksPath} at ${where}`);
  } else if (result.step === 'promote') {
    writeLine(
      io.stderr,
      `${colors.bold('Next:')} restart or reload what signs with this key set so it uses the new key`,
    );
  }
  if (flags.json) {
    const { keySet: _keySet, ...outcome } = result;
    const retireAfter = result.step === 'promote' ? result.retireAfter.toISOString() : undefined;
    writeLine(
      io.stdout,
      JSON.stringify(
        {
          auto: true,
          keysFile: flags.keys,
          jwksFile: flags.jwksPath,
          jwksUri: set.jwksUri ?? null,
          ...outcome,
          ...(retireAfter === undefined ? {} : { retireAfter }),
        },
        null,
        2,
      ),
    );
  }
  return EXIT_OK;
}
