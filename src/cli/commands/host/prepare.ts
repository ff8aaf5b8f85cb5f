/**
 * What `cimd host` checks before it listens: the document is readable JSON that passes every
 * error-level lint rule, and the JWKS (when given) is a public set that fits the document.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { type Finding, lintClientMetadata, lintJwks } from '../../../index.js';
import { UsageError } from '../../exit-codes.js';

/** A document and JWKS ready to serve, with every finding (errors make `valid` false). */
export interface PreparedFiles {
  /** The document file's text, served byte for byte. */
  documentText: string;
  /** The parsed document, when it is a JSON object. */
  document: Record<string, unknown> | undefined;
  /** The JWKS file's text, when `--jwks` was given. */
  jwksText: string | undefined;
  /** Findings on the document (paths `$...`) and the JWKS (paths `jwks...`). */
  findings: Finding[];
  /** False when any finding is an error. */
  valid: boolean;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads and lints the document and the JWKS.
 *
 * @throws UsageError when a file cannot be read.
 */
export async function prepareFiles(
  documentPath: string,
  jwksPath: string | undefined,
  options: { allowPrivateNetwork: boolean },
): Promise<PreparedFiles> {
  const documentText = await readText(documentPath, 'document');
  const jwksText = jwksPath === undefined ? undefined : await readText(jwksPath, 'JWKS file');
  const findings: Finding[] = [];
  const value = parse(documentText);
  const document =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  if (value === undefined) {
    findings.push({
      id: 'CIMD-DOC-02',
      severity: 'error',
      message: `${documentPath} is not valid JSON.`,
      path: '$',
    });
  } else {
    findings.push(
      ...lintClientMetadata(value, {
        byteLength: new TextEncoder().encode(documentText).byteLength,
        allowPrivateNetwork: options.allowPrivateNetwork,
      }).findings,
    );
  }
  if (jwksText !== undefined) {
    const jwks = parse(jwksText);
    const signingAlg = document?.token_endpoint_auth_signing_alg;
    findings.push(
      ...(jwks === undefined
        ? [
            {
              id: 'CIMD-KEY-01',
              severity: 'error' as const,
              message: `${jwksPath} is not valid JSON.`,
              path: 'jwks',
            },
          ]
        : lintJwks(jwks, { path: 'jwks', ...(typeof signingAlg === 'string' ? { signingAlg } : {}) })),
    );
  }
  return {
    documentText,
    document,
    jwksText,
    findings,
    valid: !findings.some((finding) => finding.severity === 'error'),
  };
}
