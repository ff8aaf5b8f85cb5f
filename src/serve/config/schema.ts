/**
 * The schema of `cimd serve`'s settings (zod): each option's type, range and default. Every
 * value may arrive as text (a flag or an environment variable) or typed (the JSON config file);
 * both are read the same way, and a bad value gets a message that says what is accepted.
 *
 * @module
 */
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from '../logging.js';
import { UPSTREAM_AUTH_METHODS, UPSTREAM_KINDS, type UpstreamKind } from './catalog-upstream.js';

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** `value` as it is quoted in an error message. */
export function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** A whole number within `[min, max]`, from a number or a string of digits; `undefined` when unset. */
function optionalInteger(min: number, max: number, unit?: string) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): number | undefined => {
      if (value === undefined) return undefined;
      const number =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
            ? Number(value)
            : Number.NaN;
      if (!Number.isSafeInteger(number) || number < min || number > max) {
        return fail(
          ctx,
          `expected a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}; got ${show(value)}`,
        );
      }
      return number;
    });
}

/** A whole number within `[min, max]`, `fallback` when unset. */
function integer(fallback: number, min: number, max: number, unit?: string) {
  return optionalInteger(min, max, unit).transform((value): number => value ?? fallback);
}

/** A boolean, or `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case). */
function boolean(fallback: boolean) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): boolean => {
      if (value === undefined) return fallback;
      if (typeof value === 'boolean') return value;
      const word = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
      if (word !== undefined && TRUE_WORDS.has(word)) return true;
      if (word !== undefined && FALSE_WORDS.has(word)) return false;
      return fail(ctx, `expected true or false (or 1/0, yes/no, on/off); got ${show(value)}`);
    });
}

/**
 * A non-empty string (trimmed), or `undefined` when unset. A `secret` is never quoted in a
 * message.
 */
function text(options: { secret?: boolean } = {}) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): string | undefined => {
      if (value === undefined) return undefined;
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
      return fail(
        ctx,
        options.secret ? 'expected a non-empty value' : `expected a non-empty string; got ${show(value)}`,
      );
    });
}

/** One of `choices` (case-insensitive), or `undefined` when unset. */
function optionalChoice<const T extends string>(choices: readonly T[]) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): T | undefined => {
      if (value === undefined) return undefined;
      const word = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
      const found = choices.find((candidate) => candidate === word);
      if (found === undefined) return fail(ctx, `expected one of ${choices.join(', ')}; got ${show(value)}`);
      return found;
    });
}

/** One of `choices` (case-insensitive), `fallback` when unset. */
function choice<const T extends string>(choices: readonly T[], fallback: T) {
  return optionalChoice(choices).transform((value): T => value ?? fallback);
}

/**
 * A list of non-empty strings: an array (a repeated flag, a JSON array), or one string split at
 * `separator` (an environment variable, a JSON string).
 */
function list(separator: RegExp) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): string[] | undefined => {
      if (value === undefined) return undefined;
      const items = typeof value === 'string' ? value.split(separator) : value;
      if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
        return fail(
          ctx,
          `expected a list of strings (a JSON array, or comma-separated text); got ${show(value)}`,
        );
      }
      return items.map((item: string) => item.trim()).filter((item) => item !== '');
    });
}

const COMMAS = /,/;
const COMMAS_OR_SPACES = /[\s,]+/;

/** Upper bounds, in seconds. */
const DAY_SECONDS = 86_400;
const YEAR_SECONDS = 365 * DAY_SECONDS;

/** The highest rate limit accepted, in requests per minute. */
const MAX_RATE = 1_000_000;

/**
 * `--rate-limit`: requests per minute (default 600), or off: `false` (`--no-rate-limit`), `off`,
 * `false`, `no` or `0`.
 */
function rateLimit() {
  const perMinute = integer(600, 0, MAX_RATE, 'requests per minute');
  return z
    .unknown()
    .optional()
    .transform((value, ctx): number | false => {
      if (value === false) return false;
      if (typeof value === 'string' && FALSE_WORDS.has(value.trim().toLowerCase())) return false;
      const parsed = perMinute.safeParse(value);
      if (!parsed.success) {
        return fail(
          ctx,
          `expected a whole number of requests per minute from 1 to ${MAX_RATE}, or off; got ${show(value)}`,
        );
      }
      return parsed.data === 0 ? false : parsed.data;
    });
}

