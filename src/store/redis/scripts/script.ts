/**
 * The shape of the store's Lua scripts. Each runs atomically in Redis (no other command runs
 * while it does), which is what makes every store operation atomic across instances.
 *
 * @module
 */
import { LUA_KEYS } from '../keys.js';

/** A Lua script registered with ioredis `defineCommand`. */
export interface RedisScript {
  /** How many of the arguments are keys (`KEYS`); the rest are `ARGV`, which starts with the prefix and the time. */
  keys: number;
  /** The script body; the helpers of {@link LUA_KEYS} are in scope. */
  lua: string;
  /** True when the script writes nothing (it may then run on a replica). */
  readOnly: boolean;
}

/** A script whose body is `body`, with the shared helpers in front. */
export function script(keys: number, body: string, readOnly = false): RedisScript {
  return { keys, lua: `${LUA_KEYS}\n${body}`, readOnly };
}
