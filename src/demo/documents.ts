/**
 * The demo's two CIMD clients and the Hono app that publishes their documents: a public client
 * (`token_endpoint_auth_method: none`) and an agent that authenticates with `private_key_jwt`,
 * whose ES256 public key is served at `jwks_uri`. Both redirect to a loopback `/callback` (any
 * port matches, RFC 8252 §7.3), where the demo client app finishes the flow.
 *
 * @module
 */
import { Hono } from 'hono';
import { type CryptoKey, importJWK } from 'jose';
import { createClientMetadata } from '../document/create.js';
import type { ClientMetadata } from '../document/schema.js';
import { generateClientKey } from '../keys/generate.js';
import { publicJwks } from '../keys/jwks.js';
import { createKeySet, type KeySet } from '../keys/key-set.js';

/** Which demo client. */
export type DemoClientName = 'public' | 'agent';

/** The demo client names, in the order they are shown. */
export const DEMO_CLIENT_NAMES: readonly DemoClientName[] = ['public', 'agent'];

/** A demo client: its document, and for the agent the key it signs client assertions with. */
export interface DemoClient {
  readonly name: DemoClientName;
  /** The document URL: the `client_id`. */
  readonly clientId: string;
  readonly document: ClientMetadata;
  /** The agent's signing key (private), its `kid` and algorithm. */
  readonly signingKey?: { key: CryptoKey; kid: string; alg: 'ES256' };
  /**
   * The agent's key set (`mcp-cimd/keys`, the format of `cimd keys generate`), whose public keys
   * are served at `jwks_uri`: the demo writes it to a file for `cimd connect --key`.
   */
  readonly keySet?: KeySet;
}

/** The published documents. */
export interface DemoDocuments {
  readonly clients: Readonly<Record<DemoClientName, DemoClient>>;
  /** The URL of the agent's public JWK Set. */
  readonly jwksUri: string;
  /** Serves the documents and the key set (each cacheable for 5 minutes). */
  readonly app: Hono;
}

/** Where each file is published. */
export const DEMO_DOCUMENT_PATHS = Object.freeze({
  public: '/oauth/client.json',
  agent: '/oauth/agent.json',
  jwks: '/oauth/jwks.json',
});

const REDIRECT_URIS = ['http://127.0.0.1/callback', 'http://localhost/callback'];
const CACHE = { 'cache-control': 'public, max-age=300' };

/** Creates the demo clients for documents served at `origin` (`https://localhost:<port>`). */
export async function createDemoDocuments(origin: string): Promise<DemoDocuments> {
  const publicId = `${origin}${DEMO_DOCUMENT_PATHS.public}`;
  const agentId = `${origin}${DEMO_DOCUMENT_PATHS.agent}`;
  const jwksUri = `${origin}${DEMO_DOCUMENT_PATHS.jwks}`;

  const agentKey = await generateClientKey('ES256');
  const keySet = createKeySet(agentKey, { jwksUri });
  const jwks = publicJwks(keySet);
  const privateKey = (await importJWK(agentKey.privateJwk, 'ES256')) as CryptoKey;

  const publicDocument = createClientMetadata({
    clientId: publicId,
    clientName: 'mcp-cimd demo client',
    redirectUris: REDIRECT_URIS,
    applicationType: 'native',
    softwareId: 'mcp-cimd-demo',
    allowPrivateNetwork: true,
  }).document;
  const agentDocument = createClientMetadata({
    clientId: agentId,
    clientName: 'mcp-cimd demo agent (private_key_jwt)',
    redirectUris: REDIRECT_URIS,
    applicationType: 'native',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwksUri,
    signingAlg: 'ES256',
    softwareId: 'mcp-cimd-demo',
    allowPrivateNetwork: true,
  }).document;

  const app = new Hono();
  app.get(DEMO_DOCUMENT_PATHS.public, (c) => c.json(publicDocument, 200, CACHE));
  app.get(DEMO_DOCUMENT_PATHS.agent, (c) => c.json(agentDocument, 200, CACHE));
  app.get(DEMO_DOCUMENT_PATHS.jwks, (c) => c.json(jwks, 200, CACHE));

  return {
    clients: {
      public: { name: 'public', clientId: publicId, document: publicDocument },
      agent: {
        name: 'agent',
        clientId: agentId,
        document: agentDocument,
        signingKey: { key: privateKey, kid: agentKey.kid, alg: 'ES256' },
        keySet,
      },
    },
    jwksUri,
    app,
  };
}
