/**
 * How the proxy connects to an upstream provider: its client credentials (`client_secret_basic`,
 * `client_secret_post`, or `private_key_jwt` with our own key), a deadline on every request, and
 * the rule that plain http is for loopback providers only (development and tests).
 *
 * @module
 */
import * as client from 'openid-client';
import { InvalidOptionError } from '../../errors.js';
import { isLoopbackHostname } from '../http/loopback.js';

/** How this server authenticates to the provider's token endpoint. */
export type UpstreamClientAuth =
  /** The client secret in HTTP Basic (the default of most providers). */
  | { method: 'client_secret_basic'; clientSecret: string }
  /** The client secret in the form body. */
  | { method: 'client_secret_post'; clientSecret: string }
  /** A client assertion signed with our private key (the provider knows our public key). */
  | { method: 'private_key_jwt'; privateKey: CryptoKey; kid?: string }
  /** No secret: a public client (PKCE alone). Rarely right for a server. */
  | { method: 'none' };

/** What every provider needs to connect. */
export interface UpstreamConnectionOptions {
  /** This server's client id at the provider. */
  clientId: string;
  /** How this server authenticates to the provider. */
  clientAuth: UpstreamClientAuth;
  /** The deadline of each request to the provider, in ms. Default 10 000. */
  timeoutMs?: number;
}

/** The default deadline of each request to the provider, in ms. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;

/** openid-client's client authentication for `auth`. */
export function clientAuthOf(auth: UpstreamClientAuth): client.ClientAuth {
  switch (auth.method) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(auth.clientSecret);
    case 'client_secret_post':
      return client.ClientSecretPost(auth.clientSecret);
    case 'private_key_jwt':
      return client.PrivateKeyJwt(
        auth.kid === undefined ? auth.privateKey : { key: auth.privateKey, kid: auth.kid },
      );
    case 'none':
      return client.None();
  }
}

/**
 * Checks a provider URL option: https, or http on a loopback host (then `true` is returned: the
 * connection must allow insecure requests).
 */
export function checkProviderUrl(value: string, name: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(`${name} must be an absolute URL; got ${JSON.stringify(value)}`);
  }
  if (url.protocol === 'https:') return false;
  if (url.protocol === 'http:' && isLoopbackHostname(url.hostname)) return true;
  throw new InvalidOptionError(`${name} must use https (plain http only on a loopback host); got ${value}`);
}

/** Checks the connection options and returns the deadline in ms. */
export function checkConnection(options: UpstreamConnectionOptions): number {
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new InvalidOptionError('the upstream clientId must be a non-empty string');
  }
  const auth = options.clientAuth;
  if (
    (auth.method === 'client_secret_basic' || auth.method === 'client_secret_post') &&
    auth.clientSecret === ''
  ) {
    throw new InvalidOptionError(`the upstream client secret is empty (clientAuth ${auth.method})`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidOptionError('the upstream timeoutMs must be a positive integer of milliseconds');
  }
  return timeoutMs;
}

/** Applies the deadline (openid-client counts seconds) and, for loopback http, allows it. */
export function configure(
  config: client.Configuration,
  timeoutMs: number,
  insecure: boolean,
): client.Configuration {
  config.timeout = Math.max(1, Math.ceil(timeoutMs / 1000));
  if (insecure) client.allowInsecureRequests(config);
  return config;
}

/** `fetch` with the deadline, for the requests openid-client does not make (userinfo APIs). */
export async function fetchWithDeadline(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  return fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
}
