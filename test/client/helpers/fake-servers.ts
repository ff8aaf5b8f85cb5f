/**
 * A minimal authorization server and MCP server on loopback for the client tests. The
 * authorization server is a small Express app written here (not our own server, which these
 * tests must not depend on): RFC 8414 metadata with a switchable CIMD flag, an authorization
 * endpoint that approves at once (302 with code, state and iss, each of which a test can spoil),
 * PKCE S256, a token endpoint that verifies `none`, secrets and `private_key_jwt` assertions, and
 * DCR. The MCP server is the SDK's `McpServer` over its Streamable HTTP transport, behind a bearer
 * check that answers 401 / 403 with `WWW-Authenticate` like the MCP spec says.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import express, { type Request, type Response } from 'express';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { z } from 'zod';
import { matchRedirectUri } from '../../../src/index.js';
import { handleStatelessSdk1 } from '../../helpers/mcp-sdk1.js';

export interface FakeAsOptions {
  /** Advertise `client_id_metadata_document_supported`. */
  cimd: boolean;
  /** The CIMD documents the server knows, by URL (it never fetches). */
  documents?: Record<string, Record<string, unknown>>;
  /** `token_endpoint_auth_methods_supported`. Default `['none']`. */
  authMethods?: string[];
  /** Advertise and send RFC 9207 `iss`. Default true. */
  issParameter?: boolean;
  /** What the callback carries as `iss`. Default `correct`. */
  callbackIss?: 'correct' | 'wrong' | 'omit';
  /** What the callback carries as `state`. Default `echo`. */
  callbackState?: 'echo' | 'wrong' | 'omit';
  /** Answer the authorization request with `error=access_denied`. */
  deny?: boolean;
  /** Offer DCR. Default true. */
  registration?: boolean;
  /** Issue refresh tokens. Default false. */
  refreshTokens?: boolean;
  /** Omit `code_challenge_methods_supported` from the metadata. */
  omitPkceMetadata?: boolean;
  /** Pre-registered clients. */
  clients?: RegisteredClient[];
  /** The scope granted for a requested one. Default: what was requested. */
  grantScope?: (requested: string) => string;
}

export interface TokenRecord {
  clientId: string;
  scope: string;
  resource: string | undefined;
}

export interface FakeAs {
  issuer: string;
  options: FakeAsOptions;
  authorizeRequests: URLSearchParams[];
  tokenRequests: Array<{ params: URLSearchParams; authorization: string | undefined }>;
  registrations: Array<Record<string, unknown>>;
  /** Verified client assertions (their decoded payloads and headers). */
  assertions: Array<{ header: Record<string, unknown>; payload: Record<string, unknown> }>;
  tokens: Map<string, TokenRecord>;
  close(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  resource: string | undefined;
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
}

async function listen(app: express.Express): Promise<{ server: Server; origin: string }> {
  const server = await new Promise<Server>((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function tokenError(res: Response, error: string, status = 400): void {
  res.status(status).json({ error, error_description: error });
}

/** Starts the fake authorization server. */
export async function startFakeAs(options: FakeAsOptions): Promise<FakeAs> {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());
  const codes = new Map<string, PendingCode>();
  const clients = new Map<string, RegisteredClient>(
    (options.clients ?? []).map((client) => [client.client_id, client]),
  );
  const documents = options.documents ?? {};
  const state: FakeAs = {
    issuer: '',
    options,
    authorizeRequests: [],
    tokenRequests: [],
    registrations: [],
    assertions: [],
    tokens: new Map(),
    close: async () => {},
  };
  const issParameter = options.issParameter ?? true;

  app.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.json({
      issuer: state.issuer,
      authorization_endpoint: `${state.issuer}/authorize`,
      token_endpoint: `${state.issuer}/token`,
      ...(options.registration === false ? {} : { registration_endpoint: `${state.issuer}/register` }),
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      ...(options.omitPkceMetadata ? {} : { code_challenge_methods_supported: ['S256'] }),
      token_endpoint_auth_methods_supported: options.authMethods ?? ['none'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'EdDSA'],
      authorization_response_iss_parameter_supported: issParameter,
      client_id_metadata_document_supported: options.cimd,
    });
  });

  const redirectUrisOf = (clientId: string): string[] | undefined => {
    const document = documents[clientId];
    if (document !== undefined && options.cimd) return document.redirect_uris as string[];
    return clients.get(clientId)?.redirect_uris;
  };

  app.get('/authorize', (req: Request, res: Response) => {
    const params = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
    state.authorizeRequests.push(params);
    const clientId = params.get('client_id') ?? '';
    const redirectUri = params.get('redirect_uri') ?? '';
    const registered = redirectUrisOf(clientId);
    if (registered === undefined || !matchRedirectUri(redirectUri, registered).ok) {
      res.status(400).type('text/plain').send('unknown client or redirect_uri');
      return;
    }
    if (params.get('code_challenge_method') !== 'S256' || !params.get('code_challenge')) {
      res.status(400).type('text/plain').send('PKCE S256 required');
      return;
    }
    const target = new URL(redirectUri);
    if (options.deny) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user said no');
    } else {
      const code = randomBytes(16).toString('hex');
      codes.set(code, {
        clientId,
        redirectUri,
        challenge: params.get('code_challenge') ?? '',
        scope: (options.grantScope ?? ((requested: string) => requested))(params.get('scope') ?? ''),
        resource: params.get('resource') ?? undefined,
      });
      target.searchParams.set('code', code);
    }
    const sentState = params.get('state') ?? '';
    if (options.callbackState === 'wrong') target.searchParams.set('state', `${sentState}x`);
    else if (options.callbackState !== 'omit') target.searchParams.set('state', sentState);
    if (issParameter && options.callbackIss !== 'omit') {
      target.searchParams.set(
        'iss',
        options.callbackIss === 'wrong' ? 'https://evil.example.com' : state.issuer,
      );
    }
    res.redirect(302, target.href);
  });

