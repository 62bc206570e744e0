// Federated bagging of GBDT trees with the detection engine's real trainer: acceptance, caps, refusal of bad or malformed trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainGbdt, scoreGbdt, type GbdtModelFile } from '../../detect/index.js';
import { bagRound, bagToModel, bagMargin, validateTree, type TreeContribution } from './index.js';
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
const nodeA = rows(400, 1, (x) => (x[0]! > 0.7 ? 1 : 0)).X.filter((x) => x[1]! <= 0.7);
const nodeB = rows(400, 2, (x) => (x[1]! > 0.7 ? 1 : 0)).X.filter((x) => x[0]! <= 0.7);
const ds = (X: Float32Array[]): Dataset => ({ X, y: X.map(truth) });
const validation = rows(400, 3, truth);
const opts = { trees: 12, depth: 3, eta: 0.3, lambda: 1, gamma: 0, minChildWeight: 1, bins: 32, subsample: 1, colsample: 1, seed: 1 };
const contribution = (nodeId: string, d: Dataset): TreeContribution & { model: GbdtModelFile } => {
  const m = trainGbdt([...d.X], [...d.y], opts);
  return { nodeId, round: 1, baseScore: m.baseScore, trees: m.trees, model: m };
};
const bagOpts = { dim: 4, featureVersion: 1, maxTreesPerNode: 8, tolerance: 0.01 };
const accuracy = (score: (x: Float32Array) => number, d: Dataset): number => d.X.filter((x, i) => (score(x) >= 0.5 ? 1 : 0) === d.y[i]).length / d.X.length;

test('bagging: both nodes\' trees are accepted, the bag is no worse than either node alone, trees are capped per node', () => {
  // Two nodes with small samples of the same traffic (bagging's setting).
  const a = contribution('a', rows(120, 11, truth));
  const b = contribution('b', rows(120, 12, truth));
  const r = bagRound([], [b, a], validation, bagOpts);
  assert.deepEqual(r.decisions.map((d) => [d.nodeId, d.accepted]), [['a', true], ['b', true]]);
  assert.ok(r.members.every((m) => m.trees.length === 8));
  const model = bagToModel(r.members, { dim: 4, featureVersion: 1 });
  assert.equal(model.trees.length, 16);
  const bagAcc = accuracy((x) => scoreGbdt(model as unknown as GbdtModelFile, x), validation);
  assert.ok(bagAcc >= Math.min(accuracy((x) => scoreGbdt(a.model, x), validation), accuracy((x) => scoreGbdt(b.model, x), validation)), `bag ${bagAcc}`);
  assert.ok(bagAcc > 0.9, `bag ${bagAcc}`);
  // The model file and the bag agree on every margin.
  for (const x of validation.X.slice(0, 50)) {
    const p = scoreGbdt(model as unknown as GbdtModelFile, x);
    assert.ok(Math.abs(p - 1 / (1 + Math.exp(-bagMargin(r.members, x)))) < 1e-9);
  }
});

test('bagging: on disjoint attack kinds, averaging dilutes and the validation gate refuses the trees that would cost accuracy', () => {
  const r = bagRound([], [contribution('a', ds(nodeA)), contribution('b', ds(nodeB))], validation, bagOpts);
  assert.equal(r.decisions[0]!.accepted, true);
  // Whatever is decided, the bag never ends below the best accuracy seen minus the tolerance.
  const accs = r.decisions.map((d) => d.validation!.accuracy);
  const final = bagRound(r.members, [], validation, bagOpts);
  assert.equal(final.members.length, r.members.length);
  const kept = r.decisions.filter((d) => d.accepted).map((d) => d.validation!.accuracy);
  assert.ok((kept.at(-1) as number) >= Math.max(...kept) - 0.01 && accs.length === 2);
});

test('bagging: a label-flipping node\'s trees are refused, a later honest round replaces a node\'s member', () => {
  const a = contribution('a', ds(nodeA));
  const flipped = ds(nodeB);
  const evil = contribution('e', { X: flipped.X, y: flipped.y.map((v) => 1 - v) });
  const r = bagRound([], [a, evil], validation, bagOpts);
  assert.deepEqual(r.decisions.map((d) => [d.nodeId, d.accepted]), [['a', true], ['e', false]]);
  assert.deepEqual(r.members.map((m) => m.nodeId), ['a']);
  const a2 = { ...contribution('a', ds(nodeA)), round: 2 };
  const r2 = bagRound(r.members, [a2], validation, bagOpts);
  assert.equal(r2.members.length, 1);
  assert.equal(r2.members[0]!.round, 2);
});

test('bagging: malformed trees (cycles, features out of range, non-finite values) are refused with a reason', () => {
  const ok = { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, -1, 1] };
  assert.ok(validateTree(ok, 4, 16).ok);
  const bad = [
    { ...ok, left: [0, 0, 0] },
    { ...ok, feature: [9, -1, -1] },
    { ...ok, value: [0, Number.NaN, 1] },
    { ...ok, right: [2, 0] },
    { feature: [-1], threshold: [0], left: [0], right: [0], value: [1] , extra: 1 },
  ];
  assert.ok(!validateTree(bad[0], 4, 16).ok && !validateTree(bad[1], 4, 16).ok && !validateTree(bad[2], 4, 16).ok && !validateTree(bad[3], 4, 16).ok);
  assert.ok(validateTree(bad[4], 4, 16).ok);
  assert.ok(!validateTree(ok, 4, 2).ok);
  const r = bagRound([], [{ nodeId: 'x', round: 1, baseScore: 0, trees: [bad[0]] }, { nodeId: 'y', baseScore: 'no' }], validation, bagOpts);
  assert.ok(r.decisions.every((d) => !d.accepted));
  assert.equal(r.members.length, 0);
});