/**
 * `--resource-policy`: rules as text (`<uri> clients=… scopes=… grants=…`; in the environment,
 * several separated by `;`) or, in the config file, objects `{ resource, clients?, scopes?,
 * grants? }`. Checked against the resources later (see `client-policy.ts`).
 */
function resourceRules() {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): (string | Record<string, unknown>)[] | undefined => {
      if (value === undefined) return undefined;
      const items = typeof value === 'string' ? value.split(';') : value;
      const ok =
        Array.isArray(items) &&
        items.every(
          (item) =>
            typeof item === 'string' || (typeof item === 'object' && item !== null && !Array.isArray(item)),
        );
      if (!ok) {
        return fail(
          ctx,
          `expected rules "<uri> clients=… scopes=… grants=…" (in the environment separated by ;) or, in the config file, objects { "resource", "clients", "scopes", "grants" }; got ${show(value)}`,
        );
      }
      return (items as (string | Record<string, unknown>)[]).filter(
        (item) => typeof item !== 'string' || item.trim() !== '',
      );
    });
}

/** The schema of the merged settings; unknown keys are refused. */
export const serveSettingsSchema = z.strictObject({
  host: text(),
  port: integer(4000, 0, 65_535),
  issuer: text(),
  resources: list(COMMAS),
  demo: boolean(false),
  store: choice(['memory', 'sqlite', 'postgres', 'redis'], 'sqlite'),
  database: text(),
  registration: boolean(true),
  registrationTokenFile: text(),
  rateLimit: rateLimit(),
  rateLimitPerClient: optionalInteger(1, MAX_RATE, 'requests per minute'),
  trustMode: choice(['open', 'allowlist'], 'open'),
  allow: list(COMMAS),
  deny: list(COMMAS),
  trusted: list(COMMAS),
  cimd: boolean(true),
  resourcePolicy: resourceRules(),
  allowedRedirectUris: list(COMMAS),
  allowClientCredentials: list(COMMAS),
  clientCredentialsResources: list(COMMAS),
  trustedAssertionIssuers: list(COMMAS),
  dpopRequired: boolean(false),
  dpopNonce: boolean(false),
  dpopNonceWindow: optionalInteger(10, 3600, 'seconds'),
  dpopNonceSecretFile: text(),
  dpopNonceSecret: text({ secret: true }),
  accessTokenTtl: integer(600, 1, DAY_SECONDS, 'seconds'),
  refreshTokenTtl: integer(30 * DAY_SECONDS, 1, YEAR_SECONDS, 'seconds'),
  scopes: list(COMMAS_OR_SPACES),
  signingKeys: text(),
  allowPrivateNetwork: boolean(false),
  dangerouslyAllowHttpClientIds: boolean(false),
  fetchProxy: text(),
  tlsCert: text(),
  tlsKey: text(),
  trustProxy: boolean(false),
  upstream: choice<UpstreamKind | 'none'>(['none', ...UPSTREAM_KINDS], 'none'),
  upstreamIssuer: text(),
  upstreamClientId: text(),
  upstreamClientSecretFile: text(),
  upstreamClientSecret: text({ secret: true }),
  upstreamAuthMethod: optionalChoice(UPSTREAM_AUTH_METHODS),
  upstreamKey: text(),
  upstreamScopes: list(COMMAS_OR_SPACES),
  upstreamAuthorizationEndpoint: text(),
  upstreamTokenEndpoint: text(),
  upstreamUserinfoEndpoint: text(),
  upstreamSubjectField: text(),
  upstreamHostedDomain: text(),
  upstreamTimeout: integer(10, 1, 120, 'seconds'),
  upstreamAllowUsers: list(COMMAS_OR_SPACES),
  upstreamAllowEmailDomains: list(COMMAS_OR_SPACES),
  upstreamAllowOrgs: list(COMMAS_OR_SPACES),
  upstreamDemo: boolean(false),
  userClaims: list(COMMAS_OR_SPACES),
  sessionTtl: integer(12 * 3600, 60, 30 * DAY_SECONDS, 'seconds'),
  encryptionKeyFile: text(),
  encryptionKey: text({ secret: true }),
  metricsPort: optionalInteger(0, 65_535),
  metricsHost: text(),
  shutdownTimeout: integer(10, 0, 3600, 'seconds'),
  audit: text(),
  logLevel: choice<LogLevel>(LOG_LEVELS, 'info'),
});

/** The settings after the schema: typed, defaults applied, not yet cross-checked. */
export type ServeSettings = z.output<typeof serveSettingsSchema>;
