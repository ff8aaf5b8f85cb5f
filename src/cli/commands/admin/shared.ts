/**
 * What the `cimd admin` subcommands share: the options that locate the store (the same flags,
 * environment variables and config file as `cimd serve`), opening and closing the store, reading
 * whole listings page by page, times as ISO 8601, and plain tables and JSON on stdout.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { redactUrl } from '../../../serve/config/database.js';
import { addServeOptions, configFileFlag, readFlagLayer } from '../../../serve/config/flags.js';
import { loadStoreAccessConfig } from '../../../serve/config/load.js';
import { STORE_ACCESS_KEYS, type StoreAccessConfig } from '../../../serve/config/store-access.js';
import { openStore } from '../../../serve/store.js';
import type { Page, Store } from '../../../store/store.js';
import { EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import { subcommand } from '../keys/shared.js';

/** The options every admin subcommand reads besides the store's. */
export interface JsonFlag {
  json?: boolean;
}

/** The store an admin subcommand opened, with the configuration it came from. */
export interface AdminContext {
  config: StoreAccessConfig;
  store: Store;
}

/** The largest page the store hands out (see {@link Page}). */
const PAGE_SIZE = 1000;

/**
 * An admin subcommand: parse errors reported through `io`, the store options of `cimd serve`
 * (`--database`, `--store`, `--signing-keys`, `--encryption-key-file`, `--access-token-ttl`,
 * `--config`) and `--json`.
 */
export function adminSubcommand(io: CliIo, name: string): Command {
  const command = subcommand(io, name);
  addServeOptions(command, STORE_ACCESS_KEYS);
  return command.option('--json', 'print JSON on stdout (the fields are documented in docs/cli.md)');
}

/** A group of admin subcommands (`clients`, `grants`, ...), reporting parse errors through `io`. */
export function adminGroup(io: CliIo, name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
}

/** What the listing says of the store: its kind and where it is, never a password. */
export function describeStoreLocation(config: StoreAccessConfig): string {
  const { store } = config;
  if (store.kind === 'memory') return 'memory';
  if (store.kind === 'sqlite') return `sqlite ${store.path}`;
  return `${store.kind} ${redactUrl(store.url)}`;
}

/**
 * Loads the store configuration of `command` as `cimd serve` would, opens the store, runs
 * `work` and closes the store (also when `work` fails).
 *
 * @throws UsageError for the memory store (it lives inside one server process, out of reach) and
 *   for a SQLite file that does not exist (never created here).
 */
export async function withAdminStore<T>(
  command: Command,
  work: (context: AdminContext) => Promise<T>,
): Promise<T> {
  const config = await loadStoreAccessConfig({
    flags: readFlagLayer(command),
    configFile: configFileFlag(command),
  });
  if (
    config.store.kind === 'memory' ||
    (config.store.kind === 'sqlite' && config.store.path === ':memory:')
  ) {
    throw new UsageError(
      'the memory store lives inside one server process: cimd admin works on a SQLite file, PostgreSQL or Redis (--database, DATABASE_URL)',
    );
  }
  if (config.store.kind === 'sqlite' && !existsSync(config.store.path)) {
    throw new UsageError(
      `there is no database at ${config.store.path}: give the --database (or DATABASE_URL) cimd serve runs with`,
    );
  }
  const store = await openStore(config.store);
  try {
    return await work({ config, store });
  } finally {
    await store.close();
  }
}

/** Every row of a paged listing (pages of 1000 until a short one). */
export async function readAll<T>(list: (page: Page) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const page = await list({ limit: PAGE_SIZE, offset });
    rows.push(...page);
    if (page.length < PAGE_SIZE) return rows;
  }
}

/** Epoch ms as ISO 8601 (UTC), the format of every time in the JSON output. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** A duration in ms as a short human age: `42s`, `17m`, `5h`, `12d`. */
export function humanAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Writes `value` as indented JSON on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  writeLine(io.stdout, JSON.stringify(value, null, 2));
}

/** Writes rows as a plain table with a bold header (columns padded to their widest cell). */
export function printTable(
  io: CliIo,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ');
  writeLine(io.stdout, io.colors.bold(line(headers)));
  for (const row of rows) writeLine(io.stdout, line(row));
}

/** Says (on stderr) that a listing is empty, naming the store. */
export function sayEmpty(io: CliIo, what: string, context: AdminContext): void {
  writeLine(io.stderr, `No ${what} in ${describeStoreLocation(context.config)}.`);
}

/** `--client` and `--user`, narrowing a listing or a revocation. */
export interface FilterFlags extends JsonFlag {
  client?: string;
  user?: string;
  yes?: boolean;
}

/** Adds `--client <client_id>` and `--user <sub>` to `command`. */
export function addFilterOptions(command: Command, verb: string): Command {
  return command
    .option('--client <client_id>', `${verb} those of this client only`)
    .option('--user <sub>', `${verb} those of this user (subject) only`);
}

/** The store filter of `--client` / `--user`. */
export function filterOf(flags: FilterFlags): { clientId?: string; userId?: string } {
  return {
    ...(flags.client === undefined ? {} : { clientId: flags.client }),
    ...(flags.user === undefined ? {} : { userId: flags.user }),
  };
}

/**
 * Whether a revocation of `count` items may go ahead: one at most, or `--yes`. Otherwise says
 * on stderr (and with `--json`, on stdout) how many it would revoke and returns `false`.
 */
export function confirmed(io: CliIo, flags: FilterFlags, count: number, noun: string): boolean {
  if (count <= 1 || flags.yes === true) return true;
  if (flags.json) printJson(io, { revoked: 0, wouldRevoke: count, confirmationNeeded: true });
  writeLine(io.stderr, `This would revoke ${count} ${noun}s: add --yes to revoke them all.`);
  return false;
}

/** What a `list` subcommand lists and how it prints each row (see {@link listSubcommand}). */
export interface Listing<Row> {
  description: string;
  /** Whether `--client` and `--user` narrow the listing. */
  filtered: boolean;
  /** Every row, in the order printed. */
  read(store: Store, flags: FilterFlags): Promise<Row[]>;
  /** The member of the JSON object holding the rows (`{ "grants": [...] }`). */
  key: string;
  json(row: Row): Record<string, unknown>;
  /** What an empty listing is said to lack ("live grants"). */
  empty: string;
  headers: readonly string[];
  cells(row: Row, now: number): string[];
}

/** A `list` subcommand: the rows as JSON (`--json`), a table, or a note that there are none. */
export function listSubcommand<Row>(
  io: CliIo,
  setExit: (code: number) => void,
  listing: Listing<Row>,
): Command {
  const base = adminSubcommand(io, 'list').description(listing.description);
  const command = listing.filtered ? addFilterOptions(base, 'list') : base;
  return command.action(async (flags: FilterFlags) => {
    await withAdminStore(command, async (context) => {
      const rows = await listing.read(context.store, flags);
      if (flags.json) printJson(io, { [listing.key]: rows.map((row) => listing.json(row)) });
      else if (rows.length === 0) sayEmpty(io, listing.empty, context);
      else {
        const now = Date.now();
        printTable(
          io,
          listing.headers,
          rows.map((row) => listing.cells(row, now)),
        );
      }
    });
    setExit(EXIT_OK);
  });
}
