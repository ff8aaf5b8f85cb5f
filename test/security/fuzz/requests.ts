/**
 * A fuzzed request as plain data (so fast-check prints and shrinks it readably), and how it
 * becomes a real `Request`: `{{placeholders}}` in any string name records of the world (a live
 * code, a consent interaction's CSRF token, a sign-in state at the proxy...), `{ jwt: ... }`
 * values are signed at send time, and `{ rel: seconds }` inside JWT claims is relative to now.
 *
 * Placeholders: `{{issuer}}` (the target's origin), `{{host}}` / `{{ip-host}}` (the CIMD host as
 * `https://localhost:P` / `https://127.0.0.1:P`), `{{port}}`, `{{client:<alias>}}`, `{{doc}}`
 * (the document this request serves, see `document`), `{{doc-redirect}}` (its first redirect URI), `{{code:i}}`, `{{verifier:i}}`,
 * `{{code-redirect:i}}`, `{{code-client:i}}` (codes of the public client), `{{kcode:i}}`,
 * `{{kverifier:i}}`, `{{kcode-redirect:i}}` (codes of the private_key_jwt client `pkjwt`), `{{access:i}}`, `{{refresh:i}}`,
 * `{{interaction:i}}`, `{{csrf:i}}`, `{{consent-cookie:i}}`, `{{ustate:i}}`, `{{ubind:i}}`,
 * `{{ucallback:i}}`, `{{uinteraction:i}}`, `{{ucookie:i}}`, `{{session}}`, `{{logo}}`,
 * `{{challenge}}`, `{{idp}}` (the upstream provider), `{{as-issuer}}`, `{{as-kid}}`, `{{access-tamper:i}}` (an
 * access token with one signature character changed); and for size without unreadable
 * counterexamples: `{{big:n}}` (n × `A`), `{{bigx:n}}` (n × a mixed unit), `{{nest:n}}` (n nested
 * JSON arrays), `{{nesto:n}}` (n nested objects), `{{arr:n}}` (n JSON strings, comma-separated).
 * Indexes wrap around their pool.
 */
import { createHash, createHmac, randomBytes, sign } from 'node:crypto';
import type { BearerRequest } from '../../../src/server/index.js';
import type { TargetName, World } from './world.js';

/** A JWT made at send time: `key` signs it (whatever `header.alg` claims). */
export interface JwtValue {
  jwt: {
    /**
     * `client`: the private_key_jwt clients' registered key; `as`: the authorization server's own
     * signing key (forged access tokens with a valid signature); `stranger`: same kid, wrong key;
     * `none`: no signature; `hs256`: an HMAC; `garbage`: random bytes.
     */
    key: 'client' | 'as' | 'stranger' | 'none' | 'hs256' | 'garbage';
    header: Record<string, unknown>;
    claims: Record<string, unknown>;
  };
  /** Text before the JWT (e.g. `Bearer `). */
  prefix?: string;
}

/** A parameter value: text (placeholders expanded) or a JWT. */
export type Value = string | JwtValue;

/** A parameter: name and value (names repeat freely). */
export type Field = readonly [string, Value];

/** A request body. */
export type Body =
  | { kind: 'form'; fields: Field[]; encoding: 'encoded' | 'raw' }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'repeat'; unit: string; times: number }
  /** Sends `prefix`, then the stream errors (a client gone mid-body). */
  | { kind: 'aborted'; prefix: string };

/** A CIMD document served at a fresh path for this request (`{{doc}}` is its URL). */
export interface DocumentSpec {
  status: number;
  headers: Record<string, string>;
  /** JSON text (or not): `{{doc}}` inside becomes the document's own URL. */
  body: string;
}

/** One fuzzed request. */
export interface FuzzRequest {
  target: TargetName;
  method: string;
  /** Starts with `/`; placeholders expanded; not encoded further. */
  path: string;
  /** Query pairs (URL-encoded) or raw text after `?` (sent as is). */
  query: Field[] | { raw: string };
  headers: Field[];
  /** The Content-Type header; `undefined` uses the body's natural type, `null` sends none. */
  contentType?: string | null;
  body?: Body;
  /** The TCP peer address the server is told (as a Node adapter would); none means in process. */
  peer?: string;
  /**
   * Another authority for the request URL, as a Node adapter builds it from a `Host` header the
   * client chose (`http://<authority><path>`); none means the target's own origin.
   */
  authority?: string;
  document?: DocumentSpec;
}

/** A request ready to send, and what the oracle needs to know about it. */
export interface Materialized {
  request: Request;
  env: unknown;
  url: URL;
  /** The OAuth parameters as the server reads them (form body of a POST, else the query). */
  readonly params: URLSearchParams;
  /** The `client_id` of the document served for this request. */
  documentClientId?: string;
  /** The body stream errors on purpose. */
  aborted: boolean;
  /** The input of the framework-free bearer check (target `bearer`). */
  bearer?: BearerRequest;
  /** Header lines the Headers API refused (never sent). */
  droppedHeaders: number;
}

