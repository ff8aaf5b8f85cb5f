/**
 * Loading `cimd serve`'s configuration in tests as the CLI does: a command line parsed by the
 * serve command's flags, an environment, and a working directory.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { expect } from 'vitest';
import { ConfigError } from '../../src/serve/config/errors.js';
import { addServeOptions, configFileFlag, readFlagLayer } from '../../src/serve/config/flags.js';
import { loadServeConfig } from '../../src/serve/config/load.js';
import type { ServeConfig } from '../../src/serve/config/resolve.js';

/** Loads and checks configurations relative to `dir`. */
export function configLoader(dir: string) {
  /** Loads the configuration from command-line flags and an environment. */
  async function load(flags: string[], env: Record<string, string> = {}): Promise<ServeConfig> {
    const command = addServeOptions(new Command('serve').exitOverride());
    command.parse(flags, { from: 'user' });
    return loadServeConfig({
      flags: readFlagLayer(command),
      configFile: configFileFlag(command),
      env,
      cwd: dir,
    });
  }

  /** The message of the ConfigError `flags`/`env` produce. */
  async function problem(flags: string[], env: Record<string, string> = {}): Promise<string> {
    const error = await load(flags, env).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }

  /** Writes `content` (JSON unless a string) to `name` in the folder; returns its path. */
  function writeConfig(name: string, content: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  return { load, problem, writeConfig };
}
