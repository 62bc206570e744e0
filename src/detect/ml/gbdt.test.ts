// The packed GBDT scorer (float32 thresholds rounded down, four trees side by side) equals the tree walk.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileGbdt, float32Below, scoreCompiledGbdt, scoreGbdt, type GbdtModelFile, type GbdtTree } from './gbdt.js';

const DIM = 24;

/** Values that stress the float32 rounding of thresholds: doubles between float32 neighbours, their float32 roundings, signed zeros. */
const number = fc.oneof(
  fc.double({ noNaN: true, min: -4, max: 4 }),
  fc.double({ noNaN: true, min: -4, max: 4 }).map((d) => Math.fround(d)),
  fc.constantFrom(0, -0, 1, 0.1, 1 / 3, 1e-40, -1e-40, 3.4028235677973366e38, 1e39, -1e39),
);

/** A random tree of depth ≤ 5 in the model file's array form (node 0 is the root). */
function tree(splits: ReadonlyArray<{ f: number; t: number; leaf: boolean; v: number }>): GbdtTree {
  const t: { feature: number[]; threshold: number[]; left: number[]; right: number[]; value: number[] } = { feature: [], threshold: [], left: [], right: [], value: [] };
  let next = 0;
  const build = (depth: number): number => {
    const at = t.feature.length;
    const s = splits[next++ % splits.length]!;
    t.feature.push(-1); t.threshold.push(0); t.left.push(-1); t.right.push(-1); t.value.push(s.v);
    if (s.leaf || depth >= 5) return at;
    t.feature[at] = s.f; t.threshold[at] = s.t; t.value[at] = 0;
    t.left[at] = build(depth + 1);
    t.right[at] = build(depth + 1);
    return at;
  };
  build(0);
  return t;
}

const split = fc.record({ f: fc.integer({ min: 0, max: DIM - 1 }), t: number, leaf: fc.boolean(), v: fc.double({ noNaN: true, min: -2, max: 2 }) });
const model = fc.array(fc.array(split, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 11 }).map((ts): GbdtModelFile => ({
  format: 'jirachi-gbdt', version: 1, dim: DIM, featureVersion: 1, baseScore: 0.1, threshold: 0.5, trees: ts.map(tree),
}));
/** Feature vectors hitting thresholds exactly, special values, and vectors shorter (missing features read 0) or longer than the model. */
const features = fc.array(fc.oneof(number, fc.constantFrom(NaN, Infinity, -Infinity)), { minLength: DIM - 4, maxLength: DIM + 4 }).map((a) => Float32Array.from(a));

test('compiled scoring equals the tree walk bit for bit (thresholds at float32 boundaries, NaN, infinities, short and long vectors, 1-11 trees)', () => {
  fc.assert(fc.property(model, fc.array(features, { minLength: 1, maxLength: 8 }), (m, xs) => {
    const c = compileGbdt(m);
    for (const x of xs) {
      assert.ok(Object.is(scoreCompiledGbdt(c, x), scoreGbdt(m, x)));
      // Features set to split thresholds (rounded to float32 on the way in): the `<=` edge.
      const edge = Float32Array.from(x);
      m.trees.forEach((t) => t.feature.forEach((f, i) => { if (f >= 0 && f < edge.length && Number.isFinite(t.threshold[i]!)) edge[f] = t.threshold[i]!; }));
      assert.ok(Object.is(scoreCompiledGbdt(c, edge), scoreGbdt(m, edge)));
    }
  }), { numRuns: 400 });
});

test('float32Below gives the largest float32 not above its argument', () => {
  fc.assert(fc.property(fc.double({ noNaN: true }), (t) => {
    const f = float32Below(t);
    assert.equal(Math.fround(f), f);
    assert.ok(f <= t);
    if (f !== Infinity && f !== -Infinity) {
      // The next float32 above f is above t.
      const b = new Float32Array([f]);
      const u = new Uint32Array(b.buffer);
      if (f > 0 || Object.is(f, 0)) u[0] = u[0]! + 1; else if (f < 0) u[0] = u[0]! - 1; else b[0] = 1.401298464324817e-45; // -0
      assert.ok(b[0]! > t, `${t} -> ${f}, next ${b[0]}`);
    }
  }), { numRuns: 20000 });
  assert.ok(Number.isNaN(float32Below(NaN)));
  assert.equal(float32Below(Infinity), Infinity);
  assert.equal(float32Below(1e39), 3.4028234663852886e38);
  assert.equal(float32Below(-1e39), -Infinity);
});
