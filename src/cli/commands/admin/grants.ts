/**
 * `cimd admin grants list` and `cimd admin grants revoke`: the live grants (refresh token
 * families) in the store, by client or by user, and their revocation. A revoked grant's refresh
 * tokens are refused from then on; access tokens already issued stay valid until they expire
 * (`--access-token-ttl`, 10 minutes by default).
 *
 * @module
 */
import type { Command } from 'commander';
import type { RefreshFamilyRecord } from '../../../store/store.js';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import {
  addFilterOptions,
  adminGroup,
  adminSubcommand,
  confirmed,
  type FilterFlags,
  filterOf,
  humanAge,
  isoTime,
  listSubcommand,
  printJson,
  readAll,
  withAdminStore,
} from './shared.js';

function grantJson(family: RefreshFamilyRecord): Record<string, unknown> {
  return {
    grantId: family.grantId,
    familyId: family.familyId,
    clientId: family.clientId,
    userId: family.userId,
    scope: family.scope,
    resources: family.resources,
    authMethod: family.authMethod,
    createdAt: isoTime(family.createdAt),
    expiresAt: isoTime(family.expiresAt),
  };
}

function listGrants(io: CliIo, setExit: (code: number) => void): Command {
  return listSubcommand(io, setExit, {
    description: 'List the live grants (refresh token families), newest first',
    filtered: true,
    read: (store, flags) => readAll((page) => store.listRefreshFamilies(filterOf(flags), page)),
    key: 'grants',
    json: grantJson,
    empty: 'live grants',
    headers: ['GRANT', 'CLIENT', 'USER', 'SCOPE', 'AGE', 'EXPIRES'],
    cells: (grant, now) => [
      grant.grantId,
      grant.clientId,
      grant.userId,
      grant.scope === '' ? '-' : grant.scope,
      humanAge(now - grant.createdAt),
      isoTime(grant.expiresAt),
    ],
  });
}

interface RevokePlan {
  grantIds: string[];
  /** Grant ids given that are not live grants in the store. */
  unknown: string[];
}

async function planRevocation(
  ids: readonly string[],
  flags: FilterFlags,
  list: (filter: { clientId?: string; userId?: string }) => Promise<RefreshFamilyRecord[]>,
): Promise<RevokePlan> {
  if (ids.length > 0) {
    const live = new Set((await list({})).map((family) => family.grantId));
    const unique = [...new Set(ids)];
    return {
      grantIds: unique.filter((id) => live.has(id)),
      unknown: unique.filter((id) => !live.has(id)),
    };
  }
  const families = await list(filterOf(flags));
  return { grantIds: [...new Set(families.map((family) => family.grantId))], unknown: [] };
}

function revokeSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = addFilterOptions(
    adminSubcommand(io, 'revoke')
      .description(
        'Revoke grants: those named, or every live grant of a client (--client) or a user (--user); their refresh tokens are refused from then on',
      )
      .argument('[grant-id...]', 'the grants to revoke (from cimd admin grants list)')
      .option('--yes', 'revoke more than one grant'),
    'revoke',
  );
  return command.action(async (ids: string[], flags: FilterFlags) => {
    const filtered = flags.client !== undefined || flags.user !== undefined;
    if (ids.length === 0 && !filtered) {
      throw new UsageError('name the grants to revoke, or give --client and/or --user');
    }
    if (ids.length > 0 && filtered) {
      throw new UsageError('give grant ids or --client/--user, not both');
    }
    const code = await withAdminStore(command, async ({ store }) => {
      const plan = await planRevocation(ids, flags, (filter) =>
        readAll((page) => store.listRefreshFamilies(filter, page)),
      );
      for (const id of plan.unknown) writeLine(io.stderr, `No live grant ${id} in the store.`);
      if (!confirmed(io, flags, plan.grantIds.length, 'grant')) return EXIT_INVALID;
      for (const grantId of plan.grantIds) await store.revokeGrant(grantId);
      if (flags.json)
        printJson(io, { revoked: plan.grantIds.length, grantIds: plan.grantIds, unknown: plan.unknown });
      else
        writeLine(
          io.stdout,
          `Revoked ${plan.grantIds.length} grant${plan.grantIds.length === 1 ? '' : 's'}.`,
        );
      return plan.unknown.length > 0 ? EXIT_INVALID : EXIT_OK;
    });
    setExit(code);
  });
}

/** Defines `cimd admin grants` (`list`, `revoke`). */
export function grantsCommand(io: CliIo, setExit: (code: number) => void): Command {
  return adminGroup(io, 'grants', 'The grants (refresh token families) in the store: list and revoke')
    .addCommand(listGrants(io, setExit))
    .addCommand(revokeSubcommand(io, setExit));
}
