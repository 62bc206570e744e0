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

/** A GBDT flattened into typed arrays for scoring (same results as gbdtMargin). */
export interface CompiledGbdt {
  readonly base: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

/** Flattens a schema-checked model once at load. */
export function compileGbdt(m: GbdtModelFile): CompiledGbdt {
  const n = m.trees.reduce((a, t) => a + t.feature.length, 0);
  const c = { base: m.baseScore, roots: new Int32Array(m.trees.length), feature: new Int32Array(n), threshold: new Float64Array(n),
    left: new Int32Array(n), right: new Int32Array(n), value: new Float64Array(n) };
  let off = 0;
  m.trees.forEach((t, k) => {
    c.roots[k] = off;
    for (let i = 0; i < t.feature.length; i++) {
      c.feature[off + i] = t.feature[i]!; c.threshold[off + i] = t.threshold[i]!;
      c.left[off + i] = off + t.left[i]!; c.right[off + i] = off + t.right[i]!; c.value[off + i] = t.value[i]!;
    }
    off += t.feature.length;
  });
  return c;
}

/** Probability of attack under a compiled model. Never throws. */
export function scoreCompiledGbdt(c: CompiledGbdt, x: Float32Array): number {
  let z = c.base;
  for (let k = 0; k < c.roots.length; k++) {
    let i = c.roots[k]!;
    for (let f = c.feature[i]!; f >= 0; f = c.feature[i]!) i = (x[f] ?? 0) <= c.threshold[i]! ? c.left[i]! : c.right[i]!;
    z += c.value[i]!;
  }
  const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  return Number.isFinite(p) ? p : 0.5;
}
