/**
 * Plays the SSRF corpus against the real `cimd serve` (the built bin), INSIDE a network and mount
 * namespace of its own: `corpus.test.ts` starts it as `unshare -n -m -- node runner.mjs`, and it
 * refuses to run anywhere else (it changes routes and bind-mounts resolver files).
 *
 * In the namespace:
 * - `lo` is up and EVERY IPv4 and IPv6 address is local (`ip route add local 0.0.0.0/0 dev lo`,
 *   `::/0` likewise): nothing leaves, and a connection to any address reaches a listener here;
 * - the canary (`canary.mjs`) listens on `::` (dual stack) on every port the corpus names and
 *   records each connection, except those to the public document host address on 443, which it
 *   hands to the HTTPS document host (certificates from a throwaway CA made with `openssl`,
 *   trusted by `cimd serve` through `NODE_EXTRA_CA_CERTS`);
 * - names resolve only through the test: `/etc/resolv.conf` (bind-mounted) names the DNS
 *   responder on 127.0.0.1:53 (`dns-responder.mjs`), `/etc/hosts` and `/etc/nsswitch.conf` are
 *   bind-mounted test files; the machine's resolver is never asked;
 * - `cimd serve` runs WITHOUT `--allow-private-network`, with `--trusted logo.example.com` so that
 *   logo fetches happen, and `--log-level debug` so that every request it answers is logged.
 *
 * The run: a self-test (the runner connects to a few inside addresses itself, and the canary
 * must log each), then every case in turn (each request with a deadline), then a sensitivity pass
 * (a few cases again, against a second `cimd serve` WITH `--allow-private-network`: each must
 * reach the canary, or the canary would be blind). At the end one line
 * `SSRF-CORPUS-REPORT <json>` goes to stdout: each case's requests with the expected and the
 * actual answers, the DNS names asked, the document-host URLs served and the server's log events
 * during it, the canary's connections (self-test and sensitivity apart), and a summary of what
 * the server logged. The whole run has a deadline too; `cimd serve` is killed on every way out.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startCanary } from './canary.mjs';
import {
  CASES,
  DNS_TABLE,
  HOSTS_FILE,
  PUBLIC_ADDRESS,
  REQUESTED_REDIRECT,
  SENSITIVITY_PROBES,
} from './corpus.mjs';
import { startDnsResponder } from './dns-responder.mjs';

const BIN = fileURLToPath(new URL('../../../dist/cli/cimd.cjs', import.meta.url));
const REPORT_MARKER = 'SSRF-CORPUS-REPORT ';
const RESOURCE = 'http://127.0.0.1:4001/mcp';
const STEP_TIMEOUT_MS = 15_000;
const RUN_TIMEOUT_MS = Number(process.env.SSRF_CORPUS_RUN_TIMEOUT_MS ?? 150_000);
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Connections the runner makes itself before the corpus: each must show in the canary's log. */
const CANARY_SELF_TEST = [
  ['10.0.0.1', 443],
  ['169.254.169.254', 80],
  ['127.0.0.2', 8080],
  ['fd00::1', 22],
  ['64:ff9b::a9fe:a9fe', 8443],
  ['::ffff:100.64.0.1', 6379],
];
/** A 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Every `cimd serve` started and still running: killed when this process exits, however it exits. */
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function fail(message) {
  process.stderr.write(`ssrf runner: ${message}\n`);
  process.exit(3);
}

/** Refuses to touch routes or mounts unless this process is in namespaces of its own. */
function assertIsolated() {
  const outerNet = process.env.SSRF_CORPUS_OUTER_NETNS;
  const outerMnt = process.env.SSRF_CORPUS_OUTER_MNTNS;
  if (outerNet === undefined || outerMnt === undefined) {
    fail('run me through corpus.test.ts (unshare -n -m), never directly');
  }
  if (readlinkSync('/proc/self/ns/net') === outerNet || readlinkSync('/proc/self/ns/mnt') === outerMnt) {
    fail('not in a network and mount namespace of my own; refusing to change routes or mounts');
  }
}

function run(command, args) {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    fail(`${command} ${args.join(' ')} failed: ${error.stderr?.toString() ?? error.message}`);
  }
}

