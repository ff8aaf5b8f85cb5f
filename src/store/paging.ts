/**
 * Paging of the store's listings, shared by every backend so they all accept and bound the same
 * {@link Page}.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js';
import type { Page } from './store.js';

/** Rows a listing returns when the page names no `limit` (100). */
export const DEFAULT_PAGE_LIMIT = 100;

/** The most rows one listing returns, whatever `limit` asks for (1000). */
export const MAX_PAGE_LIMIT = 1000;

/** A page with its defaults applied and its limit capped. */
export interface ResolvedPage {
  /** Rows to return, 1 to {@link MAX_PAGE_LIMIT}. */
  limit: number;
  /** Rows to skip first, 0 or more. */
  offset: number;
}

/**
 * Applies the defaults of `page` (limit {@link DEFAULT_PAGE_LIMIT}, offset 0) and caps its limit
 * at {@link MAX_PAGE_LIMIT}. Throws {@link InvalidOptionError} when `limit` is not a positive
 * whole number or `offset` not a non-negative one; `method` names the listing in the message.
 */
export function resolvePage(method: string, page: Page | undefined): ResolvedPage {
  if (page !== undefined && (typeof page !== 'object' || page === null)) {
    throw new InvalidOptionError(
      `${method}: page must be an object with limit and offset; got ${String(page)}`,
    );
  }
  const limit = page?.limit ?? DEFAULT_PAGE_LIMIT;
  const offset = page?.offset ?? 0;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit <= 0) {
    throw new InvalidOptionError(
      `${method}: page.limit must be a positive whole number; got ${String(limit)}`,
    );
  }
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidOptionError(
      `${method}: page.offset must be a whole number, 0 or more; got ${String(offset)}`,
    );
  }
  return { limit: Math.min(limit, MAX_PAGE_LIMIT), offset };
}

/** The rows of `sorted` that `page` selects. */
export function slicePage<T>(sorted: readonly T[], page: ResolvedPage): T[] {
  return sorted.slice(page.offset, page.offset + page.limit);
}

/**
 * Orders two ids for equal-time ties in listings (by UTF-16 code units): any fixed order keeps
 * paging stable; backends need not agree on it.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
