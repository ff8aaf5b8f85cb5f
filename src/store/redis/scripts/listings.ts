/**
 * Scripts of consents (CIMD-AS-19) and of the grant and consent listings. Listings read sorted
 * sets (score: `createdAt` of a family, `grantedAt` of a consent; members: family ids and
 * `[userId, clientId]` pairs), one over everything and one per client and per user, kept by the
 * scripts that write the records. A member whose record is gone, expired, revoked or no longer
 * of that client or user is removed when a listing meets it.
 *
 * @module
 */
import { script } from './script.js';

/**
 * Lua: `page(index, offset, limit, check)` walks `index` newest first; `check(member)` answers
 * `'stale'` (removed from the index), `'skip'`, or `'row', row`; returns at most `limit` rows
 * after skipping `offset` of them.
 */
const PAGE = `
local function page(index, offset, limit, check)
  local rows, stale, skipped, start = {}, {}, 0, 0
  while #rows < limit do
    local members = redis.call('ZREVRANGE', index, start, start + 99)
    if #members == 0 then break end
    for _, member in ipairs(members) do
      local verdict, row = check(member)
      if verdict == 'stale' then
        table.insert(stale, member)
      elseif verdict == 'row' then
        if skipped < offset then
          skipped = skipped + 1
        else
          table.insert(rows, row)
          if #rows >= limit then break end
        end
      end
    end
    start = start + 100
  end
  for _, member in ipairs(stale) do redis.call('ZREM', index, member) end
  return rows
end
`;

/**
 * Lua: whether a record of `clientId` and `userId` fits the filter in ARGV (5: has client,
 * 6: client, 7: has user, 8: user) read through an index of the client when one is given, else
 * of the user, else of everything: `'stale'` when it left the index's client or user.
 */
const FILTER = `
local function fits(clientId, userId)
  local hasClient, hasUser = ARGV[5] == '1', ARGV[7] == '1'
  if hasClient and clientId ~= ARGV[6] then return 'stale' end
  if hasUser and userId ~= ARGV[8] then
    if hasClient then return 'skip' end
    return 'stale'
  end
  return 'row'
end
`;

/**
 * KEYS: the index. ARGV: prefix, now, offset, limit, then the filter (see {@link FILTER}).
 * Returns the live, unrevoked families as `{record, keyThumbprint, clientFingerprint}` rows.
 */
export const listRefreshFamilies = script(
  1,
  `${PAGE}${FILTER}
return page(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]), function(id)
  local f = redis.call('HMGET', familyKey(id), 'expiresAt', 'revoked', 'clientId', 'userId',
    'record', 'keyThumbprint', 'clientFingerprint')
  if not live(f[1]) or f[2] == '1' then return 'stale' end
  local verdict = fits(f[3], f[4])
  if verdict ~= 'row' then return verdict end
  return 'row', {f[5], f[6], f[7]}
end)
`,
);

/**
 * KEYS: the index. ARGV: prefix, now, offset, limit, then the filter (see {@link FILTER}).
 * Returns the JSON of the unexpired consents.
 */
export const listConsents = script(
  1,
  `${PAGE}${FILTER}
return page(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]), function(member)
  local c = redis.call('HMGET', consentKey(member), 'expiresAt', 'clientId', 'userId', 'record')
  if not live(c[1]) then return 'stale' end
  local verdict = fits(c[2], c[3])
  if verdict ~= 'row' then return verdict end
  return 'row', c[4]
end)
`,
);

/**
 * KEYS: consent, consents, consents of the client, consents of the user. ARGV: prefix, now,
 * record JSON, expiresAt, grantedAt, clientId, userId, member. Replaces the consent (an already
 * expired one only removes what was there) and lists it.
 */
export const saveConsent = script(
  4,
  `
redis.call('DEL', KEYS[1])
if not live(ARGV[4]) then return 'ok' end
local ms = ttl(ARGV[4])
redis.call('HSET', KEYS[1], 'record', ARGV[3], 'expiresAt', ARGV[4], 'clientId', ARGV[6], 'userId', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ms)
for i = 2, 4 do
  redis.call('ZADD', KEYS[i], ARGV[5], ARGV[8])
  extend(KEYS[i], ms)
end
return 'ok'
`,
);

/** KEYS: as {@link saveConsent}. ARGV: prefix, now, member. Forgets the consent. */
export const revokeConsent = script(
  4,
  `
redis.call('DEL', KEYS[1])
for i = 2, 4 do redis.call('ZREM', KEYS[i], ARGV[3]) end
return 'ok'
`,
);
