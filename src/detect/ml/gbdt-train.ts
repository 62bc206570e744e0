// GBDT training (XGBoost-style): second-order gradients, histogram splits, shrinkage, regularization.

import { FEATURE_VERSION } from './features.js';
import { gbdtMargin, type GbdtModelFile, type GbdtTree } from './gbdt.js';
import { Rng } from './rng.js';

/** Training options. Defaults in parentheses. */
export interface GbdtTrainOptions {
  readonly trees: number;        // boosting rounds
  readonly depth: number;        // max tree depth (6)
  readonly eta: number;          // shrinkage (0.2)
  readonly lambda: number;       // L2 on leaf weights (1)
  readonly gamma: number;        // min split gain (0)
  readonly minChildWeight: number; // min hessian per child (1)
  readonly bins: number;         // histogram bins per feature, ≤ 255 (32)
  readonly subsample: number;    // row sampling per tree (0.8)
  readonly colsample: number;    // feature sampling per tree (0.8)
  readonly seed: number;
  /** Weight of each attack row relative to benign rows (1). */
  readonly positiveWeight?: number;
  /**
   * Continue boosting from this model (same dim): training starts from its margins, and the result
   * keeps its baseScore and trees followed by the new ones (absent: start from the label prior).
   */
  readonly init?: GbdtModelFile;
  /**
   * Fixed bin edges per feature (ascending; value ≤ cuts[f][0] is bin 0) instead of quantiles of X:
   * lets federated histogram boosting and central training bin alike. Absent: quantiles of X.
   */
  readonly cuts?: readonly Float32Array[];
}

/** Progress callback payload: round done and training log-loss. */
export interface GbdtProgress { readonly round: number; readonly trees: number; readonly logloss: number }

interface Binned {
  readonly n: number; readonly dim: number;
  /** Dense bin index per (row, feature); 0 means value ≤ first cut (zero for sparse features). */
  readonly bins: Uint8Array;
  /** Per row, the features with bin > 0 (sparse iteration for histograms). */
  readonly nzStart: Uint32Array; readonly nzFeat: Uint16Array;
  /** cuts[f][b] = upper value bound of bin b. */
  readonly cuts: Float32Array[];
}

/**
 * Quantile bin edges of one feature from its values (XGBoost-style, as `trainGbdt` bins): edge 0 is 0
 * (zero and negative values share bin 0), then up to `maxBins − 2` increasing quantiles of the
 * non-zero values. Pure; `sorted` must be ascending non-zero values.
 */
export function quantileCuts(sorted: readonly number[], maxBins: number): Float32Array {
  const c: number[] = [0];
  for (let b = 1; b < maxBins - 1 && sorted.length > 0; b++) {
    const v = Math.fround(sorted[Math.min(sorted.length - 1, Math.floor((b * sorted.length) / (maxBins - 1)))]!);
    if (v > c[c.length - 1]!) c.push(v);
  }
  return Float32Array.from(c);
}

/**
 * Whether a candidate split's `gain` replaces the best one so far, scanning (feature, bin) in
 * ascending order: it must beat `best` (γ before any split is `found`) by more than a relative 1e-9.
 * Gains that equal up to summation order count as ties and the lowest (feature, bin) keeps them, so
 * the choice does not depend on the order in which gradients were added (the federated histogram
 * builder, src/federation/hist/builder.ts, applies the same rule). Pure.
 */
function gainBeats(gain: number, best: number, found: boolean): boolean {
  return found ? gain > best + 1e-9 * Math.abs(best) : gain > best;
}

/** Split gain of XGBoost's second-order objective (the formula `trainGbdt` maximizes): ½(GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ)). Pure. */
export function splitGain(GL: number, HL: number, GR: number, HR: number, parent: number, lambda: number): number {
  return 0.5 * ((GL * GL) / (HL + lambda) + (GR * GR) / (HR + lambda) - parent);
}

/** Leaf value as `trainGbdt` sets it: −G/(H+λ)·η rounded to 6 decimals. Pure. */
export function leafValue(G: number, H: number, lambda: number, eta: number): number {
  return round6((-G / (H + lambda)) * eta);
}

