// Gradient-boosted trees: the model file shape and fast scoring.

/**
 * One regression tree as parallel arrays. Node i is a leaf when feature[i] < 0 (its value is
 * value[i]); otherwise x[feature[i]] <= threshold[i] goes to left[i], else right[i]. Root is 0.
 */
export interface GbdtTree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

/** A GBDT model file. `threshold` is the probability at or above which the model calls a request an attack. */
export interface GbdtModelFile {
  readonly format: 'jirachi-gbdt';
  readonly version: 1;
  readonly dim: number;
  readonly featureVersion: number;
  readonly baseScore: number;
  readonly threshold: number;
  readonly trees: GbdtTree[];
  readonly meta?: { readonly [k: string]: unknown };
}

/** Raw margin (log-odds) of `x`. Assumes a schema-checked model (indices in range). Never throws. */
export function gbdtMargin(m: GbdtModelFile, x: Float32Array): number {
  let z = m.baseScore;
  for (const t of m.trees) {
    let i = 0;
    for (let guard = 0; guard < 64; guard++) {
      const f = t.feature[i]!;
      if (f < 0) break;
      i = (x[f] ?? 0) <= t.threshold[i]! ? t.left[i]! : t.right[i]!;
    }
    z += t.value[i] ?? 0;
  }
  return z;
}

/** Probability of attack for features `x`. Never throws. */
export function scoreGbdt(m: GbdtModelFile, x: Float32Array): number {
  const z = gbdtMargin(m, x);
  const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  return Number.isFinite(p) ? p : 0.5;
}

/**
 * A GBDT flattened for scoring (same results as gbdtMargin). Nodes are renumbered breadth-first per
 * tree and packed in 8 bytes each, so one node is one read of one cache line: `node[2i]` is
 * `child << shift | feature` (the children are `child` and `child + 1`) and `thr[2i + 1]` (a
 * Float32Array view of the same buffer) the split threshold rounded down to float32. Features are
 * float32, so `x <= threshold` and `x <= threshold rounded down` agree for every x. A leaf points to
 * itself through the always-zero feature `width` (a scratch slot past the features) with threshold +∞, so every walk takes exactly
 * `depth` steps without a test for leaves; its value is `leaf[i]` (double: margins stay bit-identical).
 */
export interface CompiledGbdt {
  readonly base: number;
  readonly roots: Int32Array;
  readonly node: Int32Array;
  readonly thr: Float32Array;
  /** Leaf values by node index (0 at split nodes). */
  readonly leaf: Float64Array;
  /** Bits of the feature index in a node's word. */
  readonly shift: number;
  /** The leaves' always-zero feature: past every split's feature and the model's dimension. */
  readonly width: number;
  /** Steps of the deepest walk (the depth of the deepest leaf). */
  readonly depth: number;
  /** Scratch copy of the features, `width + 1` long (scoring is synchronous). */
  readonly x: Float32Array;
}

/** The largest float32 that is ≤ t (NaN stays NaN; below −3.4e38 gives −Infinity). */
export function float32Below(t: number): number {
  const f = Math.fround(t);
  if (!(f > t)) return f;
  // Step one float32 toward −∞: adjust the bit pattern (f > t, so f is finite or +Infinity).
  const b = new Float32Array([f]);
  const u = new Uint32Array(b.buffer);
  if (f > 0) u[0] = u[0]! - 1; else if (f === 0) { b[0] = -1.401298464324817e-45; return b[0]!; } else u[0] = u[0]! + 1;
  return b[0]!;
}

/**
 * Flattens a schema-checked model once at load (children have larger indices than their parent).
 * Throws when shared subtrees would expand a tree past 4× its node count (a hostile file; callers
 * fall back to the tree walk) or the model is too large to pack (dimension ≥ 65536, too many nodes).
 */
