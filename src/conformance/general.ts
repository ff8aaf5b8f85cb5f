/**
 * The suite's client scenarios that are not about authorization but belong to
 * `--requirements 2026-07-28` (`tools_call`, `request-metadata`, `sep-2322-client-request-state`,
 * `http-standard-headers`, `http-custom-headers`, `http-invalid-tool-headers`, …): connect with
 * `@modelcontextprotocol/client` 2.x at the scenario's protocol version, list the tools the SDK
 * accepts, and call each one, with the arguments the scenario's context names or ones made from
 * its input schema. Elicitations (an `input_required` result's embedded requests) are accepted.
 *
 * @module
 */

type Sdk2 = typeof import('@modelcontextprotocol/client');

/** A tool call the scenario's context asks for. */
interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

function toolCallsOf(context: Record<string, unknown>): ToolCall[] | undefined {
  const calls = context.toolCalls;
  if (!Array.isArray(calls)) return undefined;
  return calls.filter(
    (call): call is ToolCall =>
      typeof call === 'object' && call !== null && typeof (call as ToolCall).name === 'string',
  );
}

/** A value of the JSON Schema type `schema` names (a plain guess, enough for the suite's tools). */
function sample(schema: unknown): unknown {
  const node = (typeof schema === 'object' && schema !== null ? schema : {}) as Record<string, unknown>;
  if (node.default !== undefined) return node.default;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  switch (node.type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return argumentsFor(node);
    default:
      return 'test';
  }
}

/** Arguments for a tool: every required property (and every property, when none is required). */
function argumentsFor(schema: unknown): Record<string, unknown> {
  const node = (typeof schema === 'object' && schema !== null ? schema : {}) as Record<string, unknown>;
  const properties = (node.properties ?? {}) as Record<string, unknown>;
  const required = Array.isArray(node.required) ? (node.required as string[]) : Object.keys(properties);
  const result: Record<string, unknown> = {};
  for (const name of required) result[name] = sample(properties[name]);
  return result;
}

/** Runs a non-authorization scenario against `serverUrl`. */
export async function runGeneralScenario(
  serverUrl: string,
  context: Record<string, unknown>,
  protocolVersion: string | undefined,
  clientInfo: { name: string; version: string },
): Promise<void> {
  const sdk: Sdk2 = await import('@modelcontextprotocol/client');
  const modern = protocolVersion !== undefined && protocolVersion >= '2026-07-28';
  const client = new sdk.Client(clientInfo, {
    capabilities: { elicitation: { form: {} } },
    versionNegotiation: { mode: modern ? { pin: protocolVersion } : 'legacy' },
  });
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept' as const,
    content: { confirmed: true },
  }));
  await client.connect(new sdk.StreamableHTTPClientTransport(new URL(serverUrl)));
  try {
    const { tools } = await client.listTools();
    const wanted = toolCallsOf(context);
    const calls: ToolCall[] =
      wanted ??
      tools.map((tool) => {
        const args = argumentsFor(tool.inputSchema);
        // An echo tool (a `schema` object argument) gets another tool's input schema as received.
        const properties = (tool.inputSchema.properties ?? {}) as Record<string, { type?: unknown }>;
        const other = tools.find((candidate) => candidate.name !== tool.name);
        if (properties.schema?.type === 'object' && other !== undefined) args.schema = other.inputSchema;
        return { name: tool.name, arguments: args };
      });
    const known = new Set(tools.map((tool) => tool.name));
    for (const call of calls) {
      if (!known.has(call.name)) continue;
      await client.callTool({ name: call.name, arguments: call.arguments }).catch(() => undefined);
    }
  } finally {
    await client.close();
  }
}
