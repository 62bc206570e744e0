// JSONL decision log: batches events off the request path and flushes them on close.

import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { ProtocolErrorEvent, VerdictEvent } from './events.js';

/** Queued lines are written at least this often (ms), or sooner once FLUSH_BYTES are queued. */
const FLUSH_MS = 20;
const FLUSH_BYTES = 256 * 1024;

/**
 * Appends one JSON line per event to a file (or stdout for '-'). `write` only queues the line;
 * lines go out in batches (every 20 ms, or at 256 KiB), so the request path never waits on disk
 * and a busy shield makes one write per batch, not one per request.
 * `close()` resolves when every queued line is on disk.
 */
export class DecisionLog {
  private queue: string[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly out: WriteStream | NodeJS.WriteStream;
  private lost = 0;

  constructor(private readonly target: string) {
    if (target === '-') this.out = process.stdout;
    else {
      mkdirSync(dirname(target), { recursive: true });
      this.out = createWriteStream(target, { flags: 'a', mode: 0o640 });
      this.out.on('error', () => { this.lost++; });
    }
  }

  /**
   * Queues one event. Never throws. While the disk cannot keep up (more than 100 000 lines queued or
   * the stream's buffer over 64 MiB) lines are dropped and counted in `errors`, so a flood cannot
   * exhaust memory.
   */
  write(e: VerdictEvent | (ProtocolErrorEvent & { kind: 'protocol-error' })): void {
    if (this.queue.length >= 100_000 || this.out.writableLength > 64 * 1024 * 1024) { this.lost++; return; }
    const line = JSON.stringify(e);
    this.queue.push(line);
    this.queuedBytes += line.length + 1;
    if (this.queuedBytes >= FLUSH_BYTES) this.flush();
    else if (this.timer === null) { this.timer = setTimeout(() => this.flush(), FLUSH_MS); this.timer.unref(); }
  }

  /** Number of write errors seen (lines that may be lost). */
  get errors(): number { return this.lost; }

  private flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.queue.length === 0) return;
    const chunk = this.queue.join('\n') + '\n';
    this.queue = [];
    this.queuedBytes = 0;
    this.out.write(chunk);
  }

  /** Writes what is queued and closes the file; resolves once it is flushed. */
  close(): Promise<void> {
    this.flush();
    if (this.target === '-') return Promise.resolve();
    const ws = this.out as WriteStream;
    return new Promise((resolve) => { ws.end(() => resolve()); });
  }
}
