/**
 * fast-check arbitraries of hostile but plausible HTTP requests for every endpoint of the
 * authorization server, the OAuth proxy and the protected MCP server.
 *
 * Most requests start coherent (a valid authorization request for a known client and one of its
 * redirect URIs, the redemption of a live code or refresh token, the post of a live consent
 * interaction with its CSRF token and cookie, valid client metadata) and then have up to three
 * parameters replaced; the others fuzz every parameter independently. A replaced parameter is
 * missing, plausible (often naming a real record through a `{{placeholder}}`), hostile (CRLF,
 * percent garbage, unicode, markup, huge), empty, or repeated. Around that: odd bodies (JSON,
 * not UTF-8, too big, cut off mid-stream), false Content-Length, every method, cookie jars with
 * garbage, Origin and Sec-Fetch-Site, another `Host`, a connection from another machine, and
 * CIMD documents served for the request.
 *
 * Everything is `fc.record` / `fc.oneof` with the simplest choice first, so a failure shrinks to
 * the coherent request plus the one change that matters. Big inputs are `{{big:n}}`-style
 * placeholders, so a counterexample prints as a number, not as 60 KB of text.
 *
 * Every URL the generators put where the server might fetch it (`client_id`, `jwks_uri`,
 * `logo_uri`, redirects) has a host the world's resolver maps to 127.0.0.1, or one that does not
 * resolve at all: the fuzzer never makes the server talk to anything off the machine.
 */
import fc from 'fast-check';
import type { Body, DocumentSpec, Field, FuzzRequest, JwtValue, Value } from './requests.js';
import type { TargetName } from './world.js';
import { OTHER_RESOURCE, RESOURCE } from './world.js';

type Arb<T> = fc.Arbitrary<T>;

/** The marker of markup injection: an HTML page must never contain it unescaped. */
export const MARKUP = '"><fz-x>';

const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const TOKEN_CHARS = [..."abcdefghijklmnopqrstuvwxyz0123456789-_!#$%&'*+.^`|~"];

const b64url = (min: number, max: number): Arb<string> =>
  fc.string({ unit: fc.constantFrom(...B64URL), minLength: min, maxLength: max });

const index = (size: number) => fc.nat(size - 1);

/** `arb` once in `n` times, else null (shrinks to null). */
function sometimes<T>(arb: Arb<T>, n: number): Arb<T | null> {
  return fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

/** Strings chosen to break parsers, headers and pages. */
const nastyConstant = fc.constantFrom(
  ' ',
  '\t',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
  '[]',
  '{}',
  '%',
  '%zz',
  '%00',
  '%0d%0a',
  '%E2%80%AE',
  '%ff%fe',
  '\r\n',
  'x\r\nSet-Cookie: fz=1',
  'x\nLocation: https://evil.fuzz.test/',
  '\u0000',
  '\u202e',
  '\ud800',
  '\uffff',
  '😀',
  'ÿ',
  'ａｂｃ',
  MARKUP,
  '<script>alert(1)</script>',
  '\'"`',
  '../../../etc/passwd',
  '..%2f..%2f',
  'javascript:alert(1)',
  'data:text/html,<fz-x>',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '\\',
  '//',
  '?#',
  '&=&=',
  '+',
  ' a b ',
);

const percentGarbage = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%2',
        '%zz',
        '%0a',
        '%0d',
        '%00',
        '%25',
        '%c3',
        '%c3%28',
        '%ed%a0%80',
        '%2e%2e',
        '%u0041',
      ),
      fc.string({ maxLength: 3 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''));

const bigText = fc.oneof(
  fc.integer({ min: 256, max: 70_000 }).map((n) => `{{big:${n}}}`),
  fc.integer({ min: 256, max: 70_000 }).map((n) => `{{bigx:${n}}}`),
);

/** Any hostile text. */
export const hostile: Arb<string> = fc.oneof(
  { weight: 4, arbitrary: nastyConstant },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: percentGarbage },
  { weight: 1, arbitrary: bigText },
);

/**
 * One parameter: missing (shrinks here), plausible, hostile, empty or repeated. `plausibleWeight`
 * tilts it towards the plausible value.
 */
function param(name: string, plausible: Arb<Value>, plausibleWeight = 8): Arb<Field[]> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<Field[]>([]) },
    { weight: plausibleWeight, arbitrary: plausible.map((value): Field[] => [[name, value]]) },
    { weight: 2, arbitrary: hostile.map((value): Field[] => [[name, value]]) },
    { weight: 1, arbitrary: fc.constant<Field[]>([[name, '']]) },
    {
      weight: 1,
      arbitrary: fc.tuple(plausible, fc.oneof(plausible, hostile)).map(([first, second]): Field[] => [
        [name, first],
        [name, second],
      ]),
    },
  );
}

const paramName = fc.oneof(
  fc.constantFrom(
    'client_id',
    'redirect_uri',
    'state',
    'scope',
    'resource',
    'code',
    'access_token',
    'client_secret',
    'request',
    'request_uri',
    'response_mode',
    'nonce',
    'claims',
    'id_token_hint',
    'max_age',
    'display',
    'ui_locales',
    'acr_values',
    'interaction',
    'csrf_token',
    'decision',
  ),
  fc.constantFrom('', ' ', 'a[b]', '__proto__', 'constructor', '%00', 'x\r\ny', 'ünï', 'a=b', 'a&b'),
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 }),
);

/** Now and then, a few extra parameters nobody asked for. */
const extras: Arb<Field[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Field[]>([]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.tuple(paramName, fc.oneof(hostile, fc.string({ maxLength: 10 }))).map(([n, v]): Field => [n, v]),
      { minLength: 1, maxLength: 3 },
    ),
  },
);

/** Concatenates the parameter lists (and the extras): every parameter fuzzed independently. */
function fields(...parts: Arb<Field[]>[]): Arb<Field[]> {
  return fc.tuple(...parts, extras).map((lists) => lists.flat());
}

/** One parameter replaced (by {@link param}: missing, plausible, hostile, empty or repeated). */
interface Override {
  name: string;
  fields: Field[];
}

function override(name: string, plausible: Arb<Value>): Arb<Override> {
  return param(name, plausible, 4).map((list) => ({ name, fields: list }));
}

/**
 * A coherent request (`base`) with up to three parameters replaced: shrinks to the coherent
 * request, so a failure names the one parameter that matters.
 */
function perturb(base: Arb<Field[]>, overrides: Arb<Override>[]): Arb<Field[]> {
  return fc
    .tuple(base, fc.array(fc.oneof(...overrides), { maxLength: 3 }), extras)
    .map(([list, changes, extra]) => [...applyOverrides(list, changes), ...extra]);
}

/** `list` with each change's parameter replaced by the change's fields. */
function applyOverrides(list: Field[], changes: Override[]): Field[] {
  let result = list;
  for (const change of changes)
    result = [...result.filter(([name]) => name !== change.name), ...change.fields];
  return result;
}

// --- URLs -------------------------------------------------------------------------------------

