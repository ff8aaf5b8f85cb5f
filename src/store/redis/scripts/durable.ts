/**
 * Scripts of the records that never expire on their own (client document history, durable state)
 * and of those with a plain expiry (locks, the cache).
 *
 * A client's documents are one hash: per fingerprint `doc:<fp>` (JSON: fingerprint, firstSeen,
 * clientName, changes), `seen:<fp>` (lastSeen) and `seq:<fp>` (the order of recording), plus
 * `count`. A sorted set orders clients by their latest sighting.
 *
 * @module
 */
import { script } from './script.js';

/**
 * KEYS: the client's documents, the clients by sighting. ARGV: prefix, now, fingerprint, seenAt,
 * document JSON, clientId. Returns 1 when the fingerprint is new for the client (recorded), 0
 * when known (its lastSeen only moves forward).
 */
export const recordClientDocument = script(
  2,
  `
local seenField = 'seen:' .. ARGV[3]
local seen = redis.call('HGET', KEYS[1], seenField)
local isNew = 0
if seen then
  if tonumber(ARGV[4]) > tonumber(seen) then redis.call('HSET', KEYS[1], seenField, ARGV[4]) end
else
  local sequence = redis.call('HINCRBY', KEYS[1], 'count', 1)
  redis.call('HSET', KEYS[1], 'doc:' .. ARGV[3], ARGV[5], seenField, ARGV[4], 'seq:' .. ARGV[3], sequence)
  isNew = 1
end
local score = redis.call('ZSCORE', KEYS[2], ARGV[6])
if not score or tonumber(ARGV[4]) > tonumber(score) then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6]) end
return isNew
`,
);

/**
 * KEYS: the clients by sighting. ARGV: prefix, now, offset, limit. Returns `{clientId, fields}`
 * rows (the fields of the client's documents hash), most recently seen first.
 */
export const listClientDocuments = script(
  1,
  `
local rows = {}
local start = tonumber(ARGV[3])
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], start, start + tonumber(ARGV[4]) - 1)) do
  table.insert(rows, {id, redis.call('HGETALL', clientDocumentsKey(id))})
end
return rows
`,
  true,
);

/**
 * KEYS: the state. ARGV: prefix, now, value, mode (`any`, `absent`: only when there is none,
 * `equal`: only when it is ARGV[5]), expected. Returns 1 when written, else 0.
 */
export const putState = script(
  1,
  `
if ARGV[4] == 'absent' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif ARGV[4] == 'equal' then
  if redis.call('GET', KEYS[1]) ~= ARGV[5] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
`,
);

/**
 * KEYS: the lock. ARGV: prefix, now, owner, expiresAt, ttl. Returns 1 when the lock was free,
 * expired or held by the owner (now held until expiresAt), 0 while another owner holds it.
 */
export const acquireLock = script(
  1,
  `
local lock = redis.call('HMGET', KEYS[1], 'owner', 'expiresAt')
if lock[1] and lock[1] ~= ARGV[3] and live(lock[2]) then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'expiresAt', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`,
);

/** KEYS: the lock. ARGV: prefix, now, owner. Deletes the lock when the owner holds it. */
export const releaseLock = script(
  1,
  `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[3] then redis.call('DEL', KEYS[1]) end
return 'ok'
`,
);

/** KEYS: the cache entry. ARGV: prefix, now, value, expiresAt, ttl. Replaces the entry. */
export const cacheSet = script(
  1,
  `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'value', ARGV[3], 'expiresAt', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 'ok'
`,
);

/**
 * KEYS: the window's counter. ARGV: prefix, now, ttl (whole ms until the window ends). Counts
 * one hit and returns the count; the first hit of a window sets its expiry.
 */
export const countHit = script(
  1,
  `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return count
`,
);
