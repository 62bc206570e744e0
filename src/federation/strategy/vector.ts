// Vector arithmetic over parameter vectors (Float64Array). Pure; inputs are never mutated.

/** Throws unless every vector has the given length (a caller bug or a malformed peer update filtered earlier). */
export function assertDims(dim: number, vs: readonly Float64Array[]): void {
  for (const v of vs) if (v.length !== dim) throw new Error(`vector length ${v.length} != ${dim}`);
}

/** Weighted mean Σ wᵢvᵢ / Σ wᵢ. Weights must be ≥ 0 with a positive sum. */
export function weightedMean(vs: readonly Float64Array[], ws: readonly number[]): Float64Array {
  const dim = vs[0]?.length ?? 0;
  const out = new Float64Array(dim);
  let total = 0;
  for (const w of ws) total += w;
  if (!(total > 0)) throw new Error('weights must have a positive sum');
  vs.forEach((v, i) => {
    const w = (ws[i] ?? 0) / total;
    for (let d = 0; d < dim; d++) out[d] = (out[d] as number) + w * (v[d] as number);
  });
  return out;
}

/** Normalized weights wᵢ / Σ w (the FedAvg weights). */
export function normalizeWeights(ws: readonly number[]): number[] {
  const total = ws.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error('weights must have a positive sum');
  return ws.map((w) => w / total);
}

/** a − b. */
export function sub(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) - (b[i] as number);
  return out;
}

/** a + s·b. */
export function addScaled(a: Float64Array, b: Float64Array, s: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) + s * (b[i] as number);
  return out;
}

/** Euclidean norm. */
export function norm2(a: Float64Array): number {
  let s = 0;
  for (const x of a) s += x * x;
  return Math.sqrt(s);
}

/** Squared Euclidean distance. */
export function dist2(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = (a[i] as number) - (b[i] as number); s += d * d; }
  return s;
}

/** Coordinate-wise median (mean of the two middle values for an even count). */
export function coordinateMedian(vs: readonly Float64Array[]): Float64Array {
  return coordinateReduce(vs, (col) => {
    const n = col.length;
    const m = n >> 1;
    return n % 2 === 1 ? (col[m] as number) : ((col[m - 1] as number) + (col[m] as number)) / 2;
  });
}

/** Coordinate-wise trimmed mean: drops ⌊βn⌋ smallest and largest values per coordinate. */
export function coordinateTrimmedMean(vs: readonly Float64Array[], beta: number): Float64Array {
  const k = Math.floor(beta * vs.length);
  return coordinateReduce(vs, (col) => {
    const kept = col.subarray(k, col.length - k);
    let s = 0;
    for (const x of kept) s += x;
    return s / kept.length;
  });
}

function coordinateReduce(vs: readonly Float64Array[], f: (sortedColumn: Float64Array) => number): Float64Array {
  const dim = vs[0]?.length ?? 0;
  const out = new Float64Array(dim);
  const col = new Float64Array(vs.length);
  for (let d = 0; d < dim; d++) {
    for (let i = 0; i < vs.length; i++) col[i] = (vs[i] as Float64Array)[d] as number;
    col.sort();
    out[d] = f(col);
  }
  return out;
}
