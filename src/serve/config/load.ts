/**
 * Loads the configuration of `cimd serve`: flags > environment > config file > the caller's
 * defaults > the built-in defaults, then the schema, then the checks that span options. Every
 * problem is reported at once, each with the option's flag and where its value came from.
 *
 * @module
 */
import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { CONFIG_FILE_OPTION, type ConfigKey, optionName, SERVE_OPTIONS, specOf } from './catalog.js';
import { readEnvLayer } from './env.js';
import type { KeyedProblem } from './errors.js';
import { ConfigError } from './errors.js';
import { readConfigFile } from './file.js';
import { type ConfigLayer, emptyLayer, mergeLayers } from './layers.js';
import { resolveServeConfig, type ServeConfig } from './resolve.js';
import { serveSettingsSchema } from './schema.js';
import { readEncryptionKey, readSecrets, settleSecretPairs } from './secrets.js';
import { resolveStoreAccess, STORE_ACCESS_KEYS, type StoreAccessConfig } from './store-access.js';

/** Inputs of {@link loadServeConfig}. */
export interface LoadServeConfigOptions {
  /** The flags given on the command line (only those given, not commander's defaults). */
  flags?: ConfigLayer;
  /** `--config <file>`, when given. */
  configFile?: string | undefined;
  /**
   * The caller's own defaults, below the config file and above the built-in ones (the demo's:
   * the memory store, `warn`). Default: none.
   */
  defaults?: ConfigLayer;
  /** The environment. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The directory relative paths are resolved against. Default `process.cwd()`. */
  cwd?: string;
}

/** How an option is named in messages: its flag, and where the value came from if elsewhere. */
function label(key: ConfigKey | undefined, sources: ConfigLayer['sources']): string {
  if (key === undefined) return 'configuration';
  const flag = optionName(specOf(key));
  const source = sources[key];
  return source === undefined || source === flag ? flag : `${flag} (from ${source})`;
}

function describe(problem: KeyedProblem, sources: ConfigLayer['sources']): string {
  return `${label(problem.key, sources)}: ${problem.message}`;
}

function isConfigKey(value: unknown): value is ConfigKey {
  return SERVE_OPTIONS.some((spec) => spec.key === value);
}

async function checkReadable(path: string, key: ConfigKey, problems: KeyedProblem[]): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    problems.push({ key, message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}` });
  }
}

/** The settings read and parsed, and where each value came from. */
interface ReadSettings<T> {
  settings: T;
  sources: ConfigLayer['sources'];
  cwd: string;
}

/**
 * Reads the layers, settles secret pairs, checks the config file's keys (every `cimd serve` key
 * is accepted, whichever `schema` reads) and parses them with `schema`.
 *
 * @throws ConfigError listing every problem.
 */
async function readSettings<T>(
  options: LoadServeConfigOptions,
  schema: z.ZodType<T>,
  keys: readonly ConfigKey[] | undefined,
): Promise<ReadSettings<T>> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configFile = options.configFile ?? (env[CONFIG_FILE_OPTION.env] || undefined);
  const configPath = configFile === undefined ? undefined : resolve(cwd, configFile);
  const file = configPath === undefined ? emptyLayer() : await readConfigFile(configPath);
  const layers = [options.flags ?? emptyLayer(), readEnvLayer(env), file, options.defaults ?? emptyLayer()];
  const merged = mergeLayers(...layers);
  const early = settleSecretPairs(merged, layers).filter(
    (problem) => keys === undefined || (problem.key !== undefined && keys.includes(problem.key)),
  );

  const known = SERVE_OPTIONS.filter((spec) => !spec.secret).map((spec) => spec.key);
  const unknown = Object.keys(file.values).flatMap((key) => {
    if (!isConfigKey(key))
      return [`unknown option ${JSON.stringify(key)} in ${configPath}; known keys: ${known.join(', ')}`];
    if (specOf(key).secret) {
      return [
        `"${key}" in ${configPath}: keep secrets out of the config file; use "${key}File" (a file of its own, mode 0600) or the ${specOf(key).env[0]} environment variable`,
      ];
    }
    return [];
  });
  const values =
    keys === undefined
      ? merged.values
      : Object.fromEntries(Object.entries(merged.values).filter(([key]) => keys.includes(key as ConfigKey)));
  const parsed = schema.safeParse(values);
  if (!parsed.success || unknown.length > 0 || early.length > 0) {
    const issues = parsed.success
      ? []
      : parsed.error.issues.filter((issue) => issue.code !== 'unrecognized_keys');
    const problems = issues.map((issue) => {
      const key = issue.path[0];
      return describe({ key: isConfigKey(key) ? key : undefined, message: issue.message }, merged.sources);
    });
    throw new ConfigError([
      ...unknown,
      ...early.map((problem) => describe(problem, merged.sources)),
      ...problems,
    ]);
  }
  return { settings: parsed.data, sources: merged.sources, cwd };
}

/**
 * The validated configuration.
 *
 * @throws ConfigError listing every problem (the CLI prints it and exits 2).
 */
export async function loadServeConfig(options: LoadServeConfigOptions = {}): Promise<ServeConfig> {
  const { settings, sources, cwd } = await readSettings(options, serveSettingsSchema, undefined);
  const problems: KeyedProblem[] = [];
  const secrets = await readSecrets(settings, cwd, problems);
  const { config } = resolveServeConfig(settings, cwd, secrets, problems);
  if (config.tls !== undefined) {
    await checkReadable(config.tls.certPath, 'tlsCert', problems);
    await checkReadable(config.tls.keyPath, 'tlsKey', problems);
  }
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => describe(problem, sources)));
  return config;
}

const storeAccessSchema = serveSettingsSchema.pick({
  store: true,
  database: true,
  signingKeys: true,
  encryptionKeyFile: true,
  encryptionKey: true,
  accessTokenTtl: true,
});

/**
 * Where `cimd serve`'s data lives ({@link STORE_ACCESS_KEYS}), from the same flags, environment
 * and config file as {@link loadServeConfig}, without anything else it needs (resources, issuer,
 * sign-in): what `cimd admin` opens. Options outside that part are neither needed nor checked.
 * Nothing is created: no encryption key is generated.
 *
 * @throws ConfigError listing every problem (the CLI prints it and exits 2).
 */
export async function loadStoreAccessConfig(
  options: LoadServeConfigOptions = {},
): Promise<StoreAccessConfig> {
  const { settings, sources, cwd } = await readSettings(options, storeAccessSchema, STORE_ACCESS_KEYS);
  const problems: KeyedProblem[] = [];
  const encryptionKey = await readEncryptionKey(settings, cwd, problems);
  const { store, signingKeys } = resolveStoreAccess(settings, cwd, problems);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => describe(problem, sources)));
  return { store, signingKeys, encryptionKey, accessTokenTtlSeconds: settings.accessTokenTtl };
}
