/**
 * The shape of a validation report: what `cimd validate` prints and what
 * {@link validateClientMetadataUrl} returns to code.
 *
 * @module
 */
import type { CimdErrorCode } from '../errors.js';
import type { ClientMetadata, Finding } from '../index.js';
import type { HostingHint } from './hosting-hints.js';

/** One named step of a validation, shown as ✓ or ✗ by the CLI. */
export interface ValidationCheck {
  /** Stable identifier of the step: `client-id-url`, `fetch`, `json`, `client-id-match`, `rules`, `keys`, `redirect-uri`. */
  id: 'client-id-url' | 'fetch' | 'json' | 'client-id-match' | 'rules' | 'keys' | 'redirect-uri';
  /** What was checked, in words. */
  label: string;
  /** Whether it passed. */
  ok: boolean;
}

/** Why a validation could not be carried out (the CLI exits 2). */
export interface ValidationProblem {
  code: CimdErrorCode;
  /** A message safe to show a user. */
  message: string;
}

/** Whether a runtime redirect URI would be accepted by the shared matcher. */
export interface RedirectUriVerdict {
  uri: string;
  accepted: boolean;
  /** The registered URI it matched, when accepted. */
  matched?: string;
  /** Why not, when refused. */
  reason?: string;
}

/** The result of validating one document. */
export interface ValidationReport {
  /** The URL the document is (or will be) served at; undefined for a file checked without `url`. */
  url?: string;
  /** The file checked, for file validation. */
  file?: string;
  /** False when the check could not be carried out; see `problem`. */
  checked: boolean;
  /** True when checked and no error-level finding was made. Redirect verdicts do not change it. */
  valid: boolean;
  problem?: ValidationProblem;
  checks: ValidationCheck[];
  findings: Finding[];
  /** The document as parsed, when it was a JSON object. */
  document?: ClientMetadata;
  /** Size of the served (or file) body in bytes. */
  byteLength?: number;
  /**
   * When the document fetch failed in a way that points at a known hosting mistake (a raw file
   * host's `text/plain`, a redirect, a CDN bot wall, an HTML page): what it likely is and the fix.
   */
  hint?: HostingHint;
  /** Verdicts for the redirect URIs asked about, in the order given. */
  redirectUris: RedirectUriVerdict[];
}
