/**
 * `cimd keys generate`: a new key set with one current key, its public JWKS beside it, and
 * optionally the private key as PKCS#8 PEM.
 *
 * @module
 */
import { type Command, Option } from 'commander';
import { CLIENT_KEY_ALGORITHMS, type ClientKeyAlgorithm } from '../../../keys/algorithms.js';
import { generateClientKey } from '../../../keys/generate.js';
import { createKeySet, type KeySetSettings } from '../../../keys/key-set.js';
import { EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import { fileExists, writePemFile } from './pem-file.js';
import {
  DEFAULT_KEYS_PATH,
  jwksPathFor,
  parseWholeSeconds,
  reportFailure,
  saveKeys,
  subcommand,
} from './shared.js';

interface GenerateFlags {
  alg: ClientKeyAlgorithm;
  out: string;
  jwks?: string;
  jwksUri?: string;
  format: 'jwk' | 'pem';
  force?: boolean;
  json?: boolean;
  maxAssertionLifetime?: number;
  maxJwksCache?: number;
}

/** Defines `cimd keys generate`. */
export function generateSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  return subcommand(io, 'generate')
    .description('Generate a signing key: a key set file (private, mode 0600) and the public JWKS beside it')
    .addOption(
      new Option('--alg <alg>', 'signature algorithm').choices([...CLIENT_KEY_ALGORITHMS]).default('ES256'),
    )
    .option('--out <file>', 'the key set file to write', DEFAULT_KEYS_PATH)
    .option('--jwks <file>', 'the public JWKS file to write (default: jwks.json beside the key set)')
    .option(
      '--jwks-uri <url>',
      'the https URL where the public JWKS will be served (recorded in the key set)',
    )
    .addOption(
      new Option('--format <format>', 'also write the private key as PKCS#8 PEM (mode 0600) with "pem"')
        .choices(['jwk', 'pem'])
        .default('jwk'),
    )
    .option(
      '--max-assertion-lifetime <seconds>',
      'the longest lifetime of an assertion signed with these keys (default 60)',
      parseWholeSeconds,
    )
    .option(
      '--max-jwks-cache <seconds>',
      'the longest time a server may cache the JWKS (default 86400, 24 h)',
      parseWholeSeconds,
    )
    .option('--force', 'overwrite existing files (this replaces the private key)')
    .option('--json', 'print what was written as JSON on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ cimd keys generate --jwks-uri https://app.example.com/oauth/jwks.json
  $ cimd keys generate --alg RS256 --out secrets/cimd-keys.json --jwks public/oauth/jwks.json --format pem`,
    )
    .action(async (flags: GenerateFlags) => {
      try {
        setExit(await runGenerate(flags, io));
      } catch (error) {
        setExit(reportFailure(error, io));
      }
    });
}

function settingsFrom(flags: GenerateFlags): Partial<KeySetSettings> {
  const settings: Partial<KeySetSettings> = {};
  if (flags.maxAssertionLifetime !== undefined)
    settings.maxAssertionLifetimeMs = flags.maxAssertionLifetime * 1000;
  if (flags.maxJwksCache !== undefined) settings.maxJwksCacheMs = flags.maxJwksCache * 1000;
  return settings;
}

async function runGenerate(flags: GenerateFlags, io: CliIo): Promise<number> {
  const { colors } = io;
  const keysPath = flags.out;
  const jwksPath = jwksPathFor(keysPath, flags.jwks);
  if (keysPath === jwksPath) throw new UsageError('--out and --jwks must be different files');
  if (!flags.force) {
    for (const path of [keysPath, jwksPath]) {
      if (await fileExists(path)) {
        throw new UsageError(
          `${path} already exists; pass --force to overwrite it (overwriting the key set replaces its private keys), or choose another file with --out / --jwks`,
        );
      }
    }
  }
  const key = await generateClientKey(flags.alg);
  const set = createKeySet(key, {
    settings: settingsFrom(flags),
    ...(flags.jwksUri !== undefined ? { jwksUri: flags.jwksUri } : {}),
  });
  await saveKeys(keysPath, jwksPath, set);
  const pemPath = flags.format === 'pem' ? await writePemFile(keysPath, key) : undefined;

  if (flags.json) {
    writeLine(
      io.stdout,
      JSON.stringify(
        {
          kid: key.kid,
          alg: key.alg,
          keysFile: keysPath,
          jwksFile: jwksPath,
          pemFile: pemPath ?? null,
          jwksUri: set.jwksUri ?? null,
        },
        null,
        2,
      ),
    );
  }
  writeLine(io.stderr, `${colors.green('✓')} Generated the key ${key.kid} (${key.alg})`);
  writeLine(io.stderr, `  key set (private, mode 0600): ${keysPath}`);
  writeLine(io.stderr, `  public JWKS:                  ${jwksPath}`);
  if (pemPath !== undefined) writeLine(io.stderr, `  private key PEM (mode 0600):  ${pemPath}`);
  writeLine(
    io.stderr,
    colors.yellow(
      `Keep ${keysPath}${pemPath ? ` and ${pemPath}` : ''} secret: never commit or serve ${pemPath ? 'them' : 'it'}.`,
    ),
  );
  const uri = set.jwksUri ?? '<jwks-uri>';
  writeLine(io.stderr);
  writeLine(io.stderr, colors.bold('Next:'));
  writeLine(
    io.stderr,
    `  1. publish ${jwksPath} at ${set.jwksUri ?? 'its https URL, and record that URL: cimd keys rotate --jwks-uri <url>'}`,
  );
  writeLine(
    io.stderr,
    `  2. name it in your document: cimd create ... --auth-method private_key_jwt --jwks-uri ${uri} --signing-alg ${key.alg}`,
  );
  return EXIT_OK;
}
