// JSONL decision log: events become lines off the request path, batched to a file (or stdout) and flushed on close.

import type { ProtocolErrorEvent, VerdictEvent } from './events.js';
import { LineFile } from './line-file.js';

/** Stdout batches go out at least this often (ms). */
const STDOUT_FLUSH_MS = 20;

/**
 * Appends one JSON line per event to a file (or stdout for '-'). `write` only serializes and
 * queues the line; lines go out in batches (every 20 ms, or when a 256 KiB batch is full), so the
 * request path never waits on disk. While the disk cannot keep up (64 MiB waiting) lines are
 * dropped and counted in `errors`, so a flood cannot exhaust memory.
 * `close()` resolves when every queued line is on disk.
 */
export class DecisionLog {
  private readonly file: LineFile | null;
  private stdoutQueue: string[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** Opens the log; throws if the file cannot be opened (the caller reports it). */
  constructor(target: string) {
    this.file = target === '-' ? null : new LineFile(target);
  }

  /** Queues one event. Never throws. */
  write(e: VerdictEvent | (ProtocolErrorEvent & { kind: 'protocol-error' })): void {
    const line = JSON.stringify(e);
    if (this.file) { this.file.append(line); return; }
    if (this.stdoutQueue.length >= 100_000) return;
    this.stdoutQueue.push(line);
    if (this.timer === null) { this.timer = setTimeout(() => this.flushStdout(), STDOUT_FLUSH_MS); this.timer.unref(); }
  }

  /** Number of lines lost (dropped under backpressure or failed writes). */
  get errors(): number { return this.file ? this.file.lost : 0; }

  private flushStdout(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.stdoutQueue.length === 0) return;
    process.stdout.write(this.stdoutQueue.join('\n') + '\n');
    this.stdoutQueue = [];
  }

  /** Writes what is queued and closes the file; resolves once it is flushed. */
  close(): Promise<void> {
    if (this.file) return this.file.close();
    this.flushStdout();
    return Promise.resolve();
  }
}