const KNOWN_CLIENTS = [
  'public',
  'single',
  'loopback',
  'wildcard',
  'trusted',
  'pkjwt',
  'pkjwt-uri',
  'confidential',
  'dcr',
  'upstream-dcr',
] as const;

const knownClient = fc.constantFrom(...KNOWN_CLIENTS).map((alias) => `{{client:${alias}}}`);

const documentPath = fc.oneof(
  fc.constantFrom(
    '/clients/public.json',
    '/clients/missing.json',
    '/',
    '',
    '/clients/public.json?x=1',
    '/clients/public.json#f',
    '/clients/../clients/public.json',
    '/clients/./public.json',
    '/clients/%2e%2e/x',
    '/clients/public.json/',
    '/logo.png',
    '/clients/pkjwt.jwks',
    '/fz/none/client.json',
    '/%zz',
  ),
  fc
    .array(fc.oneof(b64url(1, 8), percentGarbage), { minLength: 1, maxLength: 3 })
    .map((parts) => `/${parts.join('/')}`),
);

const clientIdOrigin = fc.constantFrom(
  '{{host}}',
  '{{ip-host}}',
  'https://localhost:1',
  'https://denied.fuzz.test:{{port}}',
  'https://nowhere.fuzz.test:{{port}}',
  'https://unresolvable.invalid:{{port}}',
  'http://localhost:{{port}}',
  'https://LOCALHOST:{{port}}',
  'https://localhost.:{{port}}',
  'https://[::1]:{{port}}',
  'https://user:pw@localhost:{{port}}',
  'https://0x7f000001:{{port}}',
  'https://127.1:{{port}}',
  'https://localhost:{{port}}:{{port}}',
  'https://localhost',
  'HTTPS://localhost:{{port}}',
);

/** A `client_id`: a known client, this request's document, a URL on the test host, or junk. */
export const clientId: Arb<string> = fc.oneof(
  { weight: 5, arbitrary: knownClient },
  { weight: 3, arbitrary: fc.constant('{{doc}}') },
  {
    weight: 3,
    arbitrary: fc.tuple(clientIdOrigin, documentPath).map(([origin, path]) => `${origin}${path}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'dcr_nonexistent',
      'cimd_x',
      'urn:ietf:params:oauth:client-id:x',
      'http://127.0.0.1/x',
      'https://',
      'https:/localhost/x',
      '{{code-client:0}}',
    ),
  },
  { weight: 1, arbitrary: hostile },
);

const redirectShape = fc.constantFrom(
  'http://127.0.0.1/callback',
  'http://127.0.0.1:51000/callback',
  'http://127.0.0.1:{{port}}/callback',
  'http://localhost/callback',
  'http://localhost:*/cb',
  'http://localhost:8080/cb',
  'http://[::1]/cb',
  'http://[::1]:8080/cb',
  'https://app.fuzz.test/cb',
  'https://app.fuzz.test/cb?tenant=1',
  'https://app.fuzz.test/cb?tenant=2',
  'https://app.fuzz.test/cb#frag',
  'https://single.fuzz.test/cb',
  'https://single.fuzz.test:444/cb',
  'com.example.fuzz:/cb',
  'com.example.app://[x]/cb',
  'https://[::1/cb',
  'https://0x100000000/cb',
  'https://256.256.256.256/cb',
  'https://exa%zzmple.com/cb',
  'http://127.0.0.1:0/cb',
  'http://127.0.0.1:65536/cb',
  'http://127.0.0.1:99999999999/cb',
  'http://127.1/cb',
  'http://2130706433/cb',
  'https://app.fuzz.test/cb/../x',
  'https://app.fuzz.test/c%2fb',
  'https://user:pw@app.fuzz.test/cb',
  'HTTP://127.0.0.1/callback',
  'https://APP.fuzz.test/cb',
  'javascript:alert(1)',
  'data:text/html,<fz-x>',
  '//evil.fuzz.test/cb',
  '/relative/cb',
  'relative',
  'http://evil.fuzz.test/cb',
  'https://evil.fuzz.test/cb',
  'https://ąpp.fuzz.test/cb',
  'https://xn--pp-0ia.fuzz.test/cb',
  'http://127.0.0.1/callback ',
  ' http://127.0.0.1/callback',
  'http://127.0.0.1/call back',
  'http://127.0.0.1\\@evil.fuzz.test/cb',
  'https://app.fuzz.test/cb?x=%zz',
  'file:///etc/passwd',
  'urn:ietf:wg:oauth:2.0:oob',
  'http://[::ffff:127.0.0.1]/cb',
  'https://dcr.fuzz.test/cb',
  'https://trusted.fuzz.test/cb',
);

/** A redirect URI of every shape: registered ones, loopback ports, unparseable ones, junk. */
export const redirectUri: Arb<string> = fc.oneof(
  { weight: 6, arbitrary: redirectShape },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('http://127.0.0.1', 'http://localhost', 'http://[::1]', 'https://127.0.0.1'),
        fc.integer({ min: 0, max: 70_000 }),
        fc.constantFrom('/callback', '/cb', '/callback/x', ''),
      )
      .map(([origin, port, path]) => `${origin}:${port}${path}`),
  },
  { weight: 2, arbitrary: index(24).map((i) => `{{code-redirect:${i}}}`) },
  { weight: 1, arbitrary: hostile },
);

const resource = fc.constantFrom(
  RESOURCE,
  OTHER_RESOURCE,
  `${RESOURCE}/`,
  `${RESOURCE}#f`,
  `${RESOURCE}?x=1`,
  'https://mcp.fuzz.test',
  'https://evil.fuzz.test/mcp',
  'HTTPS://MCP.FUZZ.TEST/mcp',
  'urn:x',
  'relative',
);

const scope = fc.oneof(
  fc.subarray(['mcp:tools', 'mcp:read', 'mcp:write']).map((list) => list.join(' ')),
  fc.constantFrom(
    'openid',
    'offline_access',
    'mcp:tools  mcp:read',
    ' mcp:tools',
    'mcp:tools\tmcp:read',
    '"',
    'mcp:admin',
  ),
);

// --- headers ----------------------------------------------------------------------------------

const latin1 = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xa0, max: 0xff }).map((code) => String.fromCharCode(code)),
  fc.constant('\t'),
);

const headerValue: Arb<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: latin1, maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '0',
      '-1',
      '99999999999999999999',
      'abc',
      '1e3',
      MARKUP,
      '%0d%0aX-Fz: 1',
      'Bearer x',
      'Basic Og==',
      '{{big:9000}}',
    ),
  },
  // Refused by the Headers API (counted as dropped, never sent): keeps the generator honest.
  { weight: 1, arbitrary: fc.constantFrom('x\r\ny', '\u0000', '😀') },
);

const cookieName = fc.oneof(
  fc.constantFrom(
    'cimd_session',
    '__Host-cimd_session',
    'cimd_consent_{{interaction:0}}',
    'cimd_consent_{{uinteraction:1}}',
    'cimd_up_x',
    '',
    ' ',
  ),
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 16 }),
);

const cookieValue = fc.oneof(
  b64url(43, 43),
  fc.string({ unit: latin1, maxLength: 30 }).map((value) => value.replaceAll(';', '')),
  fc.constantFrom('%zz', '"unterminated', '""', '%E2%80%AE', '{{big:5000}}'),
);

