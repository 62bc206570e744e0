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
 * A GBDT flattened for scoring (same results as gbdtMargin). Nodes are renumbered breadth-first so
 * the two children of node i are `link[2i+1]` and `link[2i+1] + 1`; `link[2i]` is the feature
 * (−1 at a leaf) and `num[i]` the threshold, or the leaf value.
 */
export interface CompiledGbdt {
  readonly base: number;
  readonly roots: Int32Array;
  readonly link: Int32Array;
  readonly num: Float64Array;
}

/**
 * Flattens a schema-checked model once at load (children have larger indices than their parent).
 * Throws when shared subtrees would expand a tree past 4× its node count (a hostile file; callers
 * fall back to the tree walk).
 */
export function compileGbdt(m: GbdtModelFile): CompiledGbdt {
  const link: number[] = [], num: number[] = [];
  const roots = new Int32Array(m.trees.length);
  m.trees.forEach((t, k) => {
    const off = num.length;
    roots[k] = off;
    const queue = [0];
    link.push(0, 0); num.push(0);
    for (let q = 0; q < queue.length; q++) {
      if (queue.length > 4 * t.feature.length + 16) throw new Error(`tree ${k}: shared subtrees`);
      const old = queue[q]!, at = off + q;
      const f = t.feature[old]!;
      link[2 * at] = f;
      if (f < 0) { num[at] = t.value[old]!; continue; }
      num[at] = t.threshold[old]!;
      link[2 * at + 1] = off + queue.length;
      queue.push(t.left[old]!, t.right[old]!);
      link.push(0, 0, 0, 0); num.push(0, 0);
    }
  });
  return { base: m.baseScore, roots, link: Int32Array.from(link), num: Float64Array.from(num) };
}

/** Probability of attack under a compiled model. Never throws. */
export function scoreCompiledGbdt(c: CompiledGbdt, x: Float32Array): number {
  const { link, num, roots } = c;
  let z = c.base;
  for (let k = 0; k < roots.length; k++) {
    let i = roots[k]!;
    for (let f = link[2 * i]!; f >= 0; f = link[2 * i]!) i = link[2 * i + 1]! + ((x[f] ?? 0) <= num[i]! ? 0 : 1);
    z += num[i]!;
  }
  const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  return Number.isFinite(p) ? p : 0.5;
}
