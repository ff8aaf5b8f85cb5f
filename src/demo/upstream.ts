/**
 * `--upstream-demo`: the demo's own upstream identity provider, so the whole OAuth proxy flow runs
 * on one machine. Once the authorization server's issuer is known, a local OpenID provider
 * (`startUpstreamIdp`: panva's oidc-provider, a development dependency loaded only now) starts with
 * our redirect URI `<issuer>/upstream/callback` registered, one demo account and no consent page
 * of its own; the authorization server then signs users in there as with `--upstream oidc`.
 *
 * @module
 */

import { Secret } from '../serve/config/secret.js';
import type { UpstreamConfig } from '../serve/config/upstream.js';
import { StartupError } from '../serve/errors.js';
import { UPSTREAM_CALLBACK_PATH } from '../server/upstream/authenticator.js';
import type { UpstreamAccount, UpstreamIdp } from './upstream-idp.js';

/** The demo provider's account: any password signs it in. */
export const DEMO_UPSTREAM_ACCOUNT: UpstreamAccount = {
  accountId: 'demo-user',
  email: 'demo-user@example.com',
  emailVerified: true,
  name: 'Demo User',
};

/** The demo's upstream provider, running. */
export interface DemoUpstream {
  /** The provider (its issuer, client, requests). */
  idp: UpstreamIdp;
  /** How the authorization server connects to it. */
  config: UpstreamConfig;
  /** Its userinfo endpoint (from discovery), for the demo MCP server's `upstream_whoami` tool. */
  userinfoEndpoint: string;
}

/** Starts the provider, or explains that oidc-provider is missing. */
async function startIdp(issuer: string, host: string, port: number): Promise<UpstreamIdp> {
  const { startUpstreamIdp } = await import('./upstream-idp.js');
  try {
    return await startUpstreamIdp({
      redirectUris: [`${issuer}${UPSTREAM_CALLBACK_PATH}`],
      host,
      port,
      accounts: [DEMO_UPSTREAM_ACCOUNT],
      autoConsent: true,
    });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !message.includes('oidc-provider')) throw error;
    throw new StartupError(
      '--upstream-demo runs a local OpenID provider with oidc-provider, a development dependency of mcp-cimd: run it from a clone (npm install, then npm start -- --upstream-demo), or npm install oidc-provider',
    );
  }
}

/** Starts the demo provider for the authorization server at `issuer`, listening on `host:port` (0: any). */
export async function startDemoUpstream(issuer: string, host: string, port: number): Promise<DemoUpstream> {
  const idp = await startIdp(issuer, host, port);
  try {
    const discovery = await fetch(idp.discoveryUrl, { signal: AbortSignal.timeout(5000) });
    const metadata = (await discovery.json()) as { userinfo_endpoint?: unknown };
    if (typeof metadata.userinfo_endpoint !== 'string') throw new Error('no userinfo_endpoint');
    return {
      idp,
      userinfoEndpoint: metadata.userinfo_endpoint,
      config: {
        provider: 'oidc',
        issuer: idp.issuer,
        clientId: idp.clientId,
        auth: { method: 'client_secret_basic', secret: new Secret(idp.clientSecret ?? '') },
        scopes: undefined,
        oauth2: undefined,
        hostedDomain: undefined,
        timeoutSeconds: 10,
        insecure: true,
      },
    };
  } catch (error) {
    await idp.close();
    throw new StartupError(`the demo's OpenID provider did not start: ${(error as Error).message}`);
  }
}