const cookiePair = fc.oneof(
  { weight: 3, arbitrary: index(12).map((i) => `{{consent-cookie:${i}}}`) },
  { weight: 2, arbitrary: index(10).map((i) => `{{ubind:${i}}}`) },
  { weight: 2, arbitrary: index(10).map((i) => `{{ucookie:${i}}}`) },
  { weight: 2, arbitrary: fc.constant('{{session}}') },
  { weight: 3, arbitrary: fc.tuple(cookieName, cookieValue).map(([name, value]) => `${name}=${value}`) },
  { weight: 1, arbitrary: fc.constantFrom('=', ';', 'a', '=x', 'a=b=c', ';;;') },
);

/** A Cookie header: several pairs, real and garbage. */
export const cookieJar: Arb<string> = fc
  .array(cookiePair, { minLength: 1, maxLength: 5 })
  .map((pairs) => pairs.join('; '));

const originValue = fc.constantFrom(
  '{{issuer}}',
  'null',
  'https://evil.fuzz.test',
  '{{issuer}}/',
  'http://127.0.0.1',
  'HTTP://127.0.0.1:4000',
  '',
);
const fetchSite = fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'garbage');

/** Headers a browser, a proxy or an attacker might add. */
export const noiseHeader: Arb<Field> = fc.oneof(
  { weight: 3, arbitrary: cookieJar.map((jar): Field => ['cookie', jar]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('origin', 'referer'), originValue) },
  { weight: 1, arbitrary: fetchSite.map((site): Field => ['sec-fetch-site', site]) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom(
        'x-forwarded-for',
        'x-forwarded-host',
        'x-forwarded-proto',
        'forwarded',
        'host',
        'x-real-ip',
      ),
      fc.oneof(headerValue, fc.constantFrom('127.0.0.1', 'evil.fuzz.test', 'https', '203.0.113.9')),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom(
        'accept',
        'accept-language',
        'user-agent',
        'mcp-protocol-version',
        'content-length',
        'authorization',
        'access-control-request-method',
        'access-control-request-headers',
        'if-none-match',
        'range',
      ),
      headerValue,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 20 }),
      headerValue,
    ),
  },
);

const noise = fc.array(noiseHeader, { maxLength: 4 });

/** A false or odd Content-Length next to whatever body is sent. */
const lengthLie: Arb<Field[]> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Field[]>([]) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('0', '1', '-1', 'abc', '99999999999', '1e5', '65537', '16385', ' 5', '0x10')
      .map((value): Field[] => [['content-length', value]]),
  },
);

const peer = fc.constantFrom(
  '127.0.0.1',
  '::1',
  '::ffff:127.0.0.1',
  '203.0.113.7',
  '10.0.0.1',
  '::ffff:10.0.0.1',
  'fe80::1',
  '127.0.0.1.evil',
  'garbage',
);

/** A `Host` other than the issuer's, as a caller may send it. */
const authority = fc.constantFrom(
  'localhost:4000',
  '127.0.0.1',
  '[::1]:4000',
  'evil.fuzz.test',
  'EVIL.FUZZ.TEST:80',
  '127.0.0.1.evil.fuzz.test',
  '10.0.0.1:4000',
);

const browserMethod = fc.oneof(
  { weight: 10, arbitrary: fc.constant('GET') },
  { weight: 4, arbitrary: fc.constant('POST') },
  { weight: 1, arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'get', 'PROPFIND') },
);

const postMethod = fc.oneof(
  { weight: 12, arbitrary: fc.constant('POST') },
  { weight: 1, arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'post') },
);

const anyMethod = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'PROPFIND');

const authServer: Arb<TargetName> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<TargetName>('as') },
  { weight: 1, arbitrary: fc.constant<TargetName>('budget') },
  { weight: 2, arbitrary: fc.constant<TargetName>('upstream') },
);

const formContentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string | null>(
      null,
      'application/x-www-form-urlencoded; charset=utf-8',
      'APPLICATION/X-WWW-FORM-URLENCODED',
      'application/json',
      'multipart/form-data; boundary=x',
      'text/plain',
      '',
      'application/x-www-form-urlencoded;;;',
      'application/x-www-form-urlencoded, text/html',
    ),
  },
);

/** A POST body other than the endpoint's form: wrong format, huge, not UTF-8, cut short. */
const oddBody: Arb<Body> = fc.oneof(
  fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    kind: fc.constant('text' as const),
    text: fc.oneof(hostile, fc.constantFrom('a=b&a=c', '&&&', '=', '%')),
  }),
  fc.record({
    kind: fc.constant('bytes' as const),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    unit: fc.constantFrom('A', 'a=b&', '%', 'é'),
    times: fc.integer({ min: 1, max: 70_000 }),
  }),
  fc.record({ kind: fc.constant('aborted' as const), prefix: fc.constantFrom('', 'grant_type=', 'a=b&c') }),
);

/**
 * A form request (GET query or POST body) of `fieldArb` to `path`: POST sends a form body (or,
 * now and then, an odd one), other methods put the fields in the query.
 */
function formRequest(
  target: Arb<TargetName>,
  method: Arb<string>,
  path: Arb<string>,
  fieldArb: Arb<Field[]>,
  headers: Arb<Field[]> = noise,
): Arb<FuzzRequest> {
  return fc
    .record({
      target,
      method,
      path,
      fields: fieldArb,
      encoding: fc.constantFrom('encoded' as const, 'raw' as const),
      headers: fc.tuple(headers, lengthLie).map(([list, lie]) => [...list, ...lie]),
      contentType: formContentType,
      odd: sometimes(oddBody, 12),
      peer: sometimes(peer, 10),
      authority: sometimes(authority, 12),
      document: sometimes(documentSpec, 6),
      fallbackDocument: documentSpec,
    })
    .map((r): FuzzRequest => {
      const post = r.method.toUpperCase() === 'POST';
      // A request naming {{doc}} gets a document served (the generated one, or the fallback).
      const document = r.document ?? (JSON.stringify(r.fields).includes('{{doc') ? r.fallbackDocument : null);
      const raw = r.fields
        .map(([name, value]) => `${name}=${typeof value === 'string' ? value : 'jwt'}`)
        .join('&');
      return {
        target: r.target,
        method: r.method,
        path: r.path,
        query: post ? [] : r.encoding === 'raw' ? { raw } : r.fields,
        headers: r.headers,
        ...(r.contentType === undefined ? {} : { contentType: r.contentType }),
        ...(post ? { body: r.odd ?? { kind: 'form', fields: r.fields, encoding: r.encoding } } : {}),
        ...(r.peer === null ? {} : { peer: r.peer }),
        ...(r.authority === null ? {} : { authority: r.authority }),
        ...(document === null ? {} : { document }),
      };
    });
}

// --- CIMD documents the fuzzer serves ----------------------------------------------------------

