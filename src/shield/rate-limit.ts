// Per-client token bucket rate limiter with bounded memory.

/** Outcome of taking one token. */
export interface RateResult {
  readonly allowed: boolean;
  /** Seconds until one token is available (for Retry-After), when not allowed. */
  readonly retryAfterS: number;
}

/**
 * Reports a cluster worker keeps while unanswered: 64 x 50 ms = 3.2 s of usage in flight. Beyond
 * that the authority is not answering at all and the oldest usage is forgotten (bounded memory).
 */
const MAX_UNANSWERED = 64;

/** `share`: the fraction of the refill rate this process grants (a cluster worker serving a client with others). */
interface Bucket { tokens: number; at: number; share: number }

/**
 * Token buckets keyed by client IP: `ratePerSec` refill, `burst` capacity. Memory is bounded by
 * `maxTracked`: when full, the least recently inserted buckets go first (a fresh bucket is full,
 * so forgetting one can only favour that client, never block an innocent one).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private used: Map<string, number> | null = null;
  /** When the first token counted in `used` was taken, per key (so the authority charges it at that time). */
  private readonly firstAt = new Map<string, number>();
  private seq = 0;
  /** Numbered reports not yet answered, oldest first (cluster worker). */
  private readonly unanswered: Array<{ seq: number; used: Map<string, number> }> = [];
  constructor(private ratePerSec: number, private burst: number, private maxTracked: number) {}

  /**
   * Changes rate, burst and (if given) the most clients tracked (hot reload); existing buckets keep
   * their tokens, capped at the new burst; a smaller bound applies as new clients arrive.
   */
  reconfigure(ratePerSec: number, burst: number, maxTracked?: number): void {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    if (maxTracked !== undefined && maxTracked > 0) this.maxTracked = maxTracked;
  }

  /** Takes one token for `key` at time `nowMs`. */
  take(key: string, nowMs: number): RateResult {
    const b = this.refilled(key, nowMs);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      if (this.used) {
        const n = this.used.get(key);
        this.used.set(key, (n ?? 0) + 1);
        if (n === undefined) this.firstAt.set(key, nowMs);
      }
      return { allowed: true, retryAfterS: 0 };
    }
    // A cluster worker refills only its share of the rate: the wait is counted at that pace.
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / (this.ratePerSec * b.share))) };
  }

  /** Starts counting the tokens taken per key (a cluster worker reports them to its primary). */
  trackUsage(): void { this.used ??= new Map(); }

  /** The tokens taken per key since the last call, cleared. */
  drainUsage(): Array<[string, number]> {
    if (!this.used || this.used.size === 0) return [];
    const out = [...this.used];
    this.used.clear();
    this.firstAt.clear();
    return out;
  }

  /**
   * Like `drainUsage`, but numbers the report, adds when each client's first token in it was taken
   * ([client, tokens, firstTakenAtMs]) and keeps its usage until the authority's answer to it (or to a
   * later report) arrives: see `applyReply`. Null when nothing was taken since the last report.
   * At most MAX_UNANSWERED reports are kept; older ones are forgotten (only if the authority stopped answering).
   */
  drainReport(): { seq: number; used: Array<[string, number, number]> } | null {
    if (!this.used || this.used.size === 0) return null;
    const used = this.used;
    this.used = new Map();
    const seq = ++this.seq;
    this.unanswered.push({ seq, used });
    if (this.unanswered.length > MAX_UNANSWERED) this.unanswered.shift();
    const out: Array<[string, number, number]> = [];
    for (const [k, n] of used) out.push([k, n, this.firstAt.get(k) ?? 0]);
    this.firstAt.clear();
    return { seq, used: out };
  }

  /**
   * Adopts the authority's answer to report `seq` ([client, tokens, share] as `RateAuthority.report`
   * returns, computed at `atMs`). The balance counts the usage up to that report only: the usage of the
   * reports sent after it (still unanswered) and of the tokens taken since the last report is
   * subtracted, so a slow authority cannot make this process forget what it let through meanwhile; the
   * refill of this share since `atMs` is added (the answer spent that long in transit).
   */
  applyReply(seq: number, shares: ReadonlyArray<readonly [string, number, number]>, atMs: number, nowMs: number): void {
    while (this.unanswered.length > 0 && this.unanswered[0]!.seq <= seq) this.unanswered.shift();
    const transitS = Number.isFinite(atMs) ? Math.min(60, Math.max(0, (nowMs - atMs) / 1000)) : 0;
    for (const [key, tokens, share] of shares) {
      if (typeof key !== 'string' || !Number.isFinite(tokens) || !(share > 0 && share <= 1)) continue;
      let later = 0;
      for (const r of this.unanswered) later += r.used.get(key) ?? 0;
      this.applyShared(key, Math.min(this.burst * share, tokens + transitS * this.ratePerSec * share) - later, nowMs, share);
    }
  }

  /**
   * Adopts the cluster-wide balance for `key` (this worker's share of it), less what was taken
   * here since that balance was computed (the usage not yet reported).
   */
  applyShared(key: string, tokens: number, nowMs: number, share = 1): void {
    const b = this.refilled(key, nowMs);
    b.tokens = Math.min(this.burst, tokens - (this.used?.get(key) ?? 0));
    // Between reports, refill only this worker's part of the rate: k workers refilling at the full
    // rate would let the client through k times too fast.
    b.share = share > 0 && share <= 1 ? share : 1;
  }

  /**
   * Authority side: charges `n` tokens taken elsewhere to `key` after refilling it, and returns the
   * balance. It goes negative when the workers together let the client overspend (each may spend a
   * burst before it first hears of the client): the client then waits until the debt is paid. The debt
   * is kept down to one minute of refill plus one burst, so a faulty report cannot lock a client out
   * for longer than that; real overspend stays far below (about one burst per worker).
   */
  charge(key: string, n: number, nowMs: number, takenAtMs = nowMs, burstsOfDebt = 1): number {
    // Charged when taken, then refilled to now: charging at report time would cap at `burst` the
    // refill that happened in between (a client just under the rate with a small burst would lose it).
    const b = this.refilled(key, Math.min(nowMs, takenAtMs));
    b.tokens = Math.max(-(burstsOfDebt * this.burst + 60 * this.ratePerSec), b.tokens - n);
    return this.refilled(key, nowMs).tokens;
  }

  private refilled(key: string, nowMs: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxTracked) {
        let n = Math.max(1, this.maxTracked >> 4);
        for (const k of this.buckets.keys()) { this.buckets.delete(k); if (--n === 0) break; }
      }
      b = { tokens: this.burst, at: nowMs, share: 1 };
      this.buckets.set(key, b);
    } else if (nowMs > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.ratePerSec * b.share);
      b.at = nowMs;
    }
    return b;
  }

  /** Number of tracked clients. */
  get size(): number { return this.buckets.size; }
}

