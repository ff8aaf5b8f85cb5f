/**
 * Validation of a Client ID Metadata Document exactly as an authorization server would see it:
 * the `client_id` URL rules, a fetch through the SSRF-safe fetcher (no redirects, 200 only, JSON
 * content type, 5120-byte cap, one deadline), the document rules, byte-exact `client_id`
 * equality, and the keys (inline `jwks`, or `jwks_uri` fetched the same way with a 64 KiB cap).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createSafeFetcher, FetchError, JWKS_MAX_BYTES, type SafeFetcher } from '../fetch/index.js';
import {
  type ClientMetadata,
  checkClientIdUrl,
  type Finding,
  lintClientMetadata,
  lintJwks,
  matchRedirectUri,
} from '../index.js';
import { DOCUMENT_FETCH_FAILURES, JWKS_URI_FETCH_RULE } from './fetch-rules.js';
import { hostingHintFor } from './hosting-hints.js';
import type { RedirectUriVerdict, ValidationCheck, ValidationReport } from './report.js';

/** Options of {@link validateClientMetadataUrl} and {@link validateClientMetadataFile}. */
export interface ValidateOptions {
  /**
   * LOUD opt-in, default `false`: accept documents and keys served from this machine or a private
   * network (IP-literal and non-public hosts, special-purpose addresses). For local development
   * only; never lifts https, the redirect ban, the size cap or the deadline.
   */
  allowPrivateNetwork?: boolean;
  /**
   * One deadline per fetch (the document, then its `jwks_uri`) over DNS, connect, TLS, headers
   * and body together, in milliseconds. Default 5000 (`cimd validate`: 10 seconds).
   */
  timeoutMs?: number;
  /** Runtime redirect URIs to check against the document's `redirect_uris` with the shared matcher. */
  redirectUris?: readonly string[];
  /** A fetcher to use instead of a new one (it is not closed). Its own options then apply. */
  fetcher?: SafeFetcher;
}

function hasErrors(
  findings: readonly Finding[],
  predicate: (finding: Finding) => boolean = () => true,
): boolean {
  return findings.some((finding) => finding.severity === 'error' && predicate(finding));
}

function newReport(fields: Pick<ValidationReport, 'url' | 'file'>): ValidationReport {
  const report: ValidationReport = {
    checked: true,
    valid: false,
    checks: [],
    findings: [],
    redirectUris: [],
  };
  if (fields.url !== undefined) report.url = fields.url;
  if (fields.file !== undefined) report.file = fields.file;
  return report;
}

function addCheck(report: ValidationReport, id: ValidationCheck['id'], label: string, ok: boolean): void {
  report.checks.push({ id, label, ok });
}

