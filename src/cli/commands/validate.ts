/**
 * `cimd validate`: fetches a Client ID Metadata Document exactly as an authorization server
 * would (or reads a file before it is published), lints it, checks its keys, and optionally says
 * whether a runtime redirect URI would be accepted. Exit 0 valid, 1 invalid, 2 usage error or
 * could not check.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import yoctoSpinner from 'yocto-spinner';
import { compareDocuments, type DocumentDifference } from '../../validate/compare-document.js';
import type { ValidationReport } from '../../validate/report.js';
import {
  type ValidateOptions,
  validateClientMetadataFile,
  validateClientMetadataUrl,
} from '../../validate/validate-document.js';
import { EXIT_CANNOT_CHECK, EXIT_INVALID, EXIT_OK, UsageError } from '../exit-codes.js';
import { type CliIo, formatFinding, sortFindings, writeLine } from '../io.js';

interface ValidateFlags {
  file?: string;
  url?: string;
  redirectUri?: string[];
  allowPrivateNetwork?: boolean;
  json?: boolean;
  timeout: number;
  against?: string;
}

/** The outcome of `--against`: the published document compared with the committed file. */
interface AgainstReport {
  file: string;
  equal: boolean;
  differences: DocumentDifference[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    throw new InvalidArgumentError('expected a number of seconds greater than 0 and at most 300');
  }
  return seconds;
}

/** Defines `cimd validate`. */
export function validateCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('validate')
    .description('Fetch a client metadata document as an authorization server would, and check every rule')
    .argument('[url]', 'the https URL of the document (its client_id)')
    .option('--file <path>', 'validate a local file before publishing it')
    .option('--url <url>', 'with --file: the URL where the file will be served (checks client_id equality)')
    .option(
      '--redirect-uri <uri>',
      'say whether this runtime redirect URI would be accepted; repeatable',
      collect,
    )
    .option(
      '--allow-private-network',
      'accept documents on this machine or a private network (development only; prints a warning)',
    )
    .option('--json', 'print a machine-readable report on stdout')
    .option(
      '--against <file>',
      'also require the published document to equal this committed JSON file (exit 1 with a diff), for CI',
    )
    .option(
      '-t, --timeout <seconds>',
      'deadline of each fetch (the document, then its jwks_uri): DNS, connect, TLS, headers and body together, in seconds',
      parseSeconds,
      10,
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 valid (warnings allowed), 1 invalid, a --redirect-uri would be refused,
            or the published document differs from the --against file,
            2 usage error or the document could not be checked (network, status, redirect, timeout, SSRF).

Examples:
  $ cimd validate https://app.example.com/oauth/client.json
  $ cimd validate --file public/oauth/client.json --url https://app.example.com/oauth/client.json
  $ cimd validate https://app.example.com/oauth/client.json --redirect-uri http://127.0.0.1:49152/callback
  $ cimd validate https://app.example.com/oauth/client.json --against public/oauth/client.json
  $ cimd validate https://localhost:8443/client.json --allow-private-network --json
  $ cimd validate https://app.example.com/oauth/client.json -t 30

When the fetch fails in a way that points at a hosting mistake (text/plain from a raw file host,
a redirect, a CDN bot wall, an HTML page), a "Hint:" line names it and the fix.`,
    )
    .action(async (url: string | undefined, flags: ValidateFlags) => {
      setExit(await runValidate(url, flags, io));
    });
}

function validateArguments(url: string | undefined, flags: ValidateFlags): void {
  if (url !== undefined && flags.file !== undefined) {
    throw new UsageError(
      'give either a URL or --file <path>, not both (use --url to say where the file will live)',
    );
  }
  if (url === undefined && flags.file === undefined) {
    throw new UsageError(
      'missing the document URL: cimd validate <url>, or cimd validate --file <path> --url <url>',
    );
  }
  if (flags.against !== undefined && flags.file !== undefined) {
    throw new UsageError(
      '--against compares the published document: pass its URL as the argument, not --file',
    );
  }
  if (flags.url !== undefined && flags.file === undefined) {
    throw new UsageError(
      '--url goes with --file; to fetch a published document, pass its URL as the argument',
    );
  }
}

async function readCommitted(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--against: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--against: ${path} is not JSON: ${(error as Error).message}`);
  }
}

function compareWith(file: string, committed: unknown, report: ValidationReport): AgainstReport {
  const differences =
    report.document === undefined
      ? [{ path: '$', change: 'changed' as const, committed }]
      : compareDocuments(report.document, committed);
  return { file, equal: differences.length === 0, differences };
}

