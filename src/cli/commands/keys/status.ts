/**
 * `cimd keys status`: compares the local key set with what its `jwks_uri` serves and says which
 * rotation step is safe next. Exit 0 consistent, 1 inconsistent, 2 cannot check.
 *
 * @module
 */
import type { Command } from 'commander';
import { FetchError } from '../../../fetch/index.js';
import { KeySetError } from '../../../keys/errors.js';
import { currentKeyAge, DEFAULT_MAX_KEY_AGE_MS } from '../../../keys/key-age.js';
import type { KeySet } from '../../../keys/key-set.js';
import { fetchPublishedJwks } from '../../../keys/published.js';
import { retireAfter } from '../../../keys/rotation.js';
import { type KeySetStatus, keySetStatus, type StatusItem } from '../../../keys/status.js';
import { EXIT_INVALID, EXIT_OK } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import {
  DEFAULT_KEYS_PATH,
  type FetchFlags,
  loadKeys,
  maxAgeOption,
  nowOption,
  parseSeconds,
  reportFailure,
  subcommand,
  warnPrivateNetwork,
  withSpinner,
} from './shared.js';

interface StatusFlags extends FetchFlags {
  keys: string;
  json?: boolean;
  maxAge?: number;
  strict?: boolean;
  now?: number;
}

/** Defines `cimd keys status`. */
export function statusSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  return subcommand(io, 'status')
    .description(
      'Compare the key set with what its jwks_uri serves, and say which rotation step is safe next',
    )
    .option('--keys <file>', 'the key set file', DEFAULT_KEYS_PATH)
    .option('--json', 'print a machine-readable report on stdout')
    .option(
      '--allow-private-network',
      'allow a jwks_uri on this machine or a private network (development only)',
    )
    .option('--timeout <seconds>', 'deadline for fetching the jwks_uri, in seconds', parseSeconds, 5)
    .addOption(maxAgeOption())
    .option('--strict', 'exit 1 when the current key is older than --max-age (a warning otherwise)')
    .addOption(nowOption())
    .addHelpText(
      'after',
      `
A current key older than --max-age (90 days by default) is a warning; rotate it
(cimd keys rotate --stage, or --auto from a scheduler). It changes the exit code only with --strict.

Exit codes: 0 consistent (every signing key is served, no private key is), 1 inconsistent,
            or with --strict a current key past its maximum age,
            2 the key set could not be read or the jwks_uri could not be fetched.`,
    )
    .action(async (flags: StatusFlags) => {
      try {
        setExit(await runStatus(flags, io));
      } catch (error) {
        setExit(reportFailure(error, io));
      }
    });
}

function statusJson(path: string, set: KeySet, status: KeySetStatus, age: KeyAgeView): unknown {
  return {
    checked: true,
    keysFile: path,
    jwksUri: set.jwksUri ?? null,
    consistent: status.consistent,
    currentKeyAge: age,
    keys: set.keys.map((key) => ({
      kid: key.kid,
      alg: key.alg,
      state: key.state,
      published: status.publication.keys.find((entry) => entry.kid === key.kid)?.published ?? 'no',
      createdAt: key.createdAt,
      ...(key.promotedAt ? { promotedAt: key.promotedAt } : {}),
      ...(key.demotedAt
        ? { demotedAt: key.demotedAt, retireAfter: retireAfter(set, key).toISOString() }
        : {}),
    })),
    unknownKids: status.publication.unknownKids,
    items: status.items,
  };
}

function mark(item: StatusItem, colors: CliIo['colors']): string {
  switch (item.level) {
    case 'error':
      return colors.red('✗');
    case 'warning':
      return colors.yellow('!');
    case 'info':
      return colors.cyan('→');
    default:
      return colors.green('✓');
  }
}

const PUBLISHED_LABEL = { yes: 'published', no: 'NOT published', mismatch: 'served with OTHER key material' };

function printStatus(path: string, set: KeySet, status: KeySetStatus, io: CliIo): void {
  const out = io.stdout;
  writeLine(out, io.colors.bold(`Key set ${path}`));
  writeLine(out, `  jwks_uri: ${set.jwksUri}`);
  for (const key of set.keys) {
    const published = status.publication.keys.find((entry) => entry.kid === key.kid)?.published ?? 'no';
    writeLine(out, `  ${key.state.padEnd(8)} ${key.alg.padEnd(5)} ${key.kid}  ${PUBLISHED_LABEL[published]}`);
  }
  writeLine(out);
  for (const item of status.items) writeLine(out, `${mark(item, io.colors)} ${item.message}`);
}

/** The current key's age as `--json` shows it. */
interface KeyAgeView {
  kid: string;
  ageDays: number;
  maxAgeDays: number;
  dueAt: string;
  tooOld: boolean;
}

function ageView(set: KeySet, flags: StatusFlags): KeyAgeView {
  const age = currentKeyAge(set, {
    maxAgeMs: flags.maxAge ?? DEFAULT_MAX_KEY_AGE_MS,
    ...(flags.now === undefined ? {} : { now: flags.now }),
  });
  const days = (ms: number) => Math.round((ms / 86_400_000) * 100) / 100;
  return {
    kid: age.kid,
    ageDays: days(age.ageMs),
    maxAgeDays: days(age.maxAgeMs),
    dueAt: age.dueAt.toISOString(),
    tooOld: age.tooOld,
  };
}

async function runStatus(flags: StatusFlags, io: CliIo): Promise<number> {
  const set = await loadKeys(flags.keys, io);
  warnPrivateNetwork(flags, io);
  let published: unknown;
  try {
    published = await withSpinner(io, flags.json === true, `Fetching ${set.jwksUri ?? 'the jwks_uri'}`, () =>
      fetchPublishedJwks(set, {
        allowPrivateNetwork: flags.allowPrivateNetwork === true,
        timeoutMs: Math.round(flags.timeout * 1000),
      }),
    );
  } catch (error) {
    if (flags.json && (error instanceof FetchError || error instanceof KeySetError)) {
      writeLine(
        io.stdout,
        JSON.stringify(
          {
            checked: false,
            keysFile: flags.keys,
            jwksUri: set.jwksUri ?? null,
            problem: { code: error.code, message: error.message },
          },
          null,
          2,
        ),
      );
    }
    return reportFailure(error, io);
  }
  const status = keySetStatus(set, published, {
    maxKeyAgeMs: flags.maxAge ?? DEFAULT_MAX_KEY_AGE_MS,
    ...(flags.now === undefined ? {} : { now: flags.now }),
  });
  const age = ageView(set, flags);
  if (flags.json) writeLine(io.stdout, JSON.stringify(statusJson(flags.keys, set, status, age), null, 2));
  else printStatus(flags.keys, set, status, io);
  if (!status.consistent) return EXIT_INVALID;
  const tooOld = status.items.some((item) => item.code === 'current-too-old');
  return flags.strict && tooOld ? EXIT_INVALID : EXIT_OK;
}
