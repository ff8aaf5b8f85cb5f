/**
 * `cimd create`: builds a Client ID Metadata Document from flags, lints it, and writes it to
 * stdout or a file. An invalid document is refused (exit 1) with every problem and its rule ID.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  type CreateClientMetadataOptions,
  createClientMetadata,
  InvalidClientMetadataError,
} from '../../index.js';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit-codes.js';
import { type CliIo, formatFinding, sortFindings, writeLine } from '../io.js';

interface CreateFlags {
  name: string;
  redirectUri: string[];
  clientId?: string;
  output?: string;
  scope?: string;
  clientUri?: string;
  logoUri?: string;
  tosUri?: string;
  policyUri?: string;
  pretty: boolean;
  authMethod: 'none' | 'private_key_jwt';
  jwksUri?: string;
  jwks?: string;
  signingAlg?: string;
  grantType?: string[];
  applicationType?: 'web' | 'native';
  contact?: string[];
  softwareId?: string;
  softwareVersion?: string;
  allowPrivateNetwork?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Defines `cimd create` on `program`; `run` receives the exit code. */
export function createCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('create')
    .description('Create a Client ID Metadata Document, lint it, and print it (or write it with -o)')
    .requiredOption('--name <name>', 'human-readable client name (client_name)')
    .requiredOption('-r, --redirect-uri <uri>', 'a redirect URI; repeat for several (redirect_uris)', collect)
    .option('--client-id <url>', 'the https URL where the document will be served (client_id)')
    .option('-o, --output <file>', 'write the document to this file (parent folders are created)')
    .option('--scope <scope>', 'space-separated scopes the client asks for (scope)')
    .option('--client-uri <url>', 'the client home page (client_uri)')
    .option('--logo-uri <url>', 'the client logo (logo_uri)')
    .option('--tos-uri <url>', 'terms of service (tos_uri)')
    .option('--policy-uri <url>', 'privacy policy (policy_uri)')
    .option('--no-pretty', 'print compact JSON instead of indented JSON')
    .addOption(
      new Option('--auth-method <method>', 'token_endpoint_auth_method')
        .choices(['none', 'private_key_jwt'])
        .default('none'),
    )
    .option('--jwks-uri <url>', 'where the public JWKS is served (jwks_uri)')
    .option('--jwks <file>', 'a file holding the public JWKS to embed (jwks)')
    .option('--signing-alg <alg>', 'token_endpoint_auth_signing_alg, e.g. ES256')
    .option(
      '--grant-type <type>',
      'a grant type; repeat for several (default: authorization_code and refresh_token)',
      collect,
    )
    .addOption(new Option('--application-type <type>', 'application_type').choices(['web', 'native']))
    .option('--contact <email>', 'a contact address; repeat for several (contacts)', collect)
    .option('--software-id <id>', 'software_id')
    .option('--software-version <version>', 'software_version')
    .option(
      '--allow-private-network',
      'allow a client_id or jwks_uri on this machine or a private network (development only; prints a warning)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ cimd create --name "My MCP Client" -r http://127.0.0.1/callback -r http://localhost/callback \\
      --client-id https://app.example.com/oauth/client.json -o public/oauth/client.json
  $ cimd create --name "My Agent" -r https://app.example.com/callback --auth-method private_key_jwt \\
      --jwks-uri https://app.example.com/oauth/jwks.json --signing-alg ES256 \\
      --client-id https://app.example.com/oauth/client.json`,
    )
    .action(async (flags: CreateFlags) => {
      setExit(await runCreate(flags, io));
    });
}

async function readJwksFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the JWKS file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`the JWKS file ${path} is not valid JSON`);
  }
}

function toOptions(flags: CreateFlags, jwks: unknown): CreateClientMetadataOptions {
  const options: CreateClientMetadataOptions = {
    clientName: flags.name,
    redirectUris: flags.redirectUri,
    tokenEndpointAuthMethod: flags.authMethod,
  };
  if (flags.clientId !== undefined) options.clientId = flags.clientId;
  if (flags.scope !== undefined) options.scope = flags.scope;
  if (flags.clientUri !== undefined) options.clientUri = flags.clientUri;
  if (flags.logoUri !== undefined) options.logoUri = flags.logoUri;
  if (flags.tosUri !== undefined) options.tosUri = flags.tosUri;
  if (flags.policyUri !== undefined) options.policyUri = flags.policyUri;
  if (flags.jwksUri !== undefined) options.jwksUri = flags.jwksUri;
  if (jwks !== undefined) options.jwks = jwks;
  if (flags.signingAlg !== undefined) options.signingAlg = flags.signingAlg;
  if (flags.grantType !== undefined) options.grantTypes = flags.grantType;
  if (flags.applicationType !== undefined) options.applicationType = flags.applicationType;
  if (flags.contact !== undefined) options.contacts = flags.contact;
  if (flags.softwareId !== undefined) options.softwareId = flags.softwareId;
  if (flags.softwareVersion !== undefined) options.softwareVersion = flags.softwareVersion;
  if (flags.allowPrivateNetwork) options.allowPrivateNetwork = true;
  return options;
}

async function runCreate(flags: CreateFlags, io: CliIo): Promise<number> {
  const { colors } = io;
  if (flags.allowPrivateNetwork) {
    writeLine(
      io.stderr,
      colors.yellow(
        'Warning: --allow-private-network is on: this document can only be used with servers that allow private networks (development only).',
      ),
    );
  }
  const jwks = flags.jwks === undefined ? undefined : await readJwksFile(flags.jwks);
  let created: ReturnType<typeof createClientMetadata>;
  try {
    created = createClientMetadata(toOptions(flags, jwks));
  } catch (error) {
    if (!(error instanceof InvalidClientMetadataError)) throw error;
    writeLine(io.stderr, colors.red('✗ Refusing to write an invalid client metadata document:'));
    for (const finding of sortFindings(error.findings))
      writeLine(io.stderr, `  ${formatFinding(finding, colors)}`);
    return EXIT_INVALID;
  }

  for (const finding of sortFindings(created.findings)) writeLine(io.stderr, formatFinding(finding, colors));
  if (created.placeholder) {
    writeLine(
      io.stderr,
      colors.yellow(
        'Important: client_id is a placeholder. Replace it with the https URL where you will host this document, or re-run with --client-id.',
      ),
    );
  }

  const json = created.toJSON(flags.pretty);
  if (flags.output === undefined) {
    writeLine(io.stdout, json);
    return EXIT_OK;
  }
  const target = resolve(flags.output);
  try {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, `${json}\n`);
  } catch (error) {
    throw new UsageError(`cannot write ${flags.output}: ${(error as Error).message}`);
  }
  writeLine(io.stderr, `${colors.green('✓')} Client metadata document written to ${flags.output}`);
  return EXIT_OK;
}
