// Federated histogram boosting: trees over k partitions equal central trees on their union; malformed histograms are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, trainGbdt, scoreGbdt, type GbdtModelFile } from '../../detect/index.js';
import type { Dataset } from '../round/types.js';
import {
  decodeHistograms, decodeSketch, encodeHistograms, encodeSketch, histLayout, HistWorker, nodeSketch, trainFederatedHist, DEFAULT_HIST_SETTINGS,
  type HistSettings, type NodeHistograms,
} from './index.js';

const DIM = 6;
/** Synthetic rows: dense, sparse and integer features; the label depends on them non-linearly, with 5 % noise. */
function synth(n: number, seed: number): Dataset {
  const r = new Rng(seed);
  const X: Float32Array[] = []; const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Float32Array.from([r.next(), r.next() < 0.5 ? 0 : 5 * r.next(), r.next() + r.next() - 1, Math.floor(5 * r.next()), r.next(), r.next() < 0.8 ? 0 : r.next() * 100]);
    const label = (x[0]! > 0.6 && x[3]! >= 2) || x[1]! > 4 || x[4]! < 0.1 || x[5]! > 90 ? 1 : 0;
    X.push(x); y.push(r.next() < 0.05 ? 1 - label : label);
  }
  return { X, y };
}
/** Non-IID partitions: by the first feature's range (so each node sees different attack regions). */
function partition(d: Dataset, k: number): Dataset[] {
  const parts = Array.from({ length: k }, () => ({ X: [] as Float32Array[], y: [] as number[] }));
  d.X.forEach((x, i) => { const p = parts[Math.min(k - 1, Math.floor(x[0]! * k))]!; p.X.push(x); p.y.push(d.y[i]!); });
  return parts;
}

const exact: HistSettings = { ...DEFAULT_HIST_SETTINGS, trees: 12, depth: 3, subsample: 1, colsample: 1 };

function assertSameTrees(fed: GbdtModelFile, central: GbdtModelFile): void {
  assert.equal(fed.trees.length, central.trees.length);
  assert.ok(Math.abs(fed.baseScore - central.baseScore) < 1e-6);
  fed.trees.forEach((t, k) => {
    const c = central.trees[k]!;
    assert.deepEqual(t.feature, c.feature, `tree ${k}: split features`);
    assert.deepEqual(t.threshold, c.threshold, `tree ${k}: thresholds`);
    assert.deepEqual([t.left, t.right], [c.left, c.right], `tree ${k}: structure`);
    t.value.forEach((v, i) => assert.ok(Math.abs(v - c.value[i]!) <= 2e-6, `tree ${k} node ${i}: leaf ${v} vs ${c.value[i]}`));
  });
}

test('federated histogram trees over k partitions equal trainGbdt on the union with the same bin edges', () => {
  const all = synth(1500, 7);
  for (const k of [1, 2, 3, 5]) {
    const parts = partition(all, k);
    const union: Dataset = { X: parts.flatMap((p) => p.X), y: parts.flatMap((p) => p.y) };
    for (const s of [exact, { ...exact, depth: 4, lambda: 5, eta: 0.2 }]) {
      const fed = trainFederatedHist(parts, DIM, s, 1);
      const central = trainGbdt(union.X, union.y, { trees: s.trees, depth: s.depth, eta: s.eta, lambda: s.lambda, gamma: s.gamma,
        minChildWeight: s.minChildWeight, bins: s.bins, subsample: 1, colsample: 1, seed: 3, cuts: fed.cuts });
      assert.ok(fed.model.trees.some((t) => t.feature.length >= 7), 'trees actually split');
      assertSameTrees(fed.model, central);
    }
  }
});

test('several rounds continue the same boosting; merged sketch edges give a model as accurate as central quantile edges', () => {
  const all = synth(2400, 11);
  const test2 = synth(1000, 12);
  const parts = partition(all, 3);
  const union: Dataset = { X: parts.flatMap((p) => p.X), y: parts.flatMap((p) => p.y) };
  const threeRounds = trainFederatedHist(parts, DIM, { ...exact, trees: 5 }, 3);
  const central = trainGbdt(union.X, union.y, { trees: 15, depth: 3, eta: exact.eta, lambda: exact.lambda, gamma: 0, minChildWeight: 1, bins: 32,
    subsample: 1, colsample: 1, seed: 3, cuts: threeRounds.cuts });
  assertSameTrees(threeRounds.model, central);
  const acc = (m: GbdtModelFile): number => test2.X.filter((x, i) => (scoreGbdt(m, x) >= 0.5 ? 1 : 0) === test2.y[i]).length / test2.y.length;
  const own = trainGbdt(union.X, union.y, { trees: 15, depth: 3, eta: exact.eta, lambda: 1, gamma: 0, minChildWeight: 1, bins: 32, subsample: 1, colsample: 1, seed: 3 });
  assert.ok(Math.abs(acc(threeRounds.model) - acc(own)) < 0.02, `${acc(threeRounds.model)} vs ${acc(own)}`);
  // With sampling on, the protocol still runs and learns (not equal to central: the row samples differ).
  const sampled = trainFederatedHist(parts, DIM, { ...DEFAULT_HIST_SETTINGS, trees: 15 }, 1);
  assert.ok(acc(sampled.model) > 0.85, String(acc(sampled.model)));
});