  const authenticate = async (req: Request, params: URLSearchParams): Promise<string | undefined> => {
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const [id = '', secret = ''] = Buffer.from(authorization.slice(6), 'base64')
        .toString('utf8')
        .split(':');
      const client = clients.get(decodeURIComponent(id));
      return client?.client_secret !== undefined && client.client_secret === decodeURIComponent(secret)
        ? client.client_id
        : undefined;
    }
    const clientId = params.get('client_id') ?? '';
    const assertion = params.get('client_assertion');
    const document = options.cimd ? documents[clientId] : undefined;
    if (document !== undefined) {
      if (document.token_endpoint_auth_method !== 'private_key_jwt')
        return assertion === null ? clientId : undefined;
      if (assertion === null) return undefined;
      const keys = createLocalJWKSet(document.jwks as Parameters<typeof createLocalJWKSet>[0]);
      const { payload } = await jwtVerify(assertion, keys, {
        issuer: clientId,
        subject: clientId,
        audience: state.issuer,
        typ: 'client-authentication+jwt',
      });
      state.assertions.push({
        header: decodeProtectedHeader(assertion) as Record<string, unknown>,
        payload: payload as Record<string, unknown>,
      });
      return clientId;
    }
    const client = clients.get(clientId);
    if (client === undefined) return undefined;
    if (client.client_secret !== undefined) {
      return params.get('client_secret') === client.client_secret ? clientId : undefined;
    }
    return clientId;
  };

  const refreshTokens = new Map<string, TokenRecord>();
  const issue = (res: Response, record: TokenRecord): void => {
    const accessToken = randomBytes(16).toString('hex');
    state.tokens.set(accessToken, record);
    const refreshToken = options.refreshTokens ? randomBytes(16).toString('hex') : undefined;
    if (refreshToken !== undefined) refreshTokens.set(refreshToken, record);
    res.set('cache-control', 'no-store').json({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      ...(record.scope === '' ? {} : { scope: record.scope }),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    });
  };

  app.post('/token', async (req: Request, res: Response) => {
    const params = new URLSearchParams(req.body as Record<string, string>);
    state.tokenRequests.push({ params, authorization: req.headers.authorization });
    let clientId: string | undefined;
    try {
      clientId = await authenticate(req, params);
    } catch {
      clientId = undefined;
    }
    if (clientId === undefined) {
      tokenError(res, 'invalid_client', 401);
      return;
    }
    if (params.get('grant_type') === 'refresh_token') {
      const refreshed = refreshTokens.get(params.get('refresh_token') ?? '');
      if (refreshed === undefined || refreshed.clientId !== clientId) {
        tokenError(res, 'invalid_grant');
        return;
      }
      issue(res, refreshed);
      return;
    }
    const pending = codes.get(params.get('code') ?? '');
    codes.delete(params.get('code') ?? '');
    if (
      pending === undefined ||
      pending.clientId !== clientId ||
      pending.redirectUri !== params.get('redirect_uri') ||
      s256(params.get('code_verifier') ?? '') !== pending.challenge
    ) {
      tokenError(res, 'invalid_grant');
      return;
    }
    issue(res, { clientId, scope: pending.scope, resource: params.get('resource') ?? undefined });
  });

  app.post('/register', (req: Request, res: Response) => {
    if (options.registration === false) {
      res.status(404).end();
      return;
    }
    const body = req.body as Record<string, unknown>;
    state.registrations.push(body);
    const method =
      typeof body.token_endpoint_auth_method === 'string' ? body.token_endpoint_auth_method : 'none';
    const client: RegisteredClient = {
      client_id: `dcr-${randomBytes(6).toString('hex')}`,
      redirect_uris: (body.redirect_uris as string[]) ?? [],
      token_endpoint_auth_method: method,
      ...(method.startsWith('client_secret') ? { client_secret: randomBytes(12).toString('hex') } : {}),
    };
    clients.set(client.client_id, client);
    res.status(201).json({ ...body, ...client });
  });

  const { server, origin } = await listen(app);
  state.issuer = origin;
  state.close = () => closeServer(server);
  return state;
}

