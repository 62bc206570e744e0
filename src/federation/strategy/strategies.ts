// The aggregation strategies and their registry: FedAvg, FedProx, FedAdam, server momentum, median, trimmed mean, Krum.

import type { Aggregate, ClientUpdate, RoundConfig, Strategy, StrategyOptions } from './types.js';
import {
  assertDims, coordinateMedian, coordinateTrimmedMean, dist2, sub, weightedMean,
} from './vector.js';

/** Builds a strategy from options. */
export type StrategyFactory = (opts: StrategyOptions) => Strategy;

const factories = new Map<string, StrategyFactory>();

/** Registers a strategy factory under a name. Throws on a duplicate (a programming bug). */
export function registerStrategy(name: string, f: StrategyFactory): void {
  if (factories.has(name)) throw new Error(`strategy ${name} registered twice`);
  factories.set(name, f);
}

/** Creates the named strategy, or undefined for an unknown name. */
export function createStrategy(name: string, opts: StrategyOptions = {}): Strategy | undefined {
  return factories.get(name)?.(opts);
}

/** Registered strategy names, sorted. */
export function strategyNames(): string[] {
  return [...factories.keys()].sort();
}

function ids(us: readonly ClientUpdate[]): string[] {
  return us.map((u) => u.nodeId);
}

function prepare(global: Float64Array, updates: readonly ClientUpdate[]): boolean {
  if (updates.length === 0) return false;
  assertDims(global.length, updates.map((u) => u.params));
  return true;
}

/** FedAvg (McMahan et al.): mean of client parameters weighted by example counts. */
export function fedAvg(): Strategy {
  const fromMean = (_g: Float64Array, mean: Float64Array, nodes: readonly string[]): Aggregate =>
    ({ params: mean, accepted: nodes, rejected: [], info: {} });
  return {
    name: 'fedavg',
    configureRound: (b) => b,
    fromMean,
    aggregate(global, updates) {
      if (!prepare(global, updates)) return null;
      const mean = weightedMean(updates.map((u) => u.params), updates.map((u) => u.numExamples));
      return fromMean(global, mean, ids(updates));
    },
  };
}

/** FedProx (Li et al.): FedAvg aggregation, clients add the proximal term μ/2‖w − w_global‖². */
export function fedProx(opts: StrategyOptions): Strategy {
  const base = fedAvg();
  const mu = opts.proxMu ?? 0.01;
  return { ...base, name: 'fedprox', configureRound: (b: RoundConfig) => ({ ...b, proxMu: mu }) };
}

/**
 * FedAdam (Reddi et al., "Adaptive Federated Optimization"): the weighted mean delta is a
 * pseudo-gradient for a server-side Adam step. With β2 = 0 and no adaptivity it is server momentum.
 */
export function fedAdam(opts: StrategyOptions, adaptive = true): Strategy {
  const lr = opts.serverLr ?? (adaptive ? 0.1 : 1);
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.99;
  const tau = opts.tau ?? 1e-3;
  let m: Float64Array | undefined;
  let v: Float64Array | undefined;
  const fromMean = (global: Float64Array, mean: Float64Array, nodes: readonly string[]): Aggregate => {
    const delta = sub(mean, global);
    m ??= new Float64Array(global.length);
    v ??= new Float64Array(global.length).fill(tau * tau);
    const out = new Float64Array(global.length);
    for (let i = 0; i < global.length; i++) {
      const d = delta[i] as number;
      m[i] = b1 * (m[i] as number) + (1 - b1) * d;
      if (adaptive) v[i] = b2 * (v[i] as number) + (1 - b2) * d * d;
      const step = adaptive ? (m[i] as number) / (Math.sqrt(v[i] as number) + tau) : (m[i] as number) / (1 - b1);
      out[i] = (global[i] as number) + lr * step;
    }
    return { params: out, accepted: nodes, rejected: [], info: {} };
  };
  return {
    name: adaptive ? 'fedadam' : 'momentum',
    configureRound: (b) => b,
    fromMean,
    aggregate(global, updates) {
      if (!prepare(global, updates)) return null;
      return fromMean(global, weightedMean(updates.map((u) => u.params), updates.map((u) => u.numExamples)), ids(updates));
    },
  };
}

/**
 * Coordinate-weighted FedAvg: coordinate j of the next model is Σᵢ cᵢⱼ·wᵢⱼ / Σᵢ cᵢⱼ, where cᵢⱼ is how
 * many of node i's examples carry feature j (updates without counts weigh every coordinate by their
 * example count). On non-IID data a feature seen by one node only keeps that node's learned weight
 * instead of being diluted by the nodes that never saw it (which is what central training does: a
 * feature's gradient only comes from examples carrying it). Coordinates nobody saw keep the global value.
 */
