// Server side of federated histogram boosting: grows each tree level by level from the nodes' summed histograms.

import { FEATURE_VERSION, leafValue, Rng, splitGain, type GbdtModelFile, type GbdtTree } from '../../detect/index.js';
import type { Dataset } from '../round/types.js';
import { decodeHistograms, encodeHistograms, histLayout, HistWorker, sumHistograms, type HistLayout, type LevelTask, type SummedHistograms } from './histogram.js';
import { clampSketchWeights, decodeSketch, encodeSketch, mergeSketches, nodeSketch, pooledBaseScore } from './sketch.js';

/** Boosting settings of histogram rounds (the options of `trainGbdt` they mirror). */
export interface HistSettings {
  /** Trees grown per round. */
  readonly trees: number;
  readonly depth: number;
  readonly eta: number;
  readonly lambda: number;
  readonly gamma: number;
  readonly minChildWeight: number;
  /** Bins per feature (≤ 255) of the common edges. */
  readonly bins: number;
  /** Row sampling per tree (each node samples its own rows). */
  readonly subsample: number;
  /** Feature sampling per tree (the server samples). */
  readonly colsample: number;
  readonly seed: number;
}

/**
 * Defaults: the central GBDT configuration chosen on pooled validation (docs/FEDERATION.md: depth 3,
 * η 0.3, λ 1, 0.8/0.8 sampling, 32 bins), 34 trees per round so 3 rounds give ~100 trees like it.
 */
export const DEFAULT_HIST_SETTINGS: HistSettings = { trees: 34, depth: 3, eta: 0.3, lambda: 1, gamma: 0, minChildWeight: 1, bins: 32, subsample: 0.8, colsample: 0.8, seed: 1 };

/**
 * Whether a candidate split's `gain` replaces the best so far, scanning (feature, bin) in ascending
 * order: it must beat `best` (γ before any split is `found`) by more than a relative 1e-9, so gains
 * equal up to summation order (sums over nodes vs over rows) are ties kept by the lowest (feature, bin).
 * `trainGbdt` applies the same rule, so federated and central trees agree on real data with ties. Pure.
 */
export function gainBeats(gain: number, best: number, found: boolean): boolean {
  return found ? gain > best + 1e-9 * Math.abs(best) : gain > best;
}

/** Upper bound of one tree node's JSON (feature, float32 threshold, two child indices, float64 value, separators). */
const NODE_JSON_BYTES = 64;

/**
 * Most trees a gbdt-hist global model may hold at `depth`: at most 5000 (the engine's model files) and
 * few enough that full trees (2^(depth+1) − 1 nodes) stay within `maxBytes` of JSON (default 8 MiB,
 * half the wire's JSON limit), so every signed task reaches the nodes. Pure.
 */
export function histTreeCap(depth: number, maxBytes = 8 << 20): number {
  return Math.min(5000, Math.floor(maxBytes / (NODE_JSON_BYTES * (2 ** (depth + 1) - 1))));
}

type MutableTree = { feature: number[]; threshold: number[]; left: number[]; right: number[]; value: number[] };

/**
 * Grows one tree as `trainGbdt` does (depth-wise, nodes numbered in creation order, gain and leaf
 * formulas shared), but from summed histograms: `task()` is the level to ask the nodes for, `apply()`
 * takes their sum. Split children at the maximum depth, or too light to split, become leaves at once
 * from the split's G/H, so a tree of depth D needs D exchanges.
 */
export class TreeBuilder {
  private readonly t: MutableTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  private frontier: number[] = [];
  private readonly depthOf: number[] = [];

  constructor(private readonly layout: HistLayout, private readonly s: HistSettings, private readonly featOk: Uint8Array) {
    this.frontier = [this.newNode(0)];
  }

  private newNode(depth: number): number {
    this.t.feature.push(-1); this.t.threshold.push(0); this.t.left.push(0); this.t.right.push(0); this.t.value.push(0);
    this.depthOf.push(depth);
    return this.t.feature.length - 1;
  }

  /** True when no frontier node is left (the tree is final). */
  get done(): boolean { return this.frontier.length === 0; }

  /** The level to request: a copy of the tree so far and the frontier ids. */
  task(treeIndex: number): LevelTask {
    const t = this.t;
    return { treeIndex, tree: { feature: [...t.feature], threshold: [...t.threshold], left: [...t.left], right: [...t.right], value: [...t.value] }, frontier: [...this.frontier] };
  }

  /** The finished tree. */
  tree(): GbdtTree { return this.task(0).tree; }

