/**
 * Pending authorizations waiting for the user's consent ("interactions"), kept in the store's
 * cache under `interaction:<id>` for `interactionLifetimeMs`, each usable once.
 *
 * @module
 */
import type { Store } from '../../store/store.js';
import { randomToken } from '../random-token.js';

/** What the consent step needs to finish an authorization. */
export interface Interaction {
  /** The random id, in the consent form and the CSRF cookie's name. */
  id: string;
  clientId: string;
  /** The redirect URI as requested (runtime port included). */
  redirectUri: string;
  state?: string;
  codeChallenge: string;
  resources: string[];
  scopes: string[];
  /** The signed-in user who saw the page ('' when the user signs in after consenting). */
  userId: string;
  /** When that user authenticated, epoch ms (0 when the user signs in after consenting). */
  authTime: number;
  /** The authenticator's reference to that user's sign-in. */
  sessionId?: string;
  /** That user's name and e-mail address, when the sign-in gave them. */
  userName?: string;
  userEmail?: string;
  /**
   * The user signs in only after approving (an upstream identity provider: MCP-AS-23); the
   * authorization finishes when the browser comes back from signing in.
   */
  signInRequired?: boolean;
  /** The request's `prompt`, forwarded to the sign-in that follows consent. */
  prompt?: string;
  /** The request's `login_hint`, forwarded likewise. */
  loginHint?: string;
  /** The client's document fingerprint when the page was shown. */
  clientFingerprint: string;
  /** The CSRF token, also in the cookie bound to this interaction. */
  csrfToken: string;
  /** Epoch ms the interaction was created. */
  createdAt: number;
}

/** The shape of an interaction id: base64url of 24 random bytes. */
const INTERACTION_ID = /^[A-Za-z0-9_-]{32}$/;

const KEY_PREFIX = 'interaction:';

/** Approved interactions waiting for the user to sign in. */
const APPROVED_PREFIX = 'interaction-approved:';

/** The namespace of the single-use markers (in the store's atomic `recordJti`). */
const USED_NAMESPACE = 'mcp-cimd:consent-interaction';

/** The namespace of the single-use markers of returns from sign-in. */
const RETURNED_NAMESPACE = 'mcp-cimd:sign-in-return';

/** True when `value` could be an interaction id (so it may be used in a cookie name and a store key). */
export function isInteractionId(value: string): boolean {
  return INTERACTION_ID.test(value);
}

/**
 * Saves a new interaction for `ttlMs` with a fresh id and CSRF token, and returns it.
 */
export async function saveInteraction(
  store: Store,
  fields: Omit<Interaction, 'id' | 'csrfToken'>,
  ttlMs: number,
): Promise<Interaction> {
  const interaction: Interaction = { ...fields, id: randomToken(24), csrfToken: randomToken(32) };
  await store.cacheSet(`${KEY_PREFIX}${interaction.id}`, JSON.stringify(interaction), ttlMs);
  return interaction;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function parseInteraction(id: string, text: string): Interaction | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const strings = ['clientId', 'redirectUri', 'codeChallenge', 'userId', 'clientFingerprint', 'csrfToken'];
  if (record.id !== id || strings.some((name) => typeof record[name] !== 'string')) return undefined;
  if (!isStringArray(record.resources) || !isStringArray(record.scopes)) return undefined;
  if (typeof record.authTime !== 'number' || typeof record.createdAt !== 'number') return undefined;
  for (const name of ['state', 'sessionId', 'prompt', 'loginHint', 'userName', 'userEmail']) {
    if (record[name] !== undefined && typeof record[name] !== 'string') return undefined;
  }
  if (record.signInRequired !== undefined && typeof record.signInRequired !== 'boolean') return undefined;
  return record as unknown as Interaction;
}

/** The unexpired interaction `id`, or undefined (unknown, expired, used, or not an id at all). */
export async function loadInteraction(store: Store, id: string): Promise<Interaction | undefined> {
  if (!isInteractionId(id)) return undefined;
  const text = await store.cacheGet(`${KEY_PREFIX}${id}`);
  return text === undefined ? undefined : parseInteraction(id, text);
}

/**
 * Keeps an approved interaction whose user still has to sign in (consent before sign-in) for
 * `ttlMs`, under its own key: the consent step is used up, this is what the return from the
 * sign-in finishes.
 */
export async function saveApprovedInteraction(
  store: Store,
  interaction: Interaction,
  ttlMs: number,
): Promise<void> {
  await store.cacheSet(`${APPROVED_PREFIX}${interaction.id}`, JSON.stringify(interaction), ttlMs);
}

/** The approved interaction `id` waiting for the user's sign-in, or undefined. */
export async function loadApprovedInteraction(store: Store, id: string): Promise<Interaction | undefined> {
  if (!isInteractionId(id)) return undefined;
  const text = await store.cacheGet(`${APPROVED_PREFIX}${id}`);
  return text === undefined ? undefined : parseInteraction(id, text);
}

/**
 * Uses up the approved interaction `id` (the return from sign-in): true for exactly one caller,
 * however many race. The record is deleted either way.
 */
export async function consumeApprovedInteraction(store: Store, id: string, ttlMs: number): Promise<boolean> {
  const first = await store.recordJti(RETURNED_NAMESPACE, id, ttlMs);
  await store.cacheDelete(`${APPROVED_PREFIX}${id}`);
  return first;
}

/**
 * Uses up interaction `id`: true for exactly one caller, however many race (the store's atomic
 * `recordJti`), false for every other. The record is deleted either way.
 */
export async function consumeInteraction(store: Store, id: string, ttlMs: number): Promise<boolean> {
  const first = await store.recordJti(USED_NAMESPACE, id, ttlMs);
  await store.cacheDelete(`${KEY_PREFIX}${id}`);
  return first;
}
