/**
 * Scripts of refresh token families (MCP-AS-13). A family is a hash (`record`: the JSON of the
 * fields that never change; `keyThumbprint` and `clientFingerprint`, which a rotation may
 * re-bind; `revoked`; the ids and times the listings and checks read). A token is a hash
 * (`familyId`, `used`, `expiresAt`). Both expire with the family. A grant's families are a set,
 * so `revokeGrant` finds them; a revoked grant is remembered for the retention window, so a
 * family created for it afterwards is born revoked.
 *
 * Scripts answering with a family answer `record, keyThumbprint, clientFingerprint` (absent
 * fields as nil).
 *
 * @module
 */
import { script } from './script.js';

/**
 * KEYS: family, token, grant's families, revoked grant, families, families of the client,
 * families of the user. ARGV: prefix, now, familyId, grantId, clientId, userId, createdAt,
 * expiresAt, record JSON, then (name, value) pairs of the re-bindable fields present. Returns
 * `family-taken` or `token-taken` when a live family or token has the id or hash, else `ok`.
 */
export const createRefreshFamily = script(
  7,
  `
if live(redis.call('HGET', KEYS[1], 'expiresAt')) then return 'family-taken' end
if live(redis.call('HGET', KEYS[2], 'expiresAt')) then return 'token-taken' end
redis.call('DEL', KEYS[1])
if not live(ARGV[8]) then return 'ok' end
local ms = ttl(ARGV[8])
local revoked = '0'
if live(redis.call('GET', KEYS[4])) then revoked = '1' end
redis.call('HSET', KEYS[1], 'record', ARGV[9], 'revoked', revoked, 'grantId', ARGV[4],
  'clientId', ARGV[5], 'userId', ARGV[6], 'createdAt', ARGV[7], 'expiresAt', ARGV[8])
for i = 10, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ms)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'familyId', ARGV[3], 'used', '0', 'expiresAt', ARGV[8])
redis.call('PEXPIRE', KEYS[2], ms)
redis.call('SADD', KEYS[3], ARGV[3])
extend(KEYS[3], ms)
for i = 5, 7 do
  redis.call('ZADD', KEYS[i], ARGV[7], ARGV[3])
  extend(KEYS[i], ms)
end
return 'ok'
`,
);

/** Lua: the live family of a token: its token fields, key and fields, or nil. */
const LIVE_FAMILY = `
local function liveFamily(tokenKey)
  local token = redis.call('HMGET', tokenKey, 'familyId', 'used', 'expiresAt')
  if not token[1] or not live(token[3]) then return nil end
  local key = familyKey(token[1])
  local family = redis.call('HMGET', key, 'expiresAt', 'revoked', 'record', 'keyThumbprint', 'clientFingerprint')
  if not live(family[1]) then return nil end
  return token, key, family
end
`;

/**
 * Lua: `rotate(oldKey, newKey, firstChange, beforeWrites)` rotates and answers `{'invalid'}`,
 * `{'token-taken'}` (nothing changed), or the status and the family: `rotated` (the changes, the
 * (name, value) pairs of ARGV from `firstChange`, applied) when the old token was current in a
 * live family, `revoked` for the current token of a revoked family, `reused` (and the family
 * revoked) for an earlier token. `beforeWrites()` runs once the outcome is known and is not
 * `token-taken`, before anything is written.
 */
const ROTATE = `${LIVE_FAMILY}
local function rotate(oldKey, newKey, firstChange, beforeWrites)
  local token, key, family = liveFamily(oldKey)
  if not token then
    beforeWrites()
    return {'invalid'}
  end
  if token[2] == '0' then
    if family[2] == '1' then
      beforeWrites()
      return {'revoked', family[3], family[4], family[5]}
    end
    if live(redis.call('HGET', newKey, 'expiresAt')) then return {'token-taken'} end
    beforeWrites()
    redis.call('HSET', oldKey, 'used', '1')
    redis.call('DEL', newKey)
    redis.call('HSET', newKey, 'familyId', token[1], 'used', '0', 'expiresAt', token[3])
    redis.call('PEXPIRE', newKey, ttl(token[3]))
    for i = firstChange, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
    local updated = redis.call('HMGET', key, 'record', 'keyThumbprint', 'clientFingerprint')
    return {'rotated', updated[1], updated[2], updated[3]}
  end
  beforeWrites()
  redis.call('HSET', key, 'revoked', '1')
  return {'reused', family[3], family[4], family[5]}
end
`;

/**
 * KEYS: old token, new token. ARGV: prefix, now, then (name, value) pairs of the changes. Returns
 * what `rotate` does (above).
 */
export const rotateRefreshToken = script(
  2,
  `${ROTATE}
return rotate(KEYS[1], KEYS[2], 3, function() end)
`,
);

/**
 * KEYS: the jti, old token, new token. ARGV: prefix, now, the jti record's expiresAt and ttl
 * (whole ms), then (name, value) pairs of the changes. Returns `{'replayed'}` (nothing changed)
 * when the jti is live, else records it and rotates, answering as `rotateRefreshToken`; on
 * `token-taken` neither happened.
 */
export const recordJtiAndRotate = script(
  3,
  `${ROTATE}
if live(redis.call('GET', KEYS[1])) then return {'replayed'} end
return rotate(KEYS[2], KEYS[3], 5, function() redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end)
`,
);

/** KEYS: token. ARGV: prefix, now. Returns the live family of a current or earlier token, or nil. */
export const findRefreshFamily = script(
  1,
  `${LIVE_FAMILY}
local token, key, family = liveFamily(KEYS[1])
if not token then return nil end
return {family[3], family[4], family[5]}
`,
  true,
);

/** KEYS: family. ARGV: prefix, now. Marks the family revoked when it exists. */
export const revokeRefreshFamily = script(
  1,
  `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end
return 'ok'
`,
);

/**
 * KEYS: grant's families, revoked grant. ARGV: prefix, now, grantId, revoked until (epoch ms),
 * retention ms. Revokes every
 * family of the grant (forgetting members whose family is gone or was re-created for another
 * grant) and remembers the grant as revoked for the retention window.
 */
export const revokeGrant = script(
  2,
  `
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = familyKey(id)
  if redis.call('HGET', key, 'grantId') == ARGV[3] then
    redis.call('HSET', key, 'revoked', '1')
  else
    redis.call('SREM', KEYS[1], id)
  end
end
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
return 'ok'
`,
);
