/**
 * `startDemo`: everything `npm start` runs, on loopback, with nothing to set up.
 *
 * - two CIMD client documents and a JWK Set on a local HTTPS host, with a throwaway CA (made with
 *   `openssl`), so they are validated exactly as published documents are; the agent's key set
 *   is written to a temporary file for `cimd connect --key`;
 * - the authorization server (the same code path as `cimd serve`), in memory by default, with
 *   the development login and `allowPrivateNetwork` on (loudly logged: the documents live on
 *   this machine) and the demo CA trusted for document and key fetches (besides Node's roots and
 *   `NODE_EXTRA_CA_CERTS`);
 * - a demo MCP server from the MCP SDK, protected by our bearer middleware and publishing its
 *   protected-resource metadata;
 * - a demo client web app that drives a client through `/authorize`, `/token` and a tool call;
 * - with `upstreamDemo` (`--upstream-demo`), a local OpenID provider the authorization server signs
 *   users in at (the OAuth proxy flow), and an `upstream_whoami` tool that calls the provider's
 *   userinfo endpoint with the user's upstream access token.
 *
 * Ports: the authorization server on `port` (default 4000), the MCP server on `port + 1`, the
 * demo client on `port + 2`, the document host on `port + 3`, the upstream demo's OpenID provider
 * on `port + 4`; with `port: 0` every one is free.
 *
 * @module
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSafeFetcher } from '../fetch/safe-fetch.js';
import { saveKeySet } from '../keys/file.js';
import type { ServeConfig } from '../serve/config/resolve.js';
import { StartupError } from '../serve/errors.js';
import { type Listener, listen } from '../serve/listen.js';
import { type RunningAuthorizationServer, startAuthorizationServer } from '../serve/start.js';
import { isLoopbackHostname } from '../server/http/loopback.js';
import { type Logger, silentLogger } from '../server/logger.js';
import { protectedResourceMetadataUrl } from '../server/resource/protected-resource-metadata.js';
import { createTestCa, type TestCa } from '../testing/test-ca.js';
import { AuthorizationRequests } from './authorization-requests.js';
import { createDemoClientApp } from './client-app.js';
import { createDemoDocuments, type DemoClient, type DemoClientName } from './documents.js';
import { createDemoMcpApp } from './mcp-server.js';
import { demoServeConfig } from './serve-config.js';
import { UPSTREAM_WHOAMI_TOOL } from './tools.js';
import { type DemoUpstream, startDemoUpstream } from './upstream.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The authorization server's port; the others follow it (see the module). Default 4000; 0 picks free ports. */
  port?: number;
  /** A loopback address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** `memory` (default) or `sqlite` (a temporary file, deleted on close). */
  store?: 'memory' | 'sqlite';
  /** Receives the logs (use `createLogger`). Default: silent. */
  logger?: Logger;
  /**
   * The MCP SDK major of the demo MCP server: `1` (`@modelcontextprotocol/sdk`) or `2`
   * (`@modelcontextprotocol/server`, the stateless 2026-07-28 lifecycle). Default `1`.
   */
  mcpSdk?: 1 | 2;
  /**
   * The authorization server's configuration (the demo's entry loads it as `cimd serve` does,
   * for `npm start` and `cimd serve --demo`); its host and port are used, the demo MCP server
   * is added to its resources, and `allowPrivateNetwork` is turned on. Default: the demo's own
   * (see `demoServeConfig`).
   */
  config?: ServeConfig;
  /** Without `config`: sign in through the demo's own OpenID provider. Default `false`. */
  upstreamDemo?: boolean;
  /**
   * Tells a person what to do outside the demo: with a real upstream provider (`--upstream`), the
   * redirect URI to register there. Default: nothing.
   */
  say?: (line: string) => void;
}

