/**
 * The loud warnings of `cimd serve`: each development-only opt-in that is on, and settings that
 * lose data or reach further than they look (data loss is expected in the demo, so not
 * reported there). Logged at `warn` when the server starts.
 *
 * @module
 */

import { isLoopbackHostname } from '../server/http/loopback.js';
import type { Logger } from '../server/logger.js';
import type { ServeConfig } from './config/resolve.js';

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
  if (!config.demo && (config.store.kind === 'memory' || config.store.path === ':memory:')) {
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
  if (!isLoopbackHostname(config.host)) {
    logger.warn(
      { option: 'host', host: config.host },
      `listening on ${config.host}, beyond loopback: the development login still answers only requests addressed to a loopback name`,
    );
  }
}
