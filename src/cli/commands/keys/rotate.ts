/**
 * `cimd keys rotate --stage | --promote | --retire`: one step of a staged rotation, then the key
 * set and its public JWKS are rewritten and the next step is printed.
 *
 * @module
 */
import type { Command } from 'commander';
import {
  CLIENT_KEY_ALGORITHMS,
  type ClientKeyAlgorithm,
  isClientKeyAlgorithm,
} from '../../../keys/algorithms.js';
import { generateClientKey } from '../../../keys/generate.js';
import { currentKey, nextKey, previousKeys, withJwksUri } from '../../../keys/key-set.js';
import { fetchPublishedJwks } from '../../../keys/published.js';
import { promoteNextKey, retireAfter, retirePreviousKeys, stageKey } from '../../../keys/rotation.js';
import { EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import { writePemFile } from './pem-file.js';
import { runAutoRotate } from './rotate-auto.js';
import {
  DEFAULT_KEYS_PATH,
  type FetchFlags,
  jwksPathFor,
  loadKeys,
  maxAgeOption,
  nowOption,
  parseSeconds,
  reportFailure,
  saveKeys,
  subcommand,
  warnPrivateNetwork,
  withSpinner,
} from './shared.js';

interface RotateFlags extends FetchFlags {
  stage?: boolean;
  promote?: boolean;
  retire?: boolean;
  force?: boolean;
  keys: string;
  jwks?: string;
  jwksUri?: string;
  alg?: string;
  format?: string;
  json?: boolean;
  auto?: boolean;
  maxAge?: number;
  now?: number;
}

type Step = 'stage' | 'promote' | 'retire' | 'record' | 'auto';

/** Defines `cimd keys rotate`. */
export function rotateSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  return subcommand(io, 'rotate')
    .description(
      'Rotate keys in stages: --stage a next key, publish, --promote it, later --retire the previous key',
    )
    .option('--stage', 'add a next key; publish the new JWKS before promoting it')
    .option('--promote', 'make the next key current (refused until it is served at the jwks_uri)')
    .option('--retire', 'remove previous keys (refused before their grace period has passed)')
    .option(
      '--auto',
      'from a scheduler: do the next due step (stage when the current key is past --max-age, promote once published, retire after the grace period), or nothing',
    )
    .addOption(maxAgeOption())
    .addOption(nowOption())
    .option(
      '--force',
      'promote without checking the jwks_uri, or retire before the grace period (never prompted)',
    )
    .option('--keys <file>', 'the key set file', DEFAULT_KEYS_PATH)
    .option('--jwks <file>', 'the public JWKS file to rewrite (default: jwks.json beside the key set)')
    .option('--jwks-uri <url>', 'record (or change) where the public JWKS is served; alone, only records it')
    .option(
      '--alg <alg>',
      `with --stage: the new key's algorithm (${CLIENT_KEY_ALGORITHMS.join(', ')}; default: the current key's)`,
    )
    .option(
      '--format <format>',
      'with --stage: "pem" also writes the new private key as PKCS#8 PEM (mode 0600)',
    )
    .option(
      '--allow-private-network',
      'allow a jwks_uri on this machine or a private network (development only)',
    )
    .option('--timeout <seconds>', 'deadline for fetching the jwks_uri, in seconds', parseSeconds, 5)
    .option('--json', 'print the outcome as JSON on stdout')
    .addHelpText(
      'after',
      `
A rotation, step by step:
  $ cimd keys rotate --stage      # a next key joins; jwks.json now lists current + next
  (publish jwks.json at the jwks_uri)
  $ cimd keys rotate --promote    # checks the next key is served, then it signs
  (after the grace period: assertion lifetime + JWKS cache time, 24 h by default)
  $ cimd keys rotate --retire     # the previous key leaves; publish jwks.json again

Or let a scheduler run it (e.g. hourly); each run does at most the next due step and says what
it did, or "nothing to do"; it exits 0 either way, and 2 only on an error:
  $ cimd keys rotate --auto --max-age 90   # then publish jwks.json whenever it changes

Exit codes: 0 done, 1 refused (not published yet, or grace period running; --force overrides),
            2 usage error, wrong step, unreadable key set, or the jwks_uri could not be fetched.`,
    )
    .action(async (flags: RotateFlags) => {
      try {
        setExit(await runRotate(flags, io));
      } catch (error) {
        setExit(reportFailure(error, io));
      }
    });
}

function chooseStep(flags: RotateFlags): Step {
  const steps = (['stage', 'promote', 'retire', 'auto'] as const).filter((step) => flags[step]);
  if (steps.length > 1) throw new UsageError(`choose one step: --${steps.join(' or --')}`);
  if (steps[0] !== undefined) return steps[0];
  if (flags.jwksUri !== undefined) return 'record';
  throw new UsageError(
    'choose a step: --stage, --promote, --retire or --auto (or --jwks-uri <url> to record where the JWKS is served)',
  );
}

