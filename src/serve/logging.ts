/**
 * The pino logger of `cimd serve` and the demo: JSON lines with an ISO time and a level label,
 * and every secret redacted before it is written, at any depth.
 *
 * pino's own `redact` paths match one fixed level (`*.code` misses `a.b.code`), so redaction is a
 * walk over each log object and the bindings of child loggers: a value whose key is secret
 * ({@link SECRET_KEYS}, case-insensitive) becomes {@link REDACTED}; in strings, secret query
 * parameters (`?code=…`, `&access_token=…`) and credentials after `Bearer`/`Basic`/`DPoP` are
 * replaced too, and so are those in the message. An `Error` is serialized first (pino's `err`
 * serializer) so its own members are walked as well. A `code` member of an error object (under
 * `err`, `error` or `cause`) is an error code such as `ERR_CIMD_FETCH`, and is kept.
 *
 * @module
 */
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

/** The log levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Keys whose values never reach a log, compared case-insensitively at any depth: credentials in
 * headers, OAuth parameters that are secrets (client assertions, codes, PKCE verifiers, tokens),
 * passwords, and the private members of a JWK (`d`, `p`, `q`, `dp`, `dq`, `qi`, and `k` of a
 * symmetric key).
 */
export const SECRET_KEYS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'cookies',
  'set-cookie',
  'client_assertion',
  'clientassertion',
  'assertion',
  'code',
  'code_verifier',
  'codeverifier',
  'access_token',
  'accesstoken',
  'refresh_token',
  'refreshtoken',
  'id_token',
  'idtoken',
  'token',
  'client_secret',
  'clientsecret',
  'password',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'k',
]);

const SECRET_KEY_SET = new Set(SECRET_KEYS);
/** Parents under which `code` is an error code, not an authorization code. */
const ERROR_PARENTS = new Set(['err', 'error', 'cause']);
const SECRET_PARAMS =
  /([?&#;](?:code|code_verifier|access_token|refresh_token|client_assertion|id_token|token)=)[^&#\s"']*/gi;
const CREDENTIALS = /\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9\-._~+/]+=*/g;
const MAX_DEPTH = 12;

/** `text` with secret query parameters and `Bearer`/`Basic`/`DPoP` credentials replaced. */
export function redactString(text: string): string {
  if (!text.includes('=') && !/Bearer|Basic|DPoP/.test(text)) return text;
  return text.replace(SECRET_PARAMS, `$1${REDACTED}`).replace(CREDENTIALS, `$1 ${REDACTED}`);
}

function isSecretKey(key: string, parent: string | undefined): boolean {
  const lower = key.toLowerCase();
  if (lower === 'code' && parent !== undefined && ERROR_PARENTS.has(parent.toLowerCase())) return false;
  return SECRET_KEY_SET.has(lower);
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function walk(value: unknown, parent: string | undefined, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[Too deep]';
  if (value instanceof URL) return redactString(value.href);
  if (value instanceof Headers) return walk(Object.fromEntries(value), parent, depth, seen);
  seen.add(value);
  try {
    if (value instanceof Error) return walk({ ...pino.stdSerializers.err(value) }, parent, depth, seen);
    if (Array.isArray(value)) return value.map((item) => walk(item, parent, depth + 1, seen));
    if (!isPlainObject(value)) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      copy[key] =
        isSecretKey(key, parent) && member !== undefined && member !== null
          ? REDACTED
          : walk(member, key, depth + 1, seen);
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

/**
 * A copy of `fields` with every secret redacted (see the module documentation); the input is
 * never modified.
 */
export function redactSecrets<T extends Record<string, unknown>>(fields: T): T {
  return walk(fields, undefined, 0, new WeakSet()) as T;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The lowest level written. Default `info`. */
  level?: LogLevel;
  /**
   * Where the JSON lines go: a pino destination or any writable stream. Default: stdout,
   * written synchronously (nothing is lost when the process exits).
   */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** A `name` field on every line. Default: none. */
  name?: string;
}

/**
 * Creates a pino logger that redacts secrets at any depth, in log objects, child bindings and
 * messages. It satisfies the server's `Logger` interface, so it can be passed to
 * `createAuthorizationServer({ logger })`.
 */
export function createLogger(options: CreateLoggerOptions = {}): PinoLogger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const logger = pino(
    {
      level: options.level ?? 'info',
      ...(options.name === undefined ? {} : { name: options.name }),
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are serialized (and redacted) by the formatter below; not a second time.
      serializers: { err: (value: unknown) => value },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSecrets(bindings),
        log: (fields) => redactSecrets(fields),
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination as DestinationStream,
  );
  // pino applies `formatters.bindings` to the root bindings only: redact a child's here. Children
  // inherit this method from the root through their prototype chain.
  const child = logger.child;
  logger.child = function redactingChild(this: PinoLogger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as typeof logger.child;
  return logger;
}