/** Loopback up, every address local, resolver files replaced by the test's. */
function setUpNamespace(dir) {
  run('ip', ['link', 'set', 'lo', 'up']);
  run('ip', ['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo']);
  run('ip', ['-6', 'route', 'add', 'local', '::/0', 'dev', 'lo']);
  const files = {
    '/etc/resolv.conf': 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n',
    '/etc/hosts': HOSTS_FILE,
    '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
  };
  for (const [target, text] of Object.entries(files)) {
    const source = join(dir, target.replace(/^\/etc\//, ''));
    writeFileSync(source, text);
    run('mount', ['--bind', source, target]);
  }
}

/** A throwaway CA and a certificate for `*.example.com`, made with openssl in `dir`. */
function makeCertificates(dir) {
  const openssl = (args) => run('openssl', args);
  const at = (name) => join(dir, name);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('ca.key')]);
  const subject = ['-subj', '/CN=SSRF corpus test CA'];
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    at('ca.key'),
    '-sha256',
    '-days',
    '1',
    ...subject,
    '-out',
    at('ca.crt'),
  ]);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('host.key')]);
  openssl(['req', '-new', '-key', at('host.key'), '-subj', '/CN=docs.example.com', '-out', at('host.csr')]);
  writeFileSync(
    at('host.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:*.example.com\n',
  );
  const signedBy = ['-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial'];
  const extensions = ['-extfile', at('host.ext')];
  openssl([
    'x509',
    '-req',
    '-in',
    at('host.csr'),
    ...signedBy,
    '-days',
    '1',
    '-sha256',
    ...extensions,
    '-out',
    at('host.crt'),
  ]);
  return { caPath: at('ca.crt'), cert: at('host.crt'), key: at('host.key') };
}

/** Every port the corpus names in a URL, plus 80, 443 and the self-test's. */
function corpusPorts() {
  const ports = new Set([80, 443, ...CANARY_SELF_TEST.map(([, port]) => port)]);
  const text = JSON.stringify(CASES);
  for (const match of text.matchAll(/(?:[a-z0-9.\]]):(\d{1,5})(?=[/"?#\\])/gi)) {
    const port = Number(match[1]);
    if (port > 0 && port < 65536) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

function base64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

/** Starts `cimd serve` and resolves once it logs `listening`. */
function startServe(caPath, lines, extraArgs = []) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(CIMD_|PORT$|HOST$|DATABASE_URL$|REDIS_URL$|LOG_LEVEL$|SSRF_CORPUS_|NODE_OPTIONS$)/.test(name))
      continue;
    if (/_proxy$/i.test(name)) continue;
    env[name] = value;
  }
  Object.assign(env, { NO_COLOR: '1', NODE_EXTRA_CA_CERTS: caPath });
  const args = [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--store', 'memory'].concat(
    ['--resource', RESOURCE, '--trusted', 'logo.example.com', '--log-level', 'debug'],
    extraArgs,
  );
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  let buffer = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cimd serve did not listen; stderr: ${stderr}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const part of parts) {
        if (part.trim() === '') continue;
        let line;
        try {
          line = JSON.parse(part);
        } catch {
          line = { level: 'unparsed', msg: part };
        }
        lines.push(line);
        if (line.msg === 'listening') {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cimd serve exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  const stop = async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, listening, exited, stop, stderr: () => stderr };
}

function unescapeHtml(text) {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** What an answer was: status, OAuth error, which page, whether a proxied logo shows, redirect target. */
async function outcomeOf(response) {
  const text = await response.text();
  const outcome = { status: response.status };
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = JSON.parse(text);
      if (typeof body.error === 'string') outcome.error = body.error;
      if (typeof body.client_id === 'string') outcome.clientId = body.client_id;
      if (typeof body.error_description === 'string') outcome.description = body.error_description;
    } catch {}
  } else if (type.includes('html')) {
    const code = /Error code: <code>([^<]+)<\/code>/.exec(text);
    if (code !== null) {
      outcome.page = 'error';
      outcome.error = code[1];
      const description = /<div class="error"[^>]*>\s*<p>([\s\S]*?)<\/p>/.exec(text);
      if (description !== null) outcome.description = unescapeHtml(description[1]);
    } else if (/<form[^>]*action=/.test(text)) {
      outcome.page = 'consent';
      outcome.logo = /\/logo\/[A-Za-z0-9_-]{43}/.test(text);
    }
  }
  const location = response.headers.get('location');
  if (location !== null) outcome.location = location;
  return outcome;
}

