/**
 * The trust policy of CIMD clients (CIMD §6.8, §6.10, §4.2; MCP §11.6.3): which `client_id`s may
 * be used at all (open or allowlist mode, allow and deny entries, a custom hook), which are
 * trusted, and an optional same-origin rule for redirect URIs. Every decision carries a reason
 * for logs and the user interface.
 *
 * The registry consults it BEFORE fetching a document (so an allowlist-mode server never fetches
 * an unlisted URL, CIMD-AS-28) and again with the metadata, on every resolution, cache hits
 * included (a policy changed with {@link TrustPolicy.update} applies at once).
 *
 * @module
 */
import { isLoopbackRedirectUri } from '../../document/redirect-uri.js';
import type { ClientMetadata } from '../../document/schema.js';
import { InvalidOptionError } from '../../errors.js';
import type { TrustDecision } from './types.js';

/**
 * An allow, deny or trusted entry: either an exact `client_id` (a string starting with
 * `https://` or `http://`, compared byte for byte), or a host pattern compared case-insensitively
 * with the `client_id`'s host: `example.com` matches that host only, `*.example.com` matches its
 * subdomains at any depth (not `example.com` itself). IP literals (`127.0.0.1`, `[::1]`) and
 * `localhost` are host patterns too. Ports are not part of a pattern. For a registered (non-URL)
 * client id, an entry without a scheme is compared with the id exactly (e.g. `dcr_Qx3...`).
 */
export type TrustEntry = string;

/** What the {@link TrustPolicyOptions.decide} hook is told. */
export interface TrustContext {
  /** The `client_id` being resolved. */
  clientId: string;
  /** `cimd` for a URL `client_id`, `registered` for a client from the store. */
  source: 'cimd' | 'registered';
  /**
   * `client_id`: called before any fetch (and on every cache hit), without metadata.
   * `metadata`: called with the validated metadata, after the built-in metadata rules.
   */
  phase: 'client_id' | 'metadata';
  /** The validated metadata, in the `metadata` phase only. */
  metadata?: ClientMetadata;
  /** The built-in decision so far; the hook may keep it (return `undefined`) or replace it. */
  decision: TrustDecision;
}

/** What the {@link TrustPolicyOptions.decide} hook may answer. */
export interface TrustVerdict {
  /** Whether the client may be used. */
  allowed: boolean;
  /** Whether it is trusted. Default: the built-in decision's `trusted`. */
  trusted?: boolean;
  /** Why, for logs and the error page; keep it free of secrets. */
  reason: string;
}

/** The options of {@link createTrustPolicy}; each is validated when the policy is created or updated. */
export interface TrustPolicyOptions {
  /**
   * `open` (default): any valid client is allowed unless denied. `allowlist`: a URL `client_id`
   * is allowed only when an `allow` (or `trusted`) entry matches it, and an unlisted one is
   * refused without a fetch (CIMD-AS-28). Registered (store) clients are not subject to the
   * allowlist.
   */
  mode?: 'open' | 'allowlist';
  /** Entries that allow a client (see {@link TrustEntry}). Default: none. */
  allow?: readonly TrustEntry[];
  /** Entries that refuse a client. A deny entry wins over every allow and trusted entry and over the hook. Default: none. */
  deny?: readonly TrustEntry[];
  /**
   * Entries whose clients are trusted (`trust.trusted: true`: the UI may show their name and
   * logo, consent may be remembered). A trusted entry also allows the client in allowlist mode.
   * Prefer exact `client_id`s: one host can serve several clients. Default: none.
   */
  trusted?: readonly TrustEntry[];
  /**
   * CIMD-AS-17: require every `https` redirect URI of a CIMD client to be on the `client_id`'s
   * origin (scheme, host and port). Loopback `http` redirect URIs are exempt, and so are
   * private-use scheme URIs (they have no origin). Default `false`.
   */
  requireSameOriginRedirects?: boolean;
  /**
   * CIMD-AS-10: host patterns of "CIMD services" for development whose documents are exempt
   * from {@link requireSameOriginRedirects}. Default: none.
   */
  cimdServiceHosts?: readonly TrustEntry[];
  /**
   * A custom decision, called in both phases (see {@link TrustContext.phase}) unless a deny
   * entry matched. Return `undefined` to keep the built-in decision, or a verdict to replace it
   * (it may allow a client the allowlist does not list, or refuse one it does). It may be async;
   * it runs on every resolution, so keep it fast. A hook that throws makes the resolution fail
   * with its error. Default: none.
   */
  decide?: (context: TrustContext) => TrustVerdict | undefined | Promise<TrustVerdict | undefined>;
}

