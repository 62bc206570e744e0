// JSONL decision log: events become lines off the request path, batched to a file (or stdout) and flushed on close.

import type { ProtocolErrorEvent, VerdictEvent } from './events.js';
import { LineFile } from './line-file.js';

/**
 * Appends one JSON line per event to a file, or to stdout for '-'. `write` only serializes and
 * queues the line; lines go out in batches (every 20 ms, or when a 256 KiB batch is full) written
 * off the event loop, so the request path never waits on disk or on a slow reader. While the
 * output cannot keep up (64 MiB waiting) lines are dropped and counted in `errors`, so a flood or
 * a stalled reader cannot exhaust memory; a reader that goes away (EPIPE) costs lines, counted,
 * never the process. On stdout each write(2) is at most 4 KiB cut at line ends, so cluster workers
 * sharing the pipe never splice each other's lines. `close()` resolves when every queued line is out.
 */
export class DecisionLog {
  private readonly out: LineFile;
  private readonly stdout: boolean;

  /** Opens the log; throws if the file cannot be opened (the caller reports it). */
  constructor(target: string) {
    this.stdout = target === '-';
    this.out = target === '-' ? new LineFile(1, { atomicBytes: 4096 }) : new LineFile(target);
  }

  /** Queues one event. Never throws. */
  write(e: VerdictEvent | (ProtocolErrorEvent & { kind: 'protocol-error' })): void {
    const line = JSON.stringify(e);
    // On a pipe only writes up to PIPE_BUF are atomic: a longer event loses its request sample's
    // body and query (marked truncated) so that workers sharing stdout never splice lines.
    this.out.append(this.stdout && Buffer.byteLength(line) > STDOUT_LINE_MAX ? shrink(e) : line);
  }

  /** Number of lines lost (dropped under backpressure or failed writes). */
  get errors(): number { return this.out.lost; }

  /**
   * Writes what is queued (and closes a file; stdout stays open); resolves once it is out, or for
   * stdout after at most 5 s (a reader that stopped reading must not hold the shutdown forever).
   */
  close(): Promise<void> {
    if (!this.stdout) return this.out.close();
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.out.abandon(); resolve(); }, 5000);
      t.unref();
      void this.out.close().then(() => { clearTimeout(t); resolve(); });
    });
  }
}

/** Longest stdout line (bytes, newline included it is PIPE_BUF, 4096). */
const STDOUT_LINE_MAX = 4095;

/** The event as a line of at most STDOUT_LINE_MAX bytes: sample body and query dropped, then the whole sample, then excerpts. */
function shrink(e: VerdictEvent | (ProtocolErrorEvent & { kind: 'protocol-error' })): string {
  if (!('request' in e)) return JSON.stringify({ ...e, message: e.message.slice(0, 512) });
  const a = JSON.stringify({ ...e, request: { ...e.request, body: '', query: '', truncated: true } });
  if (Buffer.byteLength(a) <= STDOUT_LINE_MAX) return a;
  const b = JSON.stringify({ ...e, findings: e.findings.slice(0, 8).map((f) => ({ ...f, excerpt: f.excerpt.slice(0, 80) })), request: { path: e.request.path.slice(0, 256), query: '', headers: {}, body: '', truncated: true } });
  return Buffer.byteLength(b) <= STDOUT_LINE_MAX ? b : JSON.stringify({ time: e.time, requestId: e.requestId, clientIp: e.clientIp, verdict: e.verdict, status: e.status, truncated: true });
}
