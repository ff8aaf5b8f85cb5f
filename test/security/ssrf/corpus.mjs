import { domainToASCII } from 'node:url';

/**
 * The SSRF corpus (issue 9): every way we know to make the authorization server connect to an
 * address inside the network, each as a case of one or more requests to the real `cimd serve`
 * and the answer it must give. The runner (`runner.mjs`) plays them inside a network namespace
 * of its own where every address is local and the canary listens on every port named here, so a
 * connection to an inside address is recorded instead of failing quietly.
 *
 * A case: `{ id, tags, steps, serve?, dns?, fetched? }`.
 * - `steps`: requests in order; each `{ do, ..., expect }` with `do` one of `authorize`
 *   (`client_id`, optional `redirectUri` and extra `params`), `register` (a JSON body; the
 *   `client_id` it returns is `$registered` in later steps), `token` (a token request, by default
 *   with a `private_key_jwt` assertion signed by the runner's key: `assertion: false` for none),
 *   `revoke`, or `logo` (GET `/logo/<id>` of a logo URL). `expect` holds what the answer must be:
 *   `status`, `error` (the OAuth error code, on the error page or in the JSON body), `page`
 *   (`error` or `consent`) and `logo` (whether the consent page shows a proxied logo).
 * - `serve`: what the public document host (`*.example.com`, at {@link PUBLIC_ADDRESS}) answers
 *   at a URL: `doc` (a client metadata document; `client_id` is the URL itself), `redirect`
 *   (`{ status, location }`), `jwks` (the runner's public keys) or `png` (a small image).
 * - `dns`: names that must have been asked of the test DNS responder during the case (proof the
 *   case reached the fetcher's resolver rather than an earlier check); `fetched`: URLs the
 *   document host must have served during the case (proof the fetch really happened).
 *
 * Tags name what the issue asks the corpus to cover; `control` cases are legitimate requests that
 * must succeed (proof the set-up can fetch at all) and do not count as SSRF cases.
 */

/** The one public address in the namespace: the document host's (`*.example.com`). */
export const PUBLIC_ADDRESS = '93.184.216.34';

/** The loopback redirect URI every test client registers, and the one the requests name. */
const REGISTERED_REDIRECT = 'http://127.0.0.1/callback';
export const REQUESTED_REDIRECT = 'http://127.0.0.1:33333/callback';

/** A name spelled with a Cyrillic і (U+0456), and its punycode form, which resolves inside. */
const IDN_INSIDE_NAME = 'ins\u0456de.example.net';
const IDN_INSIDE_ASCII = domainToASCII(IDN_INSIDE_NAME);

/**
 * The test DNS: name -> `{ a, aaaa, cname }`, or a function of the query count (rebinding).
 * Every other name is NXDOMAIN.
 */
export const DNS_TABLE = {
  // The public document host, under several names so that each group has its own fetch budget.
  'docs.example.com': { a: [PUBLIC_ADDRESS] },
  'hop.example.com': { a: [PUBLIC_ADDRESS] },
  'keys.example.com': { a: [PUBLIC_ADDRESS] },
  'logo.example.com': { a: [PUBLIC_ADDRESS] },
  'pics.example.com': { a: [PUBLIC_ADDRESS] },
  'dcr.example.com': { a: [PUBLIC_ADDRESS] },
  'public.example.com': { a: [PUBLIC_ADDRESS] },
  // Names that resolve inside.
  'inside.example.net': { a: ['10.0.0.1'] },
  'meta.example.net': { a: ['169.254.169.254'] },
  'loop.example.net': { a: ['127.0.0.1'] },
  'loop6.example.net': { aaaa: ['::1'] },
  'zero.example.net': { a: ['0.0.0.0'] },
  'cgnat.example.net': { a: ['100.64.0.1'] },
  'private172.example.net': { a: ['172.16.0.1'] },
  'private192.example.net': { a: ['192.168.0.1'] },
  'benchmark.example.net': { a: ['198.18.0.1'] },
  'multicast.example.net': { a: ['224.0.0.1'] },
  'mapped.example.net': { aaaa: ['::ffff:127.0.0.1'] },
  'mapped-meta.example.net': { aaaa: ['::ffff:169.254.169.254'] },
  'compat.example.net': { aaaa: ['::169.254.169.254'] },
  'nat64.example.net': { aaaa: ['64:ff9b::a9fe:a9fe'] },
  'sixtofour.example.net': { aaaa: ['2002:a9fe:a9fe::1'] },
  'teredo.example.net': { aaaa: ['2001:0:4136:e378:8000:63bf:3fff:fdd2'] },
  'ula.example.net': { aaaa: ['fd00::1'] },
  'linklocal6.example.net': { aaaa: ['fe80::1'] },
  'mixed.example.net': { a: [PUBLIC_ADDRESS, '10.0.0.1'] },
  'mixed-family.example.net': { a: [PUBLIC_ADDRESS], aaaa: ['::1'] },
  'cname.example.net': { cname: 'target.inside.example.org', a: ['10.0.0.1'] },
  // DNS rebinding: public on the 1st, 3rd, ... A query, inside on the 2nd, 4th, ...
  'rebind.example.net': (count) => ({ a: [count % 2 === 1 ? PUBLIC_ADDRESS : '127.0.0.1'] }),
  'rebind-meta.example.net': (count) => ({ a: [count % 2 === 1 ? PUBLIC_ADDRESS : '169.254.169.254'] }),
  'keys-rebind.example.net': (count) => ({ a: [count % 2 === 1 ? PUBLIC_ADDRESS : '10.0.0.1'] }),
  // Names for the URLs documents and registrations point to.
  'keys-inside.example.net': { a: ['10.0.0.1'] },
  'keys-meta.example.net': { a: ['169.254.169.254'] },
  'logo-inside.example.net': { a: ['10.0.0.1'] },
  'logo-mapped.example.net': { aaaa: ['::ffff:169.254.169.254'] },
  'dcr-keys-inside.example.net': { a: ['169.254.169.254'] },
  'iss-inside.example.net': { a: ['10.0.0.1'] },
  [IDN_INSIDE_ASCII]: { a: ['10.0.0.1'] },
};

