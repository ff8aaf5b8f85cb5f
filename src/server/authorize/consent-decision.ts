/**
 * Whether an authorization may skip the consent page: a remembered approval that still covers the
 * request (same document fingerprint, CIMD-AS-19; at least the scopes and resources asked for),
 * allowed by `consent.skipWhenRemembered`; or a trusted client with `consent.skipForTrusted`.
 * `prompt=consent` always asks; `prompt=none` never silently approves an untrusted CIMD client
 * (MCP-AS-17, requirements §3.7).
 *
 * @module
 */
import { isLoopbackRedirectUri } from '../../document/redirect-uri.js';
import type { ConsentRecord } from '../../store/store.js';
import type { ResolvedServerOptions } from '../authorization-server/options.js';
import type { ResolvedClient } from '../clients/types.js';
import type { AuthorizationRequest } from './validate-request.js';

/** What to do about consent. */
export type ConsentDecision =
  /** Approve without showing the page. */
  | { action: 'skip'; reason: 'trusted_client' | 'remembered' }
  /** Show the consent page. */
  | { action: 'ask'; reason: string }
  /** `prompt=none`, but the user must be asked: answer `consent_required`. */
  | { action: 'consent_required'; reason: string };

/** True when `remembered` is for the client's current document and covers the request's scopes and resources. */
export function rememberedConsentCovers(
  remembered: ConsentRecord | undefined,
  client: ResolvedClient,
  request: Pick<AuthorizationRequest, 'scopes' | 'resources'>,
): boolean {
  if (remembered === undefined) return false;
  if (remembered.clientFingerprint !== client.fingerprint) return false;
  return (
    request.scopes.every((scope) => remembered.scopes.includes(scope)) &&
    request.resources.every((resource) => remembered.resources.includes(resource))
  );
}

/** True when `consent.skipWhenRemembered` lets a remembered approval skip the page for this request. */
function rememberedMaySkip(
  mode: ResolvedServerOptions['consent']['skipWhenRemembered'],
  client: ResolvedClient,
  redirectUri: string,
): boolean {
  if (mode === 'never') return false;
  if (client.trust.trusted) return true;
  return mode === 'non-loopback' && !isLoopbackRedirectUri(redirectUri);
}

/**
 * Decides whether the consent page is shown, skipped, or (with `prompt=none`) needed but not
 * allowed. See the module documentation for the rules.
 */
export function decideConsent(
  request: AuthorizationRequest,
  client: ResolvedClient,
  remembered: ConsentRecord | undefined,
  options: ResolvedServerOptions['consent'],
): ConsentDecision {
  const silent = request.prompt.has('none');
  if (request.prompt.has('consent')) return { action: 'ask', reason: 'prompt_consent' };
  let skip: ConsentDecision | undefined;
  if (client.trust.trusted && options.skipForTrusted) {
    skip = { action: 'skip', reason: 'trusted_client' };
  } else if (
    rememberedConsentCovers(remembered, client, request) &&
    rememberedMaySkip(options.skipWhenRemembered, client, request.redirectUri)
  ) {
    skip = { action: 'skip', reason: 'remembered' };
  }
  if (skip !== undefined) {
    if (silent && !client.trust.trusted && client.provenance.source === 'cimd') {
      return { action: 'consent_required', reason: 'untrusted_cimd_client_prompt_none' };
    }
    return skip;
  }
  const reason = remembered === undefined ? 'first_time' : 'remembered_consent_not_applicable';
  return silent ? { action: 'consent_required', reason } : { action: 'ask', reason };
}
