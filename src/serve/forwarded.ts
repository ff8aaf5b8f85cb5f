/**
 * `--trust-proxy`: what a reverse proxy in front says about the original request, in `Forwarded`
 * (RFC 7239) or `X-Forwarded-For`, `-Proto` and `-Host`. Only the proxy this server is directly
 * behind is believed: the last element of each header (the one it added), never the client's own
 * claims before it. Without `--trust-proxy` these headers are ignored: anyone can send them.
 *
 * @module
 */

/** The original request, as the proxy reports it; a member is absent when not reported (or malformed). */
export interface ForwardedRequest {
  /** The client's address (IPv6 without brackets). */
  clientAddress?: string;
  proto?: 'http' | 'https';
  /** `host[:port]` as the client addressed it. */
  host?: string;
}

/** The last comma-separated element of `value`, trimmed. */
function lastElement(value: string | null): string | undefined {
  if (value === null) return undefined;
  const last = value.split(',').pop()?.trim();
  return last === '' ? undefined : last;
}

/** The parameters of the last element of a `Forwarded` header (lower-case names, unquoted values). */
function forwardedParameters(header: string | null): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const pair of (lastElement(header) ?? '').split(';')) {
    const index = pair.indexOf('=');
    if (index <= 0) continue;
    const value = pair.slice(index + 1).trim();
    parameters[pair.slice(0, index).trim().toLowerCase()] = value.replace(/^"(.*)"$/, '$1');
  }
  return parameters;
}

/** An address without brackets and port (`[2001:db8::1]:443` gives `2001:db8::1`); `undefined` for `unknown` or an obfuscated name. */
function addressOf(node: string | undefined): string | undefined {
  if (node === undefined) return undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(node);
  if (bracketed) return bracketed[1];
  if (/^[0-9a-f:]+$/i.test(node) && node.includes(':') && node.split(':').length > 2) return node; // bare IPv6
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/.exec(node);
  return v4?.[1];
}

function protoOf(value: string | undefined): ForwardedRequest['proto'] {
  const lower = value?.toLowerCase();
  return lower === 'http' || lower === 'https' ? lower : undefined;
}

/** `value` when it is a plain `host[:port]` (no path, user info or other URL parts). */
function hostOf(value: string | undefined): string | undefined {
  if (value === undefined || !/^[A-Za-z0-9.\-[\]:]+$/.test(value)) return undefined;
  try {
    return new URL(`http://${value}`).host === value.toLowerCase() ? value.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** What the proxy directly in front reports (`Forwarded` first, then `X-Forwarded-*`, per member). */
export function readForwarded(headers: Headers): ForwardedRequest {
  const standard = forwardedParameters(headers.get('forwarded'));
  const clientAddress = addressOf(standard.for ?? lastElement(headers.get('x-forwarded-for')));
  const proto = protoOf(standard.proto ?? lastElement(headers.get('x-forwarded-proto')));
  const host = hostOf(standard.host ?? lastElement(headers.get('x-forwarded-host')));
  return {
    ...(clientAddress === undefined ? {} : { clientAddress }),
    ...(proto === undefined ? {} : { proto }),
    ...(host === undefined ? {} : { host }),
  };
}

/**
 * `url` as the client sent it to the proxy: with the forwarded scheme and host (the same URL when
 * the proxy reports neither).
 */
export function originalUrl(url: string, forwarded: ForwardedRequest): string {
  if (forwarded.proto === undefined && forwarded.host === undefined) return url;
  const original = new URL(url);
  if (forwarded.proto !== undefined) original.protocol = `${forwarded.proto}:`;
  if (forwarded.host !== undefined) {
    const host = new URL(`http://${forwarded.host}`);
    original.hostname = host.hostname;
    original.port = host.port; // none: the scheme's default
  }
  return original.href;
}
