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
  /**
   * Write at most this many bytes per write(2), cut at line ends (4096 for pipes: writes up to
   * PIPE_BUF are atomic, so cluster workers sharing stdout never splice lines; a single longer line
   * still goes out whole, in one write). Default: whole batches.
   */
  readonly atomicBytes?: number;
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
  private readonly ownsFd: boolean;
  private readonly atomic: number;
  /** The last write failed after part of a line: the next batch starts with a newline so no line is glued to the fragment. */
  private torn = false;
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

  /**
   * Opens `target` (creating directories and the file, mode 0640) for appending, or writes to an
   * already open descriptor (e.g. 1 for stdout; not closed by close()). Throws if the file cannot be opened.
   */
  constructor(target: string | number, o: LineFileOptions = {}) {
    if (typeof target === 'number') { this.fd = target; this.ownsFd = false; } else {
      mkdirSync(dirname(target), { recursive: true });
      this.fd = openSync(target, 'a', 0o640);
      this.ownsFd = true;
    }
    this.atomic = o.atomicBytes ?? Infinity;
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

  /**
   * Gives up on what has not been written (counted in `lost`), for a shutdown that cannot wait for a
   * stalled reader: pending retries stop, queued batches are dropped, close() resolves.
   */
  abandon(): void {
    this.abandoned = true;
    for (const item of this.queue.splice(0)) { this.lost += item.lines; this.queuedBytes -= item.len; }
  }

  private abandoned = false;

  /** Flushes, waits for every queued batch, and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.writing) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.ownsFd) try { closeSync(this.fd); } catch { /* already closed */ }
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
    const done = (): void => {
      this.queuedBytes -= item.len;
      if (item.pooled) { if (this.spare === null) this.spare = item.buf; }
      this.writeNext();
    };
    const step = (): void => {
      if (this.abandoned) { this.lost += countLines(item.buf, off, item.len); done(); return; }
      if (this.torn) {
        write(this.fd, NEWLINE, 0, 1, null, (e) => {
          if (e && isFull(e)) { setTimeout(step, 2); return; }
          if (e) { this.lost += countLines(item.buf, off, item.len); done(); return; }
          this.torn = false;
          step();
        });
        return;
      }
      const end = chunkEnd(item.buf, off, item.len, this.atomic);
      write(this.fd, item.buf, off, end - off, null, (e, n) => {
        if (e) {
          // A non-blocking pipe that is full: try again shortly (the queue bound caps memory meanwhile).
          if (isFull(e)) { setTimeout(step, 2); return; }
          this.lost += countLines(item.buf, off, item.len);
          if (off > 0 && item.buf[off - 1] !== 10) this.torn = true;
          done();
          return;
        }
        if ((off += n) < item.len) { step(); return; }
        done();
      });
    };
    step();
  }
}

const NEWLINE = Buffer.from('\n');

/** A non-blocking descriptor (a pipe libuv made non-blocking) with no room right now. */
function isFull(e: NodeJS.ErrnoException): boolean {
  return e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK';
}

/** Lines that start in buf[from, to) (a line cut by a failed write counts as lost). */
function countLines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (buf[i] === 10) n++;
  return n;
}

/** End of the next write from `off`: at most `max` bytes ending at a newline, or one whole longer line. */
function chunkEnd(buf: Buffer, off: number, len: number, max: number): number {
  if (len - off <= max) return len;
  const cut = buf.lastIndexOf(10, off + max - 1);
  if (cut >= off) return cut + 1;
  const next = buf.indexOf(10, off + max);
  return next < 0 || next >= len ? len : next + 1;
}