export function compileGbdt(m: GbdtModelFile): CompiledGbdt {
  let maxFeature = 0;
  for (const t of m.trees) for (const f of t.feature) if (f > maxFeature) maxFeature = f;
  const width = Math.max(maxFeature + 1, m.dim);
  if (!(width < 65536)) throw new Error('feature index too large to pack');
  let shift = 1;
  while ((1 << shift) <= width) shift++;
  const words: number[] = [], thresholds: number[] = [], leaves: number[] = [];
  const roots = new Int32Array(m.trees.length);
  let depth = 0;
  m.trees.forEach((t, k) => {
    const off = words.length;
    roots[k] = off;
    const queue = [0], depthOf = [0];
    words.push(0); thresholds.push(0); leaves.push(0);
    for (let q = 0; q < queue.length; q++) {
      if (queue.length > 4 * t.feature.length + 16) throw new Error(`tree ${k}: shared subtrees`);
      const old = queue[q]!, at = off + q;
      if (at >= 2 ** (31 - shift) - 2) throw new Error('model too large to pack');
      const f = t.feature[old]!;
      if (f < 0) {
        words[at] = (at << shift) | width; thresholds[at] = Infinity; leaves[at] = t.value[old]!;
        if (depthOf[q]! > depth) depth = depthOf[q]!;
        continue;
      }
      words[at] = ((off + queue.length) << shift) | f;
      thresholds[at] = float32Below(t.threshold[old]!);
      queue.push(t.left[old]!, t.right[old]!);
      depthOf.push(depthOf[q]! + 1, depthOf[q]! + 1);
      words.push(0, 0); thresholds.push(0, 0); leaves.push(0, 0);
    }
  });
  const buf = new ArrayBuffer(8 * words.length);
  const node = new Int32Array(buf), thr = new Float32Array(buf);
  for (let i = 0; i < words.length; i++) { node[2 * i] = words[i]!; thr[2 * i + 1] = thresholds[i]!; }
  return { base: m.baseScore, roots, node, thr, leaf: Float64Array.from(leaves), shift, width, depth, x: new Float32Array(width + 1) };
}

/**
 * Probability of attack under a compiled model. Never throws. Four trees are walked side by side
 * (their node reads are independent, so the CPU overlaps their cache misses instead of waiting for
 * one chain of reads), each for exactly `depth` steps (leaves loop on themselves), and a split's
 * branch is taken by arithmetic on its comparison (`+!(x <= t)`: 1 goes right, also for NaN) rather
 * than by a jump the CPU mispredicts half the time. The leaf values are added in tree order, as
 * gbdtMargin does, so the margin is bit-identical.
 */
export function scoreCompiledGbdt(c: CompiledGbdt, features: Float32Array): number {
  const { node, thr, leaf, roots, shift, depth, x, width } = c;
  // Missing features read as 0 (as in gbdtMargin); x[width] stays 0 for the leaves' self-loop.
  if (features.length === width) x.set(features);
  else if (features.length > width) x.set(features.subarray(0, width));
  else { x.fill(0); x.set(features); }
  const mask = (1 << shift) - 1;
  const n = roots.length;
  let z = c.base;
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    let i0 = roots[k]!, i1 = roots[k + 1]!, i2 = roots[k + 2]!, i3 = roots[k + 3]!;
    for (let d = 0; d < depth; d++) {
      const w0 = node[2 * i0]!, w1 = node[2 * i1]!, w2 = node[2 * i2]!, w3 = node[2 * i3]!;
      i0 = (w0 >>> shift) + +!(x[w0 & mask]! <= thr[2 * i0 + 1]!);
      i1 = (w1 >>> shift) + +!(x[w1 & mask]! <= thr[2 * i1 + 1]!);
      i2 = (w2 >>> shift) + +!(x[w2 & mask]! <= thr[2 * i2 + 1]!);
      i3 = (w3 >>> shift) + +!(x[w3 & mask]! <= thr[2 * i3 + 1]!);
    }
    z += leaf[i0]!;
    z += leaf[i1]!;
    z += leaf[i2]!;
    z += leaf[i3]!;
  }
  for (; k < n; k++) {
    let i = roots[k]!;
    for (let d = 0; d < depth; d++) { const w = node[2 * i]!; i = (w >>> shift) + +!(x[w & mask]! <= thr[2 * i + 1]!); }
    z += leaf[i]!;
  }
  const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  return Number.isFinite(p) ? p : 0.5;
}
