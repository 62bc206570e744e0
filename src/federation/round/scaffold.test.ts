// The drift-corrected local solver: without correction it matches the engine's trainer; its gradient matches finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainWeightModel } from '../../detect/index.js';
import { logisticGradient, trainCorrected } from './scaffold.js';
import type { Dataset } from './types.js';

const d: Dataset = (() => {
  let s = 7;
  const r = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const X = Array.from({ length: 90 }, () => Float32Array.from([r(), r() > 0.5 ? r() : 0, r() * 3]));
  return { X, y: X.map((x) => (x[0]! + x[1]! > 0.9 ? 1 : 0)) };
})();

test('with no correction the solver is the engine\'s trainer (same schedule, same shuffles)', () => {
  const m = trainWeightModel([...d.X], [...d.y], { epochs: 3, lr: 0.7, l2: 1e-3, seed: 5 });
  const p = trainCorrected(d, new Float64Array(4), { epochs: 3, lr: 0.7, l2: 1e-3, seed: 5 });
  [...m.weights, m.bias].forEach((v, i) => assert.ok(Math.abs(v - (p[i] as number)) < 2e-6, `${i}: ${v} vs ${p[i]}`));
});

test('logisticGradient matches a finite-difference gradient of the regularized loss; a correction shifts the solution', () => {
  const w = Float64Array.from([0.3, -0.2, 0.1, 0.05]);
  const loss = (v: Float64Array): number => {
    let l = 0;
    d.X.forEach((x, i) => { const z = v[3]! + v[0]! * x[0]! + v[1]! * x[1]! + v[2]! * x[2]!; const p = 1 / (1 + Math.exp(-z)); l -= d.y[i] ? Math.log(p) : Math.log(1 - p); });
    return l / d.X.length + 0.5 * 1e-2 * (v[0]! ** 2 + v[1]! ** 2 + v[2]! ** 2);
  };
  const g = logisticGradient(d, w, 1e-2);
  for (let j = 0; j < 4; j++) {
    const a = Float64Array.from(w); const b = Float64Array.from(w);
    a[j]! += 1e-6; b[j]! -= 1e-6;
    assert.ok(Math.abs((loss(a) - loss(b)) / 2e-6 - g[j]!) < 1e-5, `coordinate ${j}`);
  }
  const plain = trainCorrected(d, w, { epochs: 2, lr: 0.5, l2: 0, seed: 1 });
  const pushed = trainCorrected(d, w, { epochs: 2, lr: 0.5, l2: 0, seed: 1, correction: Float64Array.from([0, 0, 0, 0.5]) });
  assert.ok(pushed[3]! < plain[3]!);
});