/** The public document host: an `https` server (not listening: the canary hands it connections). */
async function createDocumentHost(tls, currentCase) {
  const routes = new Map();
  const served = [];
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = 'ssrf-corpus-key';
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const https = createHttpsServer(
    { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
    (req, res) => {
      const url = `https://${req.headers.host ?? ''}${req.url ?? '/'}`;
      served.push({ case: currentCase(), url });
      const route = routes.get(url);
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      } else if (route.redirect !== undefined) {
        res.writeHead(route.redirect.status, { location: route.redirect.location }).end();
      } else if (route.png === true) {
        res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=60' }).end(PNG);
      } else {
        const body = route.jwks === true ? jwks : { client_id: route.url, ...route.doc };
        if (body.jwks === '$jwks') body.jwks = jwks;
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
        res.end(JSON.stringify(body));
      }
    },
  );
  return { https, routes, served, keys: { privateKey, kid } };
}

/** The requests a case's steps make to the server at `listening`; `sent` counts them. */
function createClient(listening, keys) {
  const base = listening.url;
  const serverPort = new URL(base).port;
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const client = { sent: 0, serverPort };
  const request = (path, init = {}) => {
    client.sent += 1;
    return fetch(`${base}${path}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
      ...init,
    });
  };
  const form = (params) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const assertionFor = (clientId, header = {}) =>
    new SignJWT({ jti: base64url(randomBytes(16)) })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'client-authentication+jwt', ...header })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(listening.issuer)
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(keys.privateKey);
  client.steps = {
    authorize: (step, clientId) =>
      request(
        `/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: step.redirectUri ?? REQUESTED_REDIRECT,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: 'ssrf-corpus',
          ...step.params,
        })}`,
      ),
    register: (step) =>
      request('/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(step.metadata),
      }),
    token: async (step, clientId) => {
      const params = {
        grant_type: 'authorization_code',
        code: 'ssrf-corpus-made-up-code',
        redirect_uri: REQUESTED_REDIRECT,
        code_verifier: verifier,
      };
      if (step.sendClientId !== false) params.client_id = clientId;
      if (step.assertion !== false) {
        params.client_assertion_type = CLIENT_ASSERTION_TYPE;
        params.client_assertion = await assertionFor(clientId, step.header);
      }
      return request('/token', form(params));
    },
    revoke: (_step, clientId) =>
      request('/revoke', form({ token: 'ssrf-corpus-token', client_id: clientId })),
    logo: (step) => request(`/logo/${base64url(createHash('sha256').update(step.url).digest())}`),
  };
  return client;
}

/** Plays one case's steps with `client`; returns its report entry. */
async function playCase(testCase, { client, dns, host, lines }) {
  const started = Date.now();
  const dnsBefore = dns.queries.length;
  const servedBefore = host.served.length;
  const linesBefore = lines.length;
  for (const route of testCase.serve ?? []) host.routes.set(route.url, route);
  let registered;
  const results = [];
  for (const step of testCase.steps) {
    const named = step.clientId === '$registered' ? registered : step.clientId;
    const clientId = named?.replace('$serverPort', client.serverPort);
    const result = { do: step.do, expect: step.expect };
    if (clientId !== undefined) result.clientId = clientId;
    try {
      result.actual = await outcomeOf(await client.steps[step.do](step, clientId ?? ''));
    } catch (error) {
      result.actual = { status: 0, failure: `${error.name}: ${error.message}` };
    }
    results.push(result);
    if (step.do === 'register') registered = result.actual.clientId;
  }
  return {
    id: testCase.id,
    tags: testCase.tags,
    steps: results,
    dns: {
      expected: testCase.dns ?? [],
      asked: dns.queries.slice(dnsBefore).map((query) => `${query.name} ${query.type}`),
    },
    fetched: {
      expected: testCase.fetched ?? [],
      served: host.served.slice(servedBefore).map((entry) => entry.url),
    },
    logged: lines
      .slice(linesBefore)
      .filter((line) => line.event !== 'request')
      .map(({ level, event, reason, error, msg }) => ({ level, event, reason, error, msg })),
    ms: Date.now() - started,
  };
}

/** Connects to `host`:`port` and closes; resolves either way. */
function touch(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('connect', () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

/** What `cimd serve` logged, summed up for the report. */
function serverSummary(lines, client) {
  const requests = lines.filter((line) => line.event === 'request');
  return {
    sent: client.sent,
    logged: requests.length,
    foreignRequests: requests.filter((line) => !['127.0.0.1', '::ffff:127.0.0.1'].includes(line.client)),
    errorLines: lines.filter((line) => ['error', 'fatal', 'unparsed'].includes(line.level)),
    warnings: lines.filter((line) => line.level === 'warn').map((line) => line.msg),
  };
}

async function main() {
  assertIsolated();
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'cimd-ssrf-corpus-'));
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  const report = {
    cases: [],
    canary: [],
    publicConnections: [],
    selfTest: { probes: [], seen: [] },
    sensitivity: { probes: [], hits: [] },
    server: {},
    dns: {},
    aborted: false,
  };
  let current = 'setup';
  let canary;
  const printReport = () => {
    report.durationMs = Date.now() - started;
    if (canary !== undefined) {
      const during = (prefix) => canary.hits.filter((hit) => hit.case.startsWith(prefix));
      report.canary = canary.hits.filter((hit) => !/^(self-test|sensitivity):/.test(hit.case));
      report.selfTest.seen = during('self-test:');
      report.sensitivity.hits = during('sensitivity:');
      report.publicConnections = canary.publicConnections;
    }
    process.stdout.write(`${REPORT_MARKER}${JSON.stringify(report)}\n`);
  };
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {}
    }
  };
  const deadline = setTimeout(() => {
    gaveUp = true;
    report.aborted = true;
    report.abortedIn = current;
    printReport();
    cleanUp().finally(() => process.exit(1));
  }, RUN_TIMEOUT_MS);

  setUpNamespace(dir);
  const tls = makeCertificates(dir);
  const dns = await startDnsResponder(DNS_TABLE);
  cleanups.push(() => dns.close());
  const host = await createDocumentHost(tls, () => current);
  const ports = corpusPorts();
  canary = await startCanary({
    ports,
    publicAddress: PUBLIC_ADDRESS,
    https: host.https,
    currentCase: () => current,
  });
  cleanups.push(() => canary.close());
  report.canaryPorts = ports;

  // Self-test: the canary sees a connection to an inside address on each kind of listener.
  report.selfTest.probes = CANARY_SELF_TEST.map(([address, port]) => `${address} ${port}`);
  for (const [address, port] of CANARY_SELF_TEST) {
    current = `self-test:${address} ${port}`;
    await touch(address, port);
  }

  // The corpus, against cimd serve as deployed (no --allow-private-network).
  const lines = [];
  const serve = startServe(tls.caPath, lines);
  cleanups.push(() => serve.stop());
  const listening = await serve.listening;
  const client = createClient(listening, host.keys);
  report.server.port = Number(client.serverPort);
  for (const testCase of CASES) {
    current = testCase.id;
    report.cases.push(await playCase(testCase, { client, dns, host, lines }));
  }
  current = 'teardown';
  // Late connections (a fetch that outlived its request) still land in the canary's log.
  await new Promise((resolve) => setTimeout(resolve, 500));
  Object.assign(report.server, serverSummary(lines, client));
  report.dns.queries = dns.queries.length;
  report.server.exit = await serve.stop();
  report.server.stderr = serve.stderr();

  // Sensitivity: the same cases against a server that MAY fetch inside (--allow-private-network)
  // must reach the canary, or the canary is blind and the 0 above proves nothing.
  const openLines = [];
  const open = startServe(tls.caPath, openLines, ['--allow-private-network']);
  cleanups.push(() => open.stop());
  const openClient = createClient(await open.listening, host.keys);
  report.sensitivity.probes = SENSITIVITY_PROBES;
  for (const id of SENSITIVITY_PROBES) {
    const testCase = CASES.find((entry) => entry.id === id);
    if (testCase === undefined) throw new Error(`no case ${id} for the sensitivity probe`);
    current = `sensitivity:${id}`;
    await playCase(testCase, { client: openClient, dns, host, lines: openLines });
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  current = 'teardown';

  clearTimeout(deadline);
  await cleanUp();
  printReport();
}

let gaveUp = false;
main().catch((error) => {
  if (gaveUp) return; // the deadline reported and exits; this is the fallout of its clean-up
  process.stderr.write(`ssrf runner failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
