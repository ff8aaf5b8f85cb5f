/**
 * What `npm start` prints once the demo is up: every URL, whether each document validated, and
 * what to open or run next.
 *
 * @module
 */
import type { ValidationReport } from '../validate/report.js';
import type { DemoClientName } from './documents.js';
import type { Demo } from './start.js';

/** What the banner shows besides the demo's URLs. */
export interface BannerContent {
  /** The validation report of each document. */
  reports: Record<DemoClientName, ValidationReport>;
  /** A ready `/authorize` URL for the public client (its state and verifier held by the demo client). */
  authorizeUrl: string;
  /** How to run the CLI where the banner is read: `cimd`, or `node dist/cli/cimd.cjs` in a clone. */
  cli: string;
}

function verdict(report: ValidationReport): string {
  if (!report.checked) return `could not be checked: ${report.problem?.message ?? 'unknown problem'}`;
  if (!report.valid) return `INVALID: ${report.findings.map((finding) => finding.id).join(', ')}`;
  return 'valid';
}

/**
 * The `cimd connect` command that signs `client` in through the demo and calls its `whoami` tool,
 * as shell text (the continuation lines start with four spaces). No part needs quoting.
 */
export function connectCommand(demo: Demo, client: DemoClientName, cli: string): string {
  const { urls } = demo;
  const documentUrl = client === 'public' ? urls.publicDocument : urls.agentDocument;
  const key = client === 'agent' ? ` --key ${demo.agentKeySetPath}` : '';
  return [
    `NODE_EXTRA_CA_CERTS=${demo.ca.path} ${cli} connect ${urls.mcp} \\`,
    `    --client-metadata-url ${documentUrl}${key} \\`,
    '    --allow-private-network --print-url --call whoami',
  ].join('\n');
}

/** How users sign in: the upstream demo's provider and account, or the development login. */
function signInText(demo: Demo): { where: string; how: string; note: string } {
  const upstream = demo.upstream;
  if (upstream === undefined) {
    return {
      where: '',
      how: '',
      note: 'and signs everyone in as one local user (the development login)',
    };
  }
  const account = upstream.idp.accounts[0]?.accountId ?? 'demo-user';
  return {
    where: `
  Upstream identity provider ${upstream.idp.issuer}   (oidc-provider, a local OpenID provider)`,
    how: `
Signing in goes through the upstream provider (the OAuth proxy flow): after the consent page, the
provider's login page opens; sign in as ${account} with any password (any other name signs in too,
without an e-mail address). The MCP server's upstream_whoami tool then calls the provider's userinfo
endpoint as you, with the upstream token the authorization server keeps (never shown to clients).
`,
    note: `and signs users in at a local OpenID provider over plain http (${upstream.idp.issuer})`,
  };
}

/** The banner text (several lines, ending with a newline). */
export function formatBanner(demo: Demo, content: BannerContent): string {
  const { urls } = demo;
  const signIn = signInText(demo);
  const tools =
    demo.upstream === undefined
      ? 'whoami, validate_client_metadata'
      : 'whoami, upstream_whoami, validate_client_metadata';
  return `
mcp-cimd demo: everything runs on this machine (loopback) and stops with Ctrl-C.

  Authorization server      ${urls.issuer}
    metadata (RFC 8414)     ${urls.metadata}${signIn.where}
  Demo MCP server           ${urls.mcp}   (tools: ${tools})
    resource metadata       ${urls.protectedResourceMetadata}
  Demo client               ${urls.client}
  Client documents (https, throwaway CA ${demo.ca.path})
    public client           ${urls.publicDocument}   ${verdict(content.reports.public)}
    private_key_jwt client  ${urls.agentDocument}   ${verdict(content.reports.agent)}
    its public keys         ${urls.jwks}
    its key set (private)   ${demo.agentKeySetPath}   (for cimd connect --key)

Sign in with a CIMD client: open the demo client in a browser and pick a client,
  ${urls.client}
or open this authorization request (Authorization Code + PKCE S256, public client; the demo client
holds its state and code_verifier, so it works once):
  ${content.authorizeUrl}
Approve on the consent page; the demo client (${urls.callback}) then exchanges
the code at the token endpoint and calls the MCP server's whoami tool with the access token.
${signIn.how}
Or sign in from the command line, as an MCP client would: cimd connect prints the sign-in URL
(--print-url); open it, approve, and it calls the MCP server's whoami tool (without --call it
lists the tools). The public client:
  ${connectCommand(demo, 'public', content.cli)}
The private_key_jwt client, signing its client assertions with the key set above:
  ${connectCommand(demo, 'agent', content.cli)}

Try, in another terminal:
  curl -i -X POST ${urls.mcp}        # 401, WWW-Authenticate: Bearer resource_metadata="…"
  curl -s ${urls.protectedResourceMetadata}
  curl -s ${urls.metadata}
  NODE_EXTRA_CA_CERTS=${demo.ca.path} ${content.cli} validate ${urls.publicDocument} --allow-private-network

Development only: the documents are on this machine, so the authorization server runs with
allowPrivateNetwork on, ${signIn.note}.
Press Ctrl-C to stop.
`;
}
