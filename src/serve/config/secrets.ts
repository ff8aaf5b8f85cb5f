/**
 * The secrets of `cimd serve`'s configuration, read and checked before anything starts: the
 * upstream client secret (`CIMD_UPSTREAM_CLIENT_SECRET`, or a file), the encryption key
 * (`CIMD_ENCRYPTION_KEY`, or a file), the `private_key_jwt` key for the upstream and the DPoP
 * nonce secret (`CIMD_DPOP_NONCE_SECRET`, or a file). Secrets are
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
import { type ConfigKey, optionName, SECRET_PAIRS, specOf } from './catalog.js';
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
  /** The DPoP nonce secret (at least 32 bytes of UTF-8), and where it came from. */
  dpopNonceSecret: { secret: Secret; source: string } | undefined;
  /** The initial access tokens of `/register` (`--registration-token-file`), and their file. */
  registrationTokens: RegistrationTokens | undefined;
}

/** The initial access tokens read from `--registration-token-file`. */
export interface RegistrationTokens {
  /** The file's absolute path. */
  path: string;
  tokens: Secret<readonly string[]>;
}

/** The shortest DPoP nonce secret, in bytes (an HMAC-SHA-256 key). */
const MIN_DPOP_NONCE_SECRET_BYTES = 32;

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

/**
 * The encryption key given by `CIMD_ENCRYPTION_KEY` or `--encryption-key-file` (read and
 * checked: 32 bytes), and where it came from; `undefined` when none is given or it cannot be
 * read (then a problem says why).
 */
export async function readEncryptionKey(
  settings: Pick<ServeSettings, 'encryptionKey' | 'encryptionKeyFile'>,
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

async function dpopNonceSecretOf(
  settings: ServeSettings,
  cwd: string,
  problems: KeyedProblem[],
): Promise<ReadSecrets['dpopNonceSecret']> {
  const fromFile = settings.dpopNonceSecret === undefined;
  const key: ConfigKey = fromFile ? 'dpopNonceSecretFile' : 'dpopNonceSecret';
  let value = settings.dpopNonceSecret;
  let source = 'CIMD_DPOP_NONCE_SECRET';
  if (value === undefined && settings.dpopNonceSecretFile !== undefined) {
    source = resolve(cwd, settings.dpopNonceSecretFile);
    try {
      value = await readSecretFile(source);
    } catch (error) {
      problems.push({ key, message: (error as Error).message });
      return undefined;
    }
  }
  if (value === undefined) return undefined;
  if (Buffer.byteLength(value, 'utf8') < MIN_DPOP_NONCE_SECRET_BYTES) {
    problems.push({
      key,
      message: `the DPoP nonce secret${fromFile ? ` in ${source}` : ''} is shorter than ${MIN_DPOP_NONCE_SECRET_BYTES} bytes: use a long random value, e.g. the output of \`openssl rand -base64 32\``,
    });
    return undefined;
  }
  return { secret: new Secret(value), source };
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
    encryptionKey: await readEncryptionKey(settings, cwd, problems),
    upstreamKey,
    registrationTokens: await registrationTokensOf(settings, cwd, problems),
    dpopNonceSecret: await dpopNonceSecretOf(settings, cwd, problems),
  };
}
