/**
 * `cimd admin clients list` and `cimd admin clients show <client_id>`: the clients the server
 * has seen (their document history, from the store) and, for a registered (DCR) client, its
 * registration.
 *
 * @module
 */
import type { Command } from 'commander';
import type { ClientDocumentRecord, ClientSummary, RegisteredClientRecord } from '../../../store/store.js';
import { EXIT_INVALID, EXIT_OK } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import {
  adminGroup,
  adminSubcommand,
  isoTime,
  type JsonFlag,
  listSubcommand,
  printJson,
  readAll,
  withAdminStore,
} from './shared.js';

function summaryJson(client: ClientSummary): Record<string, unknown> {
  return {
    clientId: client.clientId,
    clientName: client.clientName ?? null,
    fingerprint: client.fingerprint,
    documents: client.documents,
    firstSeen: isoTime(client.firstSeen),
    lastSeen: isoTime(client.lastSeen),
  };
}

function documentJson(document: ClientDocumentRecord): Record<string, unknown> {
  const { changes } = document;
  return {
    fingerprint: document.fingerprint,
    clientName: document.clientName ?? null,
    firstSeen: isoTime(document.firstSeen),
    lastSeen: isoTime(document.lastSeen),
    changes:
      changes === undefined
        ? null
        : {
            previousFingerprint: changes.previousFingerprint ?? null,
            fields: changes.fields,
            keysAdded: changes.keysAdded,
            keysRemoved: changes.keysRemoved,
          },
  };
}

function registrationJson(client: RegisteredClientRecord): Record<string, unknown> {
  return { createdAt: isoTime(client.createdAt), metadata: client.metadata };
}

function listClients(io: CliIo, setExit: (code: number) => void): Command {
  return listSubcommand(io, setExit, {
    description: 'List the clients whose documents the server accepted, most recently seen first',
    filtered: false,
    read: (store) => readAll((page) => store.listClientDocuments(page)),
    key: 'clients',
    json: summaryJson,
    empty: 'clients seen',
    headers: ['CLIENT', 'NAME', 'DOCUMENTS', 'FIRST SEEN', 'LAST SEEN'],
    cells: (client) => [
      client.clientId,
      client.clientName ?? '-',
      String(client.documents),
      isoTime(client.firstSeen),
      isoTime(client.lastSeen),
    ],
  });
}

/** A declared name as printed: JSON-quoted, so control characters cannot reach the terminal. */
function quotedName(name: string | undefined): string {
  return name === undefined ? '(none)' : JSON.stringify(name);
}

/**
 * One line on what changed in a document against the one before it (`previous`, when recorded):
 * the fields, the name from and to, and the keys added and removed.
 */
function describeChanges(document: ClientDocumentRecord, previous: ClientDocumentRecord | undefined): string {
  const { changes } = document;
  if (changes === undefined) return 'first document';
  const parts: string[] = [];
  if (changes.fields.length > 0) parts.push(`changed ${changes.fields.join(', ')}`);
  if (changes.fields.includes('client_name') && previous !== undefined) {
    parts.push(`name ${quotedName(previous.clientName)} -> ${quotedName(document.clientName)}`);
  }
  if (changes.keysAdded.length > 0) parts.push(`keys added ${changes.keysAdded.join(', ')}`);
  if (changes.keysRemoved.length > 0) parts.push(`keys removed ${changes.keysRemoved.join(', ')}`);
  // A new fingerprint always means a changed document; the recorder may not have known the old one.
  return parts.length === 0 ? 'a new document (what changed was not recorded)' : parts.join('; ');
}

function printShow(
  io: CliIo,
  clientId: string,
  documents: readonly ClientDocumentRecord[],
  registration: RegisteredClientRecord | undefined,
): void {
  const out = io.stdout;
  writeLine(out, io.colors.bold(`Client ${clientId}`));
  if (registration !== undefined) {
    writeLine(out, `  registered (DCR) at ${isoTime(registration.createdAt)}`);
    for (const [name, value] of Object.entries(registration.metadata)) {
      writeLine(out, `    ${name}: ${JSON.stringify(value)}`);
    }
  }
  if (documents.length === 0) {
    writeLine(out, '  no document recorded');
    return;
  }
  writeLine(
    out,
    `  ${documents.length} document fingerprint${documents.length === 1 ? '' : 's'}, oldest first:`,
  );
  const byFingerprint = new Map(documents.map((document) => [document.fingerprint, document]));
  for (const document of documents) {
    const name = document.clientName === undefined ? '' : ` ${quotedName(document.clientName)}`;
    const previousFingerprint = document.changes?.previousFingerprint;
    const previous = previousFingerprint === undefined ? undefined : byFingerprint.get(previousFingerprint);
    writeLine(out, `  ${document.fingerprint}${name}`);
    writeLine(out, `    seen ${isoTime(document.firstSeen)} .. ${isoTime(document.lastSeen)}`);
    writeLine(out, `    ${describeChanges(document, previous)}`);
  }
}

function showSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  const command = adminSubcommand(io, 'show')
    .description(
      "Show a client's document fingerprint history and, for a registered client, its registration",
    )
    .argument('<client_id>', 'the client_id (a CIMD document URL or a registered client id)');
  return command.action(async (clientId: string, flags: JsonFlag) => {
    const code = await withAdminStore(command, async (context) => {
      const documents = await context.store.getClientDocuments(clientId);
      const registration = await context.store.getClient(clientId);
      if (documents.length === 0 && registration === undefined) {
        if (flags.json) printJson(io, { clientId, found: false, documents: [], registration: null });
        writeLine(io.stderr, `No client ${clientId} in the store: no document recorded, no registration.`);
        return EXIT_INVALID;
      }
      if (flags.json) {
        printJson(io, {
          clientId,
          found: true,
          documents: documents.map(documentJson),
          registration: registration === undefined ? null : registrationJson(registration),
        });
      } else printShow(io, clientId, documents, registration);
      return EXIT_OK;
    });
    setExit(code);
  });
}

/** Defines `cimd admin clients` (`list`, `show`). */
export function clientsCommand(io: CliIo, setExit: (code: number) => void): Command {
  return adminGroup(
    io,
    'clients',
    'The clients the server has seen: their document history and registrations',
  )
    .addCommand(listClients(io, setExit))
    .addCommand(showSubcommand(io, setExit));
}
