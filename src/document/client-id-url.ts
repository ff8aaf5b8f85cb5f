/**
 * The `client_id` URL rules (CIMD-01 §3, CIMD-URL-01..09), checked on the raw string.
 *
 * @module
 */

import { describeHostProblem, findHostProblem } from '../net/host-policy.js';
import { createFinding, type Finding } from './findings.js';
import { CLIENT_ID_PATH } from './paths.js';
import { findForbiddenCharacter, hasDotSegment, isValidPort, splitUri } from './uri-parts.js';

/** Options of {@link checkClientIdUrl} and {@link isClientIdUrl}. */
export interface ClientIdUrlOptions {
  /**
   * Accept IP-literal hosts and non-public names such as `localhost` or `*.test` (CIMD-URL-09).
   * For local development and tests only. Never lifts the https rule. Default `false`.
   */
  allowPrivateNetwork?: boolean;
}

/** CIMD-URL-08: the length above which a `client_id` draws a warning, in characters. */
export const CLIENT_ID_RECOMMENDED_MAX_LENGTH = 100;

const EXAMPLE = 'e.g. https://app.example.com/oauth/client.json';

/**
 * Checks a `client_id` URL against the CIMD rules on the raw string (the WHATWG `URL` parser
 * would hide dot segments, empty fragments and numeric IPv4 spellings). Every finding has the
 * path `$.client_id`. A query draws a warning (CIMD-URL-06) and a long URL a warning
 * (CIMD-URL-08); every other finding is an error. Any port is allowed (CIMD-URL-07).
 *
 * @param raw - the `client_id` exactly as written.
 * @returns the findings, unsorted; empty when the URL is fine.
 */
export function checkClientIdUrl(raw: string, options: ClientIdUrlOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const add = (id: Parameters<typeof createFinding>[0], message: string): void => {
    findings.push(createFinding(id, message, CLIENT_ID_PATH));
  };

  if (typeof raw !== 'string') {
    add('CIMD-URL-01', `client_id must be a string holding an https URL (${EXAMPLE}).`);
    return findings;
  }
  if (raw === '') {
    add(
      'CIMD-URL-01',
      `client_id is empty; set it to the https URL this document is served at (${EXAMPLE}).`,
    );
    return findings;
  }
  const forbidden = findForbiddenCharacter(raw);
  if (forbidden !== undefined) {
    add(
      'CIMD-LINT-01',
      `client_id contains ${forbidden}; URL parsers strip or rewrite such characters, so the string would not match itself. Remove it.`,
    );
  }

  const parts = splitUri(raw);
  if (parts.scheme === undefined || parts.authority === undefined) {
    add(
      'CIMD-URL-01',
      `client_id ${JSON.stringify(raw)} is not an absolute https URL; write it as https://host/path (${EXAMPLE}).`,
    );
    return findings;
  }
  if (parts.scheme.toLowerCase() !== 'https') {
    add(
      'CIMD-URL-01',
      `client_id uses the ${parts.scheme}: scheme; CIMD requires https. Serve the document over https and use that URL.`,
    );
  }
  if (parts.userinfo !== undefined) {
    add(
      'CIMD-URL-05',
      'client_id has userinfo (the part before "@"); CIMD forbids a user name or password in it. Remove everything between "//" and "@".',
    );
  }
  const host = parts.host ?? '';
  if (host === '') {
    add('CIMD-URL-01', `client_id has no host; write it as https://host/path (${EXAMPLE}).`);
  }
  if (parts.port !== undefined && !isValidPort(parts.port)) {
    add(
      'CIMD-URL-01',
      `client_id has the port ${JSON.stringify(parts.port)}; a port must be a number from 1 to 65535. Fix it or drop ":" and the port.`,
    );
  }
  if (parts.path === '' || parts.path === '/') {
    add(
      'CIMD-URL-02',
      `client_id has no path; CIMD requires one. Serve the document at a path such as ${raw.replace(/\/?$/, '')}/oauth/client.json.`,
    );
  }
  if (hasDotSegment(parts.path)) {
    add(
      'CIMD-URL-03',
      'client_id has a "." or ".." path segment (possibly percent-encoded as %2e); URL parsers remove them, so the string would not match the document URL. Write the path without them.',
    );
  }
  if (parts.fragment !== undefined) {
    add(
      'CIMD-URL-04',
      'client_id has a fragment ("#…", even a bare "#"); CIMD forbids one. Remove "#" and what follows.',
    );
  }
  if (parts.query !== undefined) {
    add(
      'CIMD-URL-06',
      'client_id has a query string; CIMD says it SHOULD NOT, and some servers refuse it. Move the document to a path without "?".',
    );
  }
  if (raw.length > CLIENT_ID_RECOMMENDED_MAX_LENGTH) {
    add(
      'CIMD-URL-08',
      `client_id is ${raw.length} characters long; users see it on consent screens, so keep it under ${CLIENT_ID_RECOMMENDED_MAX_LENGTH} (e.g. a short, stable path such as /oauth/client.json).`,
    );
  }

  let parsedHostname: string | undefined;
  try {
    parsedHostname = new URL(raw).hostname;
  } catch {
    if (findings.every((finding) => finding.id !== 'CIMD-URL-01')) {
      add(
        'CIMD-URL-01',
        `client_id ${JSON.stringify(raw)} is not a valid URL; check the host for illegal characters (${EXAMPLE}).`,
      );
    }
  }

  if (options.allowPrivateNetwork !== true && host !== '') {
    const problem = findHostProblem(host, parsedHostname);
    if (problem !== undefined) {
      add(
        'CIMD-URL-09',
        `client_id is not on the public internet: ${describeHostProblem(problem)}. Host the document under a public DNS name, or pass allowPrivateNetwork for local development.`,
      );
    }
  }
  return findings;
}

/**
 * True when `raw` is acceptable as a CIMD `client_id`: {@link checkClientIdUrl} reports no
 * error (warnings such as a query string are allowed).
 */
export function isClientIdUrl(raw: string, options: ClientIdUrlOptions = {}): boolean {
  return checkClientIdUrl(raw, options).every((finding) => finding.severity !== 'error');
}
