/**
 * PostgreSQL `text` cannot hold the NUL character, yet a store key may contain one (a client
 * assertion's `jti` is any JSON string). Strings are therefore escaped on the way in and
 * unescaped on the way out, injectively, with U+0001 as the escape character: U+0001 becomes
 * U+0001 U+0001 and NUL becomes U+0001 U+0002. Strings without either character (all real data)
 * are stored as they are, and equal strings stay equal, so lookups by key keep working.
 *
 * @module
 */

const NUL = '\u0000';
const ESCAPE = '\u0001';
/** What follows {@link ESCAPE} for a NUL. */
const NUL_CODE = '\u0002';

/** `value` as stored: NUL and the escape character escaped. */
export function escapeText(value: string): string {
  if (!value.includes(NUL) && !value.includes(ESCAPE)) return value;
  let escaped = '';
  for (const char of value) {
    if (char === ESCAPE) escaped += ESCAPE + ESCAPE;
    else if (char === NUL) escaped += ESCAPE + NUL_CODE;
    else escaped += char;
  }
  return escaped;
}

/** A stored string as it was given to {@link escapeText}. */
export function unescapeText(value: string): string {
  if (!value.includes(ESCAPE)) return value;
  let text = '';
  for (let index = 0; index < value.length; index++) {
    const char = value[index];
    if (char !== ESCAPE) {
      text += char;
      continue;
    }
    index++;
    text += value[index] === NUL_CODE ? NUL : ESCAPE;
  }
  return text;
}

/** Query parameters with every string escaped. */
export function escapeParameters(parameters: readonly unknown[]): unknown[] {
  return parameters.map((value) => (typeof value === 'string' ? escapeText(value) : value));
}

/** Unescapes, in place, every string column of `rows`. */
export function unescapeRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      const value = row[key];
      if (typeof value === 'string' && value.includes(ESCAPE)) row[key] = unescapeText(value);
    }
  }
  return rows;
}
