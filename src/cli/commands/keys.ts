/**
 * `cimd keys`: signing keys for `private_key_jwt` and their staged rotation. The key set (private
 * keys, their states, the `jwks_uri` they are published at) lives in one file, mode 0600; the
 * public JWKS is written beside it.
 *
 * @module
 */
import { Command } from 'commander';
import type { CliIo } from '../io.js';
import { exportSubcommand } from './keys/export.js';
import { generateSubcommand } from './keys/generate.js';
import { rotateSubcommand } from './keys/rotate.js';
import { statusSubcommand } from './keys/status.js';

/** Defines `cimd keys` and its subcommands (`generate`, `rotate`, `status`, `export`). */
export function keysCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('keys')
    .description('Generate client signing keys, rotate them in stages, and check what is published')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addCommand(generateSubcommand(io, setExit))
    .addCommand(rotateSubcommand(io, setExit))
    .addCommand(statusSubcommand(io, setExit))
    .addCommand(exportSubcommand(io, setExit))
    .addHelpText(
      'after',
      `
Examples:
  $ cimd keys generate --jwks-uri https://app.example.com/oauth/jwks.json
  $ cimd keys status
  $ cimd keys rotate --stage      # then publish jwks.json
  $ cimd keys rotate --promote    # once the next key is served
  $ cimd keys rotate --retire     # after the grace period; then publish jwks.json again
  $ cimd keys export --public`,
    );
}
