// Shared types of the federation round protocol: model adapters, datasets, round summaries.

import type { Result } from '../../core/index.js';

/** Labeled examples: dense features and 0/1 labels. */
export interface Dataset {
  readonly X: readonly Float32Array[];
  readonly y: readonly number[];
}

/** Local training settings sent by the server each round. */
export interface TrainSettings {
  readonly epochs: number;
  readonly lr: number;
  readonly proxMu: number;
  readonly seed: number;
}

/** Detection metrics on a dataset (fractions in [0, 1]). */
export interface EvalMetrics {
  readonly accuracy: number;
  /** Detection rate on attacks (NaN when there are none). */
  readonly tpr: number;
  /** False positive rate on benign (NaN when there are none). */
  readonly fpr: number;
  readonly n: number;
}

/**
 * Binds the federation to one model family: how a model file maps to a flat parameter vector, how it
 * trains and is evaluated locally. Implementations are pure over their inputs.
 */
export interface ModelAdapter<M> {
  readonly family: string;
  parse(json: unknown): Result<M, string>;
  initial(dim: number): M;
  toParams(m: M): Float64Array;
  fromParams(p: Float64Array, template: M): M;
  train(data: Dataset, init: M, s: TrainSettings): M;
  evaluate(m: M, data: Dataset): EvalMetrics;
  /** Per-parameter example counts for coordinate-weighted aggregation (length = toParams length). */
  coordinateCounts?(data: Dataset): Float64Array;
}

/** One round as recorded in summary.json. */
export interface RoundSummary {
  readonly round: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly participants: readonly string[];
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
  readonly dropped: readonly string[];
  readonly secureAggregation: boolean;
  readonly aggregated: boolean;
  /** Example-weighted means of the clients' metrics (e.g. globalValAccuracy, localValAccuracy). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly info: Readonly<Record<string, number>>;
  /** Request bytes received by the server in this round per participant (mean). */
  readonly bytesPerNode?: number;
}

/** Evaluates a scorer (probability of attack) at threshold 0.5. Pure. */
export function evaluateScores(score: (x: Float32Array) => number, data: Dataset): EvalMetrics {
  let tp = 0; let fp = 0; let tn = 0; let fn = 0;
  data.X.forEach((x, i) => {
    const p = score(x) >= 0.5 ? 1 : 0;
    if (data.y[i] === 1) { if (p) tp++; else fn++; } else if (p) fp++; else tn++;
  });
  const n = tp + fp + tn + fn;
  return { accuracy: n ? (tp + tn) / n : NaN, tpr: tp + fn ? tp / (tp + fn) : NaN, fpr: fp + tn ? fp / (fp + tn) : NaN, n };
}
