#!/usr/bin/env node
/**
 * The MCP conformance client: `node dist/conformance/client.js <mcp-server-url>`. The runner
 * (`conformance client --command "node dist/conformance/client.js" --suite auth`) appends the
 * server URL and sets `MCP_CONFORMANCE_SCENARIO` / `MCP_CONFORMANCE_CONTEXT`. Exit 0 on success,
 * 1 on any failure (the message on stderr), 2 without a server URL.
 *
 * @module
 */
import { runConformanceClient } from './run.js';

const serverUrl = process.argv.at(-1);
if (process.argv.length < 3 || serverUrl === undefined) {
  process.stderr.write('usage: node dist/conformance/client.js <mcp-server-url>\n');
  process.exitCode = 2;
} else {
  runConformanceClient(serverUrl).then(
    () => {
      process.exitCode = 0;
    },
    (error: unknown) => {
      process.stderr.write(
        `conformance client failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
