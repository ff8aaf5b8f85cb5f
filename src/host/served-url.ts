/**
 * The URL a request reached, as the authorization server that fetched it would name it: the
 * request's own URL, or behind a reverse proxy the configured public URL or the forwarded
 * origin. A document may only be served where its `client_id` says it lives (CIMD-DOC-03).
 *
 * @module
 */

/** How to tell the public origin of a request. */
export interface OriginPolicy {
  /** The public origin when configured (behind a proxy), e.g. `https://app.example.com`. */
  publicOrigin?: string;
  /** Trust `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host` from the proxy. */
  trustProxy: boolean;
}

function firstValue(header: string | null): string | undefined {
  const first = header?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** The origin from `Forwarded` (RFC 7239) or the `X-Forwarded-*` headers, if the proxy sent one. */
function forwardedOrigin(headers: Headers): string | undefined {
  const forwarded = firstValue(headers.get('forwarded'));
  let proto: string | undefined;
  let host: string | undefined;
  if (forwarded !== undefined) {
    for (const pair of forwarded.split(';')) {
      const [name, value] = pair.split('=', 2).map((part) => part.trim());
      if (value === undefined) continue;
      if (name?.toLowerCase() === 'proto') proto = unquote(value);
      if (name?.toLowerCase() === 'host') host = unquote(value);
    }
  }
  proto ??= firstValue(headers.get('x-forwarded-proto'));
  host ??= firstValue(headers.get('x-forwarded-host'));
  if (proto === undefined || host === undefined) return undefined;
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/**
 * The URL `request` would be fetched as: origin (configured, forwarded, or the request's own) +
 * path + query. This is what the document's `client_id` must equal, byte for byte.
 */
export function servedUrl(request: Request, policy: OriginPolicy): string {
  const url = new URL(request.url);
  const origin =
    policy.publicOrigin ?? (policy.trustProxy ? forwardedOrigin(request.headers) : undefined) ?? url.origin;
  return `${origin}${url.pathname}${url.search}`;
}
