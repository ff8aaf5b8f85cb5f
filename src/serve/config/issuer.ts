/**
 * The issuer of `cimd serve` and the rules on how it is served: the configured issuer, or one
 * derived from the listening address; an https issuer served through TLS or a trusted proxy; and
 * the development login's loopback rule.
 *
 * @module
 */
import { checkIssuer } from '../../server/authorization-server/options.js';
import { isLoopbackHostname } from '../../server/http/loopback.js';
import type { KeyedProblem } from './errors.js';
import { originOf } from './origin.js';
import type { ServeSettings } from './schema.js';

/** Listening addresses that stand for every interface: no issuer can be derived from them. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The issuer: the configured one, or derived from the address. `checked` is the one validated
 * (with port 0, a stand-in port: only the scheme and host matter for the rules). Problems are
 * added to `problems`; both are `undefined` after one.
 */
export function resolveIssuer(
  settings: ServeSettings,
  host: string,
  tls: boolean,
  problems: KeyedProblem[],
): { issuer: string | undefined; checked: string | undefined } {
  if (settings.issuer !== undefined) {
    try {
      checkIssuer(settings.issuer);
    } catch (error) {
      problems.push({ key: 'issuer', message: (error as Error).message });
      return { issuer: undefined, checked: undefined };
    }
    return { issuer: settings.issuer, checked: settings.issuer };
  }
  if (WILDCARD_HOSTS.has(host)) {
    problems.push({
      key: 'host',
      message: `${host || 'an empty host'} listens on every interface, so the issuer cannot be derived from it: set --issuer to the URL clients use`,
    });
    return { issuer: undefined, checked: undefined };
  }
  const derived = originOf(host, settings.port === 0 ? 1 : settings.port, tls);
  try {
    checkIssuer(derived);
  } catch (error) {
    problems.push({
      key: 'host',
      message: `the issuer derived from it, ${derived}, is invalid: ${(error as Error).message}. Set --issuer (https) or serve https with --tls-cert and --tls-key`,
    });
    return { issuer: undefined, checked: undefined };
  }
  return { issuer: settings.port === 0 ? undefined : derived, checked: derived };
}

/**
 * The development login signs in whoever connects from this machine (issue 9: judged by the
 * connection's peer address), so it needs a loopback issuer, a loopback listener (WILDCARD or
 * public addresses would let others connect) and no reverse proxy in front (every request
 * would come from the proxy, on this machine).
 */
export function checkDevLoginLoopback(
  issuer: string,
  settings: ServeSettings,
  host: string,
  problems: KeyedProblem[],
): void {
  if (!isLoopbackHostname(host)) {
    problems.push({
      key: 'host',
      message: `${host} is beyond loopback, and without --upstream cimd serve signs users in with the development login, which signs in whoever connects from this machine: listen on 127.0.0.1 (the default), or sign users in at an identity provider with --upstream`,
    });
  }
  if (settings.trustProxy) {
    problems.push({
      key: 'trustProxy',
      message:
        'the development login cannot run behind a reverse proxy: every request would come from the proxy on this machine and be signed in. Sign users in at an identity provider with --upstream',
    });
  }
  const hostname = new URL(issuer).hostname;
  if (isLoopbackHostname(hostname)) return;
  problems.push({
    key: 'issuer',
    message: `${issuer} is not on loopback, and without --upstream cimd serve signs users in with the development login, which signs everyone in as one local user and is therefore loopback-only. Sign users in at an identity provider with --upstream (oidc, github, google, entra or oauth2)`,
  });
}

/** An https issuer needs https here: served directly (TLS files) or by a trusted proxy in front. */
export function checkHttpsServed(
  issuer: string,
  settings: ServeSettings,
  tls: boolean,
  problems: KeyedProblem[],
): void {
  if (!issuer.startsWith('https:') || tls || settings.trustProxy) return;
  problems.push({
    key: 'issuer',
    message: `${issuer} is https, but cimd serve would listen with plain http: serve https directly with --tls-cert and --tls-key, or, behind a reverse proxy that terminates TLS, pass --trust-proxy`,
  });
}
