/**
 * `lintClientMetadata`: every document rule, with stable IDs, in one report.
 *
 * @module
 */

import { InvalidOptionError } from '../errors.js';
import { checkClientIdUrl } from './client-id-url.js';
import { createFinding, type Finding, hasErrorFinding, sortFindings } from './findings.js';
import { lintAuthentication } from './lint-auth.js';
import { isPlainObject, type LintContext } from './lint-context.js';
import { lintGrants } from './lint-grants.js';
import { lintPractice } from './lint-practice.js';
import { lintRedirectUris } from './lint-redirect-uris.js';
import { lintMetadataUrls } from './lint-urls.js';
import { jsonPath } from './paths.js';
import { PLACEHOLDER_CLIENT_ID } from './placeholder.js';
import type { RuleId } from './rules.js';
import { type ClientMetadata, clientMetadataSchema, MEMBER_TYPE_DESCRIPTIONS } from './schema.js';

/** CIMD-DOC-07: the largest document that passes, in bytes (inclusive: 5120 passes, 5121 fails). */
export const MAX_CLIENT_METADATA_BYTES = 5120;

/** Options of {@link lintClientMetadata}. */
export interface LintOptions {
  /**
   * The URL the document is (or will be) served at. When given, `client_id` must equal it byte
   * for byte (CIMD-DOC-03). Default: not checked.
   */
  url?: string;
  /**
   * The size of the served body, in bytes. Default: the UTF-8 length of
   * `JSON.stringify(input)`. Above {@link MAX_CLIENT_METADATA_BYTES} (5120) is a CIMD-DOC-07 error.
   */
  byteLength?: number;
  /**
   * Accept IP-literal and non-public hosts (`localhost`, `*.test`, …) in `client_id`
   * (CIMD-URL-09) and `jwks_uri` (CIMD-LINT-08). For local development. Default `false`.
   */
  allowPrivateNetwork?: boolean;
}

/** The outcome of {@link lintClientMetadata}. */
export interface LintReport {
  /** True when no finding is an error. */
  valid: boolean;
  /** Every finding, sorted: errors, then warnings, then info; then by path. */
  findings: Finding[];
  /**
   * The document as parsed by `clientMetadataSchema` (unknown members kept). Present when the
   * input is a JSON object whose registered members have the right types and whose required
   * members are present, even if other rules fail; check `valid` before trusting it.
   */
  document?: ClientMetadata;
}

const REQUIRED_MEMBERS = ['client_id', 'client_name', 'redirect_uris'] as const;