function binFeatures(X: readonly Float32Array[], dim: number, maxBins: number, fixed?: readonly Float32Array[]): Binned {
  const n = X.length;
  const cuts: Float32Array[] = fixed ? fixed.map((c) => Float32Array.from(c)) : [];
  if (fixed && (fixed.length !== dim || fixed.some((c) => c.length < 1 || c.length > 254 || c.some((v, i) => i > 0 && !(v > c[i - 1]!))))) {
    throw new Error(`trainGbdt: cuts need ${dim} ascending lists of 1..254 edges`);
  }
  const sample = Math.min(n, 20000);
  const step = n / sample;
  for (let f = 0; f < dim && !fixed; f++) {
    const vals: number[] = [];
    for (let k = 0; k < sample; k++) { const v = X[Math.floor(k * step)]![f]!; if (v !== 0) vals.push(v); }
    vals.sort((a, b) => a - b);
    const c: number[] = [0];
    for (let b = 1; b < maxBins - 1 && vals.length > 0; b++) {
      const v = vals[Math.min(vals.length - 1, Math.floor((b * vals.length) / (maxBins - 1)))]!;
      if (v > c[c.length - 1]!) c.push(v);
    }
    cuts.push(Float32Array.from(c));
  }
  const bins = new Uint8Array(n * dim);
  const nzStart = new Uint32Array(n + 1);
  const nz: number[] = [];
  for (let i = 0; i < n; i++) {
    nzStart[i] = nz.length;
    const x = X[i]!;
    for (let f = 0; f < dim; f++) {
      const v = x[f]!;
      const c = cuts[f]!;
      let b = 0;
      if (v > c[0]!) { let lo = 1, hi = c.length; while (lo < hi) { const mid = (lo + hi) >> 1; if (v <= c[mid]!) hi = mid; else lo = mid + 1; } b = lo; }
      if (b > 0) { bins[i * dim + f] = b; nz.push(f); }
    }
  }
  nzStart[n] = nz.length;
  return { n, dim, bins, nzStart, nzFeat: Uint16Array.from(nz), cuts };
}

interface NodeWork { rows: Uint32Array; id: number; depth: number }

/**
 * Trains a binary GBDT on dense features (y: 1 attack, 0 benign) with log loss: per round,
 * gradients g = p − y and hessians h = p(1 − p); trees grow depth-wise choosing the split with
 * the best gain G²/(H+λ) over histogram bins (sparsity-aware: zero bins by subtraction); leaves get
 * −G/(H+λ)·eta. Deterministic for a given seed. Throws on empty or mismatched input (a caller bug).
 */
export function trainGbdt(X: readonly Float32Array[], y: readonly number[], opts: GbdtTrainOptions,
  onProgress?: (p: GbdtProgress) => void): GbdtModelFile {
  if (X.length === 0 || X.length !== y.length) throw new Error('trainGbdt: need equal, non-empty X and y');
  const dim = X[0]!.length;
  const data = binFeatures(X, dim, Math.min(255, Math.max(4, opts.bins)), opts.cuts);
  const n = data.n;
  const pw = opts.positiveWeight ?? 1;
  const wRow = Float64Array.from(y, (v) => (v > 0.5 ? pw : 1));
  let pos = 0, tot = 0;
  for (let i = 0; i < n; i++) { tot += wRow[i]!; if (y[i]! > 0.5) pos += wRow[i]!; }
  const prior = Math.min(0.999, Math.max(0.001, pos / tot));
  const { init, cuts: _cuts, ...params } = opts;
  const baseScore = init ? init.baseScore : Math.log(prior / (1 - prior));
  const margin = new Float64Array(n).fill(baseScore);
  if (init) for (let i = 0; i < n; i++) margin[i] = gbdtMargin(init, X[i]!);
  const g = new Float64Array(n), h = new Float64Array(n);
  const rng = new Rng(opts.seed);
  const trees: GbdtTree[] = init ? [...init.trees] : [];
  for (let round = 0; round < opts.trees; round++) {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      const yi = y[i]! > 0.5 ? 1 : 0;
      g[i] = (p - yi) * wRow[i]!; h[i] = Math.max(p * (1 - p), 1e-6) * wRow[i]!;
      loss -= wRow[i]! * (yi ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12)));
    }
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (rng.next() < opts.subsample) rows.push(i);
    const featOk = new Uint8Array(dim);
    for (let f = 0; f < dim; f++) featOk[f] = rng.next() < opts.colsample ? 1 : 0;
    const tree = growTree(data, g, h, Uint32Array.from(rows), featOk, opts);
    trees.push(tree);
    for (let i = 0; i < n; i++) margin[i] = margin[i]! + leafOf(tree, data, i);
    onProgress?.({ round: round + 1, trees: opts.trees, logloss: loss / tot });
  }
  return { format: 'jirachi-gbdt', version: 1, dim, featureVersion: FEATURE_VERSION, baseScore: init ? baseScore : round6(baseScore), threshold: 0.5, trees,
    meta: { params } };
}

function round6(v: number): number { return Math.round(v * 1e6) / 1e6; }

