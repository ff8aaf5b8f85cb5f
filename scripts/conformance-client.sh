#!/bin/sh
# Runs the MCP conformance suite's auth scenarios against our conformance client
# (dist/conformance/client.js; run `npm run build` first). The suite needs Node >= 22, so npx
# fetches a Node 22 binary and the pinned suite from the npm registry. The runner splits
# --command on spaces and appends the fake MCP server's URL. Any failure or warning exits 1.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f dist/conformance/client.js ]; then
  echo "dist/conformance/client.js is missing; run npm run build first" >&2
  exit 2
fi
exec npx -y -p node@22 -p @modelcontextprotocol/conformance@0.1.16 -c 'conformance client --command "node dist/conformance/client.js" --suite auth'
