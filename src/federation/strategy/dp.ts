// Differential privacy as a strategy wrapper: per-update L2 clipping, Gaussian noise, and an RDP accountant reporting ε.

import { randomBytes } from 'node:crypto';
import type { Aggregate, ClientUpdate, Strategy } from './types.js';
import { addScaled, norm2, sub } from './vector.js';

/** Standard normal samples from the OS CSPRNG (Box–Muller over 53-bit uniforms). */
export function cryptoGaussian(): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) { const s = spare; spare = undefined; return s; }
    const b = randomBytes(16);
    const u1 = (Number(b.readBigUInt64BE(0) >> 11n) + 1) / 2 ** 53;
    const u2 = Number(b.readBigUInt64BE(8) >> 11n) / 2 ** 53;
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

const ORDERS = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 128, 256];

/**
 * Rényi-DP accountant for the Gaussian mechanism without subsampling (every available client takes
 * part): each release at noise multiplier σ costs α/(2σ²) at order α (Mironov 2017); releases
 * compose additively; ε(δ) uses the conversion of Balle et al. 2020 minimized over orders.
 */
export class RdpAccountant {
  private readonly rdp = new Float64Array(ORDERS.length);
  private steps = 0;

  /** Records one Gaussian release with noise multiplier σ > 0. */
  step(sigma: number): void {
    if (!(sigma > 0)) throw new Error('noise multiplier must be > 0');
    ORDERS.forEach((a, i) => { this.rdp[i] = (this.rdp[i] as number) + a / (2 * sigma * sigma); });
    this.steps++;
  }

  /** Releases recorded so far. */
  get releases(): number { return this.steps; }

  /** The (ε, δ)-DP guarantee so far: smallest ε over the tracked orders. 0 before any release. */
  epsilon(delta: number): number {
    if (this.steps === 0) return 0;
    let best = Infinity;
    ORDERS.forEach((a, i) => {
      const e = (this.rdp[i] as number) + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
      if (e < best) best = e;
    });
    return Math.max(0, best);
  }
}

/** Options of the DP wrapper. */
export interface DpOptions {
  /** L2 bound C on each client's update (params − global). */
  readonly clipNorm: number;
  /** Noise multiplier σ: noise std on the sum is σ·C. */
  readonly noiseMultiplier: number;
  readonly delta: number;
  /** Source of standard normal samples; defaults to the CSPRNG. */
  readonly gaussian?: () => number;
}

/** Clips an update's delta from `global` to L2 norm ≤ c; returns the clipped parameters and whether it was clipped. */
export function clipUpdate(global: Float64Array, params: Float64Array, c: number): { params: Float64Array; clipped: boolean } {
  const d = sub(params, global);
  const n = norm2(d);
  if (n <= c) return { params, clipped: false };
  return { params: addScaled(global, d, c / n), clipped: true };
}

/**
 * Wraps a linear strategy with user-level DP (DP-FedAvg, McMahan et al. 2018): deltas are clipped to
 * C, averaged with equal weight, Gaussian noise of std σC/n is added to the mean, and the inner
 * strategy's `fromMean` applies it. Each round is one release in the accountant; `info.epsilon`
 * reports the cumulative ε at δ. Throws if the inner strategy is not linear.
 */
export function withDp(inner: Strategy, opts: DpOptions): Strategy & { readonly accountant: RdpAccountant } {
  const fromMean = inner.fromMean;
  if (fromMean === undefined) throw new Error(`strategy ${inner.name} is not linear; DP needs fedavg, fedprox, fedadam or momentum`);
  const accountant = new RdpAccountant();
  const gauss = opts.gaussian ?? cryptoGaussian();
  const noisy = (global: Float64Array, sumDelta: Float64Array, n: number, nodes: readonly string[], clipped: number): Aggregate => {
    const std = (opts.noiseMultiplier * opts.clipNorm) / n;
    const mean = new Float64Array(global.length);
    for (let i = 0; i < mean.length; i++) mean[i] = (global[i] as number) + (sumDelta[i] as number) / n + std * gauss();
    accountant.step(opts.noiseMultiplier);
    const a = fromMean(global, mean, nodes);
    return { ...a, info: { ...a.info, epsilon: accountant.epsilon(opts.delta), delta: opts.delta, noiseStd: std, clipped } };
  };
  return {
    name: `dp(${inner.name})`,
    accountant,
    configureRound: (b) => ({ ...inner.configureRound(b), clipNorm: opts.clipNorm }),
    aggregate(global, updates: readonly ClientUpdate[]) {
      if (updates.length === 0) return null;
      const sum = new Float64Array(global.length);
      let clipped = 0;
      for (const u of updates) {
        const c = clipUpdate(global, u.params, opts.clipNorm);
        if (c.clipped) clipped++;
        for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (c.params[i] as number) - (global[i] as number);
      }
      return noisy(global, sum, updates.length, updates.map((u) => u.nodeId), clipped);
    },
    // Under secure aggregation clients clip and send unit weights; `mean` is then the plain mean.
    fromMean(global, mean, nodes) {
      return noisy(global, sub(mean, global).map((x) => x * nodes.length), nodes.length, nodes, 0);
    },
  };
}
