/**
 * Change detection for client metadata (CIMD §6.3, §6.3.1): a fingerprint of the members whose
 * change needs fresh consent or re-binding of keys. Runtime-neutral (Web Crypto).
 *
 * The fingerprint covers the client's identity fields (`client_name`, `client_uri`, `logo_uri`,
 * `redirect_uris`, and its keys: `jwks` or `jwks_uri`) and the security-relevant members
 * (`token_endpoint_auth_method`, `token_endpoint_auth_signing_alg`, `scope`). A change of any of
 * them gives a new fingerprint: a new entry in the client's document history and a renewed
 * consent (CIMD-AS-19). Member order, key order and whitespace never change it; nor do other
 * members (`contacts`, `tos_uri`, `software_version`, ...).
 *
 * @module
 */
import type { ClientMetadata } from '../../document/schema.js';

/**
 * The identity fields of a client document: what the user recognises the client by. A change of
 * one of them asks the user for consent again and the consent page says what changed.
 */
export const IDENTITY_MEMBERS = Object.freeze([
  'client_name',
  'client_uri',
  'logo_uri',
  'redirect_uris',
  'jwks',
  'jwks_uri',
] as const);

/** The members the fingerprint covers, in RFC 7591 wire names. */
export const FINGERPRINTED_MEMBERS = Object.freeze([
  'client_name',
  'client_uri',
  'logo_uri',
  'redirect_uris',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'jwks',
  'jwks_uri',
  'scope',
] as const);

/** JSON with object members in code-point order at every depth, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** The keys of a JWK Set sorted by `kid`, then by their canonical JSON (for keys without or sharing a `kid`). */
function canonicalKeys(jwks: unknown): unknown {
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)) return jwks;
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return jwks;
  const entries = keys.map((key: unknown) => {
    const kid =
      typeof key === 'object' && key !== null && typeof (key as { kid?: unknown }).kid === 'string'
        ? (key as { kid: string }).kid
        : '';
    return { kid, json: canonicalJson(key), key };
  });
  entries.sort((a, b) => (a.kid !== b.kid ? (a.kid < b.kid ? -1 : 1) : a.json < b.json ? -1 : 1));
  return { ...jwks, keys: entries.map((entry) => entry.key) };
}

/**
 * The canonical JSON the fingerprint hashes: `client_name`, `client_uri` and `logo_uri` (exactly
 * as declared), `redirect_uris` (sorted, duplicates removed),
 * `token_endpoint_auth_method`, `token_endpoint_auth_signing_alg`, `jwks` (keys sorted by `kid`,
 * then by content) or `jwks_uri`, and `scope` (tokens sorted, duplicates removed). Absent members
 * are left out; member order in the document never matters.
 */
export function fingerprintInput(metadata: Readonly<Partial<ClientMetadata>>): string {
  const subset: Record<string, unknown> = {};
  for (const name of ['client_name', 'client_uri', 'logo_uri'] as const) {
    if (typeof metadata[name] === 'string') subset[name] = metadata[name];
  }
  if (Array.isArray(metadata.redirect_uris)) subset.redirect_uris = sortedUnique(metadata.redirect_uris);
  if (metadata.token_endpoint_auth_method !== undefined) {
    subset.token_endpoint_auth_method = metadata.token_endpoint_auth_method;
  }
  if (metadata.token_endpoint_auth_signing_alg !== undefined) {
    subset.token_endpoint_auth_signing_alg = metadata.token_endpoint_auth_signing_alg;
  }
  if (metadata.jwks !== undefined) subset.jwks = canonicalKeys(metadata.jwks);
  if (metadata.jwks_uri !== undefined) subset.jwks_uri = metadata.jwks_uri;
  if (typeof metadata.scope === 'string') {
    subset.scope = sortedUnique(metadata.scope.split(' ').filter((token) => token !== '')).join(' ');
  }
  return canonicalJson(subset);
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The fingerprint of a client's security-relevant metadata: base64url (no padding) SHA-256 of
 * {@link fingerprintInput}. Equal documents give equal fingerprints whatever their member or key
 * order; a change to the name, `client_uri`, logo, redirect URIs, auth method, signing alg, keys
 * or `jwks_uri`, or scope gives a different one (CIMD §6.3: ask for consent again). Other members
 * (`contacts`, `tos_uri`, ...) do not count. 43 characters.
 */
export async function fingerprintClientMetadata(
  metadata: Readonly<Partial<ClientMetadata>>,
): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(fingerprintInput(metadata)));
  return base64url(new Uint8Array(digest));
}

/**
 * True when `client` no longer has the fingerprint recorded earlier (at consent, in a code or a
 * refresh token family), i.e. an identity field (name, `client_uri`, logo, redirect URIs, keys), its auth method or its
 * scope changed. An absent
 * previous fingerprint counts as changed.
 */
export function hasClientChanged(
  previousFingerprint: string | undefined,
  client: { readonly fingerprint: string },
): boolean {
  return previousFingerprint === undefined || previousFingerprint !== client.fingerprint;
}
