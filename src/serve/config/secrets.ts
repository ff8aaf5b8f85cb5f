/**
 * The secrets of `cimd serve`'s configuration, read and checked before anything starts: the
 * upstream client secret (`CIMD_UPSTREAM_CLIENT_SECRET`, or a file), the encryption key
 * (`CIMD_ENCRYPTION_KEY`, or a file) and the `private_key_jwt` key for the upstream. Secrets are
 * never quoted in a message, and come out wrapped in {@link Secret}.
 *
 * A secret and its file twin: the one from the higher layer is used (a flag beats the
 * environment, which beats the config file); both in the environment is a mistake reported as
 * such.
 *
 * @module
 */
import { resolve } from 'node:path';
import { checkInitialAccessTokens } from '../../server/registration/initial-access-token.js';
import { parseEncryptionKey } from '../../server/secrets/secret-box.js';
import { type ConfigKey, optionName, specOf } from './catalog.js';
import { SECRET_PAIRS } from './catalog-upstream.js';
import type { KeyedProblem } from './errors.js';
import type { ConfigLayer } from './layers.js';
import type { ServeSettings } from './schema.js';
import { readSecretFile, Secret } from './secret.js';
import { loadUpstreamKey, type UpstreamSigningKey } from './upstream-key.js';

/** The secrets read, each `undefined` when not configured (or when it could not be read). */
export interface ReadSecrets {
  upstreamClientSecret: Secret | undefined;
  /** The encryption key given (32 bytes), and where it came from (a variable name or a path). */
  encryptionKey: { key: Secret<Uint8Array>; source: string } | undefined;
  upstreamKey: (UpstreamSigningKey & { path: string }) | undefined;
  /** The initial access tokens of `/register` (`--registration-token-file`), and their file. */
  registrationTokens: RegistrationTokens | undefined;
}

/** The initial access tokens read from `--registration-token-file`. */
export interface RegistrationTokens {
  /** The file's absolute path. */
  path: string;
  tokens: Secret<readonly string[]>;
}

/**
 * Keeps one of each secret and its file twin in `merged` (removing the other): the one from the
 * earlier of `layers` (highest precedence first). Returns a problem when both come from the same
 * layer.
 */
export function settleSecretPairs(merged: ConfigLayer, layers: readonly ConfigLayer[]): KeyedProblem[] {
  const problems: KeyedProblem[] = [];
  const rank = (key: ConfigKey) => layers.findIndex((layer) => layer.values[key] !== undefined);
  for (const { secret, file } of SECRET_PAIRS) {
    if (merged.values[secret] === undefined || merged.values[file] === undefined) continue;
    const secretRank = rank(secret);
    const fileRank = rank(file);
    if (secretRank === fileRank) {
      problems.push({
        key: secret,
        message: `give the secret one way: ${optionName(specOf(secret))} or ${optionName(specOf(file))} (${merged.sources[file]}), not both`,
      });
    }
    const loser = secretRank < fileRank ? file : secret;
    delete merged.values[loser];
    delete merged.sources[loser];
  }
  return problems;
}

async function clientSecretOf(
  settings: ServeSettings,
  cwd: string,
  problems: KeyedProblem[],
): Promise<Secret | undefined> {
  if (settings.upstreamClientSecret !== undefined) return new Secret(settings.upstreamClientSecret);
  if (settings.upstreamClientSecretFile === undefined) return undefined;
  try {
    return new Secret(await readSecretFile(resolve(cwd, settings.upstreamClientSecretFile)));
  } catch (error) {
    problems.push({ key: 'upstreamClientSecretFile', message: (error as Error).message });
    return undefined;
  }
}

async function encryptionKeyOf(
  settings: ServeSettings,
  cwd: string,
  problems: KeyedProblem[],
): Promise<ReadSecrets['encryptionKey']> {
  const fromFile = settings.encryptionKeyFile !== undefined;
  const key: ConfigKey = fromFile ? 'encryptionKeyFile' : 'encryptionKey';
  try {
    if (settings.encryptionKey !== undefined) {
      return { key: new Secret(parseEncryptionKey(settings.encryptionKey)), source: 'CIMD_ENCRYPTION_KEY' };
    }
    if (settings.encryptionKeyFile === undefined) return undefined;
    const path = resolve(cwd, settings.encryptionKeyFile);
    const text = await readSecretFile(path);
    try {
      return { key: new Secret(parseEncryptionKey(text)), source: path };
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`);
    }
  } catch (error) {
    problems.push({ key, message: (error as Error).message });
    return undefined;
  }
}

/**
 * The tokens of a registration token file: one a line, blank lines and `#` comments skipped,
 * each checked as the server will (never quoted in a message).
 */
async function registrationTokensOf(
  settings: ServeSettings,
  cwd: string,
  problems: KeyedProblem[],
): Promise<RegistrationTokens | undefined> {
  if (settings.registrationTokenFile === undefined) return undefined;
  const path = resolve(cwd, settings.registrationTokenFile);
  try {
    const lines = (await readSecretFile(path)).split(/\r?\n/).map((line) => line.trim());
    const tokens = lines.filter((line) => line !== '' && !line.startsWith('#'));
    if (tokens.length === 0) throw new Error(`${path} has no token (one a line; # starts a comment)`);
    try {
      checkInitialAccessTokens(tokens);
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`);
    }
    return { path, tokens: new Secret(tokens) };
  } catch (error) {
    problems.push({ key: 'registrationTokenFile', message: (error as Error).message });
    return undefined;
  }
}

/** Reads every configured secret; a secret that cannot be read or is malformed is a problem. */
export async function readSecrets(
  settings: ServeSettings,
  cwd: string,
  problems: KeyedProblem[],
): Promise<ReadSecrets> {
  let upstreamKey: ReadSecrets['upstreamKey'];
  if (settings.upstreamKey !== undefined) {
    const path = resolve(cwd, settings.upstreamKey);
    try {
      upstreamKey = { ...(await loadUpstreamKey(path)), path };
    } catch (error) {
      problems.push({ key: 'upstreamKey', message: (error as Error).message });
    }
  }
  return {
    upstreamClientSecret: await clientSecretOf(settings, cwd, problems),
    encryptionKey: await encryptionKeyOf(settings, cwd, problems),
    upstreamKey,
    registrationTokens: await registrationTokensOf(settings, cwd, problems),
  };
}
