// ModelAdapter for the detection engine's weight model (logistic regression): parameters = weights ‖ bias.

import type { Result } from '../../core/index.js';
import { evaluateScores, type Dataset, type ModelAdapter, type TrainSettings } from './types.js';

/** The fields of the detection engine's WeightModelFile the federation relies on. */
export interface WeightModelShape {
  readonly format: 'jirachi-weight-model';
  readonly version: 1;
  readonly dim: number;
  readonly weights: number[];
  readonly bias: number;
}

/** The weight-model operations of the detection engine (injected so federation stays independent of detect). */
export interface WeightModelOps<M extends WeightModelShape> {
  train(X: Float32Array[], y: number[], opts: { epochs: number; lr: number; l2: number; seed: number; init?: M; proxMu?: number }): M;
  score(m: M, x: Float32Array): number;
  parse(json: unknown): Result<M, string>;
}

/** How many examples carry each feature (x ≠ 0), then the example count for the bias. Pure. */
export function featurePresence(d: Dataset): Float64Array {
  const dim = d.X[0]?.length ?? 0;
  const c = new Float64Array(dim + 1);
  for (const x of d.X) for (let j = 0; j < dim; j++) if ((x[j] ?? 0) !== 0) c[j] = (c[j] as number) + 1;
  c[dim] = d.y.length;
  return c;
}

/** Builds the adapter; `l2` is the local weight decay. */
export function weightModelAdapter<M extends WeightModelShape>(ops: WeightModelOps<M>, l2 = 1e-4): ModelAdapter<M> {
  return {
    family: 'jirachi-weight-model',
    parse: (json) => ops.parse(json),
    initial: (dim) => ({ format: 'jirachi-weight-model', version: 1, dim, weights: new Array<number>(dim).fill(0), bias: 0 }) as unknown as M,
    toParams: (m) => Float64Array.from([...m.weights, m.bias]),
    fromParams: (p, t) => ({ ...t, weights: Array.from(p.subarray(0, t.dim)), bias: p[t.dim] as number }),
    train: (d: Dataset, init: M, s: TrainSettings) =>
      ops.train([...d.X], [...d.y], { epochs: s.epochs, lr: s.lr, l2, seed: s.seed, init, proxMu: s.proxMu }),
    evaluate: (m, d) => evaluateScores((x) => ops.score(m, x), d),
    coordinateCounts: (d) => featurePresence(d),
  };
}
