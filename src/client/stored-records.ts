/**
 * Reading back what the provider keeps in a {@link TokenStore}. A store may be the caller's own
 * (or a file someone edited), so every record is checked and anything malformed reads as absent:
 * the worst case is a new sign-in, never a crash or a token sent with the wrong shape.
 *
 * @module
 */
import type { ClientInformationLike, OAuthTokensLike } from './oauth-types.js';

/** Which authorization server and client id an MCP server last used. */
export interface SessionRecord {
  issuer: string;
  clientId: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Copies the members whose values are defined. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

/** Stored tokens, or undefined when the record is missing or malformed. */
export function readTokens(value: unknown): OAuthTokensLike | undefined {
  if (!isRecord(value) || typeof value.access_token !== 'string' || typeof value.token_type !== 'string') {
    return undefined;
  }
  return compact<OAuthTokensLike>({
    access_token: value.access_token,
    token_type: value.token_type,
    id_token: optionalString(value.id_token),
    expires_in: typeof value.expires_in === 'number' ? value.expires_in : undefined,
    scope: optionalString(value.scope),
    refresh_token: optionalString(value.refresh_token),
    issuer: optionalString(value.issuer),
  });
}

/** A stored Dynamic Client Registration, or undefined when missing or malformed. */
export function readRegistration(value: unknown): ClientInformationLike | undefined {
  if (!isRecord(value) || typeof value.client_id !== 'string' || value.client_id === '') return undefined;
  const redirectUris =
    Array.isArray(value.redirect_uris) && value.redirect_uris.every((uri) => typeof uri === 'string')
      ? (value.redirect_uris as string[])
      : undefined;
  return compact<ClientInformationLike>({
    client_id: value.client_id,
    client_secret: optionalString(value.client_secret),
    client_id_issued_at:
      typeof value.client_id_issued_at === 'number' ? value.client_id_issued_at : undefined,
    client_secret_expires_at:
      typeof value.client_secret_expires_at === 'number' ? value.client_secret_expires_at : undefined,
    issuer: optionalString(value.issuer),
    token_endpoint_auth_method: optionalString(value.token_endpoint_auth_method),
    redirect_uris: redirectUris,
  });
}

/** A stored session record, or undefined when missing or malformed. */
export function readSession(value: unknown): SessionRecord | undefined {
  if (!isRecord(value) || typeof value.issuer !== 'string' || typeof value.clientId !== 'string')
    return undefined;
  return { issuer: value.issuer, clientId: value.clientId };
}

/** True when a registration's secret has expired (`client_secret_expires_at`, seconds; 0 = never). */
export function registrationExpired(registration: ClientInformationLike, nowMs: number): boolean {
  const expiresAt = registration.client_secret_expires_at;
  return expiresAt !== undefined && expiresAt !== 0 && expiresAt * 1000 <= nowMs;
}