export function fedAvgCoord(): Strategy {
  return {
    name: 'fedavg-coord',
    configureRound: (b) => ({ ...b, coordinateWeights: true }),
    fromMean: (_g, mean, nodes) => ({ params: mean, accepted: nodes, rejected: [], info: {} }),
    aggregate(global, updates) {
      if (!prepare(global, updates)) return null;
      return { params: coordinateWeightedMean(global, updates), accepted: ids(updates), rejected: [], info: {} };
    },
  };
}

/**
 * Σᵢ cᵢⱼ·wᵢⱼ / Σᵢ cᵢⱼ per coordinate (cᵢⱼ = the update's coordWeights, else its example count);
 * coordinates with zero total weight keep `global`. Pure.
 */
export function coordinateWeightedMean(global: Float64Array, updates: readonly ClientUpdate[]): Float64Array {
  const sum = new Float64Array(global.length);
  const wt = new Float64Array(global.length);
  for (const u of updates) {
    for (let j = 0; j < global.length; j++) {
      const c = u.coordWeights?.[j] ?? u.numExamples;
      sum[j] = (sum[j] as number) + c * (u.params[j] as number);
      wt[j] = (wt[j] as number) + c;
    }
  }
  return global.map((g, j) => ((wt[j] as number) > 0 ? (sum[j] as number) / (wt[j] as number) : g));
}

/** Coordinate-wise median (Yin et al.): robust to a minority of arbitrary updates; ignores example counts. */
export function median(): Strategy {
  return {
    name: 'median',
    configureRound: (b) => b,
    aggregate(global, updates) {
      if (!prepare(global, updates)) return null;
      return { params: coordinateMedian(updates.map((u) => u.params)), accepted: ids(updates), rejected: [], info: {} };
    },
  };
}

/** Coordinate-wise trimmed mean: drops the ⌊βn⌋ extreme values on each side of every coordinate. */
export function trimmedMean(opts: StrategyOptions): Strategy {
  const beta = opts.trimFraction ?? 0.2;
  if (!(beta >= 0 && beta < 0.5)) throw new Error('trimFraction must be in [0, 0.5)');
  return {
    name: 'trimmed-mean',
    configureRound: (b) => b,
    aggregate(global, updates) {
      if (!prepare(global, updates)) return null;
      const trimmed = Math.floor(beta * updates.length);
      return { params: coordinateTrimmedMean(updates.map((u) => u.params), beta), accepted: ids(updates), rejected: [], info: { trimmedPerSide: trimmed } };
    },
  };
}

/**
 * Krum / Multi-Krum (Blanchard et al.): scores each update by the summed squared distance to its
 * n − f − 2 nearest neighbours and keeps the m best, averaged coordinate-weighted (as fedavg-coord;
 * by example counts for updates without coordinate counts). Selection uses the parameters only.
 */
export function krum(opts: StrategyOptions): Strategy {
  return {
    name: 'krum',
    configureRound: (b) => ({ ...b, coordinateWeights: true }),
    aggregate(global, updates) {
      if (!prepare(global, updates)) return null;
      const n = updates.length;
      const f = Math.max(0, Math.min(opts.byzantine ?? Math.max(1, Math.floor(n / 5)), Math.floor((n - 3) / 2)));
      const k = Math.max(1, n - f - 2);
      const scores = updates.map((u, i) => {
        const d = updates.filter((_, j) => j !== i).map((w) => dist2(u.params, w.params)).sort((a, b) => a - b);
        return d.slice(0, k).reduce((a, b) => a + b, 0);
      });
      // Equal scores are broken by node id, so the selection does not depend on arrival order.
      const byId = (i: number, j: number): number => (updates[i]!.nodeId < updates[j]!.nodeId ? -1 : updates[i]!.nodeId > updates[j]!.nodeId ? 1 : i - j);
      const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0] || byId(a[1], b[1]));
      const m = Math.max(1, Math.min(opts.krumSelect ?? n - f, n));
      const chosen = new Set(order.slice(0, m).map(([, i]) => i));
      const kept = updates.filter((_, i) => chosen.has(i));
      const params = coordinateWeightedMean(global, kept);
      return { params, accepted: ids(kept), rejected: ids(updates.filter((_, i) => !chosen.has(i))), info: { byzantine: f } };
    },
  };
}

registerStrategy('fedavg', () => fedAvg());
registerStrategy('fedavg-coord', () => fedAvgCoord());
registerStrategy('fedprox', (o) => fedProx(o));
registerStrategy('fedadam', (o) => fedAdam(o, true));
registerStrategy('momentum', (o) => fedAdam(o, false));
registerStrategy('median', () => median());
registerStrategy('trimmed-mean', (o) => trimmedMean(o));
registerStrategy('krum', (o) => krum(o));
