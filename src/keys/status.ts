/**
 * `keySetStatus`: what the served JWKS says about a key set, and which rotation step is safe next.
 * Pure: give it the JWKS fetched from `jwksUri` (see `fetchPublishedJwks`).
 *
 * @module
 */
import { currentKeyAge, wholeDays } from './key-age.js';
import { currentKey, type KeySet, nextKey, previousKeys } from './key-set.js';
import { comparePublication, type PublicationReport } from './publication.js';
import { retireAfter } from './rotation.js';

/** How an item of a status weighs: `error` makes the status inconsistent; `warning` needs a look. */
export type StatusLevel = 'ok' | 'info' | 'warning' | 'error';

/** The stable codes of status items. */
export type StatusCode =
  | 'current-not-published'
  | 'current-mismatch'
  | 'current-too-old'
  | 'private-key-published'
  | 'published-jwks-invalid'
  | 'next-not-published'
  | 'next-mismatch'
  | 'next-ready'
  | 'previous-not-published'
  | 'previous-in-grace'
  | 'previous-retirable'
  | 'unknown-key-published'
  | 'all-good';

/** One observation with what to do about it. */
export interface StatusItem {
  level: StatusLevel;
  code: StatusCode;
  /** What was found and what to do, in one sentence. */
  message: string;
  /** The key concerned, when one is. */
  kid?: string | null;
  /** For `previous-in-grace`: when the key may be retired (ISO 8601). */
  retireAfter?: string;
}

/** The outcome of {@link keySetStatus}. */
export interface KeySetStatus {
  /** False when an item is an error: the current key is not served, a private key is, or the set is broken. */
  consistent: boolean;
  /** The comparison of the key set with the served JWKS. */
  publication: PublicationReport;
  /** Observations and the next safe step, errors first. */
  items: StatusItem[];
}

const LEVEL_ORDER: Record<StatusLevel, number> = { error: 0, warning: 1, info: 2, ok: 3 };

/**
 * Compares `set` with `published` (the parsed JWKS served at `set.jwksUri`) and says which step
 * is safe next: promote only once the next key is served; retire a previous key only after its
 * grace period.
 *
 * @param options.now - now, in epoch milliseconds. Default `Date.now()`.
 * @param options.maxKeyAgeMs - when set, a `current-too-old` warning is added when the current key
 *   is at least this old (milliseconds since it was generated) and no next key is staged. Default:
 *   no age check (`cimd keys status` passes 90 days).
 */
export function keySetStatus(
  set: KeySet,
  published: unknown,
  options: { now?: number; maxKeyAgeMs?: number } = {},
): KeySetStatus {
  const now = options.now ?? Date.now();
  const where = set.jwksUri ?? 'the jwks_uri';
  const publication = comparePublication(set, published);
  const servedAs = (kid: string) => publication.keys.find((key) => key.kid === kid)?.published ?? 'no';
  const items: StatusItem[] = [];
  const add = (item: StatusItem) => items.push(item);

  for (const leak of publication.leaked) {
    add({
      level: 'error',
      code: 'private-key-published',
      kid: leak.kid,
      message: `the served key ${leak.kid ?? '(no kid)'} carries private members (${leak.members.join(', ')}): the private key has leaked; publish the public JWKS only, then replace the key (cimd keys rotate --stage, --promote)`,
    });
  }
  for (const finding of publication.findings.filter((found) => found.id !== 'CIMD-KEY-03')) {
    add({
      level: 'error',
      code: 'published-jwks-invalid',
      message: `${finding.id} ${finding.message} (at ${finding.path} of the served JWKS)`,
    });
  }

  const current = currentKey(set);
  const currentServed = servedAs(current.kid);
  if (currentServed !== 'yes') {
    add({
      level: 'error',
      code: currentServed === 'mismatch' ? 'current-mismatch' : 'current-not-published',
      kid: current.kid,
      message:
        currentServed === 'mismatch'
          ? `the current key ${current.kid} is served at ${where} with different key material: assertions will fail; publish the public JWKS of this key set`
          : `the current key ${current.kid} is not served at ${where}: assertions will fail; publish the public JWKS of this key set`,
    });
  }

  const next = nextKey(set);
  if (next === undefined && options.maxKeyAgeMs !== undefined) {
    const age = currentKeyAge(set, { now, maxAgeMs: options.maxKeyAgeMs });
    if (age.tooOld) {
      add({
        level: 'warning',
        code: 'current-too-old',
        kid: current.kid,
        message: `the current key ${current.kid} is ${wholeDays(age.ageMs)} days old, past the maximum of ${wholeDays(age.maxAgeMs)} days: rotate it (cimd keys rotate --stage, or --auto from a scheduler)`,
      });
    }
  }
  if (next !== undefined) {
    const served = servedAs(next.kid);
    add(
      served === 'yes'
        ? {
            level: 'info',
            code: 'next-ready',
            kid: next.kid,
            message: `the next key ${next.kid} is published: it is safe to promote it (cimd keys rotate --promote)`,
          }
        : {
            level: 'warning',
            code: served === 'mismatch' ? 'next-mismatch' : 'next-not-published',
            kid: next.kid,
            message: `the next key ${next.kid} is not published yet at ${where}: do not promote; publish the JWKS first`,
          },
    );
  }

  for (const key of previousKeys(set)) {
    const after = retireAfter(set, key);
    const due = after.getTime() <= now;
    if (due) {
      add({
        level: 'info',
        code: 'previous-retirable',
        kid: key.kid,
        message: `the previous key ${key.kid} may be retired now (cimd keys rotate --retire), then publish the JWKS`,
      });
      continue;
    }
    if (servedAs(key.kid) !== 'yes') {
      add({
        level: 'warning',
        code: 'previous-not-published',
        kid: key.kid,
        retireAfter: after.toISOString(),
        message: `the previous key ${key.kid} is no longer served at ${where} but may still be needed until ${after.toISOString()}: servers may reject assertions it signed`,
      });
    } else {
      add({
        level: 'info',
        code: 'previous-in-grace',
        kid: key.kid,
        retireAfter: after.toISOString(),
        message: `the previous key ${key.kid} may be retired after ${after.toISOString()}`,
      });
    }
  }

  for (const kid of publication.unknownKids) {
    add({
      level: 'warning',
      code: 'unknown-key-published',
      kid,
      message: `the served key ${kid ?? '(no kid)'} is not in this key set (a retired key?): publish the JWKS of this key set to drop it`,
    });
  }

  const consistent = !items.some((item) => item.level === 'error');
  if (consistent && !items.some((item) => item.level === 'warning')) {
    const idle = next === undefined && previousKeys(set).length === 0;
    add({
      level: 'ok',
      code: 'all-good',
      message: `all good: every key of this key set is served at ${where}${idle ? '; to rotate, stage a next key (cimd keys rotate --stage)' : ''}`,
    });
  }
  items.sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]);
  return { consistent, publication, items };
}
