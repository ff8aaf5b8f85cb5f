/**
 * The client provider's setup: its options checked when it is constructed (the document URL as
 * a CIMD `client_id`, the redirect URIs, the signer and pre-registered credentials), and its
 * preparation (the document fetched once, SSRF-safe, when not given; the loopback redirect URI
 * and a free port chosen and checked against the document).
 *
 * @module
 */
import { checkClientIdUrl } from '../document/client-id-url.js';
import { CimdError } from '../errors.js';
import { type ClientProfile, profileFromDocument, profileFromOptions } from './client-profile.js';
import { SignInError } from './errors.js';
import { fetchClientDocument } from './fetch-document.js';
import { findFreeLoopbackPort } from './loopback.js';
import { checkPreRegistered, checkSigner } from './provider-checks.js';
import type { CimdClientProviderOptions } from './provider-options.js';
import { assertRedirectAllowed, chooseLoopbackRedirect, type LoopbackRedirect } from './redirect.js';

/** What preparation settles: the profile and the runtime redirect. */
export interface PreparedProvider {
  profile: ClientProfile;
  loopback: LoopbackRedirect;
  redirectUrl: string;
}

/**
 * Checks the options and returns the client profile when the options give it (`document` or
 * `redirectUris`), else undefined (the document is fetched when preparing).
 *
 * @throws CimdError `ERR_CIMD_INVALID_CLIENT_ID` for an invalid `clientMetadataUrl` (CIMD-URL-01..09).
 * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` / `ERR_SIGNIN_REDIRECT_URI` for unusable options.
 */
export function checkProviderOptions(options: CimdClientProviderOptions): ClientProfile | undefined {
  const problems = checkClientIdUrl(options.clientMetadataUrl, {
    allowPrivateNetwork: options.allowPrivateNetwork === true,
  }).filter((finding) => finding.severity === 'error');
  if (problems.length > 0) {
    throw new CimdError(
      'ERR_CIMD_INVALID_CLIENT_ID',
      `clientMetadataUrl cannot be a CIMD client_id: ${problems.map((finding) => `${finding.message} (${finding.id})`).join(' ')}`,
    );
  }
  if (options.document !== undefined && options.redirectUris !== undefined) {
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      'pass either the document or its redirect URIs, not both (the document’s redirect_uris are the ones that count).',
    );
  }
  checkPreRegistered(options.preRegistered, options.signer);
  let profile: ClientProfile | undefined;
  if (options.document !== undefined) {
    profile = profileFromDocument(options.clientMetadataUrl, options.document);
  } else if (options.redirectUris !== undefined) {
    const profileOptions: Parameters<typeof profileFromOptions>[1] = { redirectUris: options.redirectUris };
    if (options.tokenEndpointAuthMethod !== undefined)
      profileOptions.tokenEndpointAuthMethod = options.tokenEndpointAuthMethod;
    if (options.clientName !== undefined) profileOptions.clientName = options.clientName;
    if (options.scope !== undefined) profileOptions.scope = options.scope;
    profile = profileFromOptions(options.clientMetadataUrl, profileOptions);
  }
  if (profile !== undefined) {
    checkSigner(profile, options.signer);
    chooseLoopbackRedirect(profile.redirectUris);
  }
  return profile;
}

/**
 * Loads the document when `known` is undefined (SSRF-safe), chooses the loopback redirect URI
 * and a free port (or `callbackPort`), and checks the runtime redirect URI against the document.
 */
export async function prepareProvider(
  options: CimdClientProviderOptions,
  known: ClientProfile | undefined,
): Promise<PreparedProvider> {
  let profile = known;
  if (profile === undefined) {
    const fetchOptions = {
      ...options.fetchOptions,
      allowPrivateNetwork: options.allowPrivateNetwork === true,
    };
    profile = profileFromDocument(
      options.clientMetadataUrl,
      await fetchClientDocument(options.clientMetadataUrl, fetchOptions),
    );
    checkSigner(profile, options.signer);
  }
  const loopback = chooseLoopbackRedirect(profile.redirectUris);
  const port = options.callbackPort ?? (await findFreeLoopbackPort(loopback.host));
  const redirectUrl = loopback.uriFor(port);
  assertRedirectAllowed(redirectUrl, profile.redirectUris);
  return { profile, loopback, redirectUrl };
}

/** The provider's preparation, run once (again after a failure); see {@link prepareProvider}. */
export class Preparation {
  readonly #options: CimdClientProviderOptions;
  #profile: ClientProfile | undefined;
  #prepared: PreparedProvider | undefined;
  #preparing: Promise<PreparedProvider> | undefined;

  /** Checks `options` ({@link checkProviderOptions}). */
  constructor(options: CimdClientProviderOptions) {
    this.#options = options;
    this.#profile = checkProviderOptions(options);
  }

  /** Prepares once; concurrent calls share the run, a failed run is retried by the next call. */
  run(): Promise<void> {
    if (this.#prepared !== undefined) return Promise.resolve();
    this.#preparing ??= prepareProvider(this.#options, this.#profile).then(
      (prepared) => {
        this.#profile = prepared.profile;
        this.#prepared = prepared;
        return prepared;
      },
      (error: unknown) => {
        this.#preparing = undefined;
        throw error;
      },
    );
    return this.#preparing.then(() => {});
  }

  /**
   * What preparation settled.
   *
   * @throws SignInError `ERR_SIGNIN_FAILED` before {@link run} finished.
   */
  get ready(): PreparedProvider {
    if (this.#prepared === undefined) {
      throw new SignInError(
        'ERR_SIGNIN_FAILED',
        'the provider is not prepared; await provider.prepare() first.',
      );
    }
    return this.#prepared;
  }
}