async function withFetcher<T>(
  options: ValidateOptions,
  use: (fetcher: SafeFetcher) => Promise<T>,
): Promise<T> {
  if (options.fetcher) return use(options.fetcher);
  const fetcher = createSafeFetcher({
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  try {
    return await use(fetcher);
  } finally {
    await fetcher.close();
  }
}

function verdictsFor(document: ClientMetadata | undefined, uris: readonly string[]): RedirectUriVerdict[] {
  const registered = Array.isArray(document?.redirect_uris)
    ? document.redirect_uris.filter((uri): uri is string => typeof uri === 'string')
    : [];
  return uris.map((uri) => {
    const match = matchRedirectUri(uri, registered);
    return match.ok
      ? { uri, accepted: true, matched: match.registered }
      : { uri, accepted: false, reason: match.reason };
  });
}

/** Lints the parsed document, checks its keys, and records the checks and redirect verdicts. */
async function checkDocument(
  report: ValidationReport,
  json: unknown,
  byteLength: number,
  options: ValidateOptions,
  fetcher: SafeFetcher | undefined,
): Promise<void> {
  const lint = lintClientMetadata(json, {
    ...(report.url === undefined ? {} : { url: report.url }),
    byteLength,
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
  });
  report.findings.push(...lint.findings);
  if (lint.document) report.document = lint.document;
  addCheck(report, 'json', 'the body is a JSON object', lint.document !== undefined);
  if (report.url !== undefined) {
    addCheck(
      report,
      'client-id-match',
      'client_id equals the URL byte for byte',
      !report.findings.some((finding) => finding.id === 'CIMD-DOC-03'),
    );
  }
  const keyFindings = lint.document ? await checkRemoteKeys(lint.document, report.findings, fetcher) : [];
  report.findings.push(...keyFindings);
  const isKeyFinding = (finding: Finding) => finding.path.startsWith('$.jwks');
  const hasKeys = lint.document?.jwks !== undefined || lint.document?.jwks_uri !== undefined;
  if (hasKeys)
    addCheck(
      report,
      'keys',
      'the keys are public, identified and usable',
      !hasErrors(report.findings, isKeyFinding),
    );
  addCheck(
    report,
    'rules',
    'the document follows every error-level rule',
    !hasErrors(report.findings, (finding) => finding.id !== 'CIMD-DOC-03' && !isKeyFinding(finding)),
  );
  report.redirectUris = verdictsFor(lint.document, options.redirectUris ?? []);
  for (const verdict of report.redirectUris) {
    addCheck(report, 'redirect-uri', `redirect URI ${verdict.uri} would be accepted`, verdict.accepted);
  }
  report.findings = uniqueFindings(report.findings);
  report.valid = !hasErrors(report.findings);
}

/** Drops findings repeated by overlapping checks (the URL rules run on the URL and on `client_id`). */
function uniqueFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.id}\u0000${finding.path}\u0000${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Fetches `jwks_uri` (when the document names a usable one) and lints the keys it serves. */
async function checkRemoteKeys(
  document: ClientMetadata,
  findings: readonly Finding[],
  fetcher: SafeFetcher | undefined,
): Promise<Finding[]> {
  const jwksUri = document.jwks_uri;
  if (typeof jwksUri !== 'string' || fetcher === undefined) return [];
  if (hasErrors(findings, (finding) => finding.path === '$.jwks_uri')) return [];
  const signingAlg =
    typeof document.token_endpoint_auth_signing_alg === 'string'
      ? document.token_endpoint_auth_signing_alg
      : undefined;
  try {
    const response = await fetcher.fetch(jwksUri, { maxBytes: JWKS_MAX_BYTES });
    return lintJwks(response.json, {
      path: '$.jwks_uri',
      ...(signingAlg === undefined ? {} : { signingAlg }),
    });
  } catch (error) {
    if (!(error instanceof FetchError)) throw error;
    return [
      {
        id: JWKS_URI_FETCH_RULE,
        severity: 'error',
        message: `the JWKS at jwks_uri could not be used: ${error.message}`,
        path: '$.jwks_uri',
      },
    ];
  }
}

/**
 * Fetches the document at `url` as an authorization server would and validates it.
 * Never throws for a bad document or an unreachable host: the report says what happened
 * (`checked: false` with a `problem` when it could not be checked).
 */
export async function validateClientMetadataUrl(
  url: string,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const report = newReport({ url });
  const urlFindings = checkClientIdUrl(url, { allowPrivateNetwork: options.allowPrivateNetwork ?? false });
  report.findings.push(...urlFindings);
  const urlOk = !hasErrors(urlFindings);
  addCheck(report, 'client-id-url', 'the URL is a valid CIMD client_id', urlOk);
  if (!urlOk) return report;

  return withFetcher(options, async (fetcher) => {
    let response: Awaited<ReturnType<SafeFetcher['fetch']>>;
    try {
      response = await fetcher.fetch(url);
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      addCheck(report, 'fetch', 'fetched with 200, a JSON content type and within 5120 bytes', false);
      const hint = hostingHintFor(error);
      if (hint) report.hint = hint;
      const rule = DOCUMENT_FETCH_FAILURES[error.code];
      if (rule) {
        report.findings.push({ id: rule, severity: 'error', message: error.message, path: '$' });
      } else {
        report.checked = false;
        report.problem = { code: error.code, message: error.message };
      }
      return report;
    }
    addCheck(report, 'fetch', 'fetched with 200, a JSON content type and within 5120 bytes', true);
    report.byteLength = response.byteLength;
    await checkDocument(report, response.json, response.byteLength, options, fetcher);
    return report;
  });
}

/**
 * Validates a document file before it is published. With `url` (where it will be served) the
 * `client_id` must equal it; a `jwks_uri` is fetched through the SSRF-safe fetcher.
 */
export async function validateClientMetadataFile(
  file: string,
  options: ValidateOptions & { url?: string } = {},
): Promise<ValidationReport> {
  const report = newReport({ file, ...(options.url === undefined ? {} : { url: options.url }) });
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    report.checked = false;
    report.problem = {
      code: 'ERR_INVALID_OPTION',
      message: `cannot read ${file}: ${(error as Error).message}`,
    };
    return report;
  }
  if (options.url !== undefined) {
    const urlFindings = checkClientIdUrl(options.url, {
      allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    });
    report.findings.push(...urlFindings);
    addCheck(report, 'client-id-url', 'the URL is a valid CIMD client_id', !hasErrors(urlFindings));
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    report.findings.push({
      id: 'CIMD-DOC-02',
      severity: 'error',
      message: `${file} is not valid UTF-8 JSON: fix the syntax (a JSON object is required)`,
      path: '$',
    });
    addCheck(report, 'json', 'the body is a JSON object', false);
    return report;
  }
  return withFetcher(options, async (fetcher) => {
    await checkDocument(report, json, bytes.byteLength, options, fetcher);
    return report;
  });
}
