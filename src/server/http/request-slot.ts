/**
 * A value attached to an object that lives for one request (the `Request`, a response body), in a
 * module-private, non-enumerable symbol property, where a `WeakMap` would be the textbook choice.
 *
 * Why not a `WeakMap`: an entry whose key was allocated in V8's young generation kept that key
 * (and everything it reaches) alive through the young-generation collections while the map, a
 * long-lived object, held it. With five such maps on the token endpoint's path, every collection
 * copied and promoted about 1 MB of objects of requests long answered; with slots it promoted
 * 0.4 MB, each pause took half as long, and a refresh grant cost about 7% less CPU
 * (`npm run bench`, see docs/development.md). An object that cannot take the property (frozen,
 * sealed, not extensible) gets its value kept in a `WeakMap` instead, so every object works.
 *
 * @module
 */

/** Reads and writes one kind of value attached to objects; see the module documentation. */
export interface RequestSlot<Owner extends object, Value> {
  /** The value attached to `owner`, or undefined when none was. */
  get(owner: Owner): Value | undefined;
  /** Attaches `value` to `owner` (replacing an earlier one). */
  set(owner: Owner, value: Value): void;
}

/** Creates a slot; `description` names its symbol (seen only when debugging). */
export function createRequestSlot<Owner extends object, Value>(
  description: string,
): RequestSlot<Owner, Value> {
  const key = Symbol(description);
  let fallback: WeakMap<Owner, Value> | undefined;
  return {
    get(owner) {
      if (fallback?.has(owner)) return fallback.get(owner);
      return Object.hasOwn(owner, key) ? (owner as unknown as Record<symbol, Value>)[key] : undefined;
    },
    set(owner, value) {
      try {
        Object.defineProperty(owner, key, { value, writable: true, configurable: true, enumerable: false });
      } catch {
        // Not extensible, or frozen since: kept beside it instead.
        fallback ??= new WeakMap();
        fallback.set(owner, value);
      }
    },
  };
}