async function runValidate(url: string | undefined, flags: ValidateFlags, io: CliIo): Promise<number> {
  validateArguments(url, flags);
  const committed = flags.against === undefined ? undefined : await readCommitted(flags.against);
  const { colors } = io;
  if (flags.allowPrivateNetwork) {
    writeLine(
      io.stderr,
      colors.yellow(
        'Warning: --allow-private-network is on: private and loopback addresses are accepted. Authorization servers refuse them; use this only for local development.',
      ),
    );
  }
  const options: ValidateOptions = {
    allowPrivateNetwork: flags.allowPrivateNetwork ?? false,
    timeoutMs: Math.round(flags.timeout * 1000),
    redirectUris: flags.redirectUri ?? [],
  };
  const spinner =
    io.interactive && !flags.json
      ? yoctoSpinner({
          text: `Fetching ${url ?? flags.file}`,
          stream: io.stderr as NodeJS.WriteStream,
        }).start()
      : undefined;
  let report: ValidationReport;
  try {
    report =
      flags.file !== undefined
        ? await validateClientMetadataFile(flags.file, {
            ...options,
            ...(flags.url ? { url: flags.url } : {}),
          })
        : await validateClientMetadataUrl(url as string, options);
  } finally {
    spinner?.stop();
  }

  const against =
    flags.against !== undefined && report.checked ? compareWith(flags.against, committed, report) : undefined;
  if (flags.json) {
    writeLine(io.stdout, JSON.stringify(against ? { ...report, against } : report, null, 2));
  } else {
    printReport(report, io);
    if (against) printAgainst(against, io);
  }
  if (!report.checked) return EXIT_CANNOT_CHECK;
  if (!report.valid || report.redirectUris.some((verdict) => !verdict.accepted)) return EXIT_INVALID;
  if (against && !against.equal) return EXIT_INVALID;
  return EXIT_OK;
}

const CHANGE_LABEL = {
  added: 'added (only in the published document)',
  removed: 'removed (only in the committed file)',
  changed: 'changed',
};

function printAgainst(against: AgainstReport, io: CliIo): void {
  const { colors } = io;
  const out = io.stdout;
  const show = (value: unknown) => JSON.stringify(value);
  writeLine(out);
  if (against.equal) {
    writeLine(out, `${colors.green('✓')} The published document equals ${against.file}`);
    return;
  }
  writeLine(out, colors.bold(`Differences from ${against.file}:`));
  for (const difference of against.differences) {
    writeLine(out, `  ${difference.path}: ${CHANGE_LABEL[difference.change]}`);
    if (difference.change !== 'removed') writeLine(out, `    published: ${show(difference.published)}`);
    if (difference.change !== 'added') writeLine(out, `    committed: ${show(difference.committed)}`);
  }
  writeLine(
    out,
    colors.red(
      `✗ The published document differs from ${against.file} (${against.differences.length} member${against.differences.length === 1 ? '' : 's'})`,
    ),
  );
}

function printReport(report: ValidationReport, io: CliIo): void {
  const { colors } = io;
  const out = io.stdout;
  const subject = report.file ?? report.url ?? '';
  for (const check of report.checks) {
    writeLine(out, `${check.ok ? colors.green('✓') : colors.red('✗')} ${check.label}`);
  }
  if (!report.checked && report.problem) {
    writeLine(
      out,
      `${colors.red('✗')} could not check ${subject}: ${report.problem.message} [${report.problem.code}]`,
    );
    printHint(report, io);
    return;
  }
  const document = report.document;
  if (document) {
    writeLine(out);
    writeLine(out, colors.bold('Document details:'));
    const detail = (label: string, value: unknown) => {
      if (value !== undefined)
        writeLine(out, `  ${label}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    };
    detail('client_id', document.client_id);
    detail('client_name', document.client_name);
    detail('token_endpoint_auth_method', document.token_endpoint_auth_method ?? '(not set)');
    if (Array.isArray(document.redirect_uris)) {
      writeLine(out, '  redirect_uris:');
      for (const uri of document.redirect_uris) writeLine(out, `    • ${String(uri)}`);
    }
    detail('scope', document.scope);
    detail('client_uri', document.client_uri);
    detail('jwks_uri', document.jwks_uri);
    if (report.byteLength !== undefined) detail('size', `${report.byteLength} bytes`);
  }
  for (const verdict of report.redirectUris) {
    writeLine(out);
    writeLine(
      out,
      verdict.accepted
        ? `${colors.green('✓')} redirect URI ${verdict.uri} is accepted (matches ${verdict.matched})`
        : `${colors.red('✗')} redirect URI ${verdict.uri} would be refused: ${verdict.reason}`,
    );
  }
  if (report.findings.length > 0) {
    writeLine(out);
    writeLine(out, colors.bold('Findings:'));
    for (const finding of sortFindings(report.findings))
      writeLine(out, `  ${formatFinding(finding, colors)}`);
  }
  printHint(report, io);
  writeLine(out);
  writeLine(
    out,
    report.valid
      ? `${colors.green('✓ Valid client metadata document')}${report.findings.length ? ' (see the warnings above)' : ''}`
      : colors.red('✗ Invalid client metadata document'),
  );
}

function printHint(report: ValidationReport, io: CliIo): void {
  if (report.hint === undefined) return;
  writeLine(io.stdout);
  writeLine(io.stdout, `${io.colors.yellow('Hint:')} ${report.hint.message} [${report.hint.id}]`);
}
