/**
 * Where audit events go: an {@link AuditSink}. Three come with the package: a function (your
 * own pipeline), standard output and a file, each writing one JSON object per line.
 *
 * @module
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, open } from 'node:fs/promises';
import { InvalidOptionError } from '../../errors.js';
import type { ServerObserver } from '../events.js';
import type { Logger } from '../logger.js';
import { type AuditEvent, toAuditEvent } from './events.js';

/**
 * Receives audit events, in order, synchronously on the request's path: queue slow work (the
 * file and stdout sinks buffer in their streams). A sink that throws is logged and ignored.
 */
export interface AuditSink {
  write(event: AuditEvent): void;
  /** Flushes and releases what the sink holds (the file sink's descriptor). Optional. */
  close?(): Promise<void>;
}

/** A sink that hands every event to `receive` (e.g. to forward it to your log pipeline). */
export function functionAuditSink(receive: (event: AuditEvent) => void): AuditSink {
  if (typeof receive !== 'function')
    throw new InvalidOptionError('the audit sink function must be a function');
  return { write: receive };
}

/** A sink that writes each event as one JSON line to `stream` (default: standard output). */
export function streamAuditSink(stream: NodeJS.WritableStream = process.stdout): AuditSink {
  return {
    write(event) {
      stream.write(`${JSON.stringify(event)}\n`);
    },
  };
}

/**
 * A sink that appends each event as one JSON line to the file at `path`, created with mode 0600
 * (an existing file is set to 0600 too: the stream names clients and users). Opening errors
 * (missing folder, no permission) reject here, before the server starts.
 */
export async function fileAuditSink(path: string): Promise<AuditSink> {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidOptionError('the audit file path must be a non-empty string');
  }
  const handle = await open(path, 'a', 0o600);
  await handle.close();
  await chmod(path, 0o600);
  const stream: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure ??= error;
  });
  return {
    write(event) {
      if (failure !== undefined) throw failure;
      stream.write(`${JSON.stringify(event)}\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (stream.closed || stream.destroyed) resolve();
        else stream.end(() => resolve());
      }),
  };
}

/** An observer that writes the audited events (see `AUDIT_EVENT_TYPES`) to `sink`, stamped by `now`. */
export function auditObserver(sink: AuditSink, now: () => number, logger: Logger): ServerObserver {
  if (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function') {
    throw new InvalidOptionError('audit must be an AuditSink (an object with write(event))');
  }
  return (event) => {
    const audited = toAuditEvent(event, now());
    if (audited === undefined) return;
    try {
      sink.write(audited);
    } catch (error) {
      logger.warn(
        {
          event: 'audit_write_failed',
          type: audited.type,
          err: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        },
        'an audit event could not be written',
      );
    }
  };
}
