/**
 * The authorization server's configuration in the demo: the demo's own defaults (memory store,
 * keys in memory, loopback, CIMD and registration on), or the configuration the demo's entry
 * loaded with the demo MCP server added to its resources. Either way `allowPrivateNetwork` is on, since
 * the demo's documents live on this machine (the server logs that loudly).
 *
 * @module
 */

import { join } from 'node:path';
import { defaultSigningKeys, type StoreConfig } from '../serve/config/database.js';
import { DEFAULT_DPOP_NONCE_WINDOW_SECONDS } from '../serve/config/dpop.js';
import { resolveEncryptionKey } from '../serve/config/encryption-key.js';
import type { ServeConfig } from '../serve/config/resolve.js';
import { DEFAULT_RATE_LIMIT_PER_CLIENT, DEFAULT_RATE_LIMIT_PER_IP } from '../server/rate-limit/options.js';

/** Inputs of {@link demoServeConfig}. */
export interface DemoServeConfigInput {
  host: string;
  port: number;
  /** The demo MCP server's URL. */
  mcpUrl: string;
  /** The configuration loaded from `cimd serve`'s layers (`npm start`, `cimd serve --demo`), if any. */
  base?: ServeConfig | undefined;
  /** A temporary folder for a SQLite database; default: the memory store. */
  databaseDir?: string | undefined;
  /** Without `base`: sign in through the demo's own OpenID provider. Default `false`. */
  upstreamDemo?: boolean;
}

/** The authorization server's configuration for the demo. */
export function demoServeConfig(input: DemoServeConfigInput): ServeConfig {
  if (input.base !== undefined) {
    const resources = input.base.resources.includes(input.mcpUrl)
      ? input.base.resources
      : [input.mcpUrl, ...input.base.resources];
    return { ...input.base, resources, demo: true, allowPrivateNetwork: true };
  }
  const store: StoreConfig =
    input.databaseDir === undefined
      ? { kind: 'memory' }
      : { kind: 'sqlite', path: join(input.databaseDir, 'demo.sqlite') };
  return {
    host: input.host,
    port: input.port,
    issuer: undefined,
    resources: [input.mcpUrl],
    demo: true,
    store,
    signingKeys: defaultSigningKeys(store),
    registration: true,
    registrationTokens: undefined,
    rateLimit: {
      perIpPerMinute: DEFAULT_RATE_LIMIT_PER_IP,
      perClientPerMinute: DEFAULT_RATE_LIMIT_PER_CLIENT,
    },
    fetchProxy: undefined,
    trust: { mode: 'open', allow: [], deny: [], trusted: [] },
    clientPolicy: { cimd: true, resources: [], allowedRedirectUris: [] },
    dpop: { required: false, nonce: false, nonceWindowSeconds: DEFAULT_DPOP_NONCE_WINDOW_SECONDS },
    accessTokenTtlSeconds: 600,
    refreshTokenTtlSeconds: 30 * 86_400,
    scopes: undefined,
    allowPrivateNetwork: true,
    dangerouslyAllowHttpClientIds: false,
    tls: undefined,
    trustProxy: false,
    upstream: undefined,
    upstreamDemo: input.upstreamDemo ?? false,
    upstreamAllow: { users: [], emailDomains: [], organizations: [] },
    sessionTtlSeconds: 12 * 3600,
    userClaims: [],
    encryptionKey: resolveEncryptionKey(undefined, store, input.upstreamDemo ?? false) ?? { kind: 'none' },
    metrics: undefined,
    shutdownTimeoutSeconds: 10,
    audit: { kind: 'off' },
    logLevel: 'info',
  };
}
