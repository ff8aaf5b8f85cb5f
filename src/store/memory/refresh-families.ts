/**
 * The refresh token families of the memory store: each family's tokens, which of them is
 * current, and revocation by family and by grant.
 *
 * @module
 */
import { CimdError } from '../../errors.js';
import { compareStrings } from '../paging.js';
import { REVOKED_GRANT_RETENTION_MS } from '../retention.js';
import type {
  GrantFilter,
  RefreshFamilyChanges,
  RefreshFamilyRecord,
  RotateRefreshResult,
} from '../store.js';

interface FamilyEntry {
  record: RefreshFamilyRecord;
  revoked: boolean;
}

interface TokenEntry {
  familyId: string;
  /** True once the token was rotated away: presenting it again is reuse. */
  used: boolean;
  /** The family's `expiresAt`: the token is absent from then on. */
  expiresAt: number;
}

/** Refresh token families held in memory. Every method is synchronous, hence atomic. */
export class MemoryRefreshFamilies {
  readonly #families = new Map<string, FamilyEntry>();
  readonly #tokens = new Map<string, TokenEntry>();
  /** Revoked grant ids and when they are forgotten (epoch ms). */
  readonly #revokedGrants = new Map<string, number>();

  /** See `Store.createRefreshFamily`. Throws when the family id or token hash is taken. */
  create(family: RefreshFamilyRecord, tokenHash: string, now: number): void {
    const existing = this.#families.get(family.familyId);
    if (existing !== undefined && existing.record.expiresAt > now) {
      throw new CimdError(
        'ERR_STORE_CONFLICT',
        `A refresh token family with id ${family.familyId} already exists`,
      );
    }
    this.#assertTokenFree(tokenHash, now);
    if (existing !== undefined) this.#deleteFamily(family.familyId);
    const revokedUntil = this.#revokedGrants.get(family.grantId);
    this.#families.set(family.familyId, {
      record: structuredClone(family),
      revoked: revokedUntil !== undefined && revokedUntil > now,
    });
    this.#tokens.set(tokenHash, { familyId: family.familyId, used: false, expiresAt: family.expiresAt });
  }

  /**
   * See `Store.rotateRefreshToken`. An earlier token is always `reused` (and revokes the family);
   * the current token of a revoked family is `revoked`. Throws when `newHash` is taken. A
   * `rotated` result applies `changes` to the family first.
   */
  rotate(
    oldHash: string,
    newHash: string,
    now: number,
    changes: RefreshFamilyChanges = {},
  ): RotateRefreshResult {
    const token = this.#tokens.get(oldHash);
    const entry = token === undefined ? undefined : this.#liveFamily(token, now);
    if (token === undefined || entry === undefined) return { status: 'invalid' };
    // Each path clones the record once, as it stands when the result is decided.
    if (!token.used) {
      if (entry.revoked) return { status: 'revoked', family: structuredClone(entry.record) };
      this.#assertTokenFree(newHash, now);
      token.used = true;
      this.#tokens.set(newHash, { familyId: token.familyId, used: false, expiresAt: token.expiresAt });
      if (changes.keyThumbprint !== undefined) entry.record.keyThumbprint = changes.keyThumbprint;
      if (changes.clientFingerprint !== undefined) entry.record.clientFingerprint = changes.clientFingerprint;
      return { status: 'rotated', family: structuredClone(entry.record) };
    }
    const family = structuredClone(entry.record);
    entry.revoked = true;
    return { status: 'reused', family };
  }

  /** See `Store.findRefreshFamily`. */
  find(tokenHash: string, now: number): RefreshFamilyRecord | undefined {
    const token = this.#tokens.get(tokenHash);
    const entry = token === undefined ? undefined : this.#liveFamily(token, now);
    return entry === undefined ? undefined : structuredClone(entry.record);
  }

  /** See `Store.revokeRefreshFamily`. */
  revokeFamily(familyId: string): void {
    const entry = this.#families.get(familyId);
    if (entry !== undefined) entry.revoked = true;
  }

  /** See `Store.revokeGrant`. */
  revokeGrant(grantId: string, now: number): void {
    for (const entry of this.#families.values()) {
      if (entry.record.grantId === grantId) entry.revoked = true;
    }
    this.#revokedGrants.set(grantId, now + REVOKED_GRANT_RETENTION_MS);
  }

  /**
   * The live families (not revoked, not expired) matching `filter`, newest `createdAt` first
   * (equal times by family id), as copies.
   */
  listLive(filter: GrantFilter, now: number): RefreshFamilyRecord[] {
    const live: RefreshFamilyRecord[] = [];
    for (const { record, revoked } of this.#families.values()) {
      if (revoked || record.expiresAt <= now) continue;
      if (filter.clientId !== undefined && record.clientId !== filter.clientId) continue;
      if (filter.userId !== undefined && record.userId !== filter.userId) continue;
      live.push(record);
    }
    live.sort((a, b) => b.createdAt - a.createdAt || compareStrings(a.familyId, b.familyId));
    return live.map((record) => structuredClone(record));
  }

  /** Forgets expired families, their tokens and expired grant revocations. */
  sweep(now: number): void {
    for (const [hash, token] of this.#tokens) if (token.expiresAt <= now) this.#tokens.delete(hash);
    for (const [id, entry] of this.#families) if (entry.record.expiresAt <= now) this.#families.delete(id);
    for (const [id, until] of this.#revokedGrants) if (until <= now) this.#revokedGrants.delete(id);
  }

  #liveFamily(token: TokenEntry, now: number): FamilyEntry | undefined {
    if (token.expiresAt <= now) return undefined;
    const entry = this.#families.get(token.familyId);
    return entry !== undefined && entry.record.expiresAt > now ? entry : undefined;
  }

  #assertTokenFree(tokenHash: string, now: number): void {
    const token = this.#tokens.get(tokenHash);
    if (token !== undefined && token.expiresAt > now) {
      throw new CimdError(
        'ERR_STORE_CONFLICT',
        'This refresh token hash is already in use: token hashes must be unique',
      );
    }
  }

  #deleteFamily(familyId: string): void {
    this.#families.delete(familyId);
    for (const [hash, token] of this.#tokens) if (token.familyId === familyId) this.#tokens.delete(hash);
  }
}
