// The jirachi CLI: builds the command tree from the command registry and runs it.

import { Command, CommanderError } from 'commander';
import { commandRegistry, UsageFailure } from './registry.js';
import './commands/index.js';

/**
 * Runs the CLI with `argv` (as process.argv) and resolves to the exit code. Errors print one line
 * on stderr (`jirachi: <reason>`) and give a non-zero code; never throws.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('jirachi')
    .description('Jirachi: a self-defending security sidecar for HTTP services')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError(false);
  for (const register of commandRegistry()) register(program);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode;
    }
    if (!(e instanceof UsageFailure) && process.env['JIRACHI_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`);
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`jirachi: ${msg.split('\n')[0]}\n`);
    return 1;
  }
}