const jwksValue = fc.oneof(
  fc.constant({ keys: [] }),
  fc.constant({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'BBBB', kid: 'k1' }] }),
  fc.constant({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'k1' }] }),
  fc.constant({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB', kid: 'k1' }] }),
  fc.jsonValue({ maxDepth: 2 }),
);

const fetchableUrl = fc
  .tuple(
    fc.constantFrom(
      '{{host}}',
      '{{ip-host}}',
      'https://localhost:1',
      'https://unresolvable.invalid',
      'http://localhost:{{port}}',
    ),
    fc.constantFrom('/clients/pkjwt.jwks', '/logo.png', '/clients/public.json', '/missing', '/', ''),
  )
  .map(([origin, path]) => `${origin}${path}`);

const authMethod = fc.constantFrom(
  'none',
  'private_key_jwt',
  'client_secret_basic',
  'client_secret_post',
  'tls_client_auth',
  'NONE',
  '',
);
const grantTypes = fc.oneof(
  fc.subarray(['authorization_code', 'refresh_token', 'client_credentials', 'implicit', 'password']),
  fc.jsonValue({ maxDepth: 1 }),
);
const responseTypes = fc.oneof(
  fc.subarray(['code', 'token', 'id_token', 'code id_token']),
  fc.jsonValue({ maxDepth: 1 }),
);

/** One client metadata member, with values a careless client or an attacker would publish. */
const metadataMember: Arb<readonly [string, unknown]> = fc.oneof(
  fc.tuple(
    fc.constant('client_name'),
    fc.oneof(fc.string({ maxLength: 20 }), hostile, fc.constant(MARKUP), fc.integer()),
  ),
  fc.tuple(
    fc.constant('redirect_uris'),
    fc.oneof(
      { weight: 8, arbitrary: fc.array(redirectUri, { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      {
        weight: 1,
        arbitrary: fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string())), {
          maxLength: 3,
        }),
      },
    ),
  ),
  fc.tuple(fc.constant('token_endpoint_auth_method'), fc.oneof(authMethod, fc.jsonValue({ maxDepth: 1 }))),
  fc.tuple(
    fc.constant('token_endpoint_auth_signing_alg'),
    fc.constantFrom('ES256', 'RS256', 'HS256', 'none', ''),
  ),
  fc.tuple(fc.constant('grant_types'), grantTypes),
  fc.tuple(fc.constant('response_types'), responseTypes),
  fc.tuple(fc.constant('scope'), fc.oneof(scope, hostile)),
  fc.tuple(fc.constant('jwks'), jwksValue),
  fc.tuple(fc.constant('jwks_uri'), fc.oneof(fetchableUrl, hostile)),
  fc.tuple(
    fc.constant('logo_uri'),
    fc.oneof(fetchableUrl, hostile, fc.constant('data:image/png;base64,AAAA')),
  ),
  fc.tuple(fc.constantFrom('client_uri', 'tos_uri', 'policy_uri'), fc.oneof(fetchableUrl, hostile)),
  fc.tuple(
    fc.constant('contacts'),
    fc.oneof(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), hostile),
  ),
  fc.tuple(fc.constantFrom('software_id', 'software_version', 'client_secret'), fc.string({ maxLength: 12 })),
  fc.tuple(fc.constant('software_statement'), fc.constantFrom('eyJhbGciOiJub25lIn0.e30.', 'garbage')),
  fc.tuple(
    fc.constantFrom('client_id_issued_at', 'client_secret_expires_at'),
    fc.oneof(fc.integer(), fc.string()),
  ),
  fc.tuple(fc.constant('client_id'), fc.oneof(clientId, fc.integer())),
  fc.tuple(fc.constantFrom('__proto__', 'constructor'), fc.constant({ polluted: true })),
);

/** `base` with up to `max` members replaced or added. */
function withMembers(base: Arb<Record<string, unknown>>, max = 3): Arb<Record<string, unknown>> {
  return fc
    .tuple(base, fc.array(metadataMember, { maxLength: max }))
    .map(([value, members]) => ({ ...value, ...Object.fromEntries(members) }));
}

/** A public client's metadata that passes validation, before members are replaced. */
const validMetadata = (redirects: Arb<string[]>) =>
  fc.record({ client_name: fc.constantFrom('Fuzz app', MARKUP), redirect_uris: redirects }).map((value) => ({
    ...value,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }));

const documentBody: Arb<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: withMembers(
      validMetadata(fc.array(redirectUri, { minLength: 1, maxLength: 3 })).map((value) => ({
        client_id: '{{doc}}',
        ...value,
      })),
      2,
    ).map((value) => JSON.stringify(value)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '"{{doc}}"',
      '\ufeff{"client_id":"{{doc}}","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}',
      '{"client_id":"{{doc}}","client_id":"https://evil.fuzz.test/x","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}',
      '{"client_id":"{{doc}}","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none","client_name":"{{big:6000}}"}',
      '{{nest:3000}}',
      '{{nesto:3000}}',
      '{"client_id":"{{doc}}","redirect_uris":[{{arr:400}}],"token_endpoint_auth_method":"none"}',
    ),
  },
);

const documentSpec: Arb<DocumentSpec> = fc.record({
  status: fc.oneof(
    { weight: 12, arbitrary: fc.constant(200) },
    { weight: 1, arbitrary: fc.constantFrom(201, 204, 301, 302, 304, 400, 404, 410, 429, 500, 503) },
  ),
  headers: fc
    .record(
      {
        'content-type': fc.oneof(
          { weight: 10, arbitrary: fc.constant('application/json') },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              'application/json; charset=utf-8',
              'text/html',
              'application/octet-stream',
              'application/json; charset=latin1',
              'application/jwk-set+json',
              '',
            ),
          },
        ),
        'cache-control': fc.constantFrom(
          'no-store',
          'max-age=0',
          'max-age=99999999999',
          'max-age=-1',
          's-maxage=5, public',
          'garbage',
          'max-age=60, stale-while-revalidate=999999',
        ),
        location: fc.constantFrom('{{host}}/clients/public.json', 'https://unresolvable.invalid/x', '/x'),
        etag: fc.constantFrom('"x"', 'W/"y"', 'garbage'),
      },
      { requiredKeys: ['content-type'] },
    )
    .map((headers) => Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined))),
  body: documentBody,
});

// --- JWTs -------------------------------------------------------------------------------------

const subject = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('{{client:pkjwt}}', '{{client:pkjwt-uri}}') },
  { weight: 2, arbitrary: fc.constantFrom('{{client:public}}', '{{doc}}', '{{client:dcr}}', '') },
  { weight: 1, arbitrary: hostile },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })),
  },
);

const time = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -400, max: 400 }).map((rel) => ({ rel })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(0, -1, 1e20, 1.5, '123', null, true, Number.MAX_SAFE_INTEGER, [], {}),
  },
);

const claimOf = <T>(good: Arb<T>): Arb<unknown> =>
  fc.oneof(
    { weight: 9, arbitrary: good as Arb<unknown> },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.oneof(hostile, fc.jsonValue({ maxDepth: 1 })) },
  );

