/**
 * Where CLI commands write: data on stdout, diagnostics on stderr. Colour only on a TTY and
 * never when `NO_COLOR` is set; commands take this object so tests can capture both streams.
 */
import pc from 'picocolors';
import type { Finding, Severity } from '../index.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** True when stderr is an interactive terminal (spinners are shown only then). */
  interactive: boolean;
  /** Colour functions; identity functions when colour is off. */
  colors: ReturnType<typeof pc.createColors>;
}

/** The IO of the running process. */
export function processIo(): CliIo {
  const colorOn =
    Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
    colors: pc.createColors(colorOn),
  };
}

/** Writes one line (a newline is added). */
export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Findings sorted by severity (errors first), keeping the order within one severity. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity]);
}

/** One human line per finding: a severity mark, the rule ID, the message and where it applies. */
export function formatFinding(finding: Finding, colors: CliIo['colors']): string {
  const mark =
    finding.severity === 'error'
      ? colors.red('✗ error  ')
      : finding.severity === 'warning'
        ? colors.yellow('! warning')
        : colors.cyan('i info   ');
  const where = finding.path && finding.path !== '$' ? colors.dim(` (at ${finding.path})`) : '';
  return `${mark} ${colors.bold(finding.id)} ${finding.message}${where}`;
}