  /** Applies one level's summed histograms (slot s = frontier node s). */
  apply(sum: SummedHistograms): void {
    const next: number[] = [];
    const { lambda, eta, minChildWeight: mcw, depth: D } = this.s;
    this.frontier.forEach((id, slot) => {
      const G = sum.totals[3 * slot]!, H = sum.totals[3 * slot + 1]!, n = sum.totals[3 * slot + 2]!;
      this.t.value[id] = leafValue(G, H, lambda, eta);
      const depth = this.depthOf[id]!;
      if (depth >= D || H < 2 * mcw || n < 2) return;
      const sp = this.bestSplit(sum, slot, G, H);
      if (!sp) return;
      const l = this.newNode(depth + 1), r = this.newNode(depth + 1);
      this.t.feature[id] = sp.f; this.t.threshold[id] = sp.thr; this.t.left[id] = l; this.t.right[id] = r; this.t.value[id] = 0;
      for (const [c, Gc, Hc] of [[l, sp.GL, sp.HL], [r, G - sp.GL, H - sp.HL]] as const) {
        this.t.value[c] = leafValue(Gc, Hc, lambda, eta);
        if (depth + 1 < D && Hc >= 2 * mcw) next.push(c);
      }
    });
    this.frontier = next;
  }

  /** `trainGbdt`'s split search on one slot of the summed histograms (bin 0 by subtraction; near-equal gains are ties kept by the lowest (feature, bin), `gainBeats`). */
  private bestSplit(sum: SummedHistograms, slot: number, G: number, H: number): { f: number; thr: number; GL: number; HL: number } | undefined {
    const { lambda, minChildWeight: mcw } = this.s;
    const L = this.layout;
    const parent = (G * G) / (H + lambda);
    let best = this.s.gamma, bf = -1, bb = -1, bGL = 0, bHL = 0;
    for (let f = 0; f < L.cuts.length; f++) {
      if (this.featOk[f] === 0) continue;
      const nc = L.cuts[f]!.length; const o = slot * L.total + L.off[f]!;
      let sg = 0, sh = 0;
      for (let b = 1; b <= nc; b++) { sg += sum.g[o + b]!; sh += sum.h[o + b]!; }
      let GL = G - sg, HL = H - sh;
      for (let b = 0; b < nc; b++) {
        if (b > 0) { GL += sum.g[o + b]!; HL += sum.h[o + b]!; }
        const GR = G - GL, HR = H - HL;
        if (HL < mcw || HR < mcw) continue;
        const gain = splitGain(GL, HL, GR, HR, parent, lambda);
        if (gainBeats(gain, best, bf >= 0)) { best = gain; bf = f; bb = b; bGL = GL; bHL = HL; }
      }
    }
    return bf < 0 ? undefined : { f: bf, thr: L.cuts[bf]![bb]!, GL: bGL, HL: bHL };
  }
}

/** The server's per-tree feature sample (all features when colsample ≥ 1). */
export function sampleFeatures(rng: Rng, dim: number, colsample: number): Uint8Array {
  const ok = new Uint8Array(dim);
  for (let f = 0; f < dim; f++) ok[f] = colsample >= 1 || rng.next() < colsample ? 1 : 0;
  return ok;
}

/** A model with no trees at `baseScore` (kept unrounded: the nodes' margins must equal central training's). */
export function histModel(dim: number, baseScore: number, trees: GbdtTree[] = []): GbdtModelFile {
  return { format: 'jirachi-gbdt', version: 1, dim, featureVersion: FEATURE_VERSION, baseScore, threshold: 0.5, trees };
}

/**
 * The whole protocol in process, over the same wire encodings and checks as the gRPC rounds:
 * sketches → common edges → per tree, per level, every partition's histograms are encoded, decoded,
 * checked and summed. Returns the model and the edges. For tests and benches. Throws on a check
 * failure (partitions are trusted here).
 */
export function trainFederatedHist(parts: readonly Dataset[], dim: number, s: HistSettings, rounds = 1, cuts?: readonly Float32Array[]): { model: GbdtModelFile; cuts: readonly Float32Array[] } {
  const sketches = clampSketchWeights(parts.map((p) => {
    const e = encodeSketch(nodeSketch(p, dim));
    const d = decodeSketch(e.json, e.blob, dim, 1e7);
    if (!d.ok) throw new Error(d.error);
    return d.value;
  }));
  const edges = cuts ?? mergeSketches(sketches, dim, Math.min(255, Math.max(4, s.bins)));
  const layout = histLayout(edges);
  const workers = parts.map((p, k) => new HistWorker(p, layout, `node-${k + 1}`, { subsample: s.subsample, seed: s.seed }));
  const model = histModel(dim, pooledBaseScore(sketches));
  const rng = new Rng(s.seed);
  for (const w of workers) w.reset(model);
  for (let t = 0; t < rounds * s.trees; t++) {
    const b = new TreeBuilder(layout, s, sampleFeatures(rng, dim, s.colsample));
    while (!b.done) {
      const task = b.task(model.trees.length);
      const hs = workers.map((w, k) => {
        const d = decodeHistograms(encodeHistograms(w.histograms(task)), { slots: task.frontier.length, layout, maxRows: parts[k]!.y.length });
        if (!d.ok) throw new Error(d.error);
        return d.value;
      });
      b.apply(sumHistograms(hs, task.frontier.length, layout));
    }
    const tree = b.tree();
    model.trees.push(tree);
    for (const w of workers) w.append(tree);
  }
  return { model, cuts: edges };
}
