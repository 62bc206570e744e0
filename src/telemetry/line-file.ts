// Append-only line writer: lines are encoded into a preallocated buffer and written in batches off the event loop.

import { closeSync, mkdirSync, openSync, write } from 'node:fs';
import { dirname } from 'node:path';

/** Options of LineFile. */
export interface LineFileOptions {
  /** Size of each of the two batch buffers (default 256 KiB). */
  readonly bufferBytes?: number;
  /** Most bytes waiting for the disk before lines are dropped (default 64 MiB). */
  readonly maxQueuedBytes?: number;
  /** Batches go out at least this often (default 20 ms). */
  readonly flushMs?: number;
}

/**
 * Appends lines to a file. `append` encodes the line straight into a batch buffer allocated once
 * (no per-batch string joins or fresh buffers: on VMs where page faults are costly, those dominated
 * the cost of logging), and a batch is written asynchronously every flushMs or when the buffer is
 * full. While the disk is behind, full batches wait in a queue bounded by maxQueuedBytes; beyond
 * it lines are dropped and counted in `lost`. `close()` resolves when everything is on disk.
 */
export class LineFile {
  private readonly fd: number;
  private readonly size: number;
  private readonly maxQueued: number;
  private readonly flushMs: number;
  private buf: Buffer;
  private spare: Buffer | null;
  private used = 0;
  private usedLines = 0;
  private writing = false;
  private readonly queue: Array<{ buf: Buffer; len: number; lines: number; pooled: boolean }> = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  /** Lines dropped or failed to write (including lines appended after close). */
  lost = 0;

  /** Opens (creating directories and the file, mode 0640) for appending. Throws if the file cannot be opened. */
  constructor(path: string, o: LineFileOptions = {}) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a', 0o640);
    this.size = o.bufferBytes ?? 256 * 1024;
    this.maxQueued = o.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.flushMs = o.flushMs ?? 20;
    // Touch the pages once, here, rather than on the request path.
    this.buf = Buffer.alloc(this.size);
    this.spare = Buffer.alloc(this.size);
  }

  /** Queues one line (without its newline). Never throws; returns false if the line was dropped. */
  append(line: string): boolean {
    if (this.closed) { this.lost++; return false; }
    const worst = line.length * 3 + 1;
    if (worst > this.size) return this.appendLarge(line);
    if (this.used + worst > this.size) this.flush();
    if (this.used + worst > this.size) { this.lost++; return false; }
    this.used += this.buf.write(line, this.used, 'utf8');
    this.buf[this.used++] = 10;
    this.usedLines++;
    if (this.timer === null) { this.timer = setTimeout(() => this.flush(), this.flushMs); this.timer.unref(); }
    return true;
  }

  /** Hands the current batch to the disk now. */
  flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.used === 0) return;
    if (this.queuedBytes + this.used > this.maxQueued) { this.lost += this.usedLines; this.used = 0; this.usedLines = 0; return; }
    if (this.spare !== null) {
      this.enqueue({ buf: this.buf, len: this.used, lines: this.usedLines, pooled: true });
      this.buf = this.spare;
      this.spare = null;
    } else {
      // Both buffers busy (the disk is behind): copy this batch out and keep filling the same buffer.
      this.enqueue({ buf: Buffer.from(this.buf.subarray(0, this.used)), len: this.used, lines: this.usedLines, pooled: false });
    }
    this.used = 0;
    this.usedLines = 0;
  }

  /** Flushes, waits for every queued batch, and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.writing) await new Promise<void>((r) => this.idleWaiters.push(r));
    try { closeSync(this.fd); } catch { /* already closed */ }
  }

  private appendLarge(line: string): boolean {
    this.flush();
    const b = Buffer.from(`${line}\n`, 'utf8');
    if (this.queuedBytes + b.length > this.maxQueued) { this.lost++; return false; }
    this.enqueue({ buf: b, len: b.length, lines: 1, pooled: false });
    return true;
  }

  private enqueue(item: { buf: Buffer; len: number; lines: number; pooled: boolean }): void {
    this.queue.push(item);
    this.queuedBytes += item.len;
    if (!this.writing) this.writeNext();
  }

  private writeNext(): void {
    const item = this.queue.shift();
    if (!item) {
      this.writing = false;
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.writing = true;
    let off = 0;
    const step = (): void => {
      write(this.fd, item.buf, off, item.len - off, null, (e, n) => {
        if (e) this.lost += item.lines;
        else if ((off += n) < item.len) { step(); return; }
        this.queuedBytes -= item.len;
        if (item.pooled) { if (this.spare === null) this.spare = item.buf; }
        this.writeNext();
      });
    };
    step();
  }
}
