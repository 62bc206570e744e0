// Inspection in batches: requests that become ready in the same event-loop turn are inspected
// back to back, so the engine's tables stay in the CPU caches from one request to the next.

import type { Detector, Finding, RequestView } from '../core/index.js';

/** One inspection's outcome: findings, or the engine's exception (the caller applies the fail mode). */
export type InspectOutcome = { readonly ok: true; readonly findings: Finding[]; readonly us: number } | { readonly ok: false; readonly error: Error; readonly us: number };

interface Job { readonly engine: Detector; readonly view: RequestView; readonly done: (o: InspectOutcome) => void }

/**
 * Queues inspections and runs them in one `setImmediate` callback: under load many requests are
 * parsed in one poll phase, and running their inspections together keeps the engine warm. With one
 * request in flight the batch holds one job and costs one `setImmediate` hop. Never throws.
 */
export class InspectBatcher {
  private queue: Job[] = [];
  private scheduled = false;

  /**
   * @param maxFindings passed to the engine
   * @param maxBatch inspections per batch, and
   * @param maxBatchUs the time after which a batch stops taking more (a few large bodies can cost
   *   milliseconds each): both bound how long the first request of a batch waits for the others
   *   before it is forwarded; the rest go to the next batch.
   */
  constructor(private readonly maxFindings: number, private readonly maxBatch = 16, private readonly maxBatchUs = 2000) {}

  /** Inspects `view` with `engine` in the next batch. */
  inspect(engine: Detector, view: RequestView): Promise<InspectOutcome> {
    return new Promise((done) => {
      this.queue.push({ engine, view, done });
      if (!this.scheduled) { this.scheduled = true; setImmediate(this.drain); }
    });
  }

  private readonly drain = (): void => {
    const jobs = this.queue;
    this.queue = [];
    let n = 0, spentUs = 0;
    while (n < jobs.length && n < this.maxBatch && spentUs < this.maxBatchUs) {
      const j = jobs[n++]!;
      const o = runOne(j.engine, j.view, this.maxFindings);
      spentUs += o.us;
      j.done(o);
    }
    // Jobs left over go first in the next batch (ahead of any queued meanwhile).
    if (n < jobs.length) this.queue = jobs.slice(n).concat(this.queue);
    this.scheduled = this.queue.length > 0;
    if (this.scheduled) setImmediate(this.drain);
  };
}

/** Runs one inspection synchronously, timing it and catching the engine's exceptions. */
export function runOne(engine: Detector, view: RequestView, maxFindings: number): InspectOutcome {
  const t = process.hrtime.bigint();
  try {
    const findings = engine.inspect(view, { maxFindings });
    return { ok: true, findings, us: Number(process.hrtime.bigint() - t) / 1000 };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e : new Error(String(e)), us: Number(process.hrtime.bigint() - t) / 1000 };
  }
}
