/**
 * Where the client keeps what a sign-in produced: tokens, Dynamic Client Registrations and which
 * authorization server a resource last used. A store is three operations on opaque string keys
 * holding JSON values, so a caller can back it with anything (an OS keychain, a database); the
 * provider builds the keys ({@link tokensKey}), which bind every token to its authorization
 * server, its MCP server (resource) and its client id, so a token is never sent to another
 * server (MCP-C-21).
 *
 * @module
 */

/** A credential store: JSON values under opaque string keys. Every method may be async. */
export interface TokenStore {
  /** The value under `key`, or undefined when there is none. */
  get(key: string): unknown | Promise<unknown>;
  /** Stores `value` (JSON-serialisable) under `key`, replacing what was there. */
  set(key: string, value: unknown): void | Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): void | Promise<void>;
}

/** What a token record is bound to. */
export interface TokensKeyParts {
  /** The authorization server's URL as discovery found it (the SDK's binding key). */
  issuer: string;
  /** The MCP server the tokens are for (its URL). */
  resource: string;
  /** The client id the tokens were issued to. */
  clientId: string;
}

/** The key of the tokens for one (authorization server, MCP server, client id). */
export function tokensKey(parts: TokensKeyParts): string {
  return `tokens:${JSON.stringify([parts.issuer, parts.resource, parts.clientId])}`;
}

/** The key of a Dynamic Client Registration of this client (`identity`, its CIMD URL) at one server. */
export function registrationKey(identity: string, issuer: string): string {
  return `registration:${JSON.stringify([identity, issuer])}`;
}

/** The key of the session record of one MCP server: which issuer and client id it last used. */
export function sessionKey(identity: string, resource: string): string {
  return `session:${JSON.stringify([identity, resource])}`;
}

/** An in-memory store: gone when the process ends. The default. */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, string>();

  get(key: string): unknown {
    const text = this.#entries.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  set(key: string, value: unknown): void {
    // Stored as JSON so callers never share (and mutate) the provider's objects.
    this.#entries.set(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** The keys held, for tests and diagnostics (values are secrets and are not exposed). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
