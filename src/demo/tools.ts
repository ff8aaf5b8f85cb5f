/**
 * The demo MCP server's tools. `whoami` reports what the access token established (subject,
 * client, scopes, resource, expiry). `validate_client_metadata` runs this package's checks on a
 * client metadata document: by URL (fetched exactly as an authorization server would, through
 * the SSRF-safe fetcher: public addresses only, except the demo's own document host), or as
 * JSON text (linted; a `jwks_uri` is not fetched). With `--upstream-demo`, `upstream_whoami`
 * calls the upstream provider's userinfo endpoint as the user, with the upstream access token
 * the authorization server keeps for the grant (`getUpstreamTokens`; the token itself is never
 * shown).
 *
 * @module
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { lintClientMetadata } from '../document/lint.js';
import type { SafeFetcher } from '../fetch/types.js';
import type { UpstreamTokenReader } from '../server/upstream/upstream-tokens.js';
import { validateClientMetadataUrl } from '../validate/validate-document.js';

/** What the tools need from the demo. */
export interface DemoToolDependencies {
  /** The origin of the demo's document host: its URLs are fetched with {@link documentFetcher}. */
  documentsOrigin: string;
  /** A fetcher trusting the demo's CA and allowing loopback, for the demo's own documents only. */
  documentFetcher: SafeFetcher;
  /** With an upstream provider: the grants' upstream tokens, and the provider's userinfo endpoint. */
  upstream?: { reader: UpstreamTokenReader; userinfoEndpoint: string };
}

/** The name of the tool that shows the upstream identity. */
export const UPSTREAM_WHOAMI_TOOL = 'upstream_whoami';

/** A tool's result. */
export type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean };

function textResult(value: unknown, isError = false): ToolResult {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return isError ? { content: [{ type: 'text', text }], isError } : { content: [{ type: 'text', text }] };
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

async function validateUrl(url: string, dependencies: DemoToolDependencies): Promise<ToolResult> {
  const own = originOf(url) === dependencies.documentsOrigin;
  const report = await validateClientMetadataUrl(
    url,
    own ? { fetcher: dependencies.documentFetcher, allowPrivateNetwork: true } : { timeoutMs: 5000 },
  );
  return textResult({
    url,
    checked: report.checked,
    valid: report.valid,
    checks: report.checks.map((check) => `${check.ok ? 'ok' : 'FAILED'}: ${check.label}`),
    findings: report.findings,
    ...(report.problem ? { problem: report.problem } : {}),
  });
}

function validateJson(text: string): ToolResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return textResult(`document is not valid JSON: ${(error as Error).message}`, true);
  }
  const byteLength = new TextEncoder().encode(text).byteLength;
  const report = lintClientMetadata(document, { byteLength });
  return textResult({ valid: report.valid, findings: report.findings });
}

/** Asks the provider's userinfo endpoint who the grant's upstream user is. */
async function upstreamWhoami(
  upstream: NonNullable<DemoToolDependencies['upstream']>,
  authInfo: Parameters<UpstreamTokenReader['getUpstreamTokens']>[0],
): Promise<ToolResult> {
  let tokens: Awaited<ReturnType<UpstreamTokenReader['getUpstreamTokens']>>;
  try {
    tokens = await upstream.reader.getUpstreamTokens(authInfo);
  } catch (error) {
    return textResult(`no upstream tokens: ${(error as Error).message}`, true);
  }
  const response = await fetch(upstream.userinfoEndpoint, {
    headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) return textResult(`the provider's userinfo endpoint answered ${response.status}`, true);
  return textResult({
    userinfo: await response.json(),
    upstream_token: {
      scope: tokens.scope ?? null,
      expires_at: tokens.expiresAt === undefined ? null : new Date(tokens.expiresAt).toISOString(),
      refresh_token: tokens.refreshToken !== undefined,
    },
  });
}

/** The token details the tools read (the MCP SDK's `AuthInfo` in both majors). */
export type DemoAuthInfo = Parameters<UpstreamTokenReader['getUpstreamTokens']>[0] & {
  clientId: string;
  scopes: string[];
  expiresAt?: number | undefined;
  resource?: URL | undefined;
  extra?: Record<string, unknown> | undefined;
};

/** The tools' titles, descriptions and annotations, shared by the SDK 1.x and 2.x servers. */
export const DEMO_TOOL_CONFIGS = {
  [UPSTREAM_WHOAMI_TOOL]: {
    title: 'Who am I at the identity provider?',
    description:
      "Calls the upstream identity provider's userinfo endpoint as you, with the upstream access token the authorization server keeps for your grant (never shown to the MCP client).",
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  whoami: {
    title: 'Who am I?',
    description:
      'Reports what your access token says: the user (subject), the client it was issued to, its scopes, resource and expiry.',
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  validate_client_metadata: {
    title: 'Validate a client metadata document',
    description:
      "Checks an OAuth Client ID Metadata Document (CIMD) with every mcp-cimd rule. Give `url` to fetch it as an authorization server would (public https URLs, or this demo's own documents), or `document` with its JSON text.",
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
} as const;

/** The input of `validate_client_metadata`, as a zod shape. */
export const VALIDATE_INPUT_SHAPE = {
  url: z.string().optional().describe('the https URL of the document (its client_id)'),
  document: z.string().optional().describe('the document as JSON text'),
};

/** `upstream_whoami` for the token `auth`. */
export function upstreamWhoamiTool(
  upstream: NonNullable<DemoToolDependencies['upstream']>,
  auth: DemoAuthInfo | undefined,
): Promise<ToolResult> | ToolResult {
  return auth === undefined
    ? textResult('no access token reached this tool', true)
    : upstreamWhoami(upstream, auth);
}

/** `whoami` for the token `auth`. */
export function whoamiTool(auth: DemoAuthInfo | undefined): ToolResult {
  if (auth === undefined) return textResult('no access token reached this tool', true);
  const subject = auth.extra?.subject;
  return textResult({
    subject: typeof subject === 'string' ? subject : null,
    client_id: auth.clientId,
    scopes: auth.scopes,
    resource: auth.resource?.href ?? null,
    expires_at: auth.expiresAt === undefined ? null : new Date(auth.expiresAt * 1000).toISOString(),
  });
}

/** `validate_client_metadata` with `url` or `document`. */
export async function validateClientMetadataTool(
  input: { url?: string | undefined; document?: string | undefined },
  dependencies: DemoToolDependencies,
): Promise<ToolResult> {
  const { url, document } = input;
  if ((url === undefined) === (document === undefined)) {
    return textResult('give exactly one of `url` or `document`', true);
  }
  return url !== undefined ? validateUrl(url, dependencies) : validateJson(document ?? '');
}

/** Registers `whoami`, `validate_client_metadata` and (with an upstream) `upstream_whoami` on `server` (SDK 1.x). */
export function registerDemoTools(server: McpServer, dependencies: DemoToolDependencies): void {
  const { upstream } = dependencies;
  if (upstream !== undefined) {
    server.registerTool(UPSTREAM_WHOAMI_TOOL, DEMO_TOOL_CONFIGS[UPSTREAM_WHOAMI_TOOL], (extra) =>
      upstreamWhoamiTool(upstream, extra.authInfo),
    );
  }
  server.registerTool('whoami', DEMO_TOOL_CONFIGS.whoami, (extra) => whoamiTool(extra.authInfo));
  server.registerTool(
    'validate_client_metadata',
    { ...DEMO_TOOL_CONFIGS.validate_client_metadata, inputSchema: VALIDATE_INPUT_SHAPE },
    (input) => validateClientMetadataTool(input, dependencies),
  );
}
