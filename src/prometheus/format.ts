// LogFormat seam and its registry: each format turns one log line into a LogRecord or a BadLine.

import type { Result } from '../core/index.js';
import type { BadLine, LogRecord } from './record.js';

/** A log format. `parse` is pure and never throws; blank lines are filtered before it is called. */
export interface LogFormat {
  readonly name: string;
  readonly description: string;
  parse(line: string): Result<LogRecord, BadLine>;
}

const formats = new Map<string, LogFormat>();

/** Registers a log format under its name. Throws on a duplicate name (a programming bug). */
export function registerLogFormat(f: LogFormat): void {
  if (formats.has(f.name)) throw new Error(`log format ${f.name} registered twice`);
  formats.set(f.name, f);
}

/** The format with this name, or undefined. Never throws. */
export function getLogFormat(name: string): LogFormat | undefined {
  return formats.get(name);
}

/** Names of every registered format, sorted. */
export function logFormatNames(): string[] {
  return [...formats.keys()].sort();
}
