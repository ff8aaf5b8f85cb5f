/**
 * Client logos, only for trusted clients, and never hot-linked (CIMD-AS-25): the `logo_uri` is
 * fetched through the SSRF-safe fetcher (raster images only, at most 64 KiB), kept in the store's
 * cache for as long as the client's document is fresh, and served from this server's origin at
 * `/logo/<base64url SHA-256 of the logo URL>`. Any failure just leaves the logo out.
 *
 * @module
 */
import { mediaTypeOf } from '../../fetch/content-type.js';
import type { ServerContext } from '../authorization-server/context.js';
import type { ResolvedClient } from '../clients/types.js';
import { sha256Base64url } from '../crypto.js';
import { sniffImageType } from './image-type.js';

const KEY_PREFIX = 'logo:';

/** How long a logo fetch may take, in ms: the consent page waits for it. */
const LOGO_TIMEOUT_MS = 2000;

/** How long a logo is kept when the client's document gives no freshness (a registered client), in ms. */
const DEFAULT_LOGO_TTL_MS = 3_600_000;

/** The shortest time a logo is kept, in ms. */
const MIN_LOGO_TTL_MS = 60_000;

/** The form of a logo id: a base64url SHA-256. */
const LOGO_ID = /^[A-Za-z0-9_-]{43}$/;

interface StoredLogo {
  type: string;
  /** base64 of the bytes. */
  data: string;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(data: string): Uint8Array<ArrayBuffer> {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function parseStored(text: string): StoredLogo | undefined {
  try {
    const value = JSON.parse(text) as Partial<StoredLogo>;
    return typeof value.type === 'string' && typeof value.data === 'string'
      ? { type: value.type, data: value.data }
      : undefined;
  } catch {
    return undefined;
  }
}

/** How long to keep the logo of `client`: as long as its document stays fresh, within bounds. */
function logoTtl(client: ResolvedClient, now: number): number {
  const freshUntil = client.provenance.freshUntil;
  if (freshUntil === undefined) return DEFAULT_LOGO_TTL_MS;
  return Math.max(MIN_LOGO_TTL_MS, Math.round(freshUntil - now));
}

/** Fetches the logo at `url`; the stored form, or undefined when it is not an acceptable image. */
async function fetchLogo(context: ServerContext, url: string): Promise<StoredLogo | undefined> {
  const response = await context.fetcher.fetch(url, { accept: 'image', timeoutMs: LOGO_TIMEOUT_MS });
  const declared = mediaTypeOf(response.headers['content-type'] ?? '');
  if (sniffImageType(response.body) !== declared) return undefined;
  return { type: declared, data: toBase64(response.body) };
}

/**
 * The path (on this server) of `client`'s logo, fetching and caching it when needed; undefined
 * when the client is not trusted, has no `logo_uri`, or the logo cannot be fetched.
 */
export async function logoPathFor(
  context: ServerContext,
  client: ResolvedClient,
): Promise<string | undefined> {
  const url = client.metadata.logo_uri;
  if (!client.trust.trusted || typeof url !== 'string' || !url.startsWith('https://')) return undefined;
  const id = await sha256Base64url(url);
  const key = `${KEY_PREFIX}${id}`;
  const path = `${context.endpoints.logo.path}/${id}`;
  try {
    if ((await context.store.cacheGet(key)) !== undefined) return path;
    const logo = await fetchLogo(context, url);
    if (logo === undefined) {
      context.logger.info({ event: 'logo.refused', clientId: client.clientId }, 'logo is not a raster image');
      return undefined;
    }
    await context.store.cacheSet(key, JSON.stringify(logo), logoTtl(client, context.now()));
    return path;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    context.logger.info(
      {
        event: 'logo.unavailable',
        clientId: client.clientId,
        errorCode: typeof code === 'string' ? code : 'unknown',
      },
      'logo left out',
    );
    return undefined;
  }
}

/** Serves the cached logo `id`: its bytes and type, `nosniff`, a short private cache, no active content. */
export async function serveLogo(context: ServerContext, id: string): Promise<Response> {
  const text = LOGO_ID.test(id) ? await context.store.cacheGet(`${KEY_PREFIX}${id}`) : undefined;
  const logo = text === undefined ? undefined : parseStored(text);
  if (logo === undefined) {
    return new Response('not found', {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    });
  }
  return new Response(fromBase64(logo.data), {
    status: 200,
    headers: {
      'content-type': logo.type,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=300',
      'content-security-policy': "default-src 'none'",
      'cross-origin-resource-policy': 'same-origin',
    },
  });
}