function checkFlags(step: Step, flags: RotateFlags): void {
  if (step !== 'stage' && (flags.alg !== undefined || flags.format !== undefined)) {
    throw new UsageError('--alg and --format go with --stage');
  }
  if (flags.alg !== undefined && !isClientKeyAlgorithm(flags.alg)) {
    throw new UsageError(`--alg must be one of ${CLIENT_KEY_ALGORITHMS.join(', ')}`);
  }
  if (flags.format !== undefined && flags.format !== 'jwk' && flags.format !== 'pem') {
    throw new UsageError('--format must be jwk or pem');
  }
  if (flags.force && step !== 'promote' && step !== 'retire') {
    throw new UsageError('--force goes with --promote or --retire');
  }
  if (step !== 'auto' && (flags.maxAge !== undefined || flags.now !== undefined)) {
    throw new UsageError('--max-age and --now go with --auto');
  }
}

async function runRotate(flags: RotateFlags, io: CliIo): Promise<number> {
  const step = chooseStep(flags);
  checkFlags(step, flags);
  const jwksPath = jwksPathFor(flags.keys, flags.jwks);
  let set = await loadKeys(flags.keys, io);
  if (flags.jwksUri !== undefined) set = withJwksUri(set, flags.jwksUri);
  if (step === 'auto') return runAutoRotate(set, { ...flags, jwksPath }, io);
  const where = set.jwksUri ?? 'its jwks_uri';
  const { colors } = io;
  const say = (line = '') => writeLine(io.stderr, line);
  const outcome: Record<string, unknown> = {
    step,
    keysFile: flags.keys,
    jwksFile: jwksPath,
    jwksUri: set.jwksUri ?? null,
  };

  if (step === 'record') {
    await saveKeys(flags.keys, jwksPath, set);
    say(`${colors.green('✓')} Recorded the jwks_uri ${where}; wrote ${jwksPath}`);
  } else if (step === 'stage') {
    const alg = (flags.alg as ClientKeyAlgorithm | undefined) ?? currentKey(set).alg;
    if (alg !== currentKey(set).alg) {
      say(
        colors.yellow(
          `Warning: the next key signs with ${alg}, the current one with ${currentKey(set).alg}: update token_endpoint_auth_signing_alg in your document when you promote it.`,
        ),
      );
    }
    const key = await generateClientKey(alg);
    set = stageKey(set, key);
    await saveKeys(flags.keys, jwksPath, set);
    const pemPath = flags.format === 'pem' ? await writePemFile(flags.keys, key) : undefined;
    Object.assign(outcome, { kid: key.kid, alg, pemFile: pemPath ?? null });
    say(
      `${colors.green('✓')} Staged the next key ${key.kid} (${alg}); ${jwksPath} now lists ${set.keys.length} keys`,
    );
    if (pemPath !== undefined) say(`  private key PEM (mode 0600): ${pemPath}`);
    say();
    say(`${colors.bold('Next:')} publish ${jwksPath} at ${where}, then run cimd keys rotate --promote`);
  } else if (step === 'promote') {
    const next = nextKey(set);
    let published: unknown;
    if (flags.force) {
      say(
        colors.yellow(
          'Warning: --force: promoting without checking that the next key is published; servers that do not know it will reject its assertions.',
        ),
      );
    } else if (next !== undefined) {
      warnPrivateNetwork(flags, io);
      published = await withSpinner(io, flags.json === true, `Fetching ${where}`, () =>
        fetchPublishedJwks(set, {
          allowPrivateNetwork: flags.allowPrivateNetwork === true,
          timeoutMs: Math.round(flags.timeout * 1000),
        }),
      );
    }
    set = promoteNextKey(set, { published, force: flags.force === true });
    await saveKeys(flags.keys, jwksPath, set);
    const current = currentKey(set);
    const demoted = previousKeys(set).find((key) => key.demotedAt === current.promotedAt);
    const after = demoted === undefined ? undefined : retireAfter(set, demoted);
    Object.assign(outcome, {
      kid: current.kid,
      previous: demoted?.kid ?? null,
      retireAfter: after?.toISOString() ?? null,
    });
    say(`${colors.green('✓')} Promoted ${current.kid}: it signs from now on`);
    if (demoted !== undefined && after !== undefined) {
      say(`  ${demoted.kid} is previous: keep it published until ${after.toISOString()}`);
    }
    say();
    say(
      `${colors.bold('Next:')} restart or reload what signs with this key set so it uses the new key; after ${after?.toISOString() ?? 'the grace period'}, run cimd keys rotate --retire`,
    );
  } else {
    if (flags.force) {
      say(
        colors.yellow(
          'Warning: --force: retiring before the grace period; assertions the previous key signed, and servers holding an older JWKS, may fail.',
        ),
      );
    }
    const result = retirePreviousKeys(set, { force: flags.force === true });
    set = result.keySet;
    await saveKeys(flags.keys, jwksPath, set);
    Object.assign(outcome, {
      retired: result.retired,
      remaining: result.remaining.map((entry) => ({
        kid: entry.kid,
        retireAfter: entry.retireAfter.toISOString(),
      })),
    });
    for (const kid of result.retired) say(`${colors.green('✓')} Retired ${kid}`);
    for (const entry of result.remaining) {
      say(`  ${entry.kid} stays: it may be retired after ${entry.retireAfter.toISOString()}`);
    }
    say();
    say(`${colors.bold('Next:')} publish ${jwksPath} at ${where} (it no longer lists the retired key)`);
  }
  if (flags.json) writeLine(io.stdout, JSON.stringify(outcome, null, 2));
  return EXIT_OK;
}