export interface FakeMcpOptions {
  as: FakeAs;
  /** `scopes_supported` of the protected resource metadata. */
  scopesSupported?: string[];
  /** The scope `tools/call` needs; a token without it gets 403 insufficient_scope. */
  callScope?: string;
}

export interface FakeMcp {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  /** The Authorization header of every MCP request, in order (undefined when absent). */
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

/** Starts the MCP server (one tool, `echo`) protected by tokens of `as`. */
export async function startFakeMcp(options: FakeMcpOptions): Promise<FakeMcp> {
  const app = express();
  app.use(express.json());
  const authorizations: Array<string | undefined> = [];
  let origin = '';

  app.get('/.well-known/oauth-protected-resource/mcp', (_req, res) => {
    res.json({
      resource: `${origin}/mcp`,
      authorization_servers: [options.as.issuer],
      ...(options.scopesSupported === undefined ? {} : { scopes_supported: options.scopesSupported }),
    });
  });

  app.all('/mcp', async (req: Request, res: Response) => {
    authorizations.push(req.headers.authorization);
    const metadata = `${origin}/.well-known/oauth-protected-resource/mcp`;
    const header = req.headers.authorization ?? '';
    const record = header.startsWith('Bearer ') ? options.as.tokens.get(header.slice(7)) : undefined;
    if (record === undefined || record.resource !== `${origin}/mcp`) {
      res
        .status(401)
        .set('WWW-Authenticate', `Bearer error="invalid_token", resource_metadata="${metadata}"`)
        .json({ error: 'invalid_token' });
      return;
    }
    const body = req.body as { method?: string } | undefined;
    if (
      options.callScope !== undefined &&
      body?.method === 'tools/call' &&
      !record.scope.split(' ').includes(options.callScope)
    ) {
      res
        .status(403)
        .set(
          'WWW-Authenticate',
          `Bearer error="insufficient_scope", scope="${options.callScope}", resource_metadata="${metadata}"`,
        )
        .json({ error: 'insufficient_scope' });
      return;
    }
    if (req.method !== 'POST') {
      res.status(405).end();
      return;
    }
    const server = new McpServer({ name: 'fake-mcp', version: '1.0.0' });
    server.registerTool(
      'echo',
      { description: 'Echoes its text', inputSchema: { text: z.string() } },
      async ({ text }) => ({ content: [{ type: 'text', text }] }),
    );
    await handleStatelessSdk1(server, req, res, req.body);
  });

  const { server, origin: started } = await listen(app);
  origin = started;
  return { url: `${origin}/mcp`, authorizations, close: () => closeServer(server) };
}
