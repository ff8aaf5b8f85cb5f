/**
 * The store's Lua scripts registered on an ioredis client (`defineCommand`, which sends each by
 * its SHA and loads it once per server), and a typed way to run them.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import * as durable from './scripts/durable.js';
import * as listings from './scripts/listings.js';
import * as refresh from './scripts/refresh.js';
import type { RedisScript } from './scripts/script.js';
import * as singleUse from './scripts/single-use.js';

/** Every script of the store, by name. */
const SCRIPTS = {
  ...singleUse,
  ...refresh,
  ...listings,
  ...durable,
} satisfies Record<string, RedisScript>;

/** The name of one of the store's scripts. */
export type ScriptName = keyof typeof SCRIPTS;

/** The prefix of the command names on the client, so they stay apart from the caller's own. */
const COMMAND_PREFIX = 'mcpCimd_';

type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/** Runs the store's scripts on one client with one key prefix and one clock. */
export interface ScriptRunner {
  /** Runs `name` with `keys` and `args` (after the prefix and the time `now`, added here). */
  run(
    name: ScriptName,
    now: number,
    keys: readonly string[],
    args?: readonly (string | number)[],
  ): Promise<unknown>;
}

/** Defines the scripts on `client` (idempotent) and returns a runner for keys under `prefix`. */
export function registerScripts(client: Redis, prefix: string): ScriptRunner {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    client.defineCommand(`${COMMAND_PREFIX}${name}`, {
      numberOfKeys: definition.keys,
      lua: definition.lua,
      readOnly: definition.readOnly,
    });
  }
  const commands = client as unknown as Record<string, ScriptCommand>;
  return {
    run(name, now, keys, args = []) {
      const command = commands[`${COMMAND_PREFIX}${name}`];
      if (command === undefined) throw new Error(`The Redis script ${name} is not defined`);
      return command.call(client, ...keys, prefix, now, ...args);
    },
  };
}
