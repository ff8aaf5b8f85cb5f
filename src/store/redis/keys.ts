/**
 * The Redis key layout of the store. Every key is `<keyPrefix><kind>:<id>`, where `kind` never
 * contains `:`, so keys of different kinds never collide whatever the ids hold. Pairs of ids are
 * joined as a JSON array, so `('a:b', 'c')` and `('a', 'b:c')` stay apart.
 *
 * The Lua scripts build the keys they only learn while running (a token's family, a listing's
 * records) from the same kinds, through {@link LUA_KEYS}.
 *
 * @module
 */

/** The kind of every key. */
export const KIND = {
  jti: 'jti',
  code: 'code',
  family: 'family',
  token: 'refresh-token',
  grantFamilies: 'grant-families',
  revokedGrant: 'revoked-grant',
  families: 'families',
  familiesByClient: 'families-by-client',
  familiesByUser: 'families-by-user',
  client: 'client',
  consent: 'consent',
  consents: 'consents',
  consentsByClient: 'consents-by-client',
  consentsByUser: 'consents-by-user',
  cache: 'cache',
  clientDocuments: 'client-documents',
  clientsBySighting: 'clients-by-sighting',
  state: 'state',
  lock: 'lock',
  rate: 'rate',
} as const;

/** The member (and key suffix) standing for a pair of ids. */
export function pairId(first: string, second: string): string {
  return JSON.stringify([first, second]);
}

/** Builds the keys of a store whose keys all start with `prefix`. */
export function createKeys(prefix: string) {
  const key = (kind: string, id = '') => `${prefix}${kind}:${id}`;
  return {
    jti: (clientId: string, jti: string) => key(KIND.jti, pairId(clientId, jti)),
    code: (codeHash: string) => key(KIND.code, codeHash),
    family: (familyId: string) => key(KIND.family, familyId),
    token: (tokenHash: string) => key(KIND.token, tokenHash),
    grantFamilies: (grantId: string) => key(KIND.grantFamilies, grantId),
    revokedGrant: (grantId: string) => key(KIND.revokedGrant, grantId),
    families: () => key(KIND.families),
    familiesByClient: (clientId: string) => key(KIND.familiesByClient, clientId),
    familiesByUser: (userId: string) => key(KIND.familiesByUser, userId),
    client: (clientId: string) => key(KIND.client, clientId),
    consent: (userId: string, clientId: string) => key(KIND.consent, pairId(userId, clientId)),
    consents: () => key(KIND.consents),
    consentsByClient: (clientId: string) => key(KIND.consentsByClient, clientId),
    consentsByUser: (userId: string) => key(KIND.consentsByUser, userId),
    cache: (cacheKey: string) => key(KIND.cache, cacheKey),
    clientDocuments: (clientId: string) => key(KIND.clientDocuments, clientId),
    clientsBySighting: () => key(KIND.clientsBySighting),
    state: (name: string) => key(KIND.state, name),
    lock: (name: string) => key(KIND.lock, name),
    rate: (windowMs: number, windowStart: number, rateKey: string) =>
      key(KIND.rate, `${windowMs}:${windowStart}:${rateKey}`),
  };
}

/** The keys of one store; see {@link createKeys}. */
export type RedisKeys = ReturnType<typeof createKeys>;

/**
 * Lua helpers shared by the scripts: `P` is the key prefix (always `ARGV[1]`), `NOW` the
 * caller's clock in epoch ms (always `ARGV[2]`); `live(expiresAt)` is true while a stored expiry
 * lies ahead of `NOW`; `ttl(expiresAt)` is the whole milliseconds left; `extend(key, ms)` makes
 * an index outlive what it lists.
 */
export const LUA_KEYS = `
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local function live(expiresAt) return expiresAt and tonumber(expiresAt) > NOW end
local function ttl(expiresAt) return math.ceil(tonumber(expiresAt) - NOW) end
local function extend(key, ms)
  local current = redis.call('PTTL', key)
  if current == -1 or (current >= 0 and current < ms) then redis.call('PEXPIRE', key, ms) end
end
local function familyKey(id) return P .. '${KIND.family}:' .. id end
local function consentKey(member) return P .. '${KIND.consent}:' .. member end
local function revokedGrantKey(id) return P .. '${KIND.revokedGrant}:' .. id end
local function grantFamiliesKey(id) return P .. '${KIND.grantFamilies}:' .. id end
local function clientDocumentsKey(id) return P .. '${KIND.clientDocuments}:' .. id end
`;
