// Federated tree rounds with the detection engine's real trainer: acceptance, caps, refusal of degrading or malformed trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGbdt, scoreCompiledGbdt, trainGbdt, scoreGbdt, type GbdtModelFile } from '../../detect/index.js';
import { emptyGbdt, gbdtAdapter, treeCombiner, treeMargin, treeRound, validateTree, DEFAULT_TREE_SETTINGS, type BagTree } from './index.js';
import type { Dataset } from '../round/types.js';

/** Rows in [0,1]^4 from a fixed LCG; `rule` labels them (1 = attack). */
function rows(n: number, seed: number, rule: (x: Float32Array) => number): Dataset {
  let s = seed;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const X = Array.from({ length: n }, () => Float32Array.from([rnd(), rnd(), rnd(), rnd()]));
  return { X, y: X.map(rule) };
}
// Node a only sees attacks of kind "x0 high", node b only "x1 high"; the truth is either.
const truth = (x: Float32Array): number => (x[0]! > 0.7 || x[1]! > 0.7 ? 1 : 0);
const only = (n: number, seed: number, f: 0 | 1): Dataset => {
  const X = rows(n, seed, truth).X.filter((x) => x[1 - f]! <= 0.7);
  return { X, y: X.map(truth) };
};
const nodeA = only(400, 1, 0);
const nodeB = only(400, 2, 1);
const validation = rows(400, 3, truth);
const settings = { ...DEFAULT_TREE_SETTINGS, count: 12, depth: 3, subsample: 1, colsample: 1 };
const ops = { train: trainGbdt, score: scoreGbdt, parse: () => { throw new Error('unused'); } };
const adapter = gbdtAdapter(ops, settings, 1);
const global0 = emptyGbdt(4, 1);
const roundOpts = { dim: 4, maxTreesPerNode: 8, tolerance: 0.01, combine: 'sum' as const };
const contribute = (d: Dataset, g: GbdtModelFile, round = 1): unknown =>
  adapter.contribute(d, g, { round, localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0, trees: settings }).contribution;
const accuracy = (m: GbdtModelFile, d: Dataset): number => d.X.filter((x, i) => (scoreGbdt(m, x) >= 0.5 ? 1 : 0) === d.y[i]).length / d.X.length;

test('trainGbdt({ init }) continues boosting: the init trees come first and the margins add up', () => {
  const first = trainGbdt(nodeA.X, nodeA.y, { ...adapter.initial(4), trees: 3, depth: 2, eta: 0.3, lambda: 1, gamma: 0, minChildWeight: 1, bins: 16, subsample: 1, colsample: 1, seed: 1 });
  const more = trainGbdt(nodeB.X, nodeB.y, { trees: 4, depth: 2, eta: 0.3, lambda: 1, gamma: 0, minChildWeight: 1, bins: 16, subsample: 1, colsample: 1, seed: 2, init: first });
  assert.equal(more.trees.length, 7);
  assert.deepEqual(more.trees.slice(0, 3), first.trees);
  assert.equal(more.baseScore, first.baseScore);
  assert.ok(!('init' in ((more.meta?.['params'] ?? {}) as object)), 'the init model is not copied into meta');
  assert.ok(accuracy(more, nodeB) > accuracy(first, nodeB), 'the new trees learn node b\'s attacks');
});

test('tree rounds: nodes with disjoint attack kinds teach each other over rounds, capped per node; the model file agrees with the margins', () => {
  let g = global0;
  const accepted = new Set<string>();
  let last = treeRound(g, [], validation, roundOpts);
  for (let round = 1; round <= 3; round++) {
    last = treeRound(g, [{ nodeId: 'b', contribution: contribute(nodeB, g, round) }, { nodeId: 'a', contribution: contribute(nodeA, g, round) }], validation, roundOpts);
    assert.deepEqual(last.decisions.map((d) => d.nodeId), ['a', 'b']);
    for (const d of last.decisions) { assert.equal(d.trees, 8); if (d.accepted) accepted.add(d.nodeId); }
    assert.ok(last.after >= last.before - roundOpts.tolerance, `round ${round}: ${last.after} < ${last.before}`);
    assert.deepEqual(last.model.trees.slice(0, g.trees.length), g.trees);
    g = last.model;
  }
  assert.deepEqual([...accepted].sort(), ['a', 'b']);
  assert.equal(accuracy(g, validation), last.after);
  // Either node alone misses the other's attacks; the federated model is better than both.
  const alone = [nodeA, nodeB].map((d) => accuracy(trainGbdt(d.X, d.y, { trees: 24, depth: 3, eta: 0.3, lambda: 1, gamma: 0, minChildWeight: 1, bins: 32, subsample: 1, colsample: 1, seed: 1 }), validation));
  assert.ok(last.after > Math.max(...alone) && last.after > 0.9, `federated ${last.after}, alone ${alone.join(', ')}`);
  // The model file (what the engine and `jirachi eval` score) agrees with the round's margins.
  for (const x of validation.X.slice(0, 50)) assert.ok(Math.abs(scoreGbdt(g, x) - 1 / (1 + Math.exp(-treeMargin(g, x)))) < 1e-9);
});

