// Gradient histograms of federated boosting: the node computes them on its rows, the server checks and sums them.

import { err, ok, type Result } from '../../core/index.js';
import type { GbdtTree } from '../../detect/index.js';
import { Rng } from '../../detect/index.js';
import type { Dataset } from '../round/types.js';

/** Histogram layout over common bin edges: feature f owns bins off[f] .. off[f] + cuts[f].length (bin 0 = value ≤ cuts[f][0]). */
export interface HistLayout {
  readonly cuts: readonly Float32Array[];
  readonly off: Uint32Array;
  /** Bins per frontier node over all features. */
  readonly total: number;
}

/** Builds the layout of `cuts` (each ascending, 1..254 edges). Pure. */
export function histLayout(cuts: readonly Float32Array[]): HistLayout {
  const off = new Uint32Array(cuts.length + 1);
  cuts.forEach((c, f) => { off[f + 1] = off[f]! + c.length + 1; });
  return { cuts, off, total: off[cuts.length]! };
}

/** Bin of value `v` under edges `c` (0 when v ≤ c[0], else the first b with v ≤ c[b], c.length past the last edge). */
export function binOf(c: Float32Array, v: number): number {
  if (!(v > c[0]!)) return 0;
  let lo = 1, hi = c.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (v <= c[mid]!) hi = mid; else lo = mid + 1; }
  return lo;
}

/** What the server asks for at one level: the tree being grown (frontier nodes are leaves) and the frontier node ids. */
export interface LevelTask {
  /** Index of this tree in the global model (the node's model must hold exactly this many trees). */
  readonly treeIndex: number;
  readonly tree: GbdtTree;
  readonly frontier: readonly number[];
}

/**
 * One node's histograms for a level, sparse: per frontier slot s the totals G, H and row count n at
 * totals[3s..3s+2]; then entries (index, g, h) for non-empty bins other than bin 0, with
 * index = s·layout.total + off[f] + b, strictly increasing. Bin 0 is the total minus the others.
 */
export interface NodeHistograms {
  readonly slots: number;
  readonly totals: Float64Array;
  readonly index: Uint32Array;
  readonly g: Float64Array;
  readonly h: Float64Array;
}

function leafOf(t: GbdtTree, x: Float32Array): number {
  let i = 0;
  for (let guard = 0; guard < 64 && t.feature[i]! >= 0; guard++) i = (x[t.feature[i]!] ?? 0) <= t.threshold[i]! ? t.left[i]! : t.right[i]!;
  return i;
}

/** Seed of a node's row sample for one tree (FNV-1a of the node id, mixed with the seed and tree index). */
function rowSeed(seed: number, nodeId: string, tree: number): number {
  let hsh = 0x811c9dc5;
  for (const ch of nodeId) hsh = Math.imul(hsh ^ ch.charCodeAt(0), 0x01000193);
  return (hsh ^ Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(tree + 1, 0x85ebca6b)) >>> 0;
}

/**
 * A node's side of histogram boosting over its own rows: margins of the current global model, binned
 * features, and per level the gradient/hessian histograms of its (sub-sampled) rows in each frontier
 * node. Log loss: g = p − y, h = max(p(1 − p), 1e-6), as `trainGbdt`.
 */
export class HistWorker {
  private readonly bins: Uint8Array;
  private readonly nzStart: Uint32Array;
  private readonly nzFeat: Uint16Array;
  private readonly margin: Float64Array;
  private readonly grad: Float64Array;
  private readonly hess: Float64Array;
  private trees = 0;
  private gradFor = -1;
  private rows: Uint32Array = new Uint32Array(0);

  constructor(private readonly data: Dataset, private readonly layout: HistLayout, private readonly nodeId: string,
    private readonly sampling: { readonly subsample: number; readonly seed: number }) {
    const n = data.X.length; const dim = layout.cuts.length;
    this.bins = new Uint8Array(n * dim);
    this.nzStart = new Uint32Array(n + 1);
    const nz: number[] = [];
    for (let i = 0; i < n; i++) {
      this.nzStart[i] = nz.length;
      const x = data.X[i]!;
      for (let f = 0; f < dim; f++) { const b = binOf(layout.cuts[f]!, x[f] ?? 0); if (b > 0) { this.bins[i * dim + f] = b; nz.push(f); } }
    }
    this.nzStart[n] = nz.length;
    this.nzFeat = Uint16Array.from(nz);
    this.margin = new Float64Array(n); this.grad = new Float64Array(n); this.hess = new Float64Array(n);
  }

