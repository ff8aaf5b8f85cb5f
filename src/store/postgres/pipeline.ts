/**
 * Pipelined connections for the store's single-statement calls. A pooled connection carries one
 * statement per round trip, and every round trip wakes both this process and a database backend
 * for a few microseconds of work; on a pipelined connection (`pg`'s `pipeline` option) statements
 * are written as they come, each followed by its own `Sync`, and the backend answers them in
 * order, so a busy store pays those wake-ups once for many statements (about half the CPU per
 * statement on both sides). Each statement still runs on its own as an autocommit transaction,
 * and a failing one fails alone. The statements submitted within one tick leave in one write.
 * Transactions of several statements never run here: they hold a pooled connection of their own.
 *
 * A connection is opened on first use and again after it was lost. One that holds a prepared
 * statement the schema no longer matches is retired: it finishes what it was sent, then closes,
 * and a fresh connection takes its place. One that leaves a statement unanswered past
 * `answerTimeoutMs` (a connection dropped without a reset) is closed at once: what it was sent
 * fails, and the next call connects anew.
 *
 * @module
 */
import type { Client, QueryConfig, QueryResult } from 'pg';
import type { PgModule } from './driver.js';
import { isStalePreparedStatement, isUnavailable } from './errors.js';

/** Anything that runs a `pg` query config: the pipeline, or a pool. */
export interface StatementRunner {
  query(config: QueryConfig): Promise<QueryResult>;
}

/** A fixed number of pipelined connections, used in turn. */
export interface Pipeline extends StatementRunner {
  /** Closes every connection once what it was sent is answered. */
  close(): Promise<void>;
}

/** How the pipeline's connections connect. */
export interface PipelineSettings {
  connectionString: string;
  /** How many pipelined connections to keep (at least 1). */
  connections: number;
  /** How long opening one connection may take, in milliseconds. */
  connectionTimeoutMs: number;
  /**
   * How long a statement may go unanswered, in milliseconds, before its connection is taken for
   * lost: it is closed (what it was sent fails) and the next call opens a fresh one.
   */
  answerTimeoutMs: number;
}

/** Closes `client`'s socket at once: a connection that stopped answering may never finish ending. */
function destroy(client: Client): void {
  const stream = (client as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  stream?.destroy?.();
  client.end().catch(() => undefined);
}

/** True when this `pg` supports pipelined connections (pg 8.23 and later). */
export function supportsPipelining(pg: PgModule): boolean {
  const probe = new pg.Client({ pipeline: true } as import('pg').ClientConfig) as Client & {
    pipeline?: unknown;
  };
  return probe.pipeline === true;
}

/** The socket under a `pg` client, when it can be corked. */
function corkableStream(client: Client): { cork(): void; uncork(): void } | undefined {
  const stream = (client as { connection?: { stream?: { cork?: unknown; uncork?: unknown } } }).connection
    ?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as { cork(): void; uncork(): void })
    : undefined;
}

/**
 * Holds back what is written to `client` until the current tick's callbacks have run, so the
 * statements several calls submit in one tick (answers arriving together wake many callers) go
 * out in one write rather than one each.
 */
function batchWrites(client: Client, corked: Set<Client>): void {
  if (corked.has(client)) return;
  const stream = corkableStream(client);
  if (stream === undefined) return;
  corked.add(client);
  stream.cork();
  process.nextTick(() => {
    corked.delete(client);
    stream.uncork();
  });
}

/** Opens (lazily) the pipelined connections of `settings`. */
export function createPipeline(pg: PgModule, settings: PipelineSettings): Pipeline {
  const slots: (Promise<Client> | undefined)[] = new Array(settings.connections).fill(undefined);
  const open = new Set<Client>();
  const corked = new Set<Client>();
  let turn = 0;
  let closed = false;

  /** Forgets `client` in `slot` (if it is still there), so the next call there connects anew. */
  function vacate(slot: number, connecting: Promise<Client>): void {
    if (slots[slot] === connecting) slots[slot] = undefined;
  }

  function connect(slot: number): Promise<Client> {
    const client = new pg.Client({
      connectionString: settings.connectionString,
      connectionTimeoutMillis: settings.connectionTimeoutMs,
      application_name: 'mcp-cimd',
      // A connection dropped without a reset (a firewall, a failover) is noticed.
      keepAlive: true,
      pipeline: true,
    } as import('pg').ClientConfig);
    const connecting = client.connect().then(
      () => client,
      (error: unknown) => {
        vacate(slot, connecting);
        open.delete(client);
        throw error;
      },
    );
    // A lost connection fails what it was sent (the callers see the error); the slot reconnects.
    client.on('error', () => vacate(slot, connecting));
    client.on('end', () => {
      vacate(slot, connecting);
      open.delete(client);
    });
    open.add(client);
    slots[slot] = connecting;
    return connecting;
  }

  return {
    async query(config) {
      if (closed) throw new Error('The store closed its pipelined connections');
      const slot = turn;
      turn = (turn + 1) % slots.length;
      const connecting = slots[slot] ?? connect(slot);
      const client = await connecting;
      const deadline = setTimeout(() => {
        vacate(slot, connecting);
        destroy(client);
      }, settings.answerTimeoutMs);
      try {
        batchWrites(client, corked);
        return await client.query(config);
      } catch (error) {
        if (isStalePreparedStatement(error)) {
          // Its other statements of this name would fail the same way: retire it gracefully.
          vacate(slot, connecting);
          client.end().catch(() => undefined);
        } else if (isUnavailable(error)) {
          vacate(slot, connecting);
        }
        throw error;
      } finally {
        clearTimeout(deadline);
      }
    },
    async close() {
      closed = true;
      const connecting = slots.filter((slot) => slot !== undefined);
      slots.fill(undefined);
      await Promise.allSettled(connecting);
      await Promise.all([...open].map((client) => client.end().catch(() => undefined)));
    },
  };
}
