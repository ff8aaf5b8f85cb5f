/**
 * Findings: what a lint rule reports, and the helpers that build, sort and summarise them.
 *
 * @module
 */

import { type RuleId, ruleSeverity, type Severity } from './rules.js';

export type { Severity } from './rules.js';

/** One problem (or remark) a rule found. */
export interface Finding {
  /** The stable rule ID, e.g. `CIMD-URL-03`; see {@link LINT_RULES} and `docs/lint-rules.md`. */
  id: string;
  /** The rule's severity; always the one the catalogue gives for `id`. */
  severity: Severity;
  /** What is wrong and how to fix it, in one or two sentences. */
  message: string;
  /**
   * Where: a JSON path into the document, e.g. `$.redirect_uris[1]`; `$` for the whole
   * document; `$.client_id` for the `client_id` URL rules.
   */
  path: string;
}

/** Builds a finding whose severity comes from the rule catalogue. */
export function createFinding(id: RuleId, message: string, path: string): Finding {
  return { id, severity: ruleSeverity(id), message, path };
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Pads the numbers in a path so that `[10]` sorts after `[2]`. */
function pathSortKey(path: string): string {
  return path.replace(/\d+/g, (digits) => digits.padStart(10, '0'));
}

/** Sorts findings in place and returns them: errors, then warnings, then info; then by path. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => {
    const bySeverity = SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
    if (bySeverity !== 0) return bySeverity;
    const pa = pathSortKey(a.path);
    const pb = pathSortKey(b.path);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
}

/** True when at least one finding is an error. */
export function hasErrorFinding(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.severity === 'error');
}
