/**
 * Why a client could not be resolved: one error class with a stable code per reason, and a
 * message safe to show a user on the error page (it names the `client_id` URL and what was wrong
 * with it, never an address the host resolved to nor anything internal).
 *
 * @module
 */
import type { Finding } from '../../document/findings.js';
import { CimdError, type CimdErrorCode } from '../../errors.js';
import type { FetchErrorCode } from '../../fetch/errors.js';
import type { TrustDecision } from './types.js';

/** The codes a {@link ClientResolutionError} carries. */
export type ClientResolutionErrorCode = Extract<
  CimdErrorCode,
  | 'ERR_CLIENT_NOT_FOUND'
  | 'ERR_CIMD_INVALID_CLIENT_ID'
  | 'ERR_CIMD_FETCH'
  | 'ERR_CIMD_INVALID_DOCUMENT'
  | 'ERR_CIMD_CLIENT_ID_MISMATCH'
  | 'ERR_CIMD_POLICY_DENIED'
  | 'ERR_CIMD_FETCH_BUDGET'
>;

/** Extra details of a {@link ClientResolutionError}; each is present only where it applies. */
export interface ClientResolutionErrorDetails {
  /** The lint findings that made the server refuse the `client_id` URL or the document. */
  findings?: readonly Finding[];
  /** The fetcher's code when the fetch failed (`ERR_FETCH_STATUS`, `ERR_FETCH_TIMEOUT`, ...). */
  fetchCode?: FetchErrorCode;
  /** The HTTP status the document's host answered with, for a refused status or redirect. */
  status?: number;
  /** `ERR_CIMD_CLIENT_ID_MISMATCH`: the document's `client_id` (absent when it had none). */
  documentClientId?: string;
  /** `ERR_CIMD_POLICY_DENIED`: the trust decision, with its reason. */
  decision?: TrustDecision;
  /** `ERR_CIMD_FETCH_BUDGET`: how long until the host's budget allows a fetch again, in ms. */
  retryAfterMs?: number;
  /** The lower-level error (for a failed fetch, the fetcher's `FetchError`). */
  cause?: unknown;
}

/**
 * A client could not be resolved. Switch on `code`:
 * - `ERR_CLIENT_NOT_FOUND`: not a URL and not a registered client;
 * - `ERR_CIMD_INVALID_CLIENT_ID`: a URL that breaks the CIMD URL rules (nothing was fetched);
 * - `ERR_CIMD_FETCH`: the document could not be fetched (status, redirect, network, timeout, SSRF);
 * - `ERR_CIMD_INVALID_DOCUMENT`: fetched, but not an acceptable document (`findings` say why);
 * - `ERR_CIMD_CLIENT_ID_MISMATCH`: the document's `client_id` is not byte-equal to its URL;
 * - `ERR_CIMD_POLICY_DENIED`: the trust policy refused the client (`decision.reason` says why);
 * - `ERR_CIMD_FETCH_BUDGET`: too many fetches from the host right now; retry after `retryAfterMs`.
 *
 * The message is safe to show the user. Map it to the OAuth wire error with `toOAuthError`.
 */
export class ClientResolutionError extends CimdError {
  declare readonly code: ClientResolutionErrorCode;
  /** The `client_id` that was being resolved. */
  readonly clientId: string;
  /** The lint findings that made the server refuse (errors only); empty when not a lint refusal. */
  readonly findings: readonly Finding[];
  /** See {@link ClientResolutionErrorDetails.fetchCode}. */
  readonly fetchCode?: FetchErrorCode;
  /** See {@link ClientResolutionErrorDetails.status}. */
  readonly status?: number;
  /** See {@link ClientResolutionErrorDetails.documentClientId}. */
  readonly documentClientId?: string;
  /** See {@link ClientResolutionErrorDetails.decision}. */
  readonly decision?: TrustDecision;
  /** See {@link ClientResolutionErrorDetails.retryAfterMs}. */
  readonly retryAfterMs?: number;

  constructor(
    code: ClientResolutionErrorCode,
    clientId: string,
    message: string,
    details: ClientResolutionErrorDetails = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.clientId = clientId;
    this.findings = Object.freeze([...(details.findings ?? [])]);
    if (details.fetchCode !== undefined) this.fetchCode = details.fetchCode;
    if (details.status !== undefined) this.status = details.status;
    if (details.documentClientId !== undefined) this.documentClientId = details.documentClientId;
    if (details.decision !== undefined) this.decision = details.decision;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/** True when `error` is a {@link ClientResolutionError}, optionally with the given code. */
export function isClientResolutionError(
  error: unknown,
  code?: ClientResolutionErrorCode,
): error is ClientResolutionError {
  return error instanceof ClientResolutionError && (code === undefined || error.code === code);
}

/** Longest `client_id` echoed in a message, in characters. */
const MAX_ECHOED = 200;

/** `value` shortened for a message. */
export function echoId(value: string): string {
  return value.length > MAX_ECHOED ? `${value.slice(0, MAX_ECHOED)}…` : value;
}

/** `ERR_CIMD_POLICY_DENIED` for `clientId`: the trust policy's `decision` refused it (its reason in the message). */
export function policyDeniedError(clientId: string, decision: TrustDecision): ClientResolutionError {
  return new ClientResolutionError(
    'ERR_CIMD_POLICY_DENIED',
    clientId,
    `this server does not accept the client ${echoId(clientId)}: ${decision.reason}`,
    { decision },
  );
}

/** `ERR_CLIENT_NOT_FOUND` for `clientId`, with a `message` safe to show (it says why). */
export function clientNotFoundError(clientId: string, message: string): ClientResolutionError {
  return new ClientResolutionError('ERR_CLIENT_NOT_FOUND', clientId, message);
}