function utf8Length(input: unknown): number | undefined {
  try {
    const json = JSON.stringify(input);
    return json === undefined ? undefined : new TextEncoder().encode(json).byteLength;
  } catch {
    return undefined;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function validateOptions(options: LintOptions): void {
  if (options.url !== undefined && typeof options.url !== 'string') {
    throw new InvalidOptionError(
      'lintClientMetadata: options.url must be a string (the URL the document is served at).',
    );
  }
  if (
    options.byteLength !== undefined &&
    !(Number.isSafeInteger(options.byteLength) && options.byteLength >= 0)
  ) {
    throw new InvalidOptionError(
      'lintClientMetadata: options.byteLength must be a non-negative integer (bytes).',
    );
  }
}

function mismatchHint(clientId: string, url: string): string {
  if (clientId.replace(/\/+$/, '') === url.replace(/\/+$/, '')) return ' They differ in a trailing "/".';
  if (clientId.toLowerCase() === url.toLowerCase()) return ' They differ in letter case.';
  if (clientId.replace(':443/', '/') === url.replace(':443/', '/'))
    return ' They differ in an explicit ":443".';
  return '';
}

/**
 * Lints a client metadata document against every rule in {@link LINT_RULES}: the JSON shape
 * and member types (CIMD-DOC-02), the `client_id` URL rules (CIMD-URL-*), the document rules
 * (CIMD-DOC-03..12), redirect URIs (CIMD-DOC-10, RURI-06), keys (CIMD-KEY-*, including
 * `lintJwks` on an inline `jwks`) and good practice (CIMD-LINT-*). Never throws for a bad
 * document; throws `InvalidOptionError` for bad options.
 *
 * @param input - the parsed JSON value of the document.
 */
export function lintClientMetadata(input: unknown, options: LintOptions = {}): LintReport {
  validateOptions(options);
  const findings: Finding[] = [];
  const add = (id: RuleId, message: string, path: string): void => {
    findings.push(createFinding(id, message, path));
  };

  const size = options.byteLength ?? utf8Length(input);
  if (size === undefined) {
    add('CIMD-DOC-02', 'The document cannot be written as JSON; pass the parsed JSON object.', '$');
  } else if (size > MAX_CLIENT_METADATA_BYTES) {
    add(
      'CIMD-DOC-07',
      `The document is ${size} bytes; servers refuse documents over ${MAX_CLIENT_METADATA_BYTES} bytes. Shorten it (e.g. move keys to jwks_uri, drop unused members).`,
      '$',
    );
  }
  if (!isPlainObject(input)) {
    add(
      'CIMD-DOC-02',
      `The document must be a JSON object ({"client_id": …}); it is ${describeValue(input)}.`,
      '$',
    );
    return { valid: false, findings: sortFindings(findings) };
  }

  const doc = input;
  const ctx: LintContext = {
    doc,
    allowPrivateNetwork: options.allowPrivateNetwork === true,
    add,
    push: (...more) => {
      findings.push(...more);
    },
  };

  const parsed = clientMetadataSchema.safeParse(doc);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [member] = issue.path;
      // The keys are linted by lintJwks; missing and empty required members by CIMD-DOC-09.
      if (member === 'jwks') continue;
      if (issue.path.length === 1 && isMissingRequired(doc, member)) continue;
      const description = typeof member === 'string' ? MEMBER_TYPE_DESCRIPTIONS[member] : undefined;
      const where = jsonPath(issue.path, '').replace(/^\./, '');
      add(
        'CIMD-DOC-02',
        `${where} has the wrong type (${issue.message})${description === undefined ? '' : `; ${String(member)} must be ${description}`}.`,
        jsonPath(issue.path),
      );
    }
  }

  for (const member of REQUIRED_MEMBERS) {
    if (doc[member] === undefined) {
      add(
        'CIMD-DOC-09',
        `${member} is missing; MCP requires client_id, client_name and redirect_uris in every document.`,
        `$.${member}`,
      );
    }
  }
  if (Array.isArray(doc.redirect_uris) && doc.redirect_uris.length === 0) {
    add(
      'CIMD-DOC-09',
      'redirect_uris is empty; list the callback URI(s) your client uses, e.g. http://127.0.0.1/callback.',
      '$.redirect_uris',
    );
  }

  const clientId = doc.client_id;
  if (typeof clientId === 'string') {
    findings.push(...checkClientIdUrl(clientId, { allowPrivateNetwork: ctx.allowPrivateNetwork }));
    if (clientId === PLACEHOLDER_CLIENT_ID) {
      add(
        'CIMD-LINT-15',
        'client_id is still the placeholder; replace it with the https URL this document will be served at.',
        '$.client_id',
      );
    }
    if (options.url !== undefined && clientId !== options.url) {
      add(
        'CIMD-DOC-03',
        `client_id ${JSON.stringify(clientId)} is not the URL the document is served at, ${JSON.stringify(options.url)}; they must be equal byte for byte.${mismatchHint(clientId, options.url)} Set client_id to the serving URL.`,
        '$.client_id',
      );
    }
  }

  lintAuthentication(ctx);
  lintRedirectUris(ctx);
  lintGrants(ctx);
  lintMetadataUrls(ctx);
  lintPractice(ctx);

  sortFindings(findings);
  const report: LintReport = { valid: !hasErrorFinding(findings), findings };
  if (parsed.success) report.document = inInputOrder(doc, parsed.data);
  return report;
}

/** zod lists the schema's members first; give the parsed document the input's member order. */
function inInputOrder(doc: Readonly<Record<string, unknown>>, data: ClientMetadata): ClientMetadata {
  const entries = Object.keys(doc)
    .filter((key) => Object.hasOwn(data, key))
    .map((key) => [key, data[key]] as const);
  return Object.fromEntries(entries) as ClientMetadata;
}

function isMissingRequired(doc: Readonly<Record<string, unknown>>, member: PropertyKey | undefined): boolean {
  if (member !== 'client_id' && member !== 'client_name' && member !== 'redirect_uris') return false;
  const value = doc[member];
  return value === undefined || (member === 'redirect_uris' && Array.isArray(value) && value.length === 0);
}
