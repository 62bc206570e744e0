// Clock: the one source of time, so tests can control it.

/** Milliseconds since the epoch, and a monotonic high-resolution reading in nanoseconds. */
export interface Clock {
  now(): number;
  monoNs(): bigint;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monoNs: () => process.hrtime.bigint(),
};

/** A clock that only moves when told to. For tests. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(startMs = 1_700_000_000_000) { this.ms = startMs; }
  now(): number { return this.ms; }
  monoNs(): bigint { return BigInt(this.ms) * 1_000_000n; }
  /** Moves time forward by `ms`. */
  advance(ms: number): void { this.ms += ms; }
}
