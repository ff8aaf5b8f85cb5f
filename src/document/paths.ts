/**
 * JSON paths for findings (`$`, `$.redirect_uris[1]`, `$['client_name#ja']`).
 *
 * @module
 */

/** The path of the whole document. */
export const ROOT_PATH = '$';

/** The path the `client_id` URL rules report at. */
export const CLIENT_ID_PATH = '$.client_id';

/** Appends one key or index to a JSON path. */
export function childPath(base: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const name = String(key);
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${base}.${name}` : `${base}[${JSON.stringify(name)}]`;
}

/** Builds a JSON path from the root and a list of keys (e.g. a zod issue path). */
export function jsonPath(keys: readonly PropertyKey[], base: string = ROOT_PATH): string {
  return keys.reduce<string>((path, key) => childPath(path, key), base);
}
