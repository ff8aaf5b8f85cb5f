#!/bin/sh
# Runs the MCP conformance suite against our conformance client (dist/conformance/client.js; run
# `npm run build` first): the 14 auth scenarios of 0.1.16 (`--suite auth`) and the scenarios the
# 2026-07-28 revision requires, as 0.2.0-alpha.12 scores them (`--requirements 2026-07-28`). The
# suite needs Node >= 22, so npx fetches a Node 22 binary and the pinned suite from the npm
# registry. The runner splits --command on spaces and appends the fake MCP server's URL. Any
# failure or warning exits 1. `sh scripts/conformance-client.sh auth` runs the first only,
# `... requirements` the second only.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f dist/conformance/client.js ]; then
  echo "dist/conformance/client.js is missing; run npm run build first" >&2
  exit 2
fi
which="${1:-all}"
if [ "$which" = all ] || [ "$which" = auth ]; then
  npx -y -p node@22 -p @modelcontextprotocol/conformance@0.1.16 -c 'conformance client --command "node dist/conformance/client.js" --suite auth'
fi
if [ "$which" = all ] || [ "$which" = requirements ]; then
  npx -y -p node@22 -p @modelcontextprotocol/conformance@0.2.0-alpha.12 -c 'conformance client --command "node dist/conformance/client.js" --requirements 2026-07-28'
fi