const jwtHeader = fc.record(
  {
    alg: fc.oneof(
      { weight: 8, arbitrary: fc.constant('ES256') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('ES384', 'RS256', 'PS256', 'EdDSA', 'HS256', 'none', 'NONE', ''),
      },
      { weight: 1, arbitrary: hostile },
    ),
    typ: fc.constantFrom('client-authentication+jwt', 'JWT', 'jwt', 'at+jwt', 'application/at+jwt', ''),
    kid: fc.constantFrom('k1', '{{as-kid}}', 'k2', '', '../k1'),
    jku: fc.constant('https://unresolvable.invalid/jwks'),
    x5u: fc.constant('https://unresolvable.invalid/cert'),
    crit: fc.constantFrom<unknown>(['exp'], [], 'b64'),
    b64: fc.constant(false),
  },
  { requiredKeys: ['alg'] },
);

const aud = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>('{{issuer}}', '{{issuer}}/token') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      ['{{issuer}}'],
      ['{{issuer}}', 'x'],
      'https://evil.fuzz.test',
      [],
      42,
      RESOURCE,
    ),
  },
);

/** A client assertion: mostly well-formed, signed with the registered key, claims a bit off. */
export const clientAssertion: Arb<JwtValue> = fc
  .record({
    key: fc.oneof(
      { weight: 6, arbitrary: fc.constant('client' as const) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'stranger' as const,
          'none' as const,
          'hs256' as const,
          'garbage' as const,
        ),
      },
    ),
    header: jwtHeader,
    iss: subject,
    sub: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: subject }),
    aud: claimOf(aud),
    exp: claimOf(time),
    iat: claimOf(time),
    nbf: fc.option(time, { nil: undefined }),
    jti: claimOf(fc.oneof(b64url(22, 22), fc.constant('fixed-jti'), fc.constant('{{big:300}}'))),
  })
  .map(
    ({ key, header, iss, sub, ...claims }): JwtValue => ({
      jwt: { key, header, claims: { iss, sub: sub === undefined ? iss : sub, ...claims } },
    }),
  );

/** An access token forged with random claims (often with the server's own key). */
const forgedAccessToken: Arb<JwtValue> = fc.record({
  prefix: fc.constantFrom('Bearer ', 'bearer ', 'BEARER  '),
  jwt: fc.record({
    key: fc.constantFrom(
      'as' as const,
      'as' as const,
      'stranger' as const,
      'none' as const,
      'garbage' as const,
    ),
    header: fc.record({
      alg: fc.constantFrom('ES256', 'ES256', 'RS256', 'none', 'HS256'),
      typ: fc.constantFrom('at+jwt', 'application/at+jwt', 'JWT', ''),
      kid: fc.constantFrom('{{as-kid}}', '{{as-kid}}', 'k1', ''),
    }),
    claims: fc.record(
      {
        iss: claimOf(fc.constantFrom('{{as-issuer}}', 'https://evil.fuzz.test')),
        aud: claimOf(fc.constantFrom<unknown>(RESOURCE, [RESOURCE, 'x'], OTHER_RESOURCE, `${RESOURCE}/`)),
        sub: claimOf(fc.constantFrom('user', '')),
        client_id: claimOf(fc.constantFrom('{{client:public}}', 'x')),
        scope: claimOf(fc.oneof(scope, fc.constantFrom<unknown>(['mcp:tools'], 42))),
        exp: claimOf(time),
        iat: claimOf(time),
        nbf: claimOf(time),
        jti: claimOf(b64url(8, 22)),
      },
      { requiredKeys: [] },
    ),
  }),
});

const jwtShapedJunk = fc.oneof(
  fc.constantFrom(
    'a.b.c',
    '..',
    'eyJhbGciOiJub25lIn0.e30.',
    'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.AAAA',
    'eyJ.eyJ.eyJ',
    'e30.e30.e30.e30.e30',
    '{{big:20001}}',
  ),
  fc.tuple(b64url(0, 30), b64url(0, 30), b64url(0, 90)).map(([h, p, s]) => `${h}.${p}.${s}`),
);

// --- endpoints --------------------------------------------------------------------------------

const loopback = (origin: string, path: string) =>
  fc.integer({ min: 1024, max: 65_535 }).map((port) => `${origin}:${port}${path}`);

/** A client and a redirect URI it registered (or none, where it has exactly one). */
const clientAndRedirect: Arb<readonly [string, string | undefined]> = fc.oneof(
  fc.tuple(
    fc.constant('{{client:public}}'),
    fc.oneof(
      loopback('http://127.0.0.1', '/callback'),
      loopback('http://localhost', '/callback'),
      fc.constantFrom(
        'https://app.fuzz.test/cb',
        'https://app.fuzz.test/cb?tenant=1',
        'com.example.fuzz:/cb',
      ),
    ),
  ),
  fc.tuple(fc.constant('{{client:single}}'), fc.constantFrom(undefined, 'https://single.fuzz.test/cb')),
  fc.tuple(
    fc.constant('{{client:loopback}}'),
    fc.option(loopback('http://127.0.0.1', '/callback'), { nil: undefined }),
  ),
  fc.tuple(
    fc.constant('{{client:wildcard}}'),
    fc.option(loopback('http://localhost', '/cb'), { nil: undefined }),
  ),
  fc.tuple(
    fc.constant('{{client:trusted}}'),
    fc.oneof(loopback('http://localhost', '/cb'), fc.constant('https://trusted.fuzz.test/cb')),
  ),
  fc.tuple(
    fc.constantFrom('{{client:pkjwt}}', '{{client:pkjwt-uri}}'),
    loopback('http://127.0.0.1', '/callback'),
  ),
  fc.tuple(
    fc.constantFrom('{{client:dcr}}', '{{client:upstream-dcr}}'),
    fc.oneof(loopback('http://127.0.0.1', '/callback'), fc.constant('https://dcr.fuzz.test/cb')),
  ),
  fc.tuple(fc.constant('{{doc}}'), fc.constantFrom('{{doc-redirect}}', undefined)),
);

/** A valid authorization request (PKCE S256, a resource, maybe scopes). */
const authorizeBase: Arb<Field[]> = fc
  .record({
    client: clientAndRedirect,
    state: b64url(4, 16),
    resource: fc.option(fc.constantFrom(RESOURCE, OTHER_RESOURCE), { nil: undefined }),
    scope: fc.option(scope, { nil: undefined }),
  })
  .map(({ client: [clientIdValue, redirect], state, resource: target, scope: scopes }): Field[] => [
    ['response_type', 'code'],
    ['client_id', clientIdValue],
    ...(redirect === undefined ? [] : [['redirect_uri', redirect] as Field]),
    ['code_challenge', '{{challenge}}'],
    ['code_challenge_method', 'S256'],
    ['state', state],
    ...(target === undefined ? [] : [['resource', target] as Field]),
    ...(scopes === undefined ? [] : [['scope', scopes] as Field]),
  ]);

