// GBDT as a federated model family: nodes boost trees from the global model, the server keeps those that don't hurt validation.

import type { Result } from '../../core/index.js';
import type { GbdtModelFile, GbdtTrainOptions } from '../../detect/index.js';
import type { RoundConfig, TreeSettings } from '../strategy/index.js';
import { evaluateScores, type Combiner, type ContributionAdapter, type Dataset } from '../round/types.js';
import { treeRound, type TreeRoundOptions } from './bagging.js';

/** The detection engine's GBDT operations (injected so federation stays independent of detect at run time). */
export interface GbdtOps {
  train(X: readonly Float32Array[], y: readonly number[], opts: GbdtTrainOptions): GbdtModelFile;
  score(m: GbdtModelFile, x: Float32Array): number;
  /** The engine's scorer for a model (compiled once); the rollout gate scores with it when given, so it sees what the engine will serve. */
  scorer?(m: GbdtModelFile): (x: Float32Array) => number;
  parse(json: unknown): Result<GbdtModelFile, string>;
}

/** Round settings a node accepts from the server (bounds its CPU work whatever the server asks). */
export const TREE_LIMITS = { maxCount: 100, maxDepth: 8 } as const;

/** Default boosting settings (a node's local-only model; tree rounds use ROUND_TREE_LAMBDA instead of λ 1). */
export const DEFAULT_TREE_SETTINGS: TreeSettings = { count: 20, depth: 3, eta: 0.3, lambda: 1, subsample: 0.8, colsample: 0.8, bins: 32 };

/**
 * L2 on leaf values of the trees nodes boost in tree rounds (chosen on validation data over three
 * training seeds, docs/FEDERATION.md). Continued boosting on data the global model already fits gives
 * Newton leaves −G/(H+λ) near ±1 however small the residuals (H shrinks with G); with λ 1 a node then
 * pushes every input its data calls benign, other nodes' attack classes included, by about η per tree.
 */
export const ROUND_TREE_LAMBDA = 30;

function trainOptions(s: TreeSettings, seed: number, count = s.count): Omit<GbdtTrainOptions, 'init'> {
  const clamp = (v: number, lo: number, hi: number, d: number): number => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d);
  return {
    trees: Math.round(clamp(count, 1, TREE_LIMITS.maxCount, 10)), depth: Math.round(clamp(s.depth, 1, TREE_LIMITS.maxDepth, 3)),
    eta: clamp(s.eta, 1e-3, 1, 0.3), lambda: clamp(s.lambda, 0, 1e6, 1), gamma: 0, minChildWeight: 1, bins: Math.round(clamp(s.bins, 4, 255, 32)),
    subsample: clamp(s.subsample, 0.05, 1, 0.8), colsample: clamp(s.colsample, 0.05, 1, 0.8), seed,
  };
}

/** The tree depth nodes use for a round's settings (as `trainOptions` clamps it): contributions deeper than it are refused. */
export function roundDepth(s: TreeSettings): number {
  return Number.isFinite(s.depth) ? Math.round(Math.min(TREE_LIMITS.maxDepth, Math.max(1, s.depth))) : 3;
}

/** An empty GBDT (no trees, margin `baseScore`): the starting global model of tree rounds. */
export function emptyGbdt(dim: number, featureVersion: number, baseScore = 0): GbdtModelFile {
  return { format: 'jirachi-gbdt', version: 1, dim, featureVersion, baseScore, threshold: 0.5, trees: [] };
}

/**
 * The node side: `train` (the local-only model) boosts `local.count` trees; `contribute` boosts the
 * round's `trees.count` trees from the global model and sends only the new trees. `featureVersion`
 * goes into models it creates.
 */
export function gbdtAdapter(ops: GbdtOps, local: TreeSettings, featureVersion: number): ContributionAdapter<GbdtModelFile> {
  return {
    family: 'jirachi-gbdt',
    contributes: true,
    parse: (json) => ops.parse(json),
    initial: (dim) => emptyGbdt(dim, featureVersion),
    train: (d: Dataset, init, s) => ops.train(d.X, d.y, { ...trainOptions(local, s.seed), ...(init.trees.length ? { init } : {}) }),
    evaluate: (m, d) => evaluateScores(ops.scorer ? ops.scorer(m) : (x) => ops.score(m, x), d),
    contribute: (d: Dataset, global, cfg: RoundConfig) => {
      const model = ops.train(d.X, d.y, { ...trainOptions(cfg.trees ?? DEFAULT_TREE_SETTINGS, cfg.round), init: global });
      return { model, contribution: { trees: model.trees.slice(global.trees.length) } };
    },
    amplify: (c, factor) => {
      const trees = (c as { trees: GbdtModelFile['trees'] }).trees;
      return { trees: trees.map((t) => ({ ...t, value: t.value.map((v) => v * factor) })) };
    },
  };
}

/** Options of the server's tree combiner. */
export interface TreeCombinerOptions extends TreeRoundOptions {
  /** The server's own labeled validation set (never data from the nodes). */
  readonly validation: Dataset;
  /** Sent to the nodes in every round. */
  readonly trees: TreeSettings;
  /** Called with each round's per-node decisions. */
  readonly log?: (msg: string) => void;
}

/**
 * The server side: every round tells the nodes how to boost, then `treeRound` decides which nodes'
 * trees join the global model. Round info: validation accuracy before/after, trees accepted and in total.
 */
export function treeCombiner(o: TreeCombinerOptions): Combiner<GbdtModelFile> {
  return {
    name: `gbdt-${o.combine}`,
    configureRound: (b) => ({ ...b, trees: o.trees }),
    combine: (global, round, contributions) => {
      const r = treeRound(global, contributions, o.validation, { maxDepth: roundDepth(o.trees), ...o });
      for (const d of r.decisions) o.log?.(`round ${round}: ${d.nodeId} ${d.accepted ? 'accepted' : 'refused'} (${d.trees} trees): ${d.reason}`);
      const accepted = r.decisions.filter((d) => d.accepted);
      const model: GbdtModelFile = { ...r.model, meta: { ...(global.meta ?? {}), federated: { rounds: round, trees: r.model.trees.length } } };
      return {
        model, accepted: accepted.map((d) => d.nodeId), rejected: r.decisions.filter((d) => !d.accepted).map((d) => d.nodeId),
        info: { validationBefore: r.before, validationAfter: r.after, treesAccepted: accepted.reduce((a, d) => a + d.trees, 0), treesTotal: r.model.trees.length },
      };
    },
  };
}
