// Per-client token bucket rate limiter with bounded memory.

/** Outcome of taking one token. */
export interface RateResult {
  readonly allowed: boolean;
  /** Seconds until one token is available (for Retry-After), when not allowed. */
  readonly retryAfterS: number;
}

interface Bucket { tokens: number; at: number }

/**
 * Token buckets keyed by client IP: `ratePerSec` refill, `burst` capacity. Memory is bounded by
 * `maxTracked`: when full, the least recently inserted buckets go first (a fresh bucket is full,
 * so forgetting one can only favour that client, never block an innocent one).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private ratePerSec: number, private burst: number, private readonly maxTracked: number) {}

  /** Changes rate and burst (hot reload); existing buckets keep their tokens, capped at the new burst. */
  reconfigure(ratePerSec: number, burst: number): void { this.ratePerSec = ratePerSec; this.burst = burst; }

  /** Takes one token for `key` at time `nowMs`. */
  take(key: string, nowMs: number): RateResult {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxTracked) {
        let n = Math.max(1, this.maxTracked >> 4);
        for (const k of this.buckets.keys()) { this.buckets.delete(k); if (--n === 0) break; }
      }
      b = { tokens: this.burst, at: nowMs };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.ratePerSec);
      b.at = nowMs;
    }
    if (b.tokens >= 1) { b.tokens -= 1; return { allowed: true, retryAfterS: 0 }; }
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerSec)) };
  }

  /** Number of tracked clients. */
  get size(): number { return this.buckets.size; }
}
