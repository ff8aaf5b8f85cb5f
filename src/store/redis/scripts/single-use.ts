/**
 * Scripts of the single-use records: client assertion `jti`s (PKJ-09) and authorization codes
 * (PKCE-AS-08). Each record carries its expiry (by the caller's clock) and Redis expires it after
 * the same time.
 *
 * @module
 */
import { script } from './script.js';

/**
 * KEYS: the jti. ARGV: prefix, now, expiresAt, ttl (whole ms). Returns 1 when the pair was new
 * (or its record expired) and is now recorded, 0 for a live replay, which changes nothing.
 */
export const recordJti = script(
  1,
  `
if live(redis.call('GET', KEYS[1])) then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
`,
);

/**
 * KEYS: the code. ARGV: prefix, now, expiresAt, ttl, record JSON. Returns 0 when a live code has
 * the hash (never overwritten), else saves it unconsumed and returns 1.
 */
export const saveCode = script(
  1,
  `
if live(redis.call('HGET', KEYS[1], 'expiresAt')) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'record', ARGV[5], 'expiresAt', ARGV[3], 'consumed', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
);

/**
 * KEYS: the code. ARGV: prefix, now. Returns `{'invalid'}`, or the status (`consumed` for the
 * one call that flips it, `reused` after) and the record JSON.
 */
export const consumeCode = script(
  1,
  `
local code = redis.call('HMGET', KEYS[1], 'record', 'expiresAt', 'consumed')
if not code[1] or not live(code[2]) then return {'invalid'} end
if code[3] == '1' then return {'reused', code[1]} end
redis.call('HSET', KEYS[1], 'consumed', '1')
return {'consumed', code[1]}
`,
);