/** The hosts file in the namespace (names it lists never reach DNS). */
export const HOSTS_FILE = [
  '127.0.0.1 localhost',
  '::1 localhost',
  '10.0.0.1 hosts-inside.example.org',
  '169.254.169.254 hosts-meta.example.org',
  '',
].join('\n');

/**
 * Why a request was refused: a regular expression (source) the answer's description (the error
 * page's text, the JSON `error_description`, or a redirect's `Location`) must match, so that a
 * case refused for another reason (a broken test DNS, say) fails instead of passing by accident.
 */
const BECAUSE = {
  ipLiteral: 'client_id is not on the public internet: the host \\S+ is an IP address',
  specialName: 'client_id is not on the public internet: the host \\S+ is not a public DNS name',
  badClientIdUrl: 'is not a valid client metadata URL|is not registered with this server',
  resolvesInside: 'was refused: \\S+ resolves to a non-public address',
  redirectNotFollowed: 'redirects are never followed',
  jwksUriLint: 'jwks_uri (is not on the public internet|has userinfo)',
  keysNotFetched: 'jwks_uri does not lead to a public internet address|redirect, which is not followed',
  registrationLint: 'CIMD-LINT-0[78] at \\$\\.jwks_uri',
};

/** The answers. */
const refusedPage = (because) => ({ status: 400, page: 'error', error: 'invalid_client', because });
const CONSENT = { status: 200, page: 'consent', logo: false };
const invalidClient = (because) => ({ status: 401, error: 'invalid_client', because });

/** A case that asks `/authorize` with `clientId` and expects the error page, refused `because`. */
function refusedClientId(id, tags, clientId, because, extra = {}) {
  return { id, tags, steps: [{ do: 'authorize', clientId, expect: refusedPage(because) }], ...extra };
}

/** A `client_id` on a name the test DNS resolves inside: refused after the lookup. */
function insideName(id, tags, host, path = '/client.json') {
  const name = host.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
  return refusedClientId(id, ['dns', ...tags], `https://${host}${path}`, BECAUSE.resolvesInside, {
    dns: [name],
  });
}