/** A trust policy; see {@link createTrustPolicy}. */
export interface TrustPolicy {
  /** Decides on a `client_id` alone: before any fetch, and on every cache hit. */
  checkClientId(clientId: string, source: 'cimd' | 'registered'): Promise<TrustDecision>;
  /** Decides with the validated metadata, given the decision of {@link checkClientId}. */
  checkMetadata(
    clientId: string,
    metadata: ClientMetadata,
    source: 'cimd' | 'registered',
    earlier: TrustDecision,
  ): Promise<TrustDecision>;
  /** Replaces the options (validated first); later resolutions, cache hits included, use them. */
  update(options: TrustPolicyOptions): void;
}

/** A compiled entry. */
interface Matcher {
  entry: string;
  matches(clientId: string, host: string | undefined): boolean;
}

interface Compiled {
  mode: 'open' | 'allowlist';
  allow: Matcher[];
  deny: Matcher[];
  trusted: Matcher[];
  requireSameOriginRedirects: boolean;
  cimdServiceHosts: Matcher[];
  decide: TrustPolicyOptions['decide'];
}

const HOST_LABEL = /^[a-z0-9_-]+$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;

function isHostName(value: string): boolean {
  if (IPV6_LITERAL.test(value)) return true;
  return value.split('.').every((label) => HOST_LABEL.test(label));
}

/** The host of a URL `client_id` for matching: lower-cased, without a trailing dot; undefined when not a URL. */
export function clientIdHost(clientId: string): string | undefined {
  try {
    const url = new URL(clientId);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

function compileEntry(entry: unknown, option: string): Matcher {
  if (typeof entry !== 'string' || entry.trim() === '') {
    throw new InvalidOptionError(
      `${option} entries must be non-empty strings: an exact client_id URL or a host pattern such as "example.com" or "*.example.com"; got ${JSON.stringify(entry)}`,
    );
  }
  if (/^https?:\/\//i.test(entry)) {
    return { entry, matches: (clientId) => clientId === entry };
  }
  const pattern = entry.toLowerCase().replace(/\.$/, '');
  const wildcard = pattern.startsWith('*.');
  const base = wildcard ? pattern.slice(2) : pattern;
  if (base === '' || !isHostName(base)) {
    throw new InvalidOptionError(
      `${option} entry ${JSON.stringify(entry)} is neither a client_id URL (https://...) nor a host pattern ("example.com" for that host, "*.example.com" for its subdomains; no scheme, port or path)`,
    );
  }
  if (wildcard) {
    const suffix = `.${base}`;
    return { entry, matches: (_id, host) => host?.endsWith(suffix) === true };
  }
  // Without a host (a registered client), the entry is compared with the client id as written.
  return { entry, matches: (clientId, host) => (host === undefined ? clientId === entry : host === base) };
}

function compileList(value: unknown, option: string): Matcher[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new InvalidOptionError(`${option} must be an array of client_id URLs and host patterns`);
  }
  return value.map((entry: unknown) => compileEntry(entry, option));
}

function compile(options: TrustPolicyOptions): Compiled {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('the trust policy options must be an object');
  }
  const mode = options.mode ?? 'open';
  if (mode !== 'open' && mode !== 'allowlist') {
    throw new InvalidOptionError(
      `trust policy mode must be "open" or "allowlist"; got ${JSON.stringify(mode)}`,
    );
  }
  const same = options.requireSameOriginRedirects ?? false;
  if (typeof same !== 'boolean') {
    throw new InvalidOptionError('requireSameOriginRedirects must be true or false');
  }
  if (options.decide !== undefined && typeof options.decide !== 'function') {
    throw new InvalidOptionError('decide must be a function (context) => verdict | undefined');
  }
  const cimdServiceHosts = compileList(options.cimdServiceHosts, 'cimdServiceHosts');
  return {
    mode,
    allow: compileList(options.allow, 'allow'),
    deny: compileList(options.deny, 'deny'),
    trusted: compileList(options.trusted, 'trusted'),
    requireSameOriginRedirects: same,
    cimdServiceHosts,
    decide: options.decide,
  };
}

function find(matchers: readonly Matcher[], clientId: string, host: string | undefined): Matcher | undefined {
  return matchers.find((matcher) => matcher.matches(clientId, host));
}

/**
 * Compiles `entries` (see {@link TrustEntry}: exact `client_id` URLs and host patterns) into a
 * function that returns the first entry matching a `client_id`, or `undefined`. `option` names
 * the list in the `InvalidOptionError` a bad entry throws.
 */
export function compileClientEntries(
  entries: readonly TrustEntry[] | undefined,
  option: string,
): (clientId: string) => string | undefined {
  const matchers = compileList(entries, option);
  return (clientId) => find(matchers, clientId, clientIdHost(clientId))?.entry;
}

