// Drift-corrected local training for the weight model (SCAFFOLD control variates, Karimireddy et al. 2020).

import type { Dataset } from './types.js';

/** Local solver settings. Parameter vectors are weights ‖ bias (length dim + 1). */
export interface CorrectedSgdOptions {
  readonly epochs: number;
  readonly lr: number;
  readonly l2: number;
  readonly seed: number;
  /** Mini-batch size (default 32, as the detection engine's trainer). */
  readonly batch?: number;
  /**
   * Drift correction c − cᵢ added to every mini-batch gradient: the server's mean gradient minus this
   * node's own gradient at the same global model. Omitted (or all zero) it is plain local SGD.
   */
  readonly correction?: Float64Array;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** mulberry32, the same sequence as the detection engine's Rng, so runs are reproducible. */
function shuffler(seed: number): (a: number[]) => void {
  let s = (seed >>> 0) || 0x6d2b79f5;
  const next = (): number => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (a) => { for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(next() * (i + 1)); const t = a[i] as number; a[i] = a[j] as number; a[j] = t; } };
}

/**
 * Full-batch gradient of the L2-regularized logistic loss at `params` (weights ‖ bias) over `d`:
 * mean over examples of (σ(w·x + b) − y)·[x, 1] plus l2·w. Pure; an empty dataset gives the L2 term only.
 */
export function logisticGradient(d: Dataset, params: Float64Array, l2: number): Float64Array {
  const dim = params.length - 1;
  const g = new Float64Array(params.length);
  d.X.forEach((x, i) => {
    let z = params[dim] as number;
    for (let j = 0; j < dim; j++) { const xj = x[j] ?? 0; if (xj !== 0) z += (params[j] as number) * xj; }
    const e = sigmoid(z) - ((d.y[i] as number) > 0.5 ? 1 : 0);
    for (let j = 0; j < dim; j++) { const xj = x[j] ?? 0; if (xj !== 0) g[j] = (g[j] as number) + e * xj; }
    g[dim] = (g[dim] as number) + e;
  });
  const n = Math.max(1, d.y.length);
  for (let j = 0; j < params.length; j++) g[j] = (g[j] as number) / n + (j < dim ? l2 * (params[j] as number) : 0);
  return g;
}

/**
 * Mini-batch SGD on the logistic loss from `init` (same schedule as the engine's trainer: lr/(1 + e/2)
 * in epoch e), each step adding `correction`. Returns new parameters; never mutates its inputs. Pure
 * and deterministic for a seed.
 */
export function trainCorrected(d: Dataset, init: Float64Array, o: CorrectedSgdOptions): Float64Array {
  const dim = init.length - 1;
  const w = Float64Array.from(init);
  const c = o.correction;
  const order = Array.from({ length: d.y.length }, (_, i) => i);
  const shuffle = shuffler(o.seed);
  const batch = Math.max(1, o.batch ?? 32);
  const g = new Float64Array(dim + 1);
  for (let e = 0; e < o.epochs; e++) {
    shuffle(order);
    const lr = o.lr / (1 + e * 0.5);
    for (let s = 0; s < order.length; s += batch) {
      g.fill(0);
      const end = Math.min(order.length, s + batch);
      for (let k = s; k < end; k++) {
        const i = order[k] as number;
        const x = d.X[i] as Float32Array;
        let z = w[dim] as number;
        for (let j = 0; j < dim; j++) { const xj = x[j] ?? 0; if (xj !== 0) z += (w[j] as number) * xj; }
        const err = sigmoid(z) - ((d.y[i] as number) > 0.5 ? 1 : 0);
        for (let j = 0; j < dim; j++) { const xj = x[j] ?? 0; if (xj !== 0) g[j] = (g[j] as number) + err * xj; }
        g[dim] = (g[dim] as number) + err;
      }
      const n = end - s;
      for (let j = 0; j <= dim; j++) {
        const reg = j < dim ? o.l2 * (w[j] as number) : 0;
        w[j] = (w[j] as number) - lr * ((g[j] as number) / n + reg + (c ? (c[j] as number) : 0));
      }
    }
  }
  return w;
}
