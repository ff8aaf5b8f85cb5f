/**
 * Compares a published Client ID Metadata Document with the one committed to a repository,
 * member by member, for CI (`cimd validate <url> --against client.json`). JSON equality: member
 * order does not matter, array order does.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';

/** One member that differs between the published and the committed document. */
export interface DocumentDifference {
  /** Where, as a JSONPath from the document root: `$.client_name`, `$.jwks.keys`. */
  path: string;
  /**
   * `added`: only the published document has the member; `removed`: only the committed one has
   * it; `changed`: both have it with different values (arrays are compared whole).
   */
  change: 'added' | 'removed' | 'changed';
  /** The published value (absent for `removed`). */
  published?: unknown;
  /** The committed value (absent for `added`). */
  committed?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function memberPath(parent: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
}

/**
 * The differences between `published` and `committed`, in a stable order (by path). Objects are
 * compared member by member (recursively); arrays and other values are compared whole, so a
 * changed `redirect_uris` is one `changed` entry showing both arrays. Empty when they are
 * JSON-equal.
 */
export function compareDocuments(published: unknown, committed: unknown, path = '$'): DocumentDifference[] {
  if (isDeepStrictEqual(published, committed)) return [];
  if (!isPlainObject(published) || !isPlainObject(committed)) {
    return [{ path, change: 'changed', published, committed }];
  }
  const names = [...new Set([...Object.keys(published), ...Object.keys(committed)])].sort();
  return names.flatMap((name): DocumentDifference[] => {
    const at = memberPath(path, name);
    const inPublished = Object.hasOwn(published, name);
    const inCommitted = Object.hasOwn(committed, name);
    if (!inCommitted) return [{ path: at, change: 'added', published: published[name] }];
    if (!inPublished) return [{ path: at, change: 'removed', committed: committed[name] }];
    return compareDocuments(published[name], committed[name], at);
  });
}
