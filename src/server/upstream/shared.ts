/**
 * What the upstream authenticator shares with its routes (the provider callback and `/logout`).
 *
 * @module
 */
import type { Logger } from '../logger.js';
import type { SessionManager } from '../login/session.js';
import type { checkAllowList } from './identity.js';
import type { PendingSignIns } from './pending-sign-in.js';
import type { UpstreamProvider } from './provider.js';
import type { UpstreamTokenVault } from './token-vault.js';

/** The authenticator's parts its routes use. */
export interface UpstreamShared {
  provider: UpstreamProvider;
  sessions: SessionManager;
  vault: UpstreamTokenVault;
  pending: PendingSignIns;
  allow: ReturnType<typeof checkAllowList>;
  logger: Logger;
  now: () => number;
  /** The redirect URI registered at the provider: `<issuer>/upstream/callback`. */
  callbackUrl: string;
  /** This server's issuer. */
  issuer: string;
}