/** The demo's URLs. */
export interface DemoUrls {
  /** The issuer. */
  issuer: string;
  /** The authorization server's metadata (RFC 8414). */
  metadata: string;
  /** The demo MCP server (its resource identifier). */
  mcp: string;
  /** The MCP server's protected-resource metadata (RFC 9728). */
  protectedResourceMetadata: string;
  /** The demo client's start page. */
  client: string;
  /** Where the demo client receives authorization responses. */
  callback: string;
  /** The public client's document (its `client_id`). */
  publicDocument: string;
  /** The private_key_jwt client's document (its `client_id`). */
  agentDocument: string;
  /** The agent's public JWK Set. */
  jwks: string;
  /** With `--upstream-demo`: the local OpenID provider's issuer. */
  upstream?: string;
}

/** A running demo. */
export interface Demo {
  readonly urls: DemoUrls;
  readonly clients: Readonly<Record<DemoClientName, DemoClient>>;
  /** The demo CA certificate (PEM) and its file (for `NODE_EXTRA_CA_CERTS`). */
  readonly ca: { readonly cert: string; readonly path: string };
  /**
   * The file holding the `private_key_jwt` agent's key set (mode 0600, removed on close), for
   * `cimd connect --key`: the key its `jwks_uri` publishes.
   */
  readonly agentKeySetPath: string;
  readonly authorizationServer: RunningAuthorizationServer;
  /** With `--upstream-demo`: the local OpenID provider and the account to sign in as. */
  readonly upstream: DemoUpstream | undefined;
  /** Starts an authorization request for a demo client; returns the `/authorize` URL to open. */
  authorize(client: DemoClientName): string;
  /** Stops every server and removes the temporary files. */
  close(): Promise<void>;
}

function nextPort(base: number, offset: number): number {
  if (base === 0) return 0;
  const port = base + offset;
  if (port > 65_535)
    throw new StartupError(`port ${base} leaves no room for the demo's other servers (up to +4)`);
  return port;
}

function createCa(): TestCa {
  try {
    return createTestCa();
  } catch (error) {
    throw new StartupError(
      `the demo serves its client documents over https with a throwaway CA made with openssl, which failed: ${(error as Error).message}`,
    );
  }
}

/**
 * What the authorization server trusts when it fetches documents and keys: the demo CA, and the
 * certificates of `NODE_EXTRA_CA_CERTS` (a `ca` option replaces Node's extra certificates), so a
 * document you host yourself with a private CA (`cimd host --tls-cert`) can sign in through the
 * demo too.
 */
async function trustedCas(demoCa: string, logger: Logger): Promise<string[]> {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra === undefined || extra === '') return [demoCa];
  try {
    const pem = await readFile(extra, 'utf8');
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return [demoCa, pem];
    logger.warn({ file: extra }, 'NODE_EXTRA_CA_CERTS holds no PEM certificate; only the demo CA is trusted');
  } catch (error) {
    logger.warn(
      { file: extra, err: (error as Error).message },
      'cannot read NODE_EXTRA_CA_CERTS; only the demo CA is trusted',
    );
  }
  return [demoCa];
}