function leafOf(t: GbdtTree, data: Binned, row: number): number {
  let i = 0;
  while (t.feature[i]! >= 0) {
    const f = t.feature[i]!;
    i = binLE(data, f, data.bins[row * data.dim + f]!, t.threshold[i]!) ? t.left[i]! : t.right[i]!;
  }
  return t.value[i]!;
}

/** True when every value in bin `b` of feature `f` is ≤ `thr` (thresholds are bin upper bounds). */
function binLE(data: Binned, f: number, b: number, thr: number): boolean {
  const c = data.cuts[f]!;
  const upper = b < c.length ? c[b]! : Infinity;
  return upper <= thr;
}

function growTree(data: Binned, g: Float64Array, h: Float64Array, rows: Uint32Array, featOk: Uint8Array, opts: GbdtTrainOptions): GbdtTree {
  const t: { feature: number[]; threshold: number[]; left: number[]; right: number[]; value: number[] } = { feature: [], threshold: [], left: [], right: [], value: [] };
  const newNode = (): number => { t.feature.push(-1); t.threshold.push(0); t.left.push(0); t.right.push(0); t.value.push(0); return t.feature.length - 1; };
  const queue: NodeWork[] = [{ rows, id: newNode(), depth: 0 }];
  const nb = 256;
  const hg = new Float64Array(data.dim * nb), hh = new Float64Array(data.dim * nb);
  while (queue.length > 0) {
    const node = queue.shift()!;
    let G = 0, H = 0;
    for (const r of node.rows) { G += g[r]!; H += h[r]!; }
    const leafValue = round6((-G / (H + opts.lambda)) * opts.eta);
    t.value[node.id] = leafValue;
    if (node.depth >= opts.depth || H < 2 * opts.minChildWeight || node.rows.length < 2) continue;
    const split = bestSplit(data, g, h, node.rows, featOk, G, H, opts, hg, hh, nb);
    if (split === undefined) continue;
    const leftRows: number[] = [], rightRows: number[] = [];
    for (const r of node.rows) (data.bins[r * data.dim + split.f]! <= split.b ? leftRows : rightRows).push(r);
    if (leftRows.length === 0 || rightRows.length === 0) continue;
    const l = newNode(), r = newNode();
    t.feature[node.id] = split.f; t.threshold[node.id] = split.thr; t.left[node.id] = l; t.right[node.id] = r; t.value[node.id] = 0;
    queue.push({ rows: Uint32Array.from(leftRows), id: l, depth: node.depth + 1 }, { rows: Uint32Array.from(rightRows), id: r, depth: node.depth + 1 });
  }
  return t;
}

function bestSplit(data: Binned, g: Float64Array, h: Float64Array, rows: Uint32Array, featOk: Uint8Array, G: number, H: number,
  opts: GbdtTrainOptions, hg: Float64Array, hh: Float64Array, nb: number): { f: number; b: number; thr: number } | undefined {
  hg.fill(0); hh.fill(0);
  for (const r of rows) {
    const gr = g[r]!, hr = h[r]!;
    for (let k = data.nzStart[r]!; k < data.nzStart[r + 1]!; k++) {
      const f = data.nzFeat[k]!;
      const idx = f * nb + data.bins[r * data.dim + f]!;
      hg[idx] = hg[idx]! + gr; hh[idx] = hh[idx]! + hr;
    }
  }
  const parent = (G * G) / (H + opts.lambda);
  let best = opts.gamma, bf = -1, bb = -1;
  for (let f = 0; f < data.dim; f++) {
    if (featOk[f] === 0) continue;
    const nc = data.cuts[f]!.length;
    let sg = 0, sh = 0;
    for (let b = 1; b <= nc; b++) { sg += hg[f * nb + b]!; sh += hh[f * nb + b]!; }
    let GL = G - sg, HL = H - sh; // bin 0 by subtraction
    for (let b = 0; b < nc; b++) {
      if (b > 0) { GL += hg[f * nb + b]!; HL += hh[f * nb + b]!; }
      const GR = G - GL, HR = H - HL;
      if (HL < opts.minChildWeight || HR < opts.minChildWeight) continue;
      const gain = 0.5 * ((GL * GL) / (HL + opts.lambda) + (GR * GR) / (HR + opts.lambda) - parent);
      if (gainBeats(gain, best, bf >= 0)) { best = gain; bf = f; bb = b; }
    }
  }
  if (bf < 0) return undefined;
  const c = data.cuts[bf]!;
  return { f: bf, b: bb, thr: bb < c.length ? c[bb]! : c[c.length - 1]! };
}
