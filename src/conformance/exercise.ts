/**
 * What the conformance client does once connected, whatever the scenario: list the tools, call
 * the suite's `test-tool` when it is offered, and close.
 *
 * @module
 */

/** The part of an MCP SDK client (1.x or 2.x) used here. */
export interface ExercisedClient {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

/** Lists the tools, calls `test-tool` when there is one, and closes the client either way. */
export async function exerciseAndClose(client: ExercisedClient): Promise<void> {
  try {
    const { tools } = await client.listTools();
    if (tools.some((tool) => tool.name === 'test-tool')) {
      await client.callTool({ name: 'test-tool', arguments: {} });
    }
  } finally {
    await client.close();
  }
}
