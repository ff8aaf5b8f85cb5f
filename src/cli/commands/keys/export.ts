/**
 * `cimd keys export --public`: prints the public JWKS of the key set (private keys are never
 * printed).
 *
 * @module
 */
import type { Command } from 'commander';
import { publicJwks } from '../../../keys/jwks.js';
import { EXIT_OK, UsageError } from '../../exit-codes.js';
import { type CliIo, writeLine } from '../../io.js';
import { DEFAULT_KEYS_PATH, loadKeys, reportFailure, subcommand } from './shared.js';

interface ExportFlags {
  public?: boolean;
  keys: string;
}

/** Defines `cimd keys export`. */
export function exportSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  return subcommand(io, 'export')
    .description(
      'Print the public JWKS of the key set (current, next and previous keys; public members only)',
    )
    .option('--public', 'print the public JWKS (required: private keys are never exported)')
    .option('--keys <file>', 'the key set file', DEFAULT_KEYS_PATH)
    .action(async (flags: ExportFlags) => {
      if (!flags.public)
        throw new UsageError('only the public JWKS can be exported: cimd keys export --public');
      try {
        const set = await loadKeys(flags.keys, io);
        writeLine(io.stdout, JSON.stringify(publicJwks(set), null, 2));
        setExit(EXIT_OK);
      } catch (error) {
        setExit(reportFailure(error, io));
      }
    });
}
