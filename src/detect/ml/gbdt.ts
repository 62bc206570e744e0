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
