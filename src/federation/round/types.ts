// Shared types of the federation round protocol: model adapters, datasets, round summaries.

import type { Result } from '../../core/index.js';
import type { RoundConfig } from '../strategy/index.js';

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

/** What every federated model family provides: parsing (untrusted JSON), an initial model, local training, evaluation. Pure. */
export interface LocalModelOps<M> {
  readonly family: string;
  parse(json: unknown): Result<M, string>;
  initial(dim: number): M;
  train(data: Dataset, init: M, s: TrainSettings): M;
  evaluate(m: M, data: Dataset): EvalMetrics;
}

/**
 * Binds the federation to a vector model family: how a model file maps to a flat parameter vector
 * (aggregated by a Strategy), how it trains and is evaluated locally. Implementations are pure over their inputs.
 */
export interface ModelAdapter<M> extends LocalModelOps<M> {
  toParams(m: M): Float64Array;
  fromParams(p: Float64Array, template: M): M;
  /** Per-parameter example counts for coordinate-weighted aggregation (length = toParams length). */
  coordinateCounts?(data: Dataset): Float64Array;
}

/**
 * A model family federated by contributions instead of parameter vectors (GBDT: each node sends the
 * trees it boosted from the global model). Pure over its inputs.
 */
export interface ContributionAdapter<M> extends LocalModelOps<M> {
  readonly contributes: true;
  /** Trains on the node's data from `global` with the round's settings; returns the trained model and the JSON to send. */
  contribute(data: Dataset, global: M, cfg: RoundConfig): { model: M; contribution: unknown };
  /** Simulation only (a poisoning node): the contribution with its effect multiplied by `factor`. */
  amplify?(contribution: unknown, factor: number): unknown;
}

/** True for adapters that send contributions rather than parameter vectors. */
export function isContributionAdapter<M>(a: ModelAdapter<M> | ContributionAdapter<M>): a is ContributionAdapter<M> {
  return (a as Partial<ContributionAdapter<M>>).contributes === true;
}

/** The next global model from one round's contributions, and which nodes counted. */
export interface Combined<M> {
  readonly model: M;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
  readonly info: Readonly<Record<string, number>>;
}

/** Server side of a contribution family: round settings, and how untrusted contributions become the next global model. */
export interface Combiner<M> {
  readonly name: string;
  configureRound(base: RoundConfig): RoundConfig;
  /** `contribution` is untrusted JSON; `nodeId` is the authenticated sender. Null keeps the global model. */
  combine(global: M, round: number, contributions: ReadonlyArray<{ nodeId: string; contribution: unknown }>): Combined<M> | null;
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
