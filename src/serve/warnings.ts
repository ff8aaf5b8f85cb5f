/**
 * The loud warnings of `cimd serve`: each development-only opt-in that is on, and settings that
 * lose data or reach further than they look (data loss is expected in the demo, so not
 * reported there). Logged at `warn` when the server starts.
 *
 * @module
 */

import { describeProxy } from '../fetch/proxy.js';
import { isLoopbackHostname } from '../server/http/loopback.js';
import type { Logger } from '../server/logger.js';
import type { ServeConfig } from './config/resolve.js';
import type { UpstreamConfig } from './config/upstream.js';

/** Logs one `warn` line per risky setting of `config`. */
export function logStartupWarnings(config: ServeConfig, logger: Logger): void {
  if (config.allowPrivateNetwork) {
    logger.warn(
      { option: 'allowPrivateNetwork', flag: '--allow-private-network', developmentOnly: true },
      'DEVELOPMENT ONLY: allowPrivateNetwork (--allow-private-network) is on. Client documents, jwks_uri and logos on this machine and on private networks are fetched, so anyone who can reach this server can make it request internal addresses (SSRF). Never use it on a server others can reach.',
    );
  }
  if (config.dangerouslyAllowHttpClientIds) {
    logger.warn(
      {
        option: 'dangerouslyAllowHttpClientIds',
        flag: '--dangerously-allow-http-client-ids',
        developmentOnly: true,
      },
      'DEVELOPMENT ONLY: dangerouslyAllowHttpClientIds (--dangerously-allow-http-client-ids) is on. http://127.0.0.1, http://[::1] and http://localhost client_ids are fetched over plain http from this machine. Never use it on a server others can reach.',
    );
  }
  if (!config.clientPolicy.cimd && !config.registration) {
    logger.warn(
      { option: 'cimd', flag: '--no-cimd' },
      'CIMD is off (--no-cimd) and so is registration (--no-registration): only clients already registered in the store can sign in',
    );
  }
  if (
    !config.demo &&
    (config.store.kind === 'memory' || (config.store.kind === 'sqlite' && config.store.path === ':memory:'))
  ) {
    logger.warn(
      { option: 'store', store: 'memory' },
      'the store is in memory: codes, refresh tokens, consents and registered clients are lost when the server stops',
    );
  }
  if (!config.demo && config.signingKeys.kind === 'memory') {
    logger.warn(
      { option: 'signingKeys' },
      'the signing keys are in memory: every access token stops verifying when the server restarts (use --signing-keys <file>)',
    );
  }
  if (config.trustProxy && !isLoopbackHostname(config.host)) {
    logger.warn(
      { option: 'trustProxy', flag: '--trust-proxy', host: config.host },
      `--trust-proxy is on and cimd serve listens on ${config.host}: whoever reaches this port without the proxy can forge Forwarded and X-Forwarded-* headers. Let only the proxy reach it`,
    );
  }
  if (config.fetchProxy !== undefined) {
    logger.warn(
      { option: 'fetchProxy', flag: '--fetch-proxy', proxy: describeProxy(new URL(config.fetchProxy)) },
      `client documents, key sets and logos are fetched through the proxy ${describeProxy(new URL(config.fetchProxy))}. The SSRF checks still run here (names must resolve on this machine to public addresses; the tunnel is opened to the checked address, never the name), but where the proxy connects from, and what its network can reach, is beyond them: the proxy's own egress rules must refuse internal addresses`,
    );
  }
  if (!config.demo && config.encryptionKey.kind === 'ephemeral') {
    logger.warn(
      { option: 'encryptionKey', encryptionKey: 'ephemeral' },
      'the encryption key is ephemeral (in memory): upstream tokens kept for tools cannot be read after a restart (use --encryption-key-file <file> or CIMD_ENCRYPTION_KEY)',
    );
  }
}

/** Logs the loud warning of an upstream provider reached over plain http (loopback only). */
export function logUpstreamWarnings(upstream: UpstreamConfig, demo: boolean, logger: Logger): void {
  if (!upstream.insecure || demo) return;
  logger.warn(
    { option: 'upstream', provider: upstream.provider, issuer: upstream.issuer, developmentOnly: true },
    `DEVELOPMENT ONLY: the upstream identity provider (${upstream.issuer ?? upstream.provider}) is reached over plain http on this machine. Tokens and codes travel unencrypted; use an https provider anywhere else.`,
  );
}
