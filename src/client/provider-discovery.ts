/**
 * The discovery the client provider keeps for one session (never persisted: a newly advertised
 * CIMD flag or a moved server is seen on the next run), with the metadata `issuer` checked
 * against the URL it was discovered from (RFC 8414 §3.3) before it is kept.
 *
 * @module
 */
import type { AuthorizationServerMetadataLike, DiscoveryStateLike } from './oauth-types.js';
import { assertMetadataIssuer, sameServer } from './provider-checks.js';

/** The SDK 2.x issuer context of the issuer-aware hooks: the validated metadata `issuer`. */
export interface IssuerContext {
  issuer: string;
}

/** The discovery of one session. */
export class SessionDiscovery {
  #state: DiscoveryStateLike | undefined;

  /** The discovery, if any. */
  get state(): DiscoveryStateLike | undefined {
    return this.#state;
  }

  /**
   * Keeps `state` after checking its metadata's `issuer`; returns true when it names another
   * authorization server than the one kept before (the client identity must be chosen again).
   *
   * @throws SignInError `ERR_SIGNIN_ISSUER_MISMATCH` for metadata naming another issuer.
   */
  save(state: DiscoveryStateLike): boolean {
    assertMetadataIssuer(state);
    const moved =
      this.#state !== undefined &&
      !sameServer(this.#state.authorizationServerUrl, state.authorizationServerUrl);
    this.#state = state;
    return moved;
  }

  /** Forgets the discovery. */
  clear(): void {
    this.#state = undefined;
  }

  /**
   * The authorization server's issuer: the validated metadata `issuer` (SEP-2352: the key of
   * every credential), else the URL discovery used when the server publishes no metadata.
   */
  get issuer(): string | undefined {
    if (this.#state === undefined) return undefined;
    return this.#state.authorizationServerMetadata?.issuer ?? String(this.#state.authorizationServerUrl);
  }

  /** The authorization server metadata, when discovered. */
  get metadata(): AuthorizationServerMetadataLike | undefined {
    return this.#state?.authorizationServerMetadata;
  }

  /**
   * The issuer stamp the calling SDK compares stored credentials with: SDK 2.x passes the
   * validated metadata issuer in `ctx`; SDK 1.x compares with the URL discovery used. The store
   * itself is keyed by the validated issuer either way.
   */
  stamp(ctx: IssuerContext | undefined): string | undefined {
    if (ctx !== undefined) return ctx.issuer;
    return this.#state === undefined ? undefined : String(this.#state.authorizationServerUrl);
  }
}
