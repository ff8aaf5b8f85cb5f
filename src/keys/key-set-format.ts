/**
 * Parsing and serialising a key set file: the format is checked member by member (zod), then the
 * rules that tie members together (one current key, at most one next key, kids that are the
 * keys' thumbprints, private JWKs that fit their algorithm).
 *
 * @module
 */
import { calculateJwkThumbprint } from 'jose';
import { z } from 'zod';
import { CLIENT_KEY_ALGORITHMS, KEY_SHAPE } from './algorithms.js';
import { KeySetError } from './errors.js';
import { checkJwksUri, KEY_SET_VERSION, type KeySet, orderKeys } from './key-set.js';
import { privateMembersOf, toPublicJwk } from './public-jwk.js';

const timestamp = z.iso.datetime({ offset: true });

const keySetSchema = z.object({
  version: z.literal(KEY_SET_VERSION),
  jwksUri: z.string().optional(),
  settings: z.object({
    maxAssertionLifetimeMs: z.number().int().min(1000),
    maxJwksCacheMs: z.number().int().min(0),
  }),
  keys: z
    .array(
      z.object({
        kid: z.string().min(1),
        alg: z.enum(CLIENT_KEY_ALGORITHMS as [string, ...string[]]),
        state: z.enum(['next', 'current', 'previous']),
        createdAt: timestamp,
        stagedAt: timestamp.optional(),
        publishedAt: timestamp.optional(),
        promotedAt: timestamp.optional(),
        demotedAt: timestamp.optional(),
        privateJwk: z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string() }),
      }),
    )
    .min(1),
});

function invalid(message: string): never {
  throw new KeySetError('ERR_KEYS_INVALID_FILE', `invalid key set: ${message}`);
}

function checkRelations(set: KeySet): void {
  const count = (state: string) => set.keys.filter((key) => key.state === state).length;
  if (count('current') !== 1) invalid(`exactly one key must be current; found ${count('current')}`);
  if (count('next') > 1) invalid(`at most one key may be next; found ${count('next')}`);
  const kids = new Set<string>();
  set.keys.forEach((key, index) => {
    const where = `keys[${index}] (${key.kid})`;
    if (kids.has(key.kid)) invalid(`${where}: the kid is used twice`);
    kids.add(key.kid);
    if (key.privateJwk.kid !== key.kid) invalid(`${where}: privateJwk.kid differs from kid`);
    if (key.privateJwk.alg !== key.alg) invalid(`${where}: privateJwk.alg differs from alg`);
    const shape = KEY_SHAPE[key.alg];
    if (key.privateJwk.kty !== shape.kty || (shape.crv !== undefined && key.privateJwk.crv !== shape.crv)) {
      invalid(
        `${where}: a ${key.alg} key must be kty ${shape.kty}${shape.crv ? ` with crv ${shape.crv}` : ''}`,
      );
    }
    if (!privateMembersOf(key.privateJwk as Record<string, unknown>).includes('d')) {
      invalid(`${where}: privateJwk has no private part ("d")`);
    }
    if (key.state === 'previous' && key.demotedAt === undefined)
      invalid(`${where}: a previous key needs demotedAt`);
  });
  if (set.jwksUri !== undefined) {
    try {
      checkJwksUri(set.jwksUri);
    } catch (error) {
      invalid((error as Error).message);
    }
  }
}

/**
 * Checks a parsed key set file and returns it as a {@link KeySet} (keys in canonical order).
 *
 * @throws KeySetError `ERR_KEYS_INVALID_FILE` saying what is wrong.
 */
export async function parseKeySet(value: unknown): Promise<KeySet> {
  const parsed = keySetSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invalid(`${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'not a key set'}`);
  }
  const set = parsed.data as KeySet;
  checkRelations(set);
  for (const key of set.keys) {
    const thumbprint = await calculateJwkThumbprint(toPublicJwk(key.privateJwk), 'sha256').catch(
      () => undefined,
    );
    if (thumbprint !== key.kid) invalid(`the kid ${key.kid} is not the RFC 7638 thumbprint of its key`);
  }
  return { ...set, keys: orderKeys(set.keys) };
}

/** The key set as the text of its file: indented JSON ending with a newline. */
export function serializeKeySet(set: KeySet): string {
  const ordered = {
    version: set.version,
    ...(set.jwksUri !== undefined ? { jwksUri: set.jwksUri } : {}),
    settings: set.settings,
    keys: orderKeys(set.keys),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