function checkVerdict(verdict: unknown): TrustVerdict | undefined {
  if (verdict === undefined) return undefined;
  const ok =
    typeof verdict === 'object' &&
    verdict !== null &&
    typeof (verdict as TrustVerdict).allowed === 'boolean' &&
    typeof (verdict as TrustVerdict).reason === 'string' &&
    ((verdict as TrustVerdict).trusted === undefined ||
      typeof (verdict as TrustVerdict).trusted === 'boolean');
  if (ok) return verdict as TrustVerdict;
  // Fail closed on a malformed answer.
  return { allowed: false, reason: 'the trust policy hook returned an invalid decision' };
}

async function applyHook(
  policy: Compiled,
  context: Omit<TrustContext, 'decision'>,
  decision: TrustDecision,
): Promise<TrustDecision> {
  if (policy.decide === undefined) return decision;
  const verdict = checkVerdict(await policy.decide({ ...context, decision }));
  if (verdict === undefined) return decision;
  return {
    allowed: verdict.allowed,
    trusted: verdict.allowed && (verdict.trusted ?? decision.trusted),
    reason: verdict.reason,
  };
}

function originOf(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The first redirect URI that breaks the same-origin rule, or undefined. */
function offOriginRedirect(clientId: string, metadata: ClientMetadata): string | undefined {
  const origin = new URL(clientId).origin;
  return metadata.redirect_uris.find((uri) => {
    if (isLoopbackRedirectUri(uri)) return false;
    if (!/^https:/i.test(uri)) return false;
    return originOf(uri) !== origin;
  });
}

/**
 * Creates a trust policy. Options are validated at once (`InvalidOptionError`). With no options
 * the policy is open: every client that passes validation is allowed and none is trusted.
 *
 * Order of the `client_id` phase: a deny entry refuses (final); otherwise in allowlist mode a URL
 * `client_id` needs an allow or trusted entry; then the hook may replace the decision. A trusted
 * entry sets `trusted`. Metadata phase: the same-origin rule (when on, unless the host is a CIMD
 * service), then the hook again.
 */
export function createTrustPolicy(options: TrustPolicyOptions = {}): TrustPolicy {
  let policy = compile(options);

  return {
    update(next) {
      policy = compile(next);
    },

    async checkClientId(clientId, source) {
      const current = policy;
      const host = source === 'cimd' ? clientIdHost(clientId) : undefined;
      const denied = find(current.deny, clientId, host);
      if (denied !== undefined) {
        return { allowed: false, trusted: false, reason: `client_id matches the deny entry ${denied.entry}` };
      }
      const trustedBy = find(current.trusted, clientId, host);
      const trusted = trustedBy !== undefined;
      const trustNote = trusted ? `; trusted: client_id matches the trusted entry ${trustedBy.entry}` : '';
      let decision: TrustDecision;
      if (source === 'registered') {
        decision = { allowed: true, trusted, reason: `a registered client${trustNote}` };
      } else if (current.mode === 'allowlist') {
        const allowedBy = find(current.allow, clientId, host) ?? trustedBy;
        decision =
          allowedBy === undefined
            ? {
                allowed: false,
                trusted: false,
                reason: 'client_id is not on the allow list (allowlist mode)',
              }
            : {
                allowed: true,
                trusted,
                reason: `client_id matches the allow entry ${allowedBy.entry}${trustNote}`,
              };
      } else {
        const allowedBy = find(current.allow, clientId, host);
        const why =
          allowedBy === undefined
            ? 'open mode: any valid client is allowed'
            : `client_id matches the allow entry ${allowedBy.entry}`;
        decision = { allowed: true, trusted, reason: `${why}${trustNote}` };
      }
      return applyHook(current, { clientId, source, phase: 'client_id' }, decision);
    },

    async checkMetadata(clientId, metadata, source, earlier) {
      const current = policy;
      if (!earlier.allowed) return earlier;
      let decision = earlier;
      if (source === 'cimd' && current.requireSameOriginRedirects) {
        const host = clientIdHost(clientId);
        const exempt = find(current.cimdServiceHosts, clientId, host) !== undefined;
        const offending = exempt ? undefined : offOriginRedirect(clientId, metadata);
        if (offending !== undefined) {
          decision = {
            allowed: false,
            trusted: false,
            reason: `the redirect URI ${offending} is not on the client_id's origin ${new URL(clientId).origin} (same-origin policy)`,
          };
        }
      }
      return applyHook(current, { clientId, source, phase: 'metadata', metadata }, decision);
    },
  };
}

/** True when `value` looks like a {@link TrustPolicy} (rather than its options). */
export function isTrustPolicy(value: unknown): value is TrustPolicy {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TrustPolicy).checkClientId === 'function' &&
    typeof (value as TrustPolicy).checkMetadata === 'function'
  );
}
