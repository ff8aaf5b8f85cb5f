/**
 * The authorization server's own signing keys for access tokens: generated on first use,
 * rotated lazily once the current key is older than the rotation interval, and published at
 * `/jwks` together with every retired key that may still have signed a live token.
 *
 * Retention: a key retired at time R signed its last token at R at the latest; that token
 * expires by R + `tokenLifetimeMs`, and verifiers accept it for `clockSkewMs` more. So a retired
 * key stays published (and stored) until R + `tokenLifetimeMs` + `clockSkewMs`, then is dropped.
 *
 * Several managers may share one {@link SigningKeyStorage}: each re-loads the stored set before
 * rotating, before publishing, and at least every `reloadIntervalMs` before signing, so they
 * converge on the newest set. A storage with `exclusive` (the shared store's) runs each rotation
 * under a lock: one manager rotates and the others adopt its key. Without it, two managers
 * rotating at the same instant may both generate a key and the last save wins (the loser's key
 * then stops being published after its tokens' lifetime).
 *
 * @module
 */
import { type CryptoKey, importJWK, type JWK } from 'jose';
import { InvalidOptionError } from '../../errors.js';
import {
  assertServerSigningAlgorithm,
  DEFAULT_SERVER_SIGNING_ALGORITHM,
  type ServerSigningAlgorithm,
} from './signing-algorithms.js';
import {
  currentKeyOf,
  generateStoredSigningKey,
  parseSigningKeySet,
  publicJwkOf,
  type StoredSigningKey,
  type StoredSigningKeySet,
  serializeSigningKeySet,
} from './signing-key-set.js';
import { memorySigningKeyStorage, type SigningKeyStorage } from './signing-key-storage.js';

/** Default rotation interval: 30 days, in ms. */
export const DEFAULT_ROTATION_INTERVAL_MS = 30 * 24 * 60 * 60 * 1000;
/** Default longest access-token lifetime the keys must outlive: 1 hour, in ms. */
export const DEFAULT_MAX_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** Default tolerated clock difference between the server and verifiers: 30 s, in ms. */
export const DEFAULT_CLOCK_SKEW_MS = 30_000;
/** Default interval between re-reads of a shared key set before signing: 1 minute, in ms. */
export const DEFAULT_RELOAD_INTERVAL_MS = 60_000;