const authorizeParams: [string, Arb<Value>][] = [
  ['response_type', fc.constantFrom('code', 'token', 'id_token', 'code id_token', 'none', 'CODE', 'code ')],
  ['client_id', clientId],
  ['redirect_uri', redirectUri],
  ['code_challenge', fc.oneof(fc.constant('{{challenge}}'), b64url(0, 140))],
  ['code_challenge_method', fc.constantFrom('S256', 'plain', 's256', 'none', 'S512')],
  ['state', fc.oneof(b64url(1, 16), fc.constant(MARKUP), fc.string({ maxLength: 20 }))],
  ['resource', resource],
  ['scope', scope],
  [
    'prompt',
    fc.constantFrom('none', 'login', 'consent', 'select_account', 'none login', 'login consent', 'x'),
  ],
  ['login_hint', fc.oneof(fc.string({ maxLength: 20 }), fc.constant(MARKUP))],
  ['response_mode', fc.constantFrom('query', 'fragment', 'form_post', 'jwt')],
  ['request', jwtShapedJunk],
  ['request_uri', fc.constantFrom('urn:ietf:params:oauth:request_uri:x', '{{host}}/x')],
];

/** Coherent-then-perturbed (mostly), or every parameter fuzzed independently. */
function coherentOrWild(base: Arb<Field[]>, params: [string, Arb<Value>][]): Arb<Field[]> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: perturb(
        base,
        params.map(([name, arb]) => override(name, arb)),
      ),
    },
    { weight: 1, arbitrary: fields(...params.map(([name, arb]) => param(name, arb))) },
  );
}

const authorize = formRequest(
  authServer,
  browserMethod,
  fc.constantFrom('/authorize'),
  coherentOrWild(authorizeBase, authorizeParams),
);

const interactionIndex = fc.record({ i: index(12), j: index(12), same: fc.boolean() });

/** The consent form's post: a live interaction (with or without its token and cookie) or forged. */
const consent: Arb<FuzzRequest> = fc
  .record({
    target: fc.oneof(
      { weight: 4, arbitrary: fc.constant<TargetName>('as') },
      { weight: 1, arbitrary: fc.constant<TargetName>('upstream') },
    ),
    which: interactionIndex,
    decision: fc.constantFrom('approve', 'deny'),
    changes: fc.array(
      fc.oneof(
        override('decision', fc.constantFrom('approve', 'deny', 'Approve', 'approve ')),
        override('interaction', fc.oneof(b64url(10, 43), fc.constant('{{uinteraction:0}}'))),
        override(
          'csrf_token',
          fc.oneof(
            b64url(10, 43),
            index(12).map((i) => `{{csrf:${i}}}`),
          ),
        ),
      ),
      { maxLength: 2 },
    ),
    extra: extras,
    real: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    headers: fc.array(
      fc.oneof(
        originValue.map((value): Field => ['origin', value]),
        fetchSite.map((value): Field => ['sec-fetch-site', value]),
        noiseHeader,
      ),
      { maxLength: 4 },
    ),
    cookie: fc.oneof(
      { weight: 6, arbitrary: fc.constant('same') },
      { weight: 1, arbitrary: fc.constant('none') },
      { weight: 2, arbitrary: cookieJar },
    ),
    method: postMethod,
    contentType: formContentType,
    odd: sometimes(oddBody, 15),
    peer: sometimes(peer, 10),
    authority: sometimes(authority, 12),
  })
  .map((r): FuzzRequest => {
    const { i, j, same } = r.which;
    const live: Field[] = r.real
      ? [
          ['interaction', `{{interaction:${i}}}`],
          ['csrf_token', `{{csrf:${same ? i : j}}}`],
        ]
      : [];
    const form = [...applyOverrides([...live, ['decision', r.decision]], r.changes), ...r.extra];
    const cookie =
      r.cookie === 'same' ? `{{consent-cookie:${i}}}` : r.cookie === 'none' ? undefined : r.cookie;
    const post = r.method.toUpperCase() === 'POST';
    return {
      target: r.target,
      method: r.method,
      path: '/consent',
      query: post ? [] : form,
      headers: [
        ['origin', '{{issuer}}'],
        ...(cookie === undefined ? [] : [['cookie', cookie] as Field]),
        ...r.headers,
      ],
      ...(r.contentType === undefined ? {} : { contentType: r.contentType }),
      ...(post ? { body: r.odd ?? { kind: 'form', fields: form, encoding: 'encoded' } } : {}),
      ...(r.peer === null ? {} : { peer: r.peer }),
      ...(r.authority === null ? {} : { authority: r.authority }),
    };
  });

/** Back from signing in: `/authorize/return` with approved interactions, cookies and sign-in errors. */
const signInReturn: Arb<FuzzRequest> = formRequest(
  fc.oneof(
    { weight: 4, arbitrary: fc.constant<TargetName>('upstream') },
    { weight: 1, arbitrary: fc.constant<TargetName>('as') },
  ),
  browserMethod,
  fc.constantFrom('/authorize/return'),
  fields(
    param(
      'interaction',
      fc.oneof(
        index(10).map((i) => `{{uinteraction:${i}}}`),
        index(12).map((i) => `{{interaction:${i}}}`),
        b64url(10, 43),
      ),
      14,
    ),
    param(
      'sign_in_error',
      fc.constantFrom(
        'access_denied',
        'user_not_allowed',
        'temporarily_unavailable',
        'server_error',
        'garbage',
      ),
      2,
    ),
  ),
  fc
    .tuple(
      fc.oneof(
        index(10).map((i) => `{{ucookie:${i}}}; {{session}}`),
        index(10).map((i) => `{{ucookie:${i}}}`),
        cookieJar,
      ),
      noise,
    )
    .map(([cookie, rest]): Field[] => [['cookie', cookie], ...rest]),
);

const grantType = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('authorization_code', 'refresh_token') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'client_credentials',
      'password',
      'implicit',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:token-exchange',
      'AUTHORIZATION_CODE',
      'authorization_code ',
    ),
  },
);

const basicAuth = fc.oneof(
  fc
    .tuple(fc.string({ unit: latin1, maxLength: 20 }), fc.string({ unit: latin1, maxLength: 20 }))
    .map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`, 'latin1').toString('base64')}`),
  fc.constantFrom(
    'Basic',
    'Basic ',
    'Basic !!!',
    'Basic Og==',
    'basic OmE=',
    'Bearer {{access:0}}',
    'Digest x',
  ),
);

