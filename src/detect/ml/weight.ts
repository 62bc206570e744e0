// Weight model: logistic regression over the dense features; the model federated averaging trains.

import { FEATURE_DIM, FEATURE_VERSION } from './features.js';
import { Rng } from './rng.js';

/** A logistic-regression model file. `weights.length === dim`. */
export interface WeightModelFile {
  readonly format: 'jirachi-weight-model';
  readonly version: 1;
  readonly dim: number;
  readonly weights: number[];
  readonly bias: number;
  readonly meta?: { readonly featureVersion?: number; readonly threshold?: number; readonly [k: string]: unknown };
}

/** Options of trainWeightModel. `proxMu` adds the FedProx term mu/2·‖w − init‖² towards `init`. */
export interface WeightTrainOptions {
  readonly epochs: number;
  readonly lr: number;
  readonly l2: number;
  readonly seed: number;
  readonly init?: WeightModelFile;
  readonly proxMu?: number;
  /** Mini-batch size (default 32). */
  readonly batch?: number;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Probability of attack for features `x` under model `m`. Never throws; missing dims count as 0. */
export function scoreWeightModel(m: WeightModelFile, x: Float32Array): number {
  let z = m.bias;
  const n = Math.min(m.weights.length, x.length);
  for (let i = 0; i < n; i++) z += m.weights[i]! * x[i]!;
  const p = sigmoid(z);
  return Number.isFinite(p) ? p : 0.5;
}

/**
 * Trains logistic regression with seeded mini-batch SGD, L2 weight decay and an optional FedProx
 * proximal term towards `opts.init` (which also seeds the weights). `y[i]` is 1 for attack, 0 for
 * benign. Deterministic for a given seed. Throws on mismatched lengths (a caller bug).
 */
export function trainWeightModel(X: Float32Array[], y: number[], opts: WeightTrainOptions): WeightModelFile {
  if (X.length !== y.length) throw new Error(`trainWeightModel: ${X.length} rows but ${y.length} labels`);
  const dim = opts.init?.dim ?? X[0]?.length ?? FEATURE_DIM;
  const w = new Float64Array(dim);
  const w0 = new Float64Array(dim);
  let b = opts.init?.bias ?? 0;
  const b0 = b;
  if (opts.init) for (let i = 0; i < dim; i++) { w[i] = opts.init.weights[i] ?? 0; w0[i] = w[i]!; }
  const mu = opts.proxMu ?? 0;
  const rng = new Rng(opts.seed);
  const order = Array.from({ length: X.length }, (_, i) => i);
  const batch = Math.max(1, opts.batch ?? 32);
  const g = new Float64Array(dim);
  for (let e = 0; e < opts.epochs; e++) {
    rng.shuffle(order);
    const lr = opts.lr / (1 + e * 0.5);
    for (let s = 0; s < order.length; s += batch) {
      g.fill(0);
      let gb = 0;
      const end = Math.min(order.length, s + batch);
      for (let k = s; k < end; k++) {
        const i = order[k]!;
        const x = X[i]!;
        let z = b;
        for (let j = 0; j < dim; j++) z += w[j]! * (x[j] ?? 0);
        const err = sigmoid(z) - (y[i]! > 0.5 ? 1 : 0);
        for (let j = 0; j < dim; j++) { const xj = x[j] ?? 0; if (xj !== 0) g[j] = g[j]! + err * xj; }
        gb += err;
      }
      const n = end - s;
      for (let j = 0; j < dim; j++) w[j] = w[j]! - lr * (g[j]! / n + opts.l2 * w[j]! + mu * (w[j]! - w0[j]!));
      b -= lr * (gb / n + mu * (b - b0));
    }
  }
  return { format: 'jirachi-weight-model', version: 1, dim, weights: Array.from(w, (v) => Math.round(v * 1e6) / 1e6), bias: Math.round(b * 1e6) / 1e6, meta: { featureVersion: FEATURE_VERSION, threshold: 0.5 } };
}
