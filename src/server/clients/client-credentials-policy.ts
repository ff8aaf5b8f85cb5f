/**
 * The policy of the `client_credentials` grant: which clients may get a token with no user at
 * all, and for which resources. Off unless configured; entries are exact `client_id` URLs or host
 * patterns, as in the trust policy (`https://agent.example.com/client.json`, `example.com`,
 * `*.example.com`; a registered client's id is matched as written).
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { compileClientEntries, type TrustEntry } from './trust-policy.js';

/** The `clientCredentials` option of the authorization server. */
export interface ClientCredentialsOptions {
  /** Clients that may use the grant: exact `client_id`s or host patterns (see `TrustEntry`). At least one. */
  allow: readonly TrustEntry[];
  /**
   * The resources such tokens may be issued for; each must be one of the server's `resources`.
   * Default: every resource the server serves.
   */
  resources?: readonly string[];
}

/** The compiled policy. */
export interface ClientCredentialsPolicy {
  /** The allow entries, as configured. */
  readonly allow: readonly string[];
  /** The resources such tokens may be issued for, or `undefined` for all served ones. */
  readonly resources: readonly string[] | undefined;
  /** The entry that allows `clientId`, or `undefined` when none does. */
  allows(clientId: string): string | undefined;
}

/**
 * Validates and compiles `options` (`undefined` leaves the grant off). `served` are the
 * server's resources.
 *
 * @throws InvalidOptionError for an empty or malformed `allow` list, or a resource the server
 *   does not serve.
 */
export function compileClientCredentialsPolicy(
  options: ClientCredentialsOptions | undefined,
  served: readonly string[],
): ClientCredentialsPolicy | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || !Array.isArray(options.allow)) {
    throw new InvalidOptionError(
      'clientCredentials must be { allow: [client_id URLs or host patterns], resources?: [...] }',
    );
  }
  if (options.allow.length === 0) {
    throw new InvalidOptionError(
      'clientCredentials.allow must name at least one client_id or host pattern (leave clientCredentials out to keep the grant off)',
    );
  }
  const allows = compileClientEntries(options.allow, 'clientCredentials.allow');
  let resources: string[] | undefined;
  if (options.resources !== undefined) {
    resources = [...options.resources];
    for (const resource of resources) {
      if (!served.includes(resource)) {
        throw new InvalidOptionError(
          `clientCredentials.resources names ${JSON.stringify(resource)}, which is not one of the server's resources`,
        );
      }
    }
  }
  return Object.freeze({ allow: Object.freeze([...options.allow]), resources, allows });
}
