// Common bin edges for federated histogram boosting: each node sends per-feature quantile sketches, the server merges them.

import { err, ok, type Result } from '../../core/index.js';
import type { Dataset } from '../round/types.js';

/** Points per feature in a node's sketch (quantiles 0, 1/S, …, 1 of its non-zero values). */
export const SKETCH_POINTS = 64;

/** A node's summary for the bin edges and the base score: no rows, only counts and per-feature quantiles. */
export interface NodeSketch {
  /** Training rows, and how many are attacks (label 1). */
  readonly n: number;
  readonly pos: number;
  /** Per feature: how many rows carry a non-zero value. */
  readonly nnz: readonly number[];
  /** Per feature: ascending quantile values of the non-zero values (at most SKETCH_POINTS + 1, empty when nnz = 0). */
  readonly values: readonly Float32Array[];
}

/**
 * The node side: per feature, the values at ranks round(j·(m−1)/S), j = 0..S, of its m non-zero
 * values (all of them when m ≤ S + 1). Pure.
 */
export function nodeSketch(d: Dataset, dim: number, points = SKETCH_POINTS): NodeSketch {
  const nnz: number[] = []; const values: Float32Array[] = [];
  for (let f = 0; f < dim; f++) {
    const v: number[] = [];
    for (const x of d.X) { const a = x[f] ?? 0; if (a !== 0) v.push(a); }
    v.sort((a, b) => a - b);
    nnz.push(v.length);
    const k = Math.min(v.length, points + 1);
    values.push(Float32Array.from({ length: k }, (_, j) => v[k === v.length ? j : Math.round((j * (v.length - 1)) / points)]!));
  }
  return { n: d.y.length, pos: d.y.filter((y) => y > 0.5).length, nnz, values };
}

/** Wire form: JSON {n, pos, nnz, counts} and one Float32 blob with every feature's values in order. */
export function encodeSketch(s: NodeSketch): { json: Record<string, unknown>; blob: Buffer } {
  const all = new Float32Array(s.values.reduce((a, v) => a + v.length, 0));
  let o = 0;
  for (const v of s.values) { all.set(v, o); o += v.length; }
  return { json: { n: s.n, pos: s.pos, nnz: s.nnz, counts: s.values.map((v) => v.length) }, blob: Buffer.from(all.buffer, all.byteOffset, all.byteLength) };
}

const isCount = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/**
 * Parses an untrusted sketch: `dim` features, counts bounded by n (≤ maxRows) and S + 1, finite
 * ascending values. Errors name the field. Never throws.
 */
export function decodeSketch(json: unknown, blob: Buffer | undefined, dim: number, maxRows: number): Result<NodeSketch, string> {
  const j = (json ?? {}) as Record<string, unknown>;
  const n = j['n']; const pos = j['pos']; const nnz = j['nnz']; const counts = j['counts'];
  if (!isCount(n, maxRows) || n < 1) return err(`sketch: n must be an integer in [1, ${maxRows}]`);
  if (!isCount(pos, n)) return err('sketch: pos must be an integer in [0, n]');
  if (!Array.isArray(nnz) || !Array.isArray(counts) || nnz.length !== dim || counts.length !== dim) return err(`sketch: nnz and counts need ${dim} entries`);
  if (!blob || blob.length % 4 !== 0) return err('sketch: values blob missing or not Float32');
  const all = new Float32Array(new Uint8Array(blob).buffer);
  const values: Float32Array[] = [];
  let o = 0;
  for (let f = 0; f < dim; f++) {
    const m = nnz[f]; const c = counts[f];
    if (!isCount(m, n)) return err(`sketch: nnz[${f}] must be an integer in [0, n]`);
    if (!isCount(c, Math.min(m, SKETCH_POINTS + 1)) || (m > 0 && c === 0)) return err(`sketch: counts[${f}] must be in [1, min(nnz, ${SKETCH_POINTS + 1})]`);
    if (o + c > all.length) return err('sketch: values blob shorter than the counts');
    const v = all.subarray(o, o + c); o += c;
    for (let k = 0; k < c; k++) {
      if (!Number.isFinite(v[k]!)) return err(`sketch: feature ${f} holds a non-finite value`);
      if (k > 0 && v[k]! < v[k - 1]!) return err(`sketch: feature ${f} values are not ascending`);
    }
    values.push(v);
  }
  if (o !== all.length) return err('sketch: values blob longer than the counts');
  return ok({ n, pos, nnz: nnz as number[], values });
}

/**
 * The server side: per feature, each node's sketch value stands for nnz/count of its non-zero
 * values; edges are the weighted quantiles at b/(B−1), b = 1..B−2, of the pooled points, kept
 * when above the previous edge, after the edge 0 (as `trainGbdt` bins one dataset). Pure.
 */
export function mergeSketches(sketches: readonly NodeSketch[], dim: number, maxBins: number): Float32Array[] {
  const cuts: Float32Array[] = [];
  for (let f = 0; f < dim; f++) {
    const pts: Array<{ v: number; w: number }> = [];
    for (const s of sketches) {
      const v = s.values[f]!;
      for (const x of v) pts.push({ v: x, w: s.nnz[f]! / v.length });
    }
    pts.sort((a, b) => a.v - b.v);
    const W = pts.reduce((a, p) => a + p.w, 0);
    const c: number[] = [0];
    let k = 0; let before = 0;
    for (let b = 1; b < maxBins - 1 && pts.length > 0; b++) {
      const target = (b * W) / (maxBins - 1);
      while (k < pts.length - 1 && before + pts[k]!.w <= target) { before += pts[k]!.w; k++; }
      const v = pts[k]!.v;
      if (v > c[c.length - 1]!) c.push(v);
    }
    cuts.push(Float32Array.from(c));
  }
  return cuts;
}

/**
 * Bounds each node's say in the common edges and the base score: a sketch whose row count exceeds
 * `factor` × the (lower) median row count of all sketches has n, pos and nnz scaled down to that, so
 * one node claiming many rows cannot set the bins or the prior alone (with 3 nodes, a liar weighs at
 * most half). Nodes within `factor` of the median are unchanged, so their edges and base score are
 * the union's. Pure.
 */
export function clampSketchWeights(sketches: readonly NodeSketch[], factor = 2): NodeSketch[] {
  const ns = sketches.map((s) => s.n).sort((a, b) => a - b);
  const cap = factor * (ns[Math.floor((ns.length - 1) / 2)] ?? 0);
  return sketches.map((s) => {
    if (s.n <= cap || s.n === 0) return s;
    const k = cap / s.n;
    return { ...s, n: cap, pos: s.pos * k, nnz: s.nnz.map((c) => c * k) };
  });
}

/** Log-odds of the pooled attack fraction (clamped to [0.001, 0.999]): the base score `trainGbdt` gives the union. Pure. */
export function pooledBaseScore(sketches: readonly NodeSketch[]): number {
  const n = sketches.reduce((a, s) => a + s.n, 0);
  const pos = sketches.reduce((a, s) => a + s.pos, 0);
  const prior = Math.min(0.999, Math.max(0.001, n > 0 ? pos / n : 0.5));
  return Math.log(prior / (1 - prior));
}
