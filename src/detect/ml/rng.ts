// Seeded pseudo-random numbers (mulberry32) so training is reproducible.

/** A small deterministic PRNG. Same seed, same sequence. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x6d2b79f5; }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  /** One element of `a`, uniformly (`a` must not be empty). */
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  /** Shuffles `a` in place (Fisher–Yates). */
  shuffle<T>(a: T[]): void {
    for (let i = a.length - 1; i > 0; i--) { const j = this.int(i + 1); const t = a[i]!; a[i] = a[j]!; a[j] = t; }
  }
}
