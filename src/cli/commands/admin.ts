/**
 * `cimd admin`: operations on the store `cimd serve` runs with (chosen exactly as `cimd serve`
 * chooses it: `--database` / `DATABASE_URL`, `--store`, `--signing-keys`,
 * `--encryption-key-file` / `CIMD_ENCRYPTION_KEY`, `--config`): the clients seen, grants and
 * consents (list, revoke), the shared document cache (purge) and the server's signing keys
 * (list, rotate). Every subcommand takes `--json`.
 *
 * @module
 */

import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { cacheCommand } from './admin/cache.js';
import { clientsCommand } from './admin/clients.js';
import { consentsCommand } from './admin/consents.js';
import { grantsCommand } from './admin/grants.js';
import { adminKeysCommand } from './admin/keys.js';
import { adminGroup } from './admin/shared.js';

/** Defines `cimd admin` and its command groups (`clients`, `grants`, `consents`, `cache`, `keys`). */
export function adminCommand(io: CliIo, setExit: (code: number) => void): Command {
  return adminGroup(
    io,
    'admin',
    'Operate on the store cimd serve uses: clients, grants, consents, cache, signing keys',
  )
    .addCommand(clientsCommand(io, setExit))
    .addCommand(grantsCommand(io, setExit))
    .addCommand(consentsCommand(io, setExit))
    .addCommand(cacheCommand(io, setExit))
    .addCommand(adminKeysCommand(io, setExit))
    .addHelpText(
      'after',
      `
The store is chosen as cimd serve chooses it: --database (or DATABASE_URL), --store,
--signing-keys, --encryption-key-file (or CIMD_ENCRYPTION_KEY), --config <file>.
Exit codes: 0 done, 1 nothing matched or a revocation of many needs --yes, 2 usage or store error.

Examples:
  $ cimd admin clients list --database ./cimd.sqlite
  $ cimd admin clients show https://app.example.com/oauth/client.json
  $ cimd admin grants list --user u_3f1c... --json
  $ cimd admin grants revoke --client https://app.example.com/oauth/client.json --yes
  $ cimd admin consents revoke --client https://app.example.com/oauth/client.json --user u_3f1c...
  $ cimd admin cache purge https://app.example.com/oauth/client.json
  $ DATABASE_URL=postgres://cimd@db/cimd CIMD_ENCRYPTION_KEY=... cimd admin keys rotate`,
    );
}