/** A document (metadata members beyond the defaults) served at `url`. */
function served(url, members = {}) {
  return {
    url,
    doc: {
      client_name: 'SSRF corpus client',
      redirect_uris: [REGISTERED_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...members,
    },
  };
}

/** A `private_key_jwt` document whose `jwks_uri` is `jwksUri`. */
function keyed(url, jwksUri) {
  return served(url, {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks_uri: jwksUri,
  });
}

/** A redirect from the document host. */
function redirect(url, status, location) {
  return { url, redirect: { status, location } };
}

// ---------------------------------------------------------------------------------------------
// client_id: IP literals in every spelling

const ipSpellings = [
  ['decimal-loopback', ['decimal', 'loopback'], 'https://2130706433/client.json'],
  ['decimal-metadata', ['decimal', 'metadata'], 'https://2852039166/latest/meta-data/'],
  ['decimal-private', ['decimal', 'private'], 'https://167772161/client.json'],
  ['octal-loopback', ['octal', 'loopback'], 'https://0177.0.0.1/client.json'],
  ['octal-metadata', ['octal', 'metadata'], 'https://0251.0376.0251.0376/client.json'],
  ['octal-private-mixed-zeros', ['octal', 'private'], 'https://012.0.0.01/client.json'],
  ['hex-loopback', ['hex', 'loopback'], 'https://0x7f000001/client.json'],
  ['hex-dotted-metadata', ['hex', 'metadata'], 'https://0xa9.0xfe.0xa9.0xfe/client.json'],
  ['hex-uppercase-metadata', ['hex', 'uppercase', 'metadata'], 'https://0XA9FEA9FE/client.json'],
  ['hex-octal-mixed', ['hex', 'octal', 'short'], 'https://0x7f.0.01/client.json'],
  ['short-loopback', ['short', 'loopback'], 'https://127.1/client.json'],
  ['short-private', ['short', 'private'], 'https://10.1/client.json'],
  ['short-metadata', ['short', 'metadata'], 'https://169.254.43518/client.json'],
  ['short-hex-loopback', ['short', 'hex', 'loopback'], 'https://0x7f.1/client.json'],
  ['dotted-loopback', ['loopback'], 'https://127.0.0.1/client.json'],
  ['loopback-other', ['loopback'], 'https://127.0.0.2/client.json'],
  ['metadata', ['metadata', 'link-local'], 'https://169.254.169.254/client.json'],
  ['metadata-path', ['metadata', 'link-local'], 'https://169.254.169.254/latest/meta-data/iam/'],
  ['unspecified-v4', ['unspecified'], 'https://0.0.0.0/client.json'],
  ['unspecified-v4-zero', ['unspecified', 'short'], 'https://0/client.json'],
  ['unspecified-v6', ['unspecified', 'ipv6'], 'https://[::]/client.json'],
  ['loopback-v6', ['loopback', 'ipv6'], 'https://[::1]/client.json'],
  ['loopback-v6-long', ['loopback', 'ipv6'], 'https://[0:0:0:0:0:0:0:1]/client.json'],
  ['mapped-loopback', ['ipv4-mapped'], 'https://[::ffff:127.0.0.1]/client.json'],
  ['mapped-metadata-hex', ['ipv4-mapped', 'metadata'], 'https://[::ffff:a9fe:a9fe]/client.json'],
  ['mapped-private', ['ipv4-mapped', 'private'], 'https://[::ffff:10.0.0.1]:443/client.json'],
  ['mapped-long', ['ipv4-mapped', 'loopback'], 'https://[0:0:0:0:0:ffff:7f00:1]/client.json'],
  ['compatible-loopback', ['ipv4-compatible'], 'https://[::127.0.0.1]/client.json'],
  ['compatible-metadata', ['ipv4-compatible', 'metadata'], 'https://[::a9fe:a9fe]/client.json'],
  ['nat64-metadata', ['nat64', 'metadata'], 'https://[64:ff9b::a9fe:a9fe]/client.json'],
  ['nat64-loopback', ['nat64', 'loopback'], 'https://[64:ff9b::7f00:1]/client.json'],
  ['nat64-local-use', ['nat64'], 'https://[64:ff9b:1::a9fe:a9fe]/client.json'],
  ['6to4-metadata', ['6to4', 'metadata'], 'https://[2002:a9fe:a9fe::]/client.json'],
  ['6to4-loopback', ['6to4', 'loopback'], 'https://[2002:7f00:1::1]/client.json'],
  ['teredo', ['teredo'], 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/client.json'],
  ['teredo-short', ['teredo'], 'https://[2001::1]/client.json'],
  ['ula', ['ula'], 'https://[fd00::1]/client.json'],
  ['ula-fc', ['ula'], 'https://[fc00::1]/client.json'],
  ['link-local-v6', ['link-local', 'ipv6'], 'https://[fe80::1]/client.json'],
  ['link-local-v6-zone', ['link-local', 'ipv6'], 'https://[fe80::1%25lo]/client.json'],
  ['multicast-v6', ['multicast', 'ipv6'], 'https://[ff02::1]/client.json'],
  ['discard-v6', ['ipv6'], 'https://[100::1]/client.json'],
  ['cgnat', ['cgnat'], 'https://100.64.0.1/client.json'],
  ['cgnat-top', ['cgnat'], 'https://100.127.255.254/client.json'],
  ['private-10', ['private'], 'https://10.0.0.1/client.json'],
  ['private-172', ['private'], 'https://172.16.0.1/client.json'],
  ['private-192', ['private'], 'https://192.168.0.1/client.json'],
  ['benchmarking', ['special-purpose'], 'https://198.18.0.1/client.json'],
  ['documentation', ['special-purpose'], 'https://192.0.2.1/client.json'],
  ['multicast-v4', ['multicast'], 'https://224.0.0.1/client.json'],
  ['broadcast', ['special-purpose'], 'https://255.255.255.255/client.json'],
  ['reserved', ['special-purpose'], 'https://240.0.0.1/client.json'],
];

// client_id: names that can never be public (refused before any lookup)

const specialNames = [
  ['localhost', ['localhost'], 'https://localhost/client.json'],
  ['localhost-upper-dot', ['localhost', 'uppercase', 'trailing-dot'], 'https://LOCALHOST./client.json'],
  ['localhost-sub', ['localhost'], 'https://app.localhost/client.json'],
  ['localhost-localdomain', ['localhost'], 'https://localhost.localdomain/client.json'],
  ['metadata-google', ['metadata', 'internal'], 'https://metadata.google.internal/computeMetadata/v1/'],
  ['metadata-ec2', ['metadata', 'internal'], 'https://instance-data.ec2.internal/client.json'],
  ['metadata-single-label', ['metadata', 'single-label'], 'https://metadata/client.json'],
  ['mdns-local', ['local'], 'https://printer.local/client.json'],
  ['home-arpa', ['special-name'], 'https://router.home.arpa/client.json'],
];

// client_id: parser tricks (userinfo, backslash, percent-encoding, IDN, whitespace, fragments)

const parserTricks = [
  ['userinfo-public-at-private', ['userinfo'], 'https://public.example.com@10.0.0.1/client.json'],
  ['userinfo-password-metadata', ['userinfo'], 'https://public.example.com:x@169.254.169.254/client.json'],
  [
    'userinfo-encoded-at',
    ['userinfo', 'percent-encoding'],
    'https://public.example.com%40169.254.169.254/client.json',
  ],
  [
    'backslash-private-at-public',
    ['backslash', 'userinfo'],
    'https://10.0.0.1\\@public.example.com/client.json',
  ],
  [
    'backslash-public-at-private',
    ['backslash', 'userinfo'],
    'https://public.example.com\\@10.0.0.1/client.json',
  ],
  ['backslash-slashes', ['backslash'], 'https:\\\\169.254.169.254\\client.json'],
  ['percent-encoded-ip', ['percent-encoding'], 'https://%31%30.0.0.1/client.json'],
  [
    'percent-encoded-localhost',
    ['percent-encoding', 'localhost'],
    'https://%6c%6f%63%61%6c%68%6f%73%74/client.json',
  ],
  ['percent-encoded-dot', ['percent-encoding', 'metadata'], 'https://169.254.169%2e254/client.json'],
  ['idn-fullwidth-digits', ['idn'], 'https://\uff11\uff10.\uff10.\uff10.\uff11/client.json'],
  ['idn-ideographic-stop', ['idn'], 'https://10\u30020\u30020\u30021/client.json'],
  ['idn-fullwidth-stop-metadata', ['idn', 'metadata'], 'https://169\uff0e254\uff0e169\uff0e254/client.json'],
  [
    'idn-enclosed-localhost',
    ['idn', 'localhost'],
    'https://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/client.json',
  ],
  [
    'idn-fullwidth-hex',
    ['idn', 'hex'],
    'https://\uff10\uff58\uff17\uff46\uff10\uff10\uff10\uff10\uff10\uff11/client.json',
  ],
  ['whitespace-tab-in-host', ['parser'], 'https://10.0.\t0.1/client.json'],
  ['whitespace-leading', ['parser'], ' https://169.254.169.254/client.json'],
  ['fragment-at-public', ['parser', 'userinfo'], 'https://10.0.0.1#@public.example.com/client.json'],
  ['query-at-public', ['parser'], 'https://169.254.169.254?@public.example.com/client.json'],
  ['trailing-dot-ip', ['trailing-dot'], 'https://169.254.169.254./client.json'],
  ['uppercase-scheme', ['uppercase'], 'HTTPS://10.0.0.1/client.json'],
  ['bracketed-v4', ['parser', 'ipv6'], 'https://[127.0.0.1]/client.json'],
];

// client_id: ports and schemes on inside hosts

const portsAndSchemes = [
  ['port-443', ['port'], 'https://10.0.0.1:443/client.json'],
  ['port-80', ['port'], 'https://10.0.0.1:80/client.json'],
  ['port-22', ['port'], 'https://169.254.169.254:22/client.json'],
  ['port-8080', ['port'], 'https://127.0.0.1:8080/client.json'],
  ['port-6379-v6', ['port', 'ipv6'], 'https://[::1]:6379/client.json'],
  ['http-private', ['http'], 'http://10.0.0.1/client.json'],
  ['http-metadata', ['http', 'metadata'], 'http://169.254.169.254/latest/meta-data/'],
  ['http-localhost', ['http', 'localhost'], 'http://localhost:8080/client.json'],
  ['http-inside-name', ['http', 'dns'], 'http://inside.example.net/client.json'],
];

// client_id: names the test DNS (or the hosts file) resolves inside

const dnsNames = [
  insideName('dns-private', ['private'], 'inside.example.net'),
  insideName('dns-metadata', ['metadata'], 'meta.example.net', '/latest/meta-data/'),
  insideName('dns-loopback', ['loopback'], 'loop.example.net'),
  insideName('dns-loopback-v6', ['loopback', 'ipv6'], 'loop6.example.net'),
  insideName('dns-unspecified', ['unspecified'], 'zero.example.net'),
  insideName('dns-cgnat', ['cgnat'], 'cgnat.example.net'),
  insideName('dns-private-172', ['private'], 'private172.example.net'),
  insideName('dns-private-192', ['private'], 'private192.example.net'),
  insideName('dns-benchmarking', ['special-purpose'], 'benchmark.example.net'),
  insideName('dns-multicast', ['multicast'], 'multicast.example.net'),
  insideName('dns-mapped', ['ipv4-mapped'], 'mapped.example.net'),
  insideName('dns-mapped-metadata', ['ipv4-mapped', 'metadata'], 'mapped-meta.example.net'),
  insideName('dns-compatible', ['ipv4-compatible', 'metadata'], 'compat.example.net'),
  insideName('dns-nat64', ['nat64', 'metadata'], 'nat64.example.net'),
  insideName('dns-6to4', ['6to4', 'metadata'], 'sixtofour.example.net'),
  insideName('dns-teredo', ['teredo'], 'teredo.example.net'),
  insideName('dns-ula', ['ula'], 'ula.example.net'),
  insideName('dns-link-local-v6', ['link-local'], 'linklocal6.example.net'),
  insideName('dns-mixed', ['mixed'], 'mixed.example.net'),
  insideName('dns-mixed-family', ['mixed', 'ipv6'], 'mixed-family.example.net'),
  insideName('dns-cname', ['cname'], 'cname.example.net'),
  insideName('dns-rebinding-loopback', ['rebinding'], 'rebind.example.net'),
  insideName('dns-rebinding-metadata', ['rebinding', 'metadata'], 'rebind-meta.example.net'),
  insideName('dns-uppercase-trailing-dot', ['uppercase', 'trailing-dot'], 'INSIDE.Example.NET.'),
  insideName('dns-port-22', ['port'], 'inside.example.net:22'),
  refusedClientId(
    'dns-idn-homoglyph',
    ['dns', 'idn'],
    `https://${IDN_INSIDE_NAME}/client.json`,
    BECAUSE.resolvesInside,
    { dns: [IDN_INSIDE_ASCII] },
  ),
  refusedClientId(
    'hosts-file-private',
    ['hosts-file', 'private'],
    'https://hosts-inside.example.org/client.json',
    BECAUSE.resolvesInside,
  ),
  refusedClientId(
    'hosts-file-metadata',
    ['hosts-file', 'metadata'],
    'https://hosts-meta.example.org/client.json',
    BECAUSE.resolvesInside,
  ),
];

// client_id: the public document host redirects inside (never followed)

const redirectTargets = [
  [301, 'https://169.254.169.254/latest/meta-data/'],
  [302, 'https://10.0.0.1/client.json'],
  [303, 'https://inside.example.net/client.json'],
  [307, 'https://127.0.0.1/client.json'],
  [308, 'https://[::ffff:a9fe:a9fe]/client.json'],
  [302, 'http://169.254.169.254/latest/meta-data/'],
  [307, 'https://localhost/client.json'],
];

const redirects = redirectTargets.map(([status, location], index) => {
  const url = `https://hop.example.com/redirect-${status}-${index}.json`;
  return {
    id: `redirect-${status}-${index}`,
    tags: ['redirect', `redirect-${status}`],
    serve: [redirect(url, status, location)],
    steps: [{ do: 'authorize', clientId: url, expect: refusedPage(BECAUSE.redirectNotFollowed) }],
    fetched: [url],
  };
});

// Documents that point inside: jwks_uri, logo_uri, other URLs, redirect_uris

/** A private_key_jwt document whose jwks_uri the linter refuses (an IP literal or special name). */
function jwksLintRefused(id, tags, jwksUri) {
  const url = `https://keys.example.com/${id}.json`;
  return {
    id,
    tags: ['jwks_uri', 'document', ...tags],
    serve: [keyed(url, jwksUri)],
    steps: [
      { do: 'authorize', clientId: url, expect: refusedPage(BECAUSE.jwksUriLint) },
      { do: 'token', clientId: url, expect: invalidClient(BECAUSE.jwksUriLint) },
    ],
    fetched: [url],
  };
}

/** A private_key_jwt document accepted (public-looking jwks_uri) whose keys cannot be fetched. */
function jwksFetchRefused(id, tags, jwksUri, extra = {}) {
  const url = `https://keys.example.com/${id}.json`;
  return {
    id,
    tags: ['jwks_uri', 'document', ...tags],
    serve: [keyed(url, jwksUri), ...(extra.serve ?? [])],
    steps: [
      { do: 'authorize', clientId: url, expect: CONSENT },
      { do: 'token', clientId: url, expect: invalidClient(BECAUSE.keysNotFetched) },
    ],
    fetched: [url, ...(extra.fetched ?? [])],
    ...(extra.dns === undefined ? {} : { dns: extra.dns }),
  };
}

/** A trusted client (`logo.example.com`) whose logo_uri points inside: consent without a logo. */
function logoInside(id, tags, logoUri, extra = {}) {
  const url = `https://logo.example.com/${id}.json`;
  return {
    id,
    tags: ['logo_uri', 'document', ...tags],
    serve: [served(url, { logo_uri: logoUri }), ...(extra.serve ?? [])],
    steps: [
      { do: 'authorize', clientId: url, expect: CONSENT },
      { do: 'logo', url: logoUri, expect: { status: 404 } },
    ],
    fetched: [url, ...(extra.fetched ?? [])],
    ...(extra.dns === undefined ? {} : { dns: extra.dns }),
  };
}

const documents = [
  jwksLintRefused('jwks-metadata', ['metadata'], 'https://169.254.169.254/jwks.json'),
  jwksLintRefused('jwks-private-port', ['private', 'port'], 'https://10.0.0.1:8443/jwks.json'),
  jwksLintRefused('jwks-mapped', ['ipv4-mapped'], 'https://[::ffff:a9fe:a9fe]/jwks.json'),
  jwksLintRefused('jwks-decimal', ['decimal'], 'https://2130706433/jwks.json'),
  jwksLintRefused('jwks-localhost', ['localhost'], 'https://localhost/jwks.json'),
  jwksLintRefused('jwks-internal', ['internal', 'metadata'], 'https://metadata.google.internal/jwks.json'),
  jwksLintRefused('jwks-userinfo', ['userinfo'], 'https://keys.example.com@10.0.0.1/jwks.json'),
  jwksFetchRefused('jwks-dns-private', ['dns'], 'https://keys-inside.example.net/jwks.json', {
    dns: ['keys-inside.example.net'],
  }),
  jwksFetchRefused('jwks-dns-metadata', ['dns', 'metadata'], 'https://keys-meta.example.net/jwks.json', {
    dns: ['keys-meta.example.net'],
  }),
  jwksFetchRefused('jwks-dns-rebinding', ['dns', 'rebinding'], 'https://keys-rebind.example.net/jwks.json', {
    dns: ['keys-rebind.example.net'],
  }),
  jwksFetchRefused('jwks-redirect', ['redirect'], 'https://keys.example.com/jwks-redirect', {
    serve: [redirect('https://keys.example.com/jwks-redirect', 302, 'https://169.254.169.254/jwks.json')],
    fetched: ['https://keys.example.com/jwks-redirect'],
  }),
  logoInside('logo-metadata', ['metadata'], 'https://169.254.169.254/logo.png'),
  logoInside('logo-private-port', ['private', 'port'], 'https://10.0.0.1:8080/logo.png'),
  logoInside('logo-loopback-v6', ['loopback', 'ipv6'], 'https://[::1]/logo.png'),
  logoInside('logo-hex', ['hex'], 'https://0x7f000001/logo.png'),
  logoInside('logo-localhost', ['localhost'], 'https://localhost/logo.png'),
  logoInside('logo-http-metadata', ['http', 'metadata'], 'http://169.254.169.254/logo.png'),
  logoInside('logo-dns-private', ['dns'], 'https://logo-inside.example.net/logo.png', {
    dns: ['logo-inside.example.net'],
  }),
  logoInside('logo-dns-mapped', ['dns', 'ipv4-mapped'], 'https://logo-mapped.example.net/logo.png', {
    dns: ['logo-mapped.example.net'],
  }),
  logoInside('logo-redirect', ['redirect'], 'https://pics.example.com/logo-redirect.png', {
    serve: [redirect('https://pics.example.com/logo-redirect.png', 302, 'https://169.254.169.254/logo.png')],
    fetched: ['https://pics.example.com/logo-redirect.png'],
  }),
  {
    id: 'document-display-urls-inside',
    tags: ['document', 'client_uri'],
    serve: [
      served('https://docs.example.com/display-urls.json', {
        client_uri: 'https://169.254.169.254/',
        tos_uri: 'https://10.0.0.1/tos',
        policy_uri: 'https://inside.example.net/policy',
      }),
    ],
    steps: [{ do: 'authorize', clientId: 'https://docs.example.com/display-urls.json', expect: CONSENT }],
    fetched: ['https://docs.example.com/display-urls.json'],
  },
  {
    id: 'document-redirect-uri-inside',
    tags: ['document', 'redirect_uris'],
    serve: [
      served('https://docs.example.com/redirect-uri-inside.json', {
        redirect_uris: ['https://169.254.169.254/callback'],
      }),
    ],
    steps: [
      {
        do: 'authorize',
        clientId: 'https://docs.example.com/redirect-uri-inside.json',
        redirectUri: 'https://169.254.169.254/callback',
        expect: CONSENT,
      },
    ],
    fetched: ['https://docs.example.com/redirect-uri-inside.json'],
  },
];

// Dynamic Client Registration with inside URIs

const registration = (members) => ({
  client_name: 'SSRF corpus registration',
  redirect_uris: [REGISTERED_REDIRECT],
  application_type: 'native',
  ...members,
});
const keyedRegistration = (jwksUri) =>
  registration({
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks_uri: jwksUri,
  });
const REGISTERED = { status: 201 };
const BAD_METADATA = { status: 400, error: 'invalid_client_metadata', because: BECAUSE.registrationLint };

const registrations = [
  {
    id: 'register-jwks-metadata',
    tags: ['register', 'jwks_uri', 'metadata'],
    steps: [
      {
        do: 'register',
        metadata: keyedRegistration('https://169.254.169.254/jwks.json'),
        expect: BAD_METADATA,
      },
    ],
  },
  {
    id: 'register-jwks-hex',
    tags: ['register', 'jwks_uri', 'hex'],
    steps: [
      { do: 'register', metadata: keyedRegistration('https://0x7f000001/jwks.json'), expect: BAD_METADATA },
    ],
  },
  {
    id: 'register-jwks-ula',
    tags: ['register', 'jwks_uri', 'ula'],
    steps: [
      { do: 'register', metadata: keyedRegistration('https://[fd00::1]/jwks.json'), expect: BAD_METADATA },
    ],
  },
  {
    id: 'register-jwks-userinfo',
    tags: ['register', 'jwks_uri', 'userinfo'],
    steps: [
      {
        do: 'register',
        metadata: keyedRegistration('https://public.example.com@10.0.0.1/jwks'),
        expect: BAD_METADATA,
      },
    ],
  },
  {
    id: 'register-jwks-dns-metadata',
    tags: ['register', 'jwks_uri', 'dns', 'metadata'],
    steps: [
      {
        do: 'register',
        metadata: keyedRegistration('https://dcr-keys-inside.example.net/jwks.json'),
        expect: REGISTERED,
      },
      { do: 'token', clientId: '$registered', expect: invalidClient(BECAUSE.keysNotFetched) },
    ],
    dns: ['dcr-keys-inside.example.net'],
  },
  {
    id: 'register-jwks-redirect',
    tags: ['register', 'jwks_uri', 'redirect'],
    serve: [redirect('https://dcr.example.com/jwks-redirect', 307, 'https://10.0.0.1/jwks.json')],
    steps: [
      {
        do: 'register',
        metadata: keyedRegistration('https://dcr.example.com/jwks-redirect'),
        expect: REGISTERED,
      },
      { do: 'token', clientId: '$registered', expect: invalidClient(BECAUSE.keysNotFetched) },
    ],
    fetched: ['https://dcr.example.com/jwks-redirect'],
  },
  {
    id: 'register-logo-metadata',
    tags: ['register', 'logo_uri', 'metadata'],
    steps: [
      {
        do: 'register',
        metadata: registration({ logo_uri: 'https://169.254.169.254/logo.png' }),
        expect: REGISTERED,
      },
      { do: 'authorize', clientId: '$registered', expect: CONSENT },
    ],
  },
  {
    id: 'register-display-urls-inside',
    tags: ['register', 'client_uri'],
    steps: [
      {
        do: 'register',
        metadata: registration({
          client_uri: 'https://10.0.0.1/',
          tos_uri: 'https://inside.example.net/tos',
          policy_uri: 'https://[::1]/policy',
          logo_uri: 'https://meta.example.net/logo.png',
        }),
        expect: REGISTERED,
      },
      { do: 'authorize', clientId: '$registered', expect: CONSENT },
    ],
  },
  {
    id: 'register-redirect-uri-inside-https',
    tags: ['register', 'redirect_uris'],
    steps: [
      {
        do: 'register',
        metadata: registration({ redirect_uris: ['https://10.0.0.1/callback'] }),
        expect: REGISTERED,
      },
      { do: 'authorize', clientId: '$registered', redirectUri: 'https://10.0.0.1/callback', expect: CONSENT },
    ],
  },
  {
    id: 'register-redirect-uri-inside-http',
    tags: ['register', 'redirect_uris', 'http', 'metadata'],
    steps: [
      {
        do: 'register',
        metadata: registration({ redirect_uris: ['http://169.254.169.254/callback'] }),
        expect: { status: 400, error: 'invalid_redirect_uri', because: 'CIMD-DOC-10 at \\$\\.redirect_uris' },
      },
    ],
  },
  {
    id: 'register-unsupported-uris-inside',
    tags: ['register'],
    steps: [
      {
        do: 'register',
        metadata: registration({
          sector_identifier_uri: 'https://169.254.169.254/sector',
          request_uris: ['https://10.0.0.1/request'],
          initiate_login_uri: 'https://127.0.0.1/login',
          backchannel_logout_uri: 'https://[::1]/logout',
        }),
        expect: REGISTERED,
      },
    ],
  },
];

// Token, revocation and authorization parameters naming inside URLs

const tokenCases = [
  {
    id: 'token-client-id-metadata',
    tags: ['token', 'metadata'],
    steps: [
      {
        do: 'token',
        clientId: 'https://169.254.169.254/client.json',
        assertion: false,
        expect: invalidClient(BECAUSE.ipLiteral),
      },
    ],
  },
  {
    id: 'token-assertion-iss-inside',
    tags: ['token', 'dns'],
    steps: [
      {
        do: 'token',
        clientId: 'https://iss-inside.example.net/client.json',
        sendClientId: false,
        expect: invalidClient(BECAUSE.resolvesInside),
      },
    ],
    dns: ['iss-inside.example.net'],
  },
  {
    id: 'token-jku-x5u-inside',
    tags: ['token', 'jwks_uri'],
    serve: [
      served('https://keys.example.com/inline-keys.json', {
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: '$jwks',
      }),
    ],
    steps: [
      {
        do: 'token',
        clientId: 'https://keys.example.com/inline-keys.json',
        header: { jku: 'https://169.254.169.254/jwks.json', x5u: 'https://10.0.0.1/cert.pem' },
        // The assertion verifies with the inline keys; only the made-up code is wrong.
        expect: { status: 400, error: 'invalid_grant' },
      },
    ],
    fetched: ['https://keys.example.com/inline-keys.json'],
  },
  {
    id: 'revoke-client-id-private',
    tags: ['revoke', 'private'],
    steps: [
      { do: 'revoke', clientId: 'https://10.0.0.1/client.json', expect: invalidClient(BECAUSE.ipLiteral) },
    ],
  },
  {
    id: 'authorize-request-uri-inside',
    tags: ['authorize-params', 'metadata'],
    serve: [served('https://docs.example.com/request-uri.json')],
    steps: [
      {
        do: 'authorize',
        clientId: 'https://docs.example.com/request-uri.json',
        params: { request_uri: 'https://169.254.169.254/request.jwt' },
        // Refused by redirect (client and redirect URI are valid), never fetched.
        expect: {
          status: 303,
          because: 'error=invalid_request&error_description=request\\+objects\\+are\\+not\\+supported',
        },
      },
    ],
  },
  {
    id: 'authorize-resource-inside',
    tags: ['authorize-params', 'metadata'],
    serve: [served('https://docs.example.com/resource-inside.json')],
    steps: [
      {
        do: 'authorize',
        clientId: 'https://docs.example.com/resource-inside.json',
        params: { resource: 'https://169.254.169.254/mcp' },
        expect: { status: 303, because: 'error=invalid_target' },
      },
    ],
  },
  {
    id: 'self-server-port',
    tags: ['loopback', 'self'],
    steps: [
      {
        do: 'authorize',
        clientId: 'https://127.0.0.1:$serverPort/client.json',
        expect: refusedPage(BECAUSE.ipLiteral),
      },
    ],
  },
];

// Controls: legitimate requests on the same set-up must succeed.

const controls = [
  {
    id: 'control-public-document',
    tags: ['control'],
    serve: [served('https://docs.example.com/control.json')],
    steps: [{ do: 'authorize', clientId: 'https://docs.example.com/control.json', expect: CONSENT }],
    fetched: ['https://docs.example.com/control.json'],
    dns: ['docs.example.com'],
  },
  {
    id: 'control-trusted-logo',
    tags: ['control'],
    serve: [
      served('https://logo.example.com/control.json', { logo_uri: 'https://pics.example.com/logo.png' }),
      { url: 'https://pics.example.com/logo.png', png: true },
    ],
    steps: [
      {
        do: 'authorize',
        clientId: 'https://logo.example.com/control.json',
        expect: { status: 200, page: 'consent', logo: true },
      },
      { do: 'logo', url: 'https://pics.example.com/logo.png', expect: { status: 200 } },
    ],
    fetched: ['https://logo.example.com/control.json', 'https://pics.example.com/logo.png'],
  },
  {
    id: 'control-jwks-uri',
    tags: ['control'],
    serve: [
      keyed('https://keys.example.com/control.json', 'https://keys.example.com/control-jwks.json'),
      { url: 'https://keys.example.com/control-jwks.json', jwks: true },
    ],
    steps: [
      {
        do: 'token',
        clientId: 'https://keys.example.com/control.json',
        expect: { status: 400, error: 'invalid_grant' },
      },
    ],
    fetched: ['https://keys.example.com/control.json', 'https://keys.example.com/control-jwks.json'],
  },
];

/**
 * Cases played a second time against `cimd serve --allow-private-network`, which may fetch inside:
 * each must then reach the canary, proof that the canary would have seen a hole (a literal, a name
 * resolved inside, a logo, a `jwks_uri` of a document and of a registration, IPv6, port 22).
 */
export const SENSITIVITY_PROBES = [
  'private-10',
  'metadata-path',
  'ula',
  'port-22',
  'dns-private',
  'dns-mapped-metadata',
  'dns-nat64',
  'logo-metadata',
  'jwks-dns-private',
  'register-jwks-dns-metadata',
];

/** The corpus, controls first (a broken set-up shows at once). */
export const CASES = [
  ...controls,
  ...ipSpellings.map(([id, tags, clientId]) =>
    refusedClientId(id, ['ip-literal', ...tags], clientId, `${BECAUSE.ipLiteral}|is not a valid URL`),
  ),
  ...specialNames.map(([id, tags, clientId]) =>
    refusedClientId(id, ['special-name', ...tags], clientId, BECAUSE.specialName),
  ),
  ...parserTricks.map(([id, tags, clientId]) =>
    refusedClientId(id, ['parser', ...tags], clientId, BECAUSE.badClientIdUrl),
  ),
  ...portsAndSchemes.map(([id, tags, clientId]) =>
    refusedClientId(id, tags, clientId, `${BECAUSE.ipLiteral}|a client_id URL must use https`),
  ),
  ...dnsNames,
  ...redirects,
  ...documents,
  ...registrations,
  ...tokenCases,
];
