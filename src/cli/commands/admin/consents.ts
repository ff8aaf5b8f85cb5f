/**
 * `cimd admin consents list` and `cimd admin consents revoke`: the consents users gave clients
 * (what lets the server skip the consent page), by client or by user, and their revocation (the
 * user is asked again at the next authorization). With `--with-grants`, the live grants of the
 * same client and user are revoked too.
 *
 * @module
 */
import type { Command } from 'commander';
import type { ConsentRecord } from '../../../store/store.js';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import {
  addFilterOptions,
  adminGroup,
  adminSubcommand,
  confirmed,
  type FilterFlags,
  filterOf,
  isoTime,
  listSubcommand,
  printJson,
  readAll,
  withAdminStore,
} from './shared.js';

function consentJson(consent: ConsentRecord): Record<string, unknown> {
  return {
    clientId: consent.clientId,
    userId: consent.userId,
    scopes: consent.scopes,
    resources: consent.resources,
    clientFingerprint: consent.clientFingerprint,
    grantedAt: isoTime(consent.grantedAt),
    expiresAt: isoTime(consent.expiresAt),
  };
}

function listConsents(io: CliIo, setExit: (code: number) => void): Command {
  return listSubcommand(io, setExit, {
    description: 'List the remembered consents, newest first',
    filtered: true,
    read: (store, flags) => readAll((page) => store.listConsents(filterOf(flags), page)),
    key: 'consents',
    json: consentJson,
    empty: 'consents',
    headers: ['CLIENT', 'USER', 'SCOPES', 'GRANTED', 'EXPIRES'],
    cells: (consent) => [
      consent.clientId,
      consent.userId,
      consent.scopes.length === 0 ? '-' : consent.scopes.join(' '),
      isoTime(consent.grantedAt),
      isoTime(consent.expiresAt),
    ],
  });
}

interface RevokeFlags extends FilterFlags {
  withGrants?: boolean;
}

function revokeSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = addFilterOptions(
    adminSubcommand(io, 'revoke')
      .description(
        "Revoke a user's consent for a client (--client and --user), or every consent of a client or a user (with --yes): the user is asked again",
      )
      .option('--with-grants', 'also revoke the live grants of each client and user whose consent is revoked')
      .option('--yes', 'revoke more than one consent'),
    'revoke',
  );
  return command.action(async (flags: RevokeFlags) => {
    if (flags.client === undefined && flags.user === undefined) {
      throw new UsageError(
        'give --client and --user (one consent), or one of them and --yes (all of theirs)',
      );
    }
    const code = await withAdminStore(command, async ({ store }) => {
      const consents = await readAll((page) => store.listConsents(filterOf(flags), page));
      if (consents.length === 0) {
        if (flags.json) printJson(io, { revoked: 0, consents: [], grantsRevoked: 0 });
        writeLine(io.stderr, 'No consent matches.');
        return EXIT_INVALID;
      }
      if (!confirmed(io, flags, consents.length, 'consent')) return EXIT_INVALID;
      let grantsRevoked = 0;
      for (const consent of consents) {
        await store.revokeConsent(consent.userId, consent.clientId);
        if (!flags.withGrants) continue;
        const filter = { clientId: consent.clientId, userId: consent.userId };
        const families = await readAll((page) => store.listRefreshFamilies(filter, page));
        const grantIds = [...new Set(families.map((family) => family.grantId))];
        for (const grantId of grantIds) await store.revokeGrant(grantId);
        grantsRevoked += grantIds.length;
      }
      const pairs = consents.map((consent) => ({ clientId: consent.clientId, userId: consent.userId }));
      if (flags.json) printJson(io, { revoked: consents.length, consents: pairs, grantsRevoked });
      else {
        const grants = flags.withGrants ? ` and ${grantsRevoked} grant${grantsRevoked === 1 ? '' : 's'}` : '';
        writeLine(
          io.stdout,
          `Revoked ${consents.length} consent${consents.length === 1 ? '' : 's'}${grants}.`,
        );
      }
      return EXIT_OK;
    });
    setExit(code);
  });
}

/** Defines `cimd admin consents` (`list`, `revoke`). */
export function consentsCommand(io: CliIo, setExit: (code: number) => void): Command {
  return adminGroup(io, 'consents', 'The consents users gave clients: list and revoke')
    .addCommand(listConsents(io, setExit))
    .addCommand(revokeSubcommand(io, setExit));
}
