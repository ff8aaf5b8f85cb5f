/**
 * The error thrown when a client metadata document breaks an error-level rule.
 *
 * @module
 */

import { CimdError } from '../errors.js';
import type { Finding } from './findings.js';

/**
 * Thrown (code `ERR_INVALID_CLIENT_METADATA`) when client metadata breaks at least one
 * error-level rule. `findings` holds every finding (errors first); the message lists the
 * errors with their rule IDs and paths.
 */
export class InvalidClientMetadataError extends CimdError {
  /** Every finding of the check that failed, sorted: errors, warnings, info. */
  readonly findings: Finding[];

  constructor(findings: Finding[], options?: { cause?: unknown }) {
    const errors = findings.filter((finding) => finding.severity === 'error');
    const list = errors.map((finding) => `${finding.id} at ${finding.path}: ${finding.message}`).join('\n  ');
    super(
      'ERR_INVALID_CLIENT_METADATA',
      `The client metadata breaks ${errors.length} rule${errors.length === 1 ? '' : 's'}:\n  ${list}`,
      options,
    );
    this.findings = findings;
  }
}