const tokenParams: [string, Arb<Value>][] = [
  ['grant_type', grantType],
  [
    'code',
    fc.oneof(
      index(24).map((i) => `{{code:${i}}}`),
      index(12).map((i) => `{{kcode:${i}}}`),
      b64url(10, 43),
    ),
  ],
  [
    'code_verifier',
    fc.oneof(
      index(24).map((i) => `{{verifier:${i}}}`),
      b64url(0, 140),
    ),
  ],
  ['redirect_uri', redirectUri],
  ['client_id', clientId],
  ['resource', resource],
  ['scope', scope],
  [
    'refresh_token',
    fc.oneof(
      index(8).map((i) => `{{refresh:${i}}}`),
      b64url(10, 60),
    ),
  ],
  [
    'client_assertion_type',
    fc.constantFrom('urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'jwt-bearer'),
  ],
  [
    'client_assertion',
    fc.oneof({ weight: 3, arbitrary: clientAssertion }, { weight: 1, arbitrary: jwtShapedJunk }),
  ],
  ['client_secret', fc.string({ maxLength: 12 })],
];

/** The assertion the private_key_jwt client `pkjwt` sends. */
function assertion(jti: string): Field[] {
  return [
    ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
    [
      'client_assertion',
      {
        jwt: {
          key: 'client',
          header: { alg: 'ES256', typ: 'client-authentication+jwt', kid: 'k1' },
          claims: {
            iss: '{{client:pkjwt}}',
            sub: '{{client:pkjwt}}',
            aud: '{{issuer}}',
            exp: { rel: 60 },
            iat: { rel: 0 },
            jti,
          },
        },
      },
    ],
  ];
}

/** `/token`: a real code or refresh token redeemed (then perturbed), or every parameter fuzzed. */
const tokenFields: Arb<Field[]> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        i: index(24),
        j: index(24),
        same: fc.oneof(
          { weight: 4, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        refresh: index(8),
        kind: fc.constantFrom('code', 'code', 'keycode', 'refresh'),
        resource: fc.option(fc.constantFrom(RESOURCE, OTHER_RESOURCE), { nil: undefined }),
        jti: b64url(22, 22),
        changes: fc.array(fc.oneof(...tokenParams.map(([name, arb]) => override(name, arb))), {
          maxLength: 3,
        }),
        extra: extras,
      })
      .map(({ i, j, same, refresh, kind, resource: target, jti, changes, extra }) => {
        const base: Field[] =
          kind === 'code'
            ? [
                ['grant_type', 'authorization_code'],
                ['code', `{{code:${i}}}`],
                ['code_verifier', `{{verifier:${same ? i : j}}}`],
                ['redirect_uri', `{{code-redirect:${i}}}`],
                ['client_id', `{{code-client:${i}}}`],
              ]
            : kind === 'keycode'
              ? [
                  ['grant_type', 'authorization_code'],
                  ['code', `{{kcode:${i}}}`],
                  ['code_verifier', `{{kverifier:${same ? i : j}}}`],
                  ['redirect_uri', `{{kcode-redirect:${i}}}`],
                  ...assertion(jti),
                ]
              : [
                  ['grant_type', 'refresh_token'],
                  ['refresh_token', `{{refresh:${refresh}}}`],
                  ['client_id', '{{client:public}}'],
                ];
        if (target !== undefined) base.push(['resource', target]);
        return [...applyOverrides(base, changes), ...extra];
      }),
  },
  { weight: 1, arbitrary: fields(...tokenParams.map(([name, arb]) => param(name, arb))) },
);

const token: Arb<FuzzRequest> = formRequest(
  authServer,
  postMethod,
  fc.constantFrom('/token'),
  tokenFields,
  fc
    .tuple(noise, sometimes(basicAuth, 6))
    .map(([list, basic]): Field[] => (basic === null ? list : [['authorization', basic], ...list])),
);

/** `/revoke`: real and fake tokens, hints, client authentication. */
const revoke = formRequest(
  authServer,
  postMethod,
  fc.constantFrom('/revoke'),
  fields(
    param(
      'token',
      fc.oneof(
        index(8).map((i) => `{{refresh:${i}}}`),
        index(8).map((i) => `{{access:${i}}}`),
        b64url(10, 60),
        jwtShapedJunk,
      ),
      14,
    ),
    param('token_type_hint', fc.constantFrom('access_token', 'refresh_token', 'id_token', 'garbage'), 3),
    param('client_id', fc.oneof(fc.constant('{{client:public}}'), clientId), 8),
    param('client_assertion_type', fc.constant('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'), 2),
    param('client_assertion', clientAssertion, 2),
  ),
  fc
    .tuple(noise, sometimes(basicAuth, 8))
    .map(([list, basic]): Field[] => (basic === null ? list : [['authorization', basic], ...list])),
);

const registerBody: Arb<Body> = fc.oneof(
  {
    weight: 8,
    arbitrary: withMembers(
      fc
        .tuple(
          validMetadata(fc.array(redirectUri, { minLength: 1, maxLength: 3 })),
          // SEP-837: every DCR request carries application_type (mostly native, as MCP clients are).
          fc.constantFrom('native', 'native', 'native', 'web'),
        )
        .map(([value, applicationType]) => ({ ...value, application_type: applicationType })),
    ).map((value): Body => ({ kind: 'json', value })),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value): Body => ({ kind: 'json', value })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.integer({ min: 1, max: 20_000 }).map((n) => `{{nest:${n}}}`),
        fc.integer({ min: 1, max: 20_000 }).map((n) => `{{nesto:${n}}}`),
        fc
          .integer({ min: 1, max: 3_000 })
          .map((n) => `{"redirect_uris":[{{arr:${n}}}],"token_endpoint_auth_method":"none"}`),
        fc.constantFrom(
          '{',
          '{"a":}',
          'nul',
          '\ufeff{}',
          '{"redirect_uris":["http://127.0.0.1/cb"],}',
          "{'a':1}",
          '[1,2',
          '"str"',
          '1e999',
          '{"redirect_uris":["http://127.0.0.1/cb"],"__proto__":{"token_endpoint_auth_method":"none"}}',
          '{"redirect_uris":["http://127.0.0.1/cb"],"redirect_uris":["https://evil.fuzz.test/cb"]}',
          '{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"{{big:17000}}"}',
        ),
      )
      .map((text): Body => ({ kind: 'text', text })),
  },
  { weight: 2, arbitrary: oddBody },
);

/** `/register`: JSON bodies of every kind, and content types that are not JSON. */
const register: Arb<FuzzRequest> = fc
  .record({
    target: authServer,
    method: postMethod,
    body: registerBody,
    contentType: fc.oneof(
      { weight: 10, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<string | null>(
          'application/json; charset=utf-8',
          'application/JSON',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          '',
          null,
          'application/json;;;',
          'application/json, text/html',
        ),
      },
    ),
    headers: fc.tuple(noise, lengthLie).map(([list, lie]) => [...list, ...lie]),
    query: fc.oneof({ weight: 6, arbitrary: fc.constant<Field[]>([]) }, { weight: 1, arbitrary: extras }),
  })
  .map(
    (r): FuzzRequest => ({
      target: r.target,
      method: r.method,
      path: '/register',
      query: r.query,
      headers: r.headers,
      ...(r.contentType === undefined ? {} : { contentType: r.contentType }),
      body: r.body,
    }),
  );

/** Any method on a fixed path, with a random query, headers and (sometimes) a body. */
function simple(target: Arb<TargetName>, path: Arb<string>): Arb<FuzzRequest> {
  return fc
    .record({
      target,
      method: fc.oneof({ weight: 4, arbitrary: fc.constant('GET') }, { weight: 2, arbitrary: anyMethod }),
      path,
      query: fc.oneof({ weight: 3, arbitrary: fc.constant<Field[]>([]) }, { weight: 1, arbitrary: extras }),
      headers: noise,
      body: sometimes(oddBody, 4),
    })
    .map(
      (r): FuzzRequest => ({
        target: r.target,
        method: r.method,
        path: r.path,
        query: r.query,
        headers: r.headers,
        ...(r.body === null ? {} : { body: r.body }),
      }),
    );
}

