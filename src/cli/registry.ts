// Command registry: each command module registers a function that adds itself to the program.

import type { Command } from 'commander';

/** Adds one command (with its subcommands) to the program. */
export type CommandRegistration = (program: Command) => void;

const registrations: CommandRegistration[] = [];

/** Registers a command. Called once per command module at import time. */
export function registerCommand(r: CommandRegistration): void {
  registrations.push(r);
}

/** The registered commands, in registration order. */
export function commandRegistry(): readonly CommandRegistration[] {
  return registrations;
}

/** Thrown by commands for a one-line user-facing failure; main prints `jirachi: <message>`. */
export class UsageFailure extends Error {}