  /** Trees of the model the margins reflect. */
  get treeCount(): number { return this.trees; }

  /** Sets the margins to `baseScore` plus every tree of the model (start of a round). */
  reset(m: { readonly baseScore: number; readonly trees: readonly GbdtTree[] }): void {
    this.margin.fill(m.baseScore);
    this.trees = 0; this.gradFor = -1;
    for (const t of m.trees) this.append(t);
  }

  /** Adds a finished tree to the margins. */
  append(t: GbdtTree): void {
    this.data.X.forEach((x, i) => { this.margin[i] = this.margin[i]! + t.value[leafOf(t, x)]!; });
    this.trees++;
  }

  private prepare(tree: number): void {
    if (this.gradFor === tree) return;
    const n = this.data.X.length;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-this.margin[i]!));
      const yi = this.data.y[i]! > 0.5 ? 1 : 0;
      this.grad[i] = p - yi; this.hess[i] = Math.max(p * (1 - p), 1e-6);
    }
    const rng = new Rng(rowSeed(this.sampling.seed, this.nodeId, tree));
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (this.sampling.subsample >= 1 || rng.next() < this.sampling.subsample) rows.push(i);
    this.rows = Uint32Array.from(rows);
    this.gradFor = tree;
  }

  /** Histograms of one level. Throws when the task's tree index does not match the margins (a protocol bug, not input). */
  histograms(task: LevelTask): NodeHistograms {
    if (task.treeIndex !== this.trees) throw new Error(`level task for tree ${task.treeIndex}, margins hold ${this.trees} trees`);
    this.prepare(task.treeIndex);
    const slotOf = new Map(task.frontier.map((id, s) => [id, s]));
    const S = task.frontier.length; const L = this.layout; const dim = L.cuts.length;
    const totals = new Float64Array(3 * S);
    const hg = new Float64Array(S * L.total); const hh = new Float64Array(S * L.total);
    const touched = new Uint8Array(S * L.total);
    for (const r of this.rows) {
      const s = slotOf.get(leafOf(task.tree, this.data.X[r]!));
      if (s === undefined) continue;
      const gr = this.grad[r]!, hr = this.hess[r]!;
      totals[3 * s] = totals[3 * s]! + gr; totals[3 * s + 1] = totals[3 * s + 1]! + hr; totals[3 * s + 2] = totals[3 * s + 2]! + 1;
      const base = s * L.total;
      for (let k = this.nzStart[r]!; k < this.nzStart[r + 1]!; k++) {
        const f = this.nzFeat[k]!;
        const idx = base + L.off[f]! + this.bins[r * dim + f]!;
        hg[idx] = hg[idx]! + gr; hh[idx] = hh[idx]! + hr; touched[idx] = 1;
      }
    }
    const index: number[] = [];
    for (let i = 0; i < touched.length; i++) if (touched[i]) index.push(i);
    return { slots: S, totals, index: Uint32Array.from(index), g: Float64Array.from(index, (i) => hg[i]!), h: Float64Array.from(index, (i) => hh[i]!) };
  }
}