function validHistograms(): { h: NodeHistograms; layout: ReturnType<typeof histLayout>; n: number } {
  const d = synth(300, 5);
  const layout = histLayout(trainFederatedHist([d], DIM, { ...exact, trees: 1 }).cuts);
  const w = new HistWorker(d, layout, 'node-1', { subsample: 1, seed: 1 });
  w.reset({ baseScore: 0, trees: [] });
  const h = w.histograms({ treeIndex: 0, tree: { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, 0, 0] }, frontier: [1, 2] });
  return { h, layout, n: d.y.length };
}

test('malformed histograms are refused with the reason (shape, NaN, negative hessian, absurd magnitude, rows)', () => {
  const { h, layout, n } = validHistograms();
  const bounds = { slots: 2, layout, maxRows: n };
  assert.ok(decodeHistograms(encodeHistograms(h), bounds).ok);
  const tamper = (f: (c: { totals: Float64Array; index: Uint32Array; g: Float64Array; h: Float64Array }) => void): string => {
    const c = { totals: h.totals.slice(), index: h.index.slice(), g: h.g.slice(), h: h.h.slice() };
    f(c);
    const r = decodeHistograms(encodeHistograms({ slots: 2, ...c }), bounds);
    assert.ok(!r.ok, 'must be refused');
    return r.error;
  };
  assert.match(tamper((c) => { c.g[3] = NaN; }), /feature \d+, bin \d+: non-finite value/);
  assert.match(tamper((c) => { c.h[2] = -0.2; }), /negative hessian -0.2/);
  assert.match(tamper((c) => { c.g[0] = 1e9; }), /\|g\| 1000000000 > \d+ rows/);
  assert.match(tamper((c) => { c.totals[1] = 1e6; }), /frontier node 0: .*impossible for \d+ rows under log loss/);
  assert.match(tamper((c) => { c.totals[4] = -1; }), /frontier node 1: negative hessian total/);
  assert.match(tamper((c) => { c.totals[2] = n + 1; }), /rows in the frontier, the node declared/);
  assert.match(tamper((c) => { c.index[1] = c.index[0]!; }), /indices not strictly increasing/);
  assert.match(tamper((c) => { c.index[c.index.length - 1] = 2 * layout.total + 5; }), /outside 2 frontier nodes/);
  assert.match(tamper((c) => { c.index[0] = 0; }), /bin 0 is implied by the totals/);
  assert.match(tamper((c) => { c.h[0] = c.totals[1]! * 2; }), /bins hold hessian .* > the node's total/);
  const blobs = encodeHistograms(h);
  assert.match((decodeHistograms(blobs.slice(0, 3), bounds) as { error: string }).error, /expected 4 blobs/);
  assert.match((decodeHistograms(blobs, { ...bounds, slots: 3 }) as { error: string }).error, /totals for 2 frontier nodes, the level has 3/);
  assert.match((decodeHistograms([blobs[0]!, blobs[1]!.subarray(8), blobs[2]!, blobs[3]!], bounds) as { error: string }).error, /differ in length/);
});

test('malformed sketches are refused; a sketch holds counts and quantiles, never rows', () => {
  const d = synth(500, 9);
  const e = encodeSketch(nodeSketch(d, DIM));
  const ok = decodeSketch(e.json, e.blob, DIM, 1e6);
  assert.ok(ok.ok);
  assert.ok(ok.value.values.every((v) => v.length <= 65));
  assert.match((decodeSketch({ ...e.json, n: 0 }, e.blob, DIM, 1e6) as { error: string }).error, /n must be an integer/);
  assert.match((decodeSketch({ ...e.json, nnz: [1, 2] }, e.blob, DIM, 1e6) as { error: string }).error, /need 6 entries/);
  const bad = Buffer.from(e.blob); bad.writeFloatLE(NaN, 4);
  assert.match((decodeSketch(e.json, bad, DIM, 1e6) as { error: string }).error, /non-finite|not ascending/);
  assert.match((decodeSketch(e.json, e.blob.subarray(0, e.blob.length - 4), DIM, 1e6) as { error: string }).error, /shorter than the counts/);
});
