/**
 * OpenID Connect presets: Google (optionally one Workspace domain, checked on the verified `hd`
 * claim, not only asked for) and Microsoft Entra ID (one tenant's v2.0 issuer).
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import type { UpstreamConnectionOptions } from './connection.js';
import { oidcProvider } from './oidc.js';
import type { UpstreamProvider } from './provider.js';

/** Google's issuer identifier. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/** Options of {@link googleProvider}. */
export interface GoogleProviderOptions extends UpstreamConnectionOptions {
  /** Only users of this Google Workspace domain (the `hd` claim) may sign in. Default: any Google account. */
  hostedDomain?: string;
  /** Scopes. Default `openid email profile`. */
  scopes?: readonly string[];
  /** The issuer; only tests change it. Default {@link GOOGLE_ISSUER}. */
  issuer?: string;
}

/** Google sign-in (OpenID Connect). */
export function googleProvider(options: GoogleProviderOptions): UpstreamProvider {
  const { hostedDomain } = options;
  return oidcProvider({
    ...options,
    issuer: options.issuer ?? GOOGLE_ISSUER,
    id: 'google',
    displayName: 'Google',
    // Google issues refresh tokens only for access_type=offline.
    authorizationParams: {
      access_type: 'offline',
      ...(hostedDomain === undefined ? {} : { hd: hostedDomain }),
    },
    ...(hostedDomain === undefined
      ? {}
      : {
          checkClaims: (claims) =>
            claims.hd === hostedDomain ? undefined : `only accounts of ${hostedDomain} may sign in`,
        }),
  });
}

/** Options of {@link entraIdProvider}. */
export interface EntraIdProviderOptions extends UpstreamConnectionOptions {
  /**
   * The tenant's issuer, `https://login.microsoftonline.com/<tenant-id>/v2.0`; or give `tenant`.
   */
  issuer?: string;
  /** The tenant id (a GUID) or a verified domain of the tenant, when `issuer` is not given. */
  tenant?: string;
  /** Scopes. Default `openid email profile offline_access`. */
  scopes?: readonly string[];
}

/** The Entra ID v2.0 issuer of `tenant`. */
export function entraIssuer(tenant: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/v2.0`;
}

/** Microsoft Entra ID sign-in for one tenant (OpenID Connect). */
export function entraIdProvider(options: EntraIdProviderOptions): UpstreamProvider {
  const issuer = options.issuer ?? (options.tenant === undefined ? undefined : entraIssuer(options.tenant));
  if (issuer === undefined) {
    throw new InvalidOptionError(
      'Entra ID needs the tenant: give issuer (https://login.microsoftonline.com/<tenant>/v2.0) or tenant',
    );
  }
  if (/\/(common|organizations|consumers)\//.test(issuer)) {
    throw new InvalidOptionError(
      'Entra ID: use one tenant\'s issuer, not the multi-tenant "common", "organizations" or "consumers" endpoint',
    );
  }
  return oidcProvider({
    ...options,
    issuer,
    scopes: options.scopes ?? ['email', 'profile', 'offline_access'],
    id: 'entra',
    displayName: 'Microsoft',
    userinfo: false,
  });
}
