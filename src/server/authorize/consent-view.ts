/**
 * What the consent page shows about a request, derived from the client and the request: the
 * verified domain (the `client_id` host, CIMD-AS-21), the self-declared name, where the browser
 * will be sent (MCP-AS-21), and whether every redirect URI is loopback (MCP-AS-19).
 *
 * @module
 */
import { isLoopbackRedirectUri } from '../../document/redirect-uri.js';
import type { ResolvedClient } from '../clients/types.js';
import type { AuthenticatedUser } from '../login/authenticator.js';
import type { ConsentPageModel, RedirectTarget } from '../ui/consent-page.js';

/** What {@link consentViewOf} needs besides the client. */
export interface ConsentViewInput {
  client: ResolvedClient;
  redirectUri: string;
  scopes: readonly string[];
  resources: readonly string[];
  /** The signed-in user; absent when the user signs in after deciding (`signInWith` then names where). */
  user?: AuthenticatedUser;
  /** Where the user signs in after approving. */
  signInWith?: string;
  /** The consent form's action (a path on this server). */
  formAction: string;
  interactionId: string;
  csrfToken: string;
  /** The logo's path on this server, for trusted clients. */
  logoPath?: string;
}

/** The host (with a non-default port) of `uri`, or undefined when it has none. */
function hostOf(uri: string): string | undefined {
  try {
    const host = new URL(uri).host;
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}

/** Where the browser is sent back to, as the page describes it. */
export function redirectTargetOf(redirectUri: string): RedirectTarget {
  if (isLoopbackRedirectUri(redirectUri)) {
    const host = new URL(redirectUri).hostname;
    return { kind: 'device', host };
  }
  const host = hostOf(redirectUri);
  if (host !== undefined && /^https?:/i.test(redirectUri)) return { kind: 'web', host };
  const scheme = redirectUri.slice(0, Math.max(0, redirectUri.indexOf(':')));
  return { kind: 'app', host: scheme };
}

/** What the page shows of a client that depends on its metadata alone. */
interface ClientView {
  source: ResolvedClient['provenance']['source'];
  verifiedDomain?: string;
  clientName?: string;
  loopbackOnly: boolean;
}

/**
 * Client views by metadata object: a cached client hands out the same frozen metadata on every
 * request, so its domain, name and redirect URIs are read once, not on every page.
 */
const clientViews = new WeakMap<object, ClientView>();

function clientViewOf(client: ResolvedClient): ClientView {
  // Only a client that is its metadata (same id, same redirect URI list) shares the view.
  const shareable =
    Object.isFrozen(client.metadata) &&
    client.metadata.client_id === client.clientId &&
    client.metadata.redirect_uris === client.redirectUris;
  const cached = shareable ? clientViews.get(client.metadata) : undefined;
  if (cached !== undefined && cached.source === client.provenance.source) return cached;
  const name = client.metadata.client_name.trim();
  const view: ClientView = {
    source: client.provenance.source,
    ...(client.provenance.source === 'cimd'
      ? { verifiedDomain: hostOf(client.clientId) ?? client.clientId }
      : {}),
    ...(name === '' ? {} : { clientName: name }),
    loopbackOnly: client.redirectUris.length > 0 && client.redirectUris.every(isLoopbackRedirectUri),
  };
  if (shareable) clientViews.set(client.metadata, view);
  return view;
}

/** The consent page model for a request. */
export function consentViewOf(input: ConsentViewInput): ConsentPageModel {
  const { client } = input;
  const { verifiedDomain, clientName, loopbackOnly } = clientViewOf(client);
  return {
    clientId: client.clientId,
    ...(verifiedDomain === undefined ? {} : { verifiedDomain }),
    ...(clientName === undefined ? {} : { clientName }),
    trusted: client.trust.trusted,
    redirect: redirectTargetOf(input.redirectUri),
    loopbackOnly,
    scopes: [...input.scopes],
    resources: [...input.resources],
    ...(input.user === undefined
      ? {}
      : { userName: input.user.name ?? input.user.email ?? input.user.userId }),
    ...(input.signInWith === undefined ? {} : { signInWith: input.signInWith }),
    formAction: input.formAction,
    interactionId: input.interactionId,
    csrfToken: input.csrfToken,
    ...(input.logoPath === undefined ? {} : { logoPath: input.logoPath }),
  };
}
