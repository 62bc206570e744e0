// AutoBan: counts blocked requests per client in a sliding window and says when to ban. Pure state.

/** Options: ban after `threshold` blocks within `windowMs`. `maxTracked` bounds memory. */
export interface AutoBanOptions {
  readonly threshold: number;
  readonly windowMs: number;
  readonly maxTracked?: number;
}

/**
 * Keeps, per IP, the times of recent blocks (at most `threshold` of them). Memory is bounded:
 * beyond `maxTracked` IPs the oldest-inserted is forgotten.
 */
export class AutoBan {
  private readonly hits = new Map<string, number[]>();
  private readonly max: number;
  constructor(private readonly o: AutoBanOptions) { this.max = o.maxTracked ?? 50_000; }

  /** Records one blocked request at `nowMs`; true when this IP just reached the threshold. */
  record(ip: string, nowMs: number): boolean {
    let times = this.hits.get(ip);
    if (!times) {
      if (this.hits.size >= this.max) { const first = this.hits.keys().next(); if (!first.done) this.hits.delete(first.value); }
      times = [];
      this.hits.set(ip, times);
    }
    const from = nowMs - this.o.windowMs;
    while (times.length && times[0]! <= from) times.shift();
    times.push(nowMs);
    if (times.length >= this.o.threshold) { this.hits.delete(ip); return true; }
    return false;
  }

  /** Number of IPs currently tracked. */
  get size(): number { return this.hits.size; }
}
