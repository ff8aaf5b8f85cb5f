/**
 * Which MCP server a client provider signs in to. A provider built with `serverUrl` is bound from
 * the start; one built from the document URL alone (`cimdProvider(url)`, like FastMCP's
 * `OAuth(client_metadata_url=...)`) is bound by the first server it is used with: `connect()`
 * binds it, and so does the SDK's `auth()` through `validateResourceURL`, which it calls with the
 * server URL of the transport. The first server wins: a provider never signs in to two servers,
 * so its tokens are never sent to another one.
 *
 * @module
 */
import { displayable } from './callback-params.js';
import { SignInError } from './errors.js';
import { assertResourceMatches, resourceOf, sameServer } from './provider-checks.js';

/** The MCP server of one provider, bound once. */
export class ServerBinding {
  #resource: string | undefined;

  constructor(serverUrl?: string | URL) {
    if (serverUrl !== undefined) this.#resource = resourceOf(serverUrl);
  }

  /** The MCP server as a token binding key (no fragment), or undefined before the first use. */
  get resource(): string | undefined {
    return this.#resource;
  }

  /**
   * Binds to `serverUrl` when not bound yet; the same server again is a no-op.
   *
   * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` when already bound to another server.
   */
  bind(serverUrl: string | URL): string {
    let resource: string;
    try {
      resource = resourceOf(serverUrl);
    } catch (error) {
      throw new SignInError(
        'ERR_SIGNIN_CLIENT_CONFIG',
        `the MCP server URL ${JSON.stringify(displayable(String(serverUrl)))} is not a URL.`,
        { cause: error },
      );
    }
    if (this.#resource === undefined) {
      this.#resource = resource;
    } else if (!sameServer(this.#resource, resource)) {
      throw new SignInError(
        'ERR_SIGNIN_CLIENT_CONFIG',
        `this provider signs in to ${this.#resource}, not ${resource}: use one provider per MCP server (its tokens belong to that server).`,
      );
    }
    return this.#resource;
  }

  /**
   * The bound server, for what cannot be done without one.
   *
   * @throws SignInError `ERR_SIGNIN_CLIENT_CONFIG` before the first bind.
   */
  require(): string {
    if (this.#resource !== undefined) return this.#resource;
    throw new SignInError(
      'ERR_SIGNIN_CLIENT_CONFIG',
      'this provider has no MCP server yet: pass serverUrl, use it with connect(serverUrl, { provider }) or an SDK transport, or call provider.bind(serverUrl).',
    );
  }

  /**
   * The SDK's `validateResourceURL` hook: binds to the transport's server URL, then keeps the
   * SDK's own rule for the `resource` parameter (the protected resource metadata's `resource`
   * when it names this server or a prefix of it on the same origin; none without metadata).
   *
   * @throws SignInError `ERR_SIGNIN_RESOURCE_MISMATCH` when the metadata names another resource.
   */
  select(serverUrl: string | URL, advertised: string | undefined): URL | undefined {
    const resource = this.bind(serverUrl);
    if (advertised === undefined) return undefined;
    assertResourceMatches(advertised, resource);
    return new URL(advertised);
  }
}