const PLACEHOLDER = /\{\{([a-z-]+)(?::([a-z0-9-]+))?\}\}/g;

function pick<T>(pool: readonly T[], index: string | undefined): T | undefined {
  if (pool.length === 0) return undefined;
  return pool[Number(index ?? 0) % pool.length];
}

/** Expands the placeholders of `text` for `target` in `world`. */
export function expand(world: World, target: TargetName, text: string, documentUrl: string): string {
  if (!text.includes('{{')) return text;
  const { pools } = world;
  return text.replace(PLACEHOLDER, (whole, name: string, arg: string | undefined) => {
    switch (name) {
      case 'issuer':
        return world.originOf(target);
      case 'host':
        return world.host.origin;
      case 'ip-host':
        return world.host.ipOrigin;
      case 'port':
        return String(world.host.port);
      case 'client':
        return world.clients[arg ?? '']?.clientId ?? whole;
      case 'doc':
        return documentUrl;
      case 'doc-redirect':
        return world.redirectUrisOf.get(documentUrl)?.[0] ?? '';
      case 'code':
        return pick(pools.codes, arg)?.code ?? whole;
      case 'verifier':
        return pick(pools.codes, arg)?.verifier ?? whole;
      case 'code-redirect':
        return pick(pools.codes, arg)?.redirectUri ?? whole;
      case 'code-client':
        return pick(pools.codes, arg)?.clientId ?? whole;
      case 'kcode':
        return pick(pools.keyCodes, arg)?.code ?? whole;
      case 'kverifier':
        return pick(pools.keyCodes, arg)?.verifier ?? whole;
      case 'kcode-redirect':
        return pick(pools.keyCodes, arg)?.redirectUri ?? whole;
      case 'access':
        return pick(pools.access, arg) ?? whole;
      case 'refresh':
        return pick(pools.refresh, arg) ?? whole;
      case 'interaction':
        return pick(pools.interactions, arg)?.interaction ?? whole;
      case 'csrf':
        return pick(pools.interactions, arg)?.csrf ?? whole;
      case 'consent-cookie':
        return pick(pools.interactions, arg)?.cookie ?? whole;
      case 'ustate':
        return pick(pools.pending, arg)?.state ?? whole;
      case 'ubind':
        return pick(pools.pending, arg)?.bind ?? whole;
      case 'ucallback': {
        const pending = pick(pools.pending, arg);
        return pending?.callbackQuery ?? `state=${pending?.state ?? ''}&code=x`;
      }
      case 'uinteraction':
        return pick(pools.approved, arg)?.interaction ?? whole;
      case 'ucsrf':
        return pick(pools.approved, arg)?.csrf ?? whole;
      case 'ucookie':
        return pick(pools.approved, arg)?.cookie ?? whole;
      case 'session':
        return pools.session;
      case 'logo':
        return world.logoId;
      case 'idp':
        return world.idp.issuer;
      case 'as-kid':
        return world.asKid;
      case 'as-issuer':
        return world.originOf('as');
      case 'access-tamper': {
        const token = pick(pools.access, arg) ?? '';
        const last = token.at(-2) === 'A' ? 'B' : 'A';
        return `${token.slice(0, -2)}${last}${token.slice(-1)}`;
      }
      case 'big':
        return 'A'.repeat(Number(arg ?? 0));
      case 'bigx':
        return '%€&=é\u0000'.repeat(Math.ceil(Number(arg ?? 0) / 6));
      case 'nest': {
        const n = Number(arg ?? 0);
        return `${'['.repeat(n)}${']'.repeat(n)}`;
      }
      case 'nesto': {
        const n = Number(arg ?? 0);
        return `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
      }
      case 'arr':
        return Array.from({ length: Number(arg ?? 0) }, (_, i) => `"http://127.0.0.1/cb${i}"`).join(',');
      case 'challenge':
        return createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
      default:
        return whole;
    }
  });
}

/** `value` with every string expanded and every `{ rel: n }` turned into now + n seconds. */
function expandDeep(value: unknown, text: (s: string) => string): unknown {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return value.map((item) => expandDeep(item, text));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only?.[0] === 'rel' && typeof only[1] === 'number') {
      return Math.floor(Date.now() / 1000) + only[1];
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, expandDeep(item, text)]));
  }
  return value;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');

function makeJwt(world: World, value: JwtValue, text: (s: string) => string): string {
  const header = expandDeep(value.jwt.header, text);
  const claims = expandDeep(value.jwt.claims, text);
  const input = `${b64(header)}.${b64(claims)}`;
  switch (value.jwt.key) {
    case 'none':
      return `${input}.`;
    case 'garbage':
      return `${input}.${randomBytes(64).toString('base64url')}`;
    case 'hs256':
      return `${input}.${createHmac('sha256', 'fuzz-secret').update(input).digest('base64url')}`;
    default: {
      const key = world.keys[value.jwt.key];
      const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    }
  }
}

function encodePairs(pairs: [string, string][], encoding: 'encoded' | 'raw'): string {
  if (encoding === 'encoded') return new URLSearchParams(pairs).toString();
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

const encoder = new TextEncoder();

/** Builds the `Request` of `fuzz` against `world`. */
export function materialize(world: World, fuzz: FuzzRequest): Materialized {
  // The document's own placeholders are expanded first, except {{doc}}: the host fills that in.
  const early = (s: string) => expand(world, fuzz.target, s, '{{doc}}');
  const spec = fuzz.document;
  const documentClientId =
    spec === undefined
      ? undefined
      : world.serveDocument(
          spec.status,
          Object.fromEntries(Object.entries(spec.headers).map(([name, v]) => [name, early(v)])),
          early(spec.body),
        );
  const documentUrl = documentClientId ?? `${world.host.origin}/fz/none/client.json`;
  const text = (s: string) => expand(world, fuzz.target, s, documentUrl);
  const value = (v: Value) =>
    typeof v === 'string' ? text(v) : `${v.prefix ?? ''}${makeJwt(world, v, text)}`;
  const pairs = (fields: readonly Field[]) =>
    fields.map(([name, v]): [string, string] => [text(name), value(v)]);

  const query = Array.isArray(fuzz.query)
    ? encodePairs(pairs(fuzz.query), 'encoded')
    : text((fuzz.query as { raw: string }).raw);
  const origin = fuzz.authority === undefined ? world.originOf(fuzz.target) : `http://${fuzz.authority}`;
  const target = `${origin}${text(fuzz.path)}${query === '' ? '' : `?${query}`}`;

  const headers = new Headers();
  let droppedHeaders = 0;
  const authorization: string[] = [];
  for (const [name, raw] of fuzz.headers) {
    const expanded = value(raw);
    try {
      headers.append(name, expanded);
      if (name.toLowerCase() === 'authorization') authorization.push(expanded.trim());
    } catch {
      droppedHeaders += 1;
    }
  }

  let body: Uint8Array | ReadableStream<Uint8Array> | undefined;
  let naturalType: string | undefined;
  let formText: string | undefined;
  const sendsBody = fuzz.body !== undefined && fuzz.method !== 'GET' && fuzz.method !== 'HEAD';
  if (sendsBody && fuzz.body !== undefined) {
    const spec = fuzz.body;
    switch (spec.kind) {
      case 'form':
        formText = encodePairs(pairs(spec.fields), spec.encoding);
        body = encoder.encode(formText);
        naturalType = 'application/x-www-form-urlencoded';
        break;
      case 'json':
        body = encoder.encode(JSON.stringify(expandDeep(spec.value, text)) ?? '');
        naturalType = 'application/json';
        break;
      case 'text':
        body = encoder.encode(text(spec.text));
        break;
      case 'bytes':
        body = Uint8Array.from(spec.bytes);
        break;
      case 'repeat':
        body = encoder.encode(spec.unit.repeat(spec.times));
        break;
      case 'aborted': {
        const prefix = encoder.encode(text(spec.prefix));
        body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(prefix);
          },
          pull(controller) {
            controller.error(new Error('the client went away'));
          },
        });
        break;
      }
    }
  }
  const contentType = fuzz.contentType === undefined ? naturalType : fuzz.contentType;
  if (contentType !== undefined && contentType !== null) {
    try {
      headers.set('content-type', text(contentType));
    } catch {
      droppedHeaders += 1;
    }
  }
  const request = new Request(target, {
    method: fuzz.method,
    headers,
    ...(body === undefined ? {} : { body, duplex: 'half' }),
  } as RequestInit);
  const url = new URL(request.url);
  const formType = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  let params: URLSearchParams | undefined;
  return {
    request,
    env: fuzz.peer === undefined ? undefined : { incoming: { socket: { remoteAddress: fuzz.peer } } },
    url,
    // Parsed only when the oracle asks (a redirect to judge): big queries take a while to parse.
    get params() {
      params ??=
        fuzz.method === 'POST' && formText !== undefined && formType === 'application/x-www-form-urlencoded'
          ? new URLSearchParams(formText)
          : url.searchParams;
      return params;
    },
    ...(documentClientId === undefined ? {} : { documentClientId }),
    aborted: sendsBody && fuzz.body?.kind === 'aborted',
    ...(fuzz.target === 'bearer'
      ? {
          bearer: {
            authorization:
              authorization.length === 0
                ? undefined
                : authorization.length === 1
                  ? authorization[0]
                  : authorization,
            url: request.url,
          },
        }
      : {}),
    droppedHeaders,
  };
}