/** Options of {@link createSigningKeyManager}. */
export interface SigningKeyManagerOptions {
  /** The algorithm new keys are generated for. Default `'ES256'`. Changing it rotates at the next use. */
  alg?: ServerSigningAlgorithm;
  /** How long a key signs before a new one takes over, in ms. Default 30 days. */
  rotationIntervalMs?: number;
  /**
   * The longest lifetime of any access token signed with these keys, in ms: a retired key stays
   * published this long (plus `clockSkewMs`) after its successor takes over, and
   * `issueAccessToken` refuses longer lifetimes. Default 1 hour.
   */
  tokenLifetimeMs?: number;
  /** Extra time a retired key stays published to cover verifiers' clock skew, in ms. Default 30 000. */
  clockSkewMs?: number;
  /** Where the key set is kept. Default: in memory (new keys on every start). */
  storage?: SigningKeyStorage;
  /**
   * How often the set is re-read before signing, in ms, so a rotation made by another manager
   * sharing the storage (another instance, `cimd admin keys rotate`) is adopted. Default 60 000.
   */
  reloadIntervalMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** The key access tokens are signed with right now. */
export interface SigningKey {
  /** The key id: the RFC 7638 SHA-256 thumbprint of the public key, base64url. */
  kid: string;
  alg: ServerSigningAlgorithm;
  /** The private key (non-extractable). */
  key: CryptoKey;
}

/** A JWK Set of public keys. */
export interface PublicJwks {
  keys: JWK[];
}

/** The server's rotating signing keys; see {@link createSigningKeyManager}. */
export interface SigningKeyManager {
  /** The algorithm new keys are generated for. */
  readonly alg: ServerSigningAlgorithm;
  /** The longest access-token lifetime these keys are kept for, in ms. */
  readonly tokenLifetimeMs: number;
  /** The current signing key; generates the first key, or rotates when the current one is due. */
  signingKey(): Promise<SigningKey>;
  /**
   * The public JWK Set to serve at `/jwks`: the current key first, then retired keys still within
   * their retention, each with only public members plus `kid`, `alg` and `use: "sig"`.
   */
  publicJwks(): Promise<PublicJwks>;
  /** Retires the current key now and starts signing with a new one (e.g. after a suspected leak, with care). */
  rotate(): Promise<void>;
}

function positiveInteger(value: number, name: string, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new InvalidOptionError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer of milliseconds`,
    );
  }
  return value;
}

/**
 * Creates the manager of the server's access-token signing keys.
 *
 * @throws InvalidOptionError when an option is out of range.
 */
export function createSigningKeyManager(options: SigningKeyManagerOptions = {}): SigningKeyManager {
  const alg = assertServerSigningAlgorithm(options.alg ?? DEFAULT_SERVER_SIGNING_ALGORITHM, 'alg');
  const rotationIntervalMs = positiveInteger(
    options.rotationIntervalMs ?? DEFAULT_ROTATION_INTERVAL_MS,
    'rotationIntervalMs',
  );
  const tokenLifetimeMs = positiveInteger(
    options.tokenLifetimeMs ?? DEFAULT_MAX_TOKEN_LIFETIME_MS,
    'tokenLifetimeMs',
  );
  const clockSkewMs = positiveInteger(options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS, 'clockSkewMs', true);
  const storage = options.storage ?? memorySigningKeyStorage();
  if (typeof storage.load !== 'function' || typeof storage.save !== 'function') {
    throw new InvalidOptionError('storage must have load() and save() methods');
  }
  const reloadIntervalMs = positiveInteger(
    options.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS,
    'reloadIntervalMs',
  );
  const now = options.now ?? Date.now;
  const retentionMs = tokenLifetimeMs + clockSkewMs;

  let set: StoredSigningKeySet = { version: 1, keys: [] };
  let text: string | undefined;
  let loaded = false;
  /** Epoch ms of the last read of the storage. */
  let loadedAt = 0;
  let imported: { kid: string; key: Promise<SigningKey> } | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every earlier one, so loads, rotations and saves never interleave. */
  function exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function reload(): Promise<void> {
    const stored = await storage.load();
    loaded = true;
    loadedAt = now();
    if (stored === undefined || stored === text) return;
    set = parseSigningKeySet(stored);
    text = stored;
  }

  function isDue(key: StoredSigningKey | undefined, at: number): boolean {
    return key === undefined || key.alg !== alg || at - key.createdAt >= rotationIntervalMs;
  }

  function isPublished(key: StoredSigningKey, at: number): boolean {
    return key.retiredAt === undefined || key.retiredAt + retentionMs > at;
  }

  async function refresh(reloadFirst: boolean, force: boolean): Promise<void> {
    let reloaded = false;
    if (reloadFirst || !loaded) {
      await reload();
      reloaded = true;
    }
    if (!force && !isDue(currentKeyOf(set), now())) return;
    if (storage.exclusive !== undefined) {
      await storage.exclusive(() => rotateUnlessDone(force, undefined));
      return;
    }
    await rotateUnlessDone(force, reloaded ? text : undefined);
  }

  /**
   * Reads the stored set again (unless `current` is what was just read) and rotates unless
   * another manager already did: with `force`, unless the set changed since this manager last
   * saw it.
   */
  async function rotateUnlessDone(force: boolean, current: string | undefined): Promise<void> {
    const before = text;
    if (current === undefined) await reload();
    if (force ? text !== before : !isDue(currentKeyOf(set), now())) return;
    const at = now();
    const fresh = await generateStoredSigningKey(alg, at);
    const retired = set.keys.map((key) => (key.retiredAt === undefined ? { ...key, retiredAt: at } : key));
    const next: StoredSigningKeySet = {
      version: 1,
      keys: [fresh, ...retired.filter((key) => isPublished(key, at))],
    };
    const nextText = serializeSigningKeySet(next);
    await storage.save(nextText);
    set = next;
    text = nextText;
  }

  function importKey(stored: StoredSigningKey): Promise<SigningKey> {
    if (imported?.kid !== stored.kid) {
      const key = importJWK(stored.privateJwk, stored.alg, { extractable: false }).then(
        (key): SigningKey => ({ kid: stored.kid, alg: stored.alg, key: key as CryptoKey }),
      );
      imported = { kid: stored.kid, key };
      key.catch(() => {
        if (imported?.key === key) imported = undefined;
      });
    }
    return imported.key;
  }

  return {
    alg,
    tokenLifetimeMs,
    async signingKey() {
      let current = loaded ? currentKeyOf(set) : undefined;
      const stale = now() - loadedAt >= reloadIntervalMs;
      if (current === undefined || stale || isDue(current, now())) {
        await exclusive(() => refresh(stale, false));
        current = currentKeyOf(set);
      }
      if (current === undefined) throw new Error('no signing key after rotation'); // unreachable
      return importKey(current);
    },
    async publicJwks() {
      await exclusive(() => refresh(true, false));
      const at = now();
      const keys = set.keys
        .filter((key) => isPublished(key, at))
        .sort((a, b) => (b.retiredAt ?? Number.POSITIVE_INFINITY) - (a.retiredAt ?? Number.POSITIVE_INFINITY))
        .map((key) => publicJwkOf(key.privateJwk, key.kid, key.alg));
      return { keys };
    },
    rotate() {
      return exclusive(() => refresh(true, true));
    },
  };
}