test('tree round: a degrading contribution (label flipping, or amplified trees) is refused and the honest trees stay', () => {
  const flipped = { X: nodeB.X, y: nodeB.y.map((v) => 1 - v) };
  for (const evil of [contribute(flipped, global0), adapter.amplify!(contribute(nodeB, global0), -10)]) {
    const r = treeRound(global0, [{ nodeId: 'a', contribution: contribute(nodeA, global0) }, { nodeId: 'e', contribution: evil }], validation, roundOpts);
    assert.deepEqual(r.decisions.map((d) => [d.nodeId, d.accepted]), [['a', true], ['e', false]]);
    assert.match(r.decisions[1]!.reason, /alone|without its trees/);
    assert.equal(r.model.trees.length, 8);
    assert.ok(r.after > r.before);
  }
  // A label-flipping copy of an honest node cancels that node's trees within the round; judged alone it is refused.
  const mirror = treeRound(global0, [{ nodeId: 'a', contribution: contribute(nodeA, global0) }, { nodeId: 'b', contribution: contribute(nodeB, global0) },
    { nodeId: 'e', contribution: contribute({ X: nodeA.X, y: nodeA.y.map((v) => 1 - v) }, global0) }], validation, roundOpts);
  assert.deepEqual([mirror.decisions[0]!.accepted, mirror.decisions[2]!.accepted], [true, false]);
  assert.match(mirror.decisions[2]!.reason, /alone/);
  assert.ok(mirror.after > mirror.before);
  // Alone, a degrading contribution is compared with the global model as it was, and refused.
  const lone = treeRound(global0, [{ nodeId: 'e', contribution: contribute(flipped, global0) }], validation, roundOpts);
  assert.equal(lone.decisions[0]!.accepted, false);
  assert.equal(lone.model.trees.length, 0);
});

test('tree round: malformed trees (cycles, features out of range, non-finite values) are refused with a reason; a full model refuses more', () => {
  const ok = { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, -1, 1] };
  assert.ok(validateTree(ok, 4, 16).ok);
  const bad = [{ ...ok, left: [0, 0, 0] }, { ...ok, feature: [9, -1, -1] }, { ...ok, value: [0, Number.NaN, 1] }, { ...ok, right: [2, 0] }];
  for (const b of bad) assert.ok(!validateTree(b, 4, 16).ok);
  assert.ok(!validateTree(ok, 4, 2).ok);
  const r = treeRound(global0, [{ nodeId: 'x', contribution: { trees: [ok, bad[0]] } }, { nodeId: 'y', contribution: { trees: 'no' } }, { nodeId: 'z', contribution: null }], validation, roundOpts);
  assert.deepEqual(r.decisions.map((d) => [d.nodeId, d.accepted]), [['x', false], ['y', false], ['z', false]]);
  assert.match(r.decisions[0]!.reason, /trees\[1\]: tree: node 0 children/);
  assert.equal(r.model.trees.length, 0);
  const full = treeRound(global0, [{ nodeId: 'a', contribution: contribute(nodeA, global0) }], validation, { ...roundOpts, maxTotalTrees: 5 });
  assert.equal(full.decisions[0]!.accepted, false);
  assert.match(full.decisions[0]!.reason, /full/);
});

test('tree combiner: sends the tree settings, reports accepted/refused nodes and validation accuracy, records the rounds in meta', () => {
  const c = treeCombiner({ ...roundOpts, validation, trees: settings });
  assert.deepEqual(c.configureRound({ round: 1, localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0 }).trees, settings);
  const flipped = { X: nodeB.X, y: nodeB.y.map((v) => 1 - v) };
  const out = c.combine(global0, 1, [{ nodeId: 'a', contribution: contribute(nodeA, global0) }, { nodeId: 'e', contribution: contribute(flipped, global0) }])!;
  assert.deepEqual([out.accepted, out.rejected], [['a'], ['e']]);
  assert.ok(out.info['validationAfter']! > out.info['validationBefore']!);
  assert.equal(out.info['treesTotal'], 8);
  assert.deepEqual(out.model.meta, { federated: { rounds: 1, trees: 8 } });
});

