/**
 * `autoRotateStep`: the whole staged rotation run from a scheduler, one due step per call. Each
 * call does at most one of, in this order:
 *
 * 1. promote the next key, once it is served at `jwksUri` (the check `promoteNextKey` makes);
 * 2. retire the previous keys whose grace period has passed;
 * 3. stage a next key (same algorithm as the current one) when the current key is at least the
 *    maximum age old and none is staged;
 *
 * or nothing, saying what it waits for. Calling it again with the same inputs does nothing more,
 * so it is safe to run every hour. Writing the key set and publishing the JWKS is the caller's.
 *
 * @module
 */
import type { ClientKey } from './generate.js';
import { generateClientKey } from './generate.js';
import { currentKeyAge, wholeDays } from './key-age.js';
import { currentKey, type KeySet, nextKey, previousKeys } from './key-set.js';
import { keyPublication } from './publication.js';
import { promoteNextKey, retireAfter, retirePreviousKeys, stageKey } from './rotation.js';

/** Options of {@link autoRotateStep}. */
export interface AutoRotateOptions {
  /**
   * Returns the parsed JWKS served at the key set's `jwksUri` (see `fetchPublishedJwks`). Called
   * only when a next key is staged. Its errors propagate.
   */
  fetchPublished: () => Promise<unknown>;
  /** The maximum age of the current key, in milliseconds. Default 90 days. */
  maxKeyAgeMs?: number;
  /** Now, in epoch milliseconds. Default `Date.now()`. */
  now?: number;
  /** Makes the next key. Default `generateClientKey` with the current key's algorithm. */
  generateKey?: (alg: ClientKey['alg']) => Promise<ClientKey>;
}

/** What {@link autoRotateStep} did. */
export type AutoRotateResult =
  | { step: 'stage'; keySet: KeySet; kid: string; alg: ClientKey['alg']; message: string }
  | { step: 'promote'; keySet: KeySet; kid: string; previous: string; retireAfter: Date; message: string }
  | { step: 'retire'; keySet: KeySet; retired: string[]; message: string }
  | { step: 'none'; keySet: KeySet; waiting: string[]; message: string };

/** Does the next due rotation step of `set`, or nothing; see the module description. */
export async function autoRotateStep(set: KeySet, options: AutoRotateOptions): Promise<AutoRotateResult> {
  const now = options.now ?? Date.now();
  const where = set.jwksUri ?? 'the jwks_uri';
  const waiting: string[] = [];

  const next = nextKey(set);
  if (next !== undefined) {
    const published = await options.fetchPublished();
    if (keyPublication(published, next) === 'yes') {
      const previous = currentKey(set).kid;
      const keySet = promoteNextKey(set, { published, now });
      const demoted = previousKeys(keySet).find((key) => key.kid === previous);
      const after = retireAfter(keySet, demoted ?? currentKey(keySet));
      return {
        step: 'promote',
        keySet,
        kid: next.kid,
        previous,
        retireAfter: after,
        message: `promoted ${next.kid}: it signs from now on; ${previous} is previous until ${after.toISOString()}`,
      };
    }
    waiting.push(`the next key ${next.kid} is not published yet at ${where}: publish the JWKS`);
  }

  const due = previousKeys(set).filter((key) => retireAfter(set, key).getTime() <= now);
  if (due.length > 0) {
    const result = retirePreviousKeys(set, { now });
    return {
      step: 'retire',
      keySet: result.keySet,
      retired: result.retired,
      message: `retired ${result.retired.join(', ')}: publish the JWKS so it no longer lists ${result.retired.length === 1 ? 'it' : 'them'}`,
    };
  }
  for (const key of previousKeys(set)) {
    waiting.push(`the previous key ${key.kid} may be retired after ${retireAfter(set, key).toISOString()}`);
  }

  const age = currentKeyAge(set, {
    now,
    ...(options.maxKeyAgeMs === undefined ? {} : { maxAgeMs: options.maxKeyAgeMs }),
  });
  if (next === undefined && age.tooOld) {
    const alg = currentKey(set).alg;
    const key = await (options.generateKey ?? ((chosen) => generateClientKey(chosen)))(alg);
    const keySet = stageKey(set, key, { now });
    return {
      step: 'stage',
      keySet,
      kid: key.kid,
      alg,
      message: `staged the next key ${key.kid} (${alg}): the current key is ${wholeDays(age.ageMs)} days old (maximum ${wholeDays(age.maxAgeMs)}); publish the JWKS at ${where}, a later run promotes it once it is served`,
    };
  }
  if (next === undefined) {
    waiting.push(
      `the current key ${age.kid} is ${wholeDays(age.ageMs)} days old; the next rotation is due at ${age.dueAt.toISOString()}`,
    );
  }
  return { step: 'none', keySet: set, waiting, message: `nothing to do: ${waiting.join('; ')}` };
}
