/**
 * `cimd admin cache purge <url>`: drops a client document (and its key set) from the store's
 * shared cache, so the next instance that needs it fetches it again, and records the purge so
 * that running instances drop their in-process copies too.
 *
 * @module
 */
import type { Command } from 'commander';
import { purgeSharedClientCache } from '../../../server/clients/cache-purge.js';
import { EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import { adminGroup, adminSubcommand, type JsonFlag, printJson, withAdminStore } from './shared.js';

function purgeSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = adminSubcommand(io, 'purge')
    .description(
      "Drop a cached client document (by its client_id URL) and its key set, or a cached key set (by its jwks_uri), from the store's shared cache and from every running instance",
    )
    .argument('<url>', 'a client_id (document URL) or a jwks_uri');
  return command.action(async (url: string, flags: JsonFlag) => {
    if (!URL.canParse(url)) throw new UsageError(`${JSON.stringify(url)} is not a URL`);
    const purged = await withAdminStore(command, ({ store }) => purgeSharedClientCache(store, url));
    if (flags.json) printJson(io, { url, document: purged.document, jwks: purged.jwks });
    else {
      writeLine(
        io.stdout,
        purged.document ? `Purged the cached document ${url}.` : `No cached document ${url}.`,
      );
      for (const jwks of purged.jwks) writeLine(io.stdout, `Purged the cached key set ${jwks}.`);
      writeLine(
        io.stderr,
        'Running instances drop their in-process copies within their purge poll interval (5 seconds by default) and fetch it again when they next need it.',
      );
    }
    setExit(EXIT_OK);
  });
}

/** Defines `cimd admin cache` (`purge`). */
export function cacheCommand(io: CliIo, setExit: (code: number) => void): Command {
  return adminGroup(io, 'cache', "The store's shared cache of client documents and key sets").addCommand(
    purgeSubcommand(io, setExit),
  );
}