/**
 * The cluster primary's view of rate limits: workers report the tokens they took; the primary
 * charges them to one bucket per client and answers each worker with its share of the balance
 * (split evenly among the workers that served that client in the last second). A client is thus
 * limited cluster-wide; before a worker's first report for a client it may spend up to one burst
 * there, so the overshoot is bounded by one burst per worker per client.
 */
export class RateAuthority {
  private readonly limiter: RateLimiter;
  private readonly active = new Map<string, Map<number, number>>();
  /** Workers that ever reported (ids are few and reused after restarts). */
  private readonly workers = new Set<number>();

  constructor(ratePerSec: number, burst: number, private maxTracked: number) {
    this.limiter = new RateLimiter(ratePerSec, burst, maxTracked);
  }

  /** Changes rate, burst and the most clients tracked (hot reload). */
  reconfigure(ratePerSec: number, burst: number, maxTracked?: number): void {
    this.limiter.reconfigure(ratePerSec, burst, maxTracked);
    if (maxTracked !== undefined && maxTracked > 0) this.maxTracked = maxTracked;
  }

  /**
   * Charges a worker's report ([client, tokens, when the first was taken]; without the time, now) and
   * returns, per reported client, that worker's share of the balance (or debt) and of the refill rate
   * ([client, tokens, share]).
   */
  report(worker: number, used: ReadonlyArray<readonly [string, number, number?]>, nowMs: number): Array<[string, number, number]> {
    const out: Array<[string, number, number]> = [];
    for (const [key, n, at] of used) {
      if (typeof key !== 'string' || !Number.isFinite(n) || n < 0) continue;
      // The debt floor allows one burst per worker: each idle worker refills a full burst locally, so
      // a client that drains them all in turn overspends by up to that, and must pay it back.
      this.workers.add(worker);
      const balance = this.limiter.charge(key, n, nowMs, typeof at === 'number' && Number.isFinite(at) ? at : nowMs, Math.max(1, this.workers.size));
      let seen = this.active.get(key);
      if (!seen) {
        if (this.active.size >= this.maxTracked) for (const k of this.active.keys()) { this.active.delete(k); break; }
        seen = new Map();
        this.active.set(key, seen);
      }
      seen.set(worker, nowMs);
      let k = 0;
      for (const [w, at] of seen) { if (nowMs - at <= 1000) k++; else seen.delete(w); }
      const share = 1 / Math.max(1, k);
      // A debt is split like a balance: each worker pays its part from its part of the refill.
      out.push([key, balance * share, share]);
    }
    return out;
  }
}