const bytes = (a: Uint32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Wire form: four blobs (u32 indices, f64 g, f64 h, f64 totals), little-endian as typed arrays on x86/ARM. */
export function encodeHistograms(h: NodeHistograms): Buffer[] {
  return [bytes(h.index), bytes(h.g), bytes(h.h), bytes(h.totals)];
}

/** Bounds a node's histograms must respect (from the round's frontier and the node's declared row count). */
export interface HistBounds {
  readonly slots: number;
  readonly layout: HistLayout;
  /** The node's training rows (from its sketch). */
  readonly maxRows: number;
}

const copy = (b: Buffer): ArrayBuffer => new Uint8Array(b).buffer;

/**
 * Checks untrusted histograms: shape (blob sizes, one totals triple per frontier slot, indices
 * strictly increasing, inside the layout and never a bin 0), finite values, non-negative hessians,
 * magnitudes possible under log loss (|G| ≤ n, H ≤ n/4 per node and bin, Σ of a feature's bins ≤ the
 * node's H, Σ n ≤ the node's rows). The error names the first violation. Never throws.
 */
export function decodeHistograms(blobs: readonly Buffer[], b: HistBounds): Result<NodeHistograms, string> {
  const [bi, bg, bh, bt] = blobs;
  if (blobs.length !== 4 || !bi || !bg || !bh || !bt) return err(`histograms: expected 4 blobs, got ${blobs.length}`);
  if (bt.length !== 24 * b.slots) return err(`histograms: totals for ${bt.length / 24} frontier nodes, the level has ${b.slots}`);
  if (bi.length % 4 !== 0 || bg.length !== 2 * bi.length || bh.length !== 2 * bi.length) return err('histograms: index, gradient and hessian blobs differ in length');
  const index = new Uint32Array(copy(bi)); const g = new Float64Array(copy(bg)); const h = new Float64Array(copy(bh)); const totals = new Float64Array(copy(bt));
  const eps = 1e-9;
  let rows = 0;
  for (let s = 0; s < b.slots; s++) {
    const G = totals[3 * s]!, H = totals[3 * s + 1]!, n = totals[3 * s + 2]!;
    if (![G, H, n].every(Number.isFinite)) return err(`histograms: frontier node ${s}: non-finite total`);
    if (!Number.isInteger(n) || n < 0) return err(`histograms: frontier node ${s}: row count ${n} is not a non-negative integer`);
    if (H < 0) return err(`histograms: frontier node ${s}: negative hessian total ${H}`);
    if (Math.abs(G) > n * (1 + eps) || H > n * (0.25 + eps)) return err(`histograms: frontier node ${s}: |G| ${Math.abs(G)} or H ${H} impossible for ${n} rows under log loss`);
    rows += n;
  }
  if (rows > b.maxRows) return err(`histograms: ${rows} rows in the frontier, the node declared ${b.maxRows}`);
  const L = b.layout; const dim = L.cuts.length;
  const featH = new Float64Array(dim);
  let lastSlot = -1; let f = 0;
  for (let k = 0; k < index.length; k++) {
    const i = index[k]!;
    if (k > 0 && i <= index[k - 1]!) return err(`histograms: entry ${k}: indices not strictly increasing`);
    if (i >= b.slots * L.total) return err(`histograms: entry ${k}: index ${i} outside ${b.slots} frontier nodes × ${L.total} bins`);
    const s = Math.floor(i / L.total); const local = i - s * L.total;
    if (s !== lastSlot) { featH.fill(0); lastSlot = s; f = 0; }
    while (L.off[f + 1]! <= local) f++;
    const bin = local - L.off[f]!;
    const gv = g[k]!, hv = h[k]!;
    if (!Number.isFinite(gv) || !Number.isFinite(hv)) return err(`histograms: frontier node ${s}, feature ${f}, bin ${bin}: non-finite value`);
    if (bin === 0) return err(`histograms: frontier node ${s}, feature ${f}: bin 0 is implied by the totals and must not be sent`);
    if (hv < 0) return err(`histograms: frontier node ${s}, feature ${f}, bin ${bin}: negative hessian ${hv}`);
    const n = totals[3 * s + 2]!, H = totals[3 * s + 1]!;
    if (Math.abs(gv) > n * (1 + eps)) return err(`histograms: frontier node ${s}, feature ${f}, bin ${bin}: |g| ${Math.abs(gv)} > ${n} rows`);
    featH[f] = featH[f]! + hv;
    if (featH[f]! > H * (1 + eps) + eps) return err(`histograms: frontier node ${s}, feature ${f}: bins hold hessian ${featH[f]} > the node's total ${H}`);
  }
  return ok({ slots: b.slots, totals, index, g, h });
}

/** Summed histograms of a level (dense): totals per slot and g/h per (slot, bin). */
export interface SummedHistograms {
  readonly slots: number;
  readonly totals: Float64Array;
  readonly g: Float64Array;
  readonly h: Float64Array;
}

/** Sums checked histograms (callers pass them in a fixed order, e.g. by node id). Pure. */
export function sumHistograms(parts: readonly NodeHistograms[], slots: number, layout: HistLayout): SummedHistograms {
  const totals = new Float64Array(3 * slots); const g = new Float64Array(slots * layout.total); const h = new Float64Array(slots * layout.total);
  for (const p of parts) {
    for (let i = 0; i < 3 * slots; i++) totals[i] = totals[i]! + p.totals[i]!;
    for (let k = 0; k < p.index.length; k++) { const i = p.index[k]!; g[i] = g[i]! + p.g[k]!; h[i] = h[i]! + p.h[k]!; }
  }
  return { slots, totals, g, h };
}