const metadataPaths = fc.constantFrom(
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server/',
  '/.well-known/oauth-authorization-server/x',
  '/x/.well-known/openid-configuration',
  '/.well-known/oauth-protected-resource',
  '/.WELL-KNOWN/openid-configuration',
);

const pathSegment = fc.oneof(
  b64url(1, 10),
  percentGarbage,
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2f',
    '',
    'authorize',
    'token',
    'consent',
    'logo',
    'upstream',
    '{{logo}}',
  ),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

const unknownPath = fc.oneof(
  fc.constantFrom(
    '/',
    '//',
    '/authorize/',
    '/AUTHORIZE',
    '/token/',
    '/.well-known/',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/authorize%2F',
    '/upstream/callback/',
    '/jwks.json',
    '/%00',
    '/%zz',
    '/..;/token',
    '/{{big:5000}}',
    '/logout/',
    '/metrics',
  ),
  fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);

const logoPath = fc.oneof(
  fc.constant('/logo/{{logo}}'),
  b64url(43, 43).map((id) => `/logo/${id}`),
  pathSegment.map((segment) => `/logo/${segment}`),
  fc.constantFrom('/logo/', '/logo', '/logo/{{logo}}/x', '/logo/{{logo}}%00', '/logo/..%2f..%2fjwks'),
);

/** `/upstream/callback`: real callback queries, real states, and forgeries. */
const callback: Arb<FuzzRequest> = fc
  .record({
    real: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: index(10) }),
    fields: fields(
      param(
        'state',
        fc.oneof(
          index(10).map((i) => `{{ustate:${i}}}`),
          b64url(43, 43),
        ),
        10,
      ),
      param('code', b64url(10, 60), 6),
      param('iss', fc.constantFrom('{{idp}}', '{{issuer}}', 'https://evil.fuzz.test'), 4),
      param(
        'error',
        fc.constantFrom(
          'access_denied',
          'login_required',
          'server_error',
          'temporarily_unavailable',
          'interaction_required',
          'x',
        ),
        2,
      ),
      param('error_description', fc.oneof(fc.string({ maxLength: 20 }), fc.constant(MARKUP)), 1),
    ),
    method: browserMethod,
    cookie: fc.oneof(
      index(10).map((i) => `{{ubind:${i}}}`),
      index(10).map((i) => `{{ubind:${i}}}; {{session}}`),
      cookieJar,
    ),
    headers: noise,
  })
  .map(
    (r): FuzzRequest => ({
      target: 'upstream',
      method: r.method,
      path: '/upstream/callback',
      query: r.real === null ? r.fields : { raw: `{{ucallback:${r.real}}}` },
      headers: [['cookie', r.real === null ? r.cookie : `{{ubind:${r.real}}}`], ...r.headers],
    }),
  );

/** `/logout` on the proxy: GET page, same- and cross-origin POSTs, with and without a session. */
const logout: Arb<FuzzRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'HEAD', 'DELETE'),
    session: fc.boolean(),
    headers: fc.array(
      fc.oneof(
        originValue.map((value): Field => ['origin', value]),
        fetchSite.map((value): Field => ['sec-fetch-site', value]),
        noiseHeader,
      ),
      { maxLength: 3 },
    ),
    body: sometimes(oddBody, 4),
  })
  .map(
    (r): FuzzRequest => ({
      target: 'upstream',
      method: r.method,
      path: '/logout',
      query: [],
      headers: [...(r.session ? [['cookie', '{{session}}'] as Field] : []), ...r.headers],
      ...(r.body === null ? {} : { body: r.body }),
    }),
  );

const authorizationValue: Arb<Value> = fc.oneof(
  { weight: 3, arbitrary: index(8).map((i) => `Bearer {{access:${i}}}`) },
  { weight: 2, arbitrary: index(8).map((i) => `Bearer {{access-tamper:${i}}}`) },
  { weight: 3, arbitrary: forgedAccessToken },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'DPoP', 'Token', ''),
        fc.constantFrom(' ', '  ', '\t'),
        fc.oneof(jwtShapedJunk, b64url(0, 40), hostile),
      )
      .map(([scheme, space, credentials]) => `${scheme}${space}${credentials}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Bearer ====',
      'Bearer a=b',
      'Bearer {{big:17000}}',
    ),
  },
);

/** The protected MCP server (Hono): any method, Authorization headers of every kind. */
const resourceRequest: Arb<FuzzRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('GET', 'POST') },
      { weight: 1, arbitrary: anyMethod },
    ),
    path: fc.constantFrom(
      '/mcp',
      '/mcp',
      '/mcp/write',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
      '/mcp/',
      '/MCP',
    ),
    authorization: fc.array(authorizationValue, { maxLength: 2 }),
    query: fc.oneof(
      { weight: 4, arbitrary: fc.constant<Field[]>([]) },
      { weight: 1, arbitrary: index(8).map((i): Field[] => [['access_token', `{{access:${i}}}`]]) },
      { weight: 1, arbitrary: extras },
    ),
    headers: noise,
    body: sometimes(oddBody, 5),
  })
  .map(
    (r): FuzzRequest => ({
      target: 'resource',
      method: r.method,
      path: r.path,
      query: r.query,
      headers: [...r.authorization.map((value): Field => ['authorization', value]), ...r.headers],
      ...(r.body === null ? {} : { body: r.body }),
    }),
  );

/** The framework-free bearer check, with several Authorization header values kept apart. */
const bearerRequest: Arb<FuzzRequest> = fc
  .record({
    authorization: fc.array(authorizationValue, { maxLength: 3 }),
    query: fc.oneof(
      { weight: 4, arbitrary: fc.constant<Field[]>([]) },
      { weight: 1, arbitrary: fc.constant<Field[]>([['access_token', 'x']]) },
    ),
  })
  .map(
    (r): FuzzRequest => ({
      target: 'bearer',
      method: 'GET',
      path: '/mcp',
      query: r.query,
      headers: r.authorization.map((value): Field => ['authorization', value]),
    }),
  );

/** Every endpoint, weighted towards the ones with the most input. */
export function fuzzRequest(): Arb<FuzzRequest> {
  return fc.oneof(
    { weight: 20, arbitrary: authorize },
    { weight: 8, arbitrary: consent },
    { weight: 4, arbitrary: signInReturn },
    { weight: 16, arbitrary: token },
    { weight: 5, arbitrary: revoke },
    { weight: 8, arbitrary: register },
    { weight: 3, arbitrary: simple(authServer, metadataPaths) },
    { weight: 2, arbitrary: simple(authServer, fc.constantFrom('/jwks', '/health')) },
    { weight: 2, arbitrary: simple(authServer, logoPath) },
    { weight: 4, arbitrary: simple(authServer, unknownPath) },
    { weight: 5, arbitrary: callback },
    { weight: 2, arbitrary: logout },
    { weight: 6, arbitrary: resourceRequest },
    { weight: 3, arbitrary: bearerRequest },
  );
}
