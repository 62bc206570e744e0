// Strategy seam: how the server turns client updates into the next global parameter vector.

/** One client's contribution to a round: its locally trained parameters, example count and metrics. */
export interface ClientUpdate {
  readonly nodeId: string;
  readonly params: Float64Array;
  readonly numExamples: number;
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * Per-coordinate weights (same length as params), sent when the round asks for them: how many of
   * the node's examples carry each feature (the bias counts every example).
   */
  readonly coordWeights?: Float64Array;
}

/** What clients are told to do in a round. */
export interface RoundConfig {
  readonly round: number;
  readonly localEpochs: number;
  readonly lr: number;
  /** FedProx proximal term μ; 0 disables it. */
  readonly proxMu: number;
  /** Client-side L2 clipping of the update (params − global) when > 0 (DP with secure aggregation). */
  readonly clipNorm: number;
  /** Clients also send per-coordinate example counts (coordinate-weighted FedAvg). */
  readonly coordinateWeights?: boolean;
  /** Tree rounds (`--model gbdt`): how each node boosts its contribution from the global model. */
  readonly trees?: TreeSettings;
}

/** Boosting settings of a tree round (the detection engine's GBDT trainer options). */
export interface TreeSettings {
  /** Trees each node trains per round (the server keeps at most its per-node cap). */
  readonly count: number;
  readonly depth: number;
  readonly eta: number;
  readonly lambda: number;
  readonly subsample: number;
  readonly colsample: number;
  readonly bins: number;
}

/** The result of aggregation: next global parameters and which updates counted. */
export interface Aggregate {
  readonly params: Float64Array;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
  /** Strategy-specific numbers for the round summary (e.g. epsilon, krum scores). */
  readonly info: Readonly<Record<string, number>>;
}

/**
 * An aggregation strategy. `aggregate` is pure apart from the strategy's own optimizer state (FedAdam
 * moments), returns null when there is nothing to aggregate, and never mutates its inputs. Linear
 * strategies also implement `fromMean`, which takes the example-weighted mean of the updates; only
 * they can run under secure aggregation (the server then sees nothing but that mean).
 */
export interface Strategy {
  readonly name: string;
  configureRound(base: RoundConfig): RoundConfig;
  aggregate(global: Float64Array, updates: readonly ClientUpdate[]): Aggregate | null;
  fromMean?(global: Float64Array, mean: Float64Array, nodes: readonly string[]): Aggregate;
}

/** Options every strategy factory understands; each reads the ones it needs. */
export interface StrategyOptions {
  /** FedProx μ (default 0.01). */
  readonly proxMu?: number;
  /** Trimmed mean: fraction trimmed on each side (default 0.2). */
  readonly trimFraction?: number;
  /** Krum: assumed number of Byzantine clients f (default: ⌊(n−3)/2⌋ capped at 1 per 5 clients, at least 1). */
  readonly byzantine?: number;
  /** Multi-Krum: how many selected updates are averaged (default n − f; 1 is classic Krum). */
  readonly krumSelect?: number;
  /** FedAdam / momentum: server learning rate, β1, β2, τ. */
  readonly serverLr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly tau?: number;
}
