/**
 * The shape of `fetch` the client code takes and hands around (the global `fetch`, or a wrapper
 * such as the DPoP or sign-in fetch), in a module of its own so that low-level helpers need not
 * import the modules that build such wrappers.
 *
 * @module
 */

/** A `fetch`-compatible function. */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;
