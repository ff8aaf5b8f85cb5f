/**
 * The authorization request once its client and redirect URI are known: every parameter checked,
 * in order, each refusal an {@link AuthorizationRefusal} sent to the validated redirect URI.
 *
 * @module
 */
import type { ResolvedServerOptions } from '../authorization-server/options.js';
import type { ResolvedClient } from '../clients/types.js';
import type { OAuthParams } from '../http/params.js';
import { InvalidRequestError, UnauthorizedClientError } from '../oauth-errors.js';
import { readCodeChallenge } from './pkce.js';
import { type PromptValue, parsePrompt } from './prompt.js';
import { refuse } from './refusal.js';
import { checkResponseType, checkState } from './request-checks.js';
import { selectResources } from './resource.js';
import { parseScopes, withinClientCeiling } from './scope.js';

/** A valid authorization request. */
export interface AuthorizationRequest {
  clientId: string;
  /** The redirect URI to answer at, as requested (runtime port included). */
  redirectUri: string;
  state?: string;
  /** The PKCE S256 challenge. */
  codeChallenge: string;
  /** The resources (RFC 8707) the grant is for, as configured. */
  resources: string[];
  /** The scopes to grant: the requested ones (each once) within the client's scope ceiling. */
  scopes: string[];
  prompt: ReadonlySet<PromptValue>;
  /** The `login_hint` (at most 256 characters), passed on to the sign-in. */
  loginHint?: string;
}

/** The longest `login_hint` accepted, in characters. */
const MAX_LOGIN_HINT = 256;

/**
 * Validates the request's parameters for `client`: `response_type` (and request objects), the
 * client's grant types, `state`'s length, PKCE (S256 only), `resource`, `scope` (narrowed to the
 * client's scope ceiling) and `prompt`.
 * Throws an {@link AuthorizationRefusal} on the first problem.
 */
export function validateAuthorizationRequest(
  params: OAuthParams,
  client: ResolvedClient,
  redirectUri: string,
  options: ResolvedServerOptions,
): AuthorizationRequest {
  checkResponseType(params);
  if (!client.grantTypes.includes('authorization_code')) {
    refuse(
      'grant_type_not_registered',
      new UnauthorizedClientError('the client does not list the authorization_code grant type'),
    );
  }
  checkState(params);
  const codeChallenge = readCodeChallenge(params);
  const resources = selectResources(params, options.resources);
  const scopes = withinClientCeiling(parseScopes(params, options.scopesSupported), client);
  const prompt = parsePrompt(params);
  const state = params.get('state');
  const loginHint = params.get('login_hint');
  if (loginHint !== undefined && loginHint.length > MAX_LOGIN_HINT) {
    refuse(
      'login_hint_too_long',
      new InvalidRequestError(`login_hint is longer than ${MAX_LOGIN_HINT} characters`),
    );
  }
  return {
    clientId: client.clientId,
    redirectUri,
    ...(state === undefined ? {} : { state }),
    codeChallenge,
    resources,
    scopes,
    prompt,
    ...(loginHint === undefined ? {} : { loginHint }),
  };
}