/** Starts the demo. Rejects (closing whatever started) when a port is taken or `openssl` is missing. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const logger = options.logger ?? silentLogger;
  const host = options.config?.host ?? options.host ?? '127.0.0.1';
  const port = options.config?.port ?? options.port ?? 4000;
  if (!isLoopbackHostname(host))
    throw new StartupError(`the demo runs on loopback only; ${host} is not a loopback address`);
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const ca = createCa();
    closers.push(() => ca.dispose());
    const documentsHost: Listener = await listen({ host, port: nextPort(port, 3), tls: ca });
    closers.push(() => documentsHost.close(0));
    const documentsOrigin =
      host === '127.0.0.1' ? `https://localhost:${documentsHost.port}` : documentsHost.origin;
    const documents = await createDemoDocuments(documentsOrigin);
    documentsHost.setHandler(documents.app.fetch);
    const keysDir = await mkdtemp(join(tmpdir(), 'cimd-demo-keys-'));
    closers.push(() => rm(keysDir, { recursive: true, force: true }));
    const agentKeySetPath = join(keysDir, 'agent-keys.json');
    const agentKeySet = documents.clients.agent.keySet;
    if (agentKeySet === undefined) throw new StartupError('the demo agent has no key set');
    await saveKeySet(agentKeySetPath, agentKeySet);

    const mcpHost = await listen({ host, port: nextPort(port, 1) });
    closers.push(() => mcpHost.close(1000));
    const clientHost = await listen({ host, port: nextPort(port, 2) });
    closers.push(() => clientHost.close(1000));
    const mcpUrl = `${mcpHost.origin}/mcp`;

    let databaseDir: string | undefined;
    if (options.config === undefined && options.store === 'sqlite') {
      databaseDir = await mkdtemp(join(tmpdir(), 'cimd-demo-'));
      const dir = databaseDir;
      closers.push(() => rm(dir, { recursive: true, force: true }));
    }
    const upstreamDemo = options.config?.upstreamDemo ?? options.upstreamDemo ?? false;
    const config = demoServeConfig({ host, port, mcpUrl, base: options.config, databaseDir, upstreamDemo });
    const started: { upstream?: DemoUpstream } = {};
    const upstreamFor = async (issuer: string) => {
      const demoUpstream = await startDemoUpstream(issuer, host, nextPort(port, 4));
      closers.push(() => demoUpstream.idp.close());
      started.upstream = demoUpstream;
      return demoUpstream.config;
    };
    const as = await startAuthorizationServer(config, {
      logger,
      extraCa: await trustedCas(ca.caCert, logger),
      ...(upstreamDemo ? { upstreamFor } : {}),
      ...(options.say === undefined || upstreamDemo ? {} : { say: options.say }),
    });
    closers.push(() => as.close());
    const { upstream } = started;
    const upstreamTools =
      upstream !== undefined && as.upstream !== undefined
        ? { upstream: { reader: as.upstream, userinfoEndpoint: upstream.userinfoEndpoint } }
        : {};

    const documentFetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: ca.caCert });
    closers.push(() => documentFetcher.close());
    const { endpoints } = as.server.context;
    mcpHost.setHandler(
      createDemoMcpApp({
        resource: mcpUrl,
        issuer: as.issuer,
        jwksUri: endpoints.jwks.url,
        tools: { documentsOrigin, documentFetcher, ...upstreamTools },
        ...(options.mcpSdk === undefined ? {} : { sdk: options.mcpSdk }),
      }).fetch,
    );
    const callback = `${clientHost.origin}/callback`;
    const requests = new AuthorizationRequests({
      authorizationEndpoint: endpoints.authorization.url,
      resource: mcpUrl,
      redirectUri: callback,
    });
    clientHost.setHandler(
      createDemoClientApp({
        clients: documents.clients,
        requests,
        token: { issuer: as.issuer, url: endpoints.token.url, resource: mcpUrl },
        mcpUrl,
        ...(upstream === undefined ? {} : { upstreamTool: UPSTREAM_WHOAMI_TOOL }),
      }).fetch,
    );

    return {
      urls: {
        issuer: as.issuer,
        metadata: as.endpoints.metadata ?? `${as.issuer}/.well-known/oauth-authorization-server`,
        mcp: mcpUrl,
        protectedResourceMetadata: protectedResourceMetadataUrl(mcpUrl),
        client: `${clientHost.origin}/`,
        callback,
        publicDocument: documents.clients.public.clientId,
        agentDocument: documents.clients.agent.clientId,
        jwks: documents.jwksUri,
        ...(upstream === undefined ? {} : { upstream: upstream.idp.issuer }),
      },
      clients: documents.clients,
      ca: { cert: ca.caCert, path: ca.caCertPath },
      agentKeySetPath,
      authorizationServer: as,
      upstream,
      authorize: (name) => requests.start(documents.clients[name]).url,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