test('tree round: every node is checked against the engine schema, leaves too, and trees are rebuilt from the checked numbers', () => {
  const ok = { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, -1, 1] };
  let deep: unknown = 0;
  for (let i = 0; i < 3000; i++) deep = [deep];
  const bad = [
    { ...ok, feature: [0, -5, -1] }, { ...ok, feature: [0, -1, -1.5] }, { ...ok, threshold: [0.5, 'x', 0] }, { ...ok, threshold: [0.5, deep, 0] },
    { ...ok, left: [1, null, 0] }, { ...ok, right: [2, 0, Number.POSITIVE_INFINITY] },
    { feature: [0, 1, -1], threshold: [0.5, 0.5, 0], left: [1, 2, 0], right: [2, 2, 0], value: [0, 0, 1] }, // shared subtree / two parents
    { feature: [0, -1, -1, -1], threshold: [0.5, 0, 0, 0], left: [1, 0, 0, 0], right: [2, 0, 0, 0], value: [0, -1, 1, 1] }, // node 3 unreachable
  ];
  for (const b of bad) assert.ok(!validateTree(b, 4, 16).ok, JSON.stringify(b).slice(0, 80));
  const one = validateTree({ feature: [-1], threshold: [7], left: [3], right: [9], value: [0.5] }, 4, 16);
  assert.ok(one.ok);
  assert.deepEqual(one.value, { feature: [-1], threshold: [0], left: [0], right: [0], value: [0.5] }, 'leaf fields rebuilt');
  const extra = validateTree({ ...ok, extra: 'x', feature: Object.assign([0, -1, -1], { junk: 1 }) }, 4, 16);
  assert.ok(extra.ok);
  assert.deepEqual(Object.keys(extra.value).sort(), ['feature', 'left', 'right', 'threshold', 'value']);
  const r = treeRound(global0, [{ nodeId: 'evil', contribution: { trees: [{ ...ok, threshold: [0.5, deep, 0] }] } }], validation, roundOpts);
  assert.equal(r.decisions[0]!.accepted, false);
  assert.equal(r.model.trees.length, 0);
});

/** A chain of `d` splits on feature 1 (x1 <= 1e30 always goes left) ending in a leaf of value `deep`; right children are 0 leaves. */
function chain(d: number, deep: number): BagTree {
  const t: BagTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  for (let i = 0; i < d; i++) { t.feature.push(1); t.threshold.push(1e30); t.left.push(i + 1); t.right.push(d + 1 + i); t.value.push(0); }
  t.feature.push(-1); t.threshold.push(0); t.left.push(0); t.right.push(0); t.value.push(deep);
  for (let i = 0; i < d; i++) { t.feature.push(-1); t.threshold.push(0); t.left.push(0); t.right.push(0); t.value.push(0); }
  return t;
}

test('tree round: trees deeper than the round depth, all-zero contributions and models past the byte cap are refused', () => {
  assert.ok(validateTree(chain(3, 1), 4, 1024, 3).ok);
  const d4 = validateTree(chain(4, 1), 4, 1024, 3);
  assert.ok(!d4.ok && /deeper than 3/.test(d4.error));
  const deep = treeRound(global0, [{ nodeId: 'd', contribution: { trees: [chain(80, -20)] } }], validation, { ...roundOpts, maxDepth: 3 });
  assert.equal(deep.decisions[0]!.accepted, false);
  assert.match(deep.decisions[0]!.reason, /deeper than 3|one equal length in \[1, 15\]/);
  // The combiner takes the depth from the round's settings (depth 3 here).
  const c = treeCombiner({ ...roundOpts, validation, trees: settings });
  assert.deepEqual(c.combine(global0, 1, [{ nodeId: 'd', contribution: { trees: [chain(4, -20)] } }])!.rejected, ['d']);
  const zeros = treeRound(global0, [{ nodeId: 'z', contribution: { trees: Array(8).fill(chain(3, 1e-12)) } }], validation, roundOpts);
  assert.match(zeros.decisions[0]!.reason, /every leaf is below/);
  const a = contribute(nodeA, global0) as { trees: BagTree[] };
  const bytes = JSON.stringify(a.trees.slice(0, 8)).length;
  const capped = treeRound(global0, [{ nodeId: 'a', contribution: a }], validation, { ...roundOpts, maxModelBytes: bytes - 1 });
  assert.equal(capped.decisions[0]!.accepted, false);
  assert.match(capped.decisions[0]!.reason, /would take \d+ bytes of JSON/);
  assert.ok(treeRound(global0, [{ nodeId: 'a', contribution: a }], validation, { ...roundOpts, maxModelBytes: bytes + 2 }).decisions[0]!.accepted); // + the empty global's []
});

test('rollout gate scores GBDT models as the engine serves them (compiled, full depth), not with the 64-step tree walk', () => {
  // Engine-valid model whose only tree sends every input 80 levels down to a leaf of −20 (base +3).
  const m: GbdtModelFile = { ...emptyGbdt(4, 1), baseScore: 3, trees: [chain(80, -20)] };
  const d: Dataset = { X: validation.X.slice(0, 20), y: new Array<number>(20).fill(1) };
  const gate = gbdtAdapter({ ...ops, scorer: (mm) => { const c = compileGbdt(mm); return (x) => scoreCompiledGbdt(c, x); } }, settings, 1);
  assert.equal(scoreGbdt(m, d.X[0]!) > 0.5, true, 'the 64-step walk stops before the leaf');
  assert.equal(gate.evaluate(m, d).accuracy, 0, 'the gate sees the deep leaf: every attack is missed');
});
