// E2E: `jirachi federation simulate --model gbdt-hist`: histogram boosting over real gRPC/TLS on loopback equals the in-process protocol; a node sending impossible histograms is refused every round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSplits } from '../../bench/federation-splits.js';
import { bin, corpus, hasOpenssl, type Summary } from './federation-fixture.js';
import { featurize, trainGbdt, FEATURE_DIM, type GbdtModelFile } from '../../src/detect/index.js';
import { loadDataset, splitValidation, trainFederatedHist, DEFAULT_HIST_SETTINGS } from '../../src/federation/index.js';


const simulate = (data: string, nodes: number[], out: string, extra: string[]): { status: number | null; stderr: string } =>
  spawnSync(process.execPath, [bin, 'federation', 'simulate', ...nodes.flatMap((i) => ['--data', join(data, `node-${i}.jsonl`)]), '--model', 'gbdt-hist',
    '--rounds', '2', '--trees-per-round', '5', '--local-trees', '10', '--out', out, '--round-timeout', '20000', '--verbose', ...extra],
  { encoding: 'utf8', timeout: 50_000 });

test('simulate --model gbdt-hist over gRPC/TLS builds the same trees as the in-process protocol; impossible histograms are refused', { timeout: 120_000 }, async (t) => {
  if (!hasOpenssl) { t.skip('openssl CLI not installed (apt-get install openssl)'); return; }
  if (!existsSync(corpus)) { t.skip(`corpus not found at ${corpus}`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-fed-hist-'));
  try {
    const data = join(dir, 'data');
    buildSplits(corpus, data, 120, 3, 20);
    // 1. Three honest non-IID nodes: the global model equals trainFederatedHist on their training splits (same sketches, seeds, sums).
    const out = join(dir, 'sim');
    const r = simulate(data, [1, 2, 3], out, []);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.model, 'gbdt-hist');
    for (const round of s.rounds) {
      assert.deepEqual(round.accepted, ['node-1', 'node-2', 'node-3']);
      assert.equal(round.info['treesGrown'], 5);
      assert.ok(round.bytesPerNode > 0);
    }
    for (const n of s.nodeReports) { assert.deepEqual(n.refusedModels, []); assert.equal(n.decisions.length, 3); }
    const global = JSON.parse(readFileSync(join(out, 'global-model.json'), 'utf8')) as GbdtModelFile;
    const parts = await Promise.all([1, 2, 3].map(async (i) => {
      const d = await loadDataset(join(data, `node-${i}.jsonl`), featurize);
      assert.ok(d.ok);
      return splitValidation(d.value, 0.2, `node-${i}`).train;
    }));
    const local = trainFederatedHist(parts, 512, { ...DEFAULT_HIST_SETTINGS, trees: 5 }, 2).model;
    assert.equal(global.trees.length, 10);
    assert.equal(global.baseScore, local.baseScore);
    assert.deepEqual(global.trees, local.trees);
    // The model is an ordinary engine file: `jirachi eval --only-model` loads and scores it.
    const e = spawnSync(process.execPath, [bin, 'eval', '--model', join(out, 'global-model.json'), '--only-model', '--json',
      '--corpus', ...['sqli', 'xss', 'path-traversal', 'cmdi', 'benign'].map((c) => join(data, `test-${c}.jsonl`))], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(e.status, 0, e.stderr);
    const pc = (JSON.parse(e.stdout) as { per_class: Record<string, { tpr?: number; tnr?: number }> }).per_class;
    assert.ok((pc['xss']?.tpr ?? 0) > 0.5 && (pc['path-traversal']?.tpr ?? 0) > 0.5 && (pc['benign']?.tnr ?? 0) > 0.8, JSON.stringify(pc));
    // 2. A 4th node multiplies its histograms by −1 (negative hessians): refused in every round with the reason; the others still build trees.
    const out2 = join(dir, 'sim-bad');
    const r2 = simulate(data, [1, 2, 3, 1], out2, ['--poison', '4:scale:-1']);
    assert.equal(r2.status, 0, r2.stderr);
    const s2 = JSON.parse(readFileSync(join(out2, 'summary.json'), 'utf8')) as Summary;
    for (const round of s2.rounds) {
      assert.deepEqual(round.rejected, ['node-4'], JSON.stringify(round));
      assert.deepEqual(round.accepted, ['node-1', 'node-2', 'node-3']);
      assert.equal(round.info['treesGrown'], 5);
    }
    assert.match(r2.stderr, /round 1: node-4 refused for this round \(tree 0\): histograms: frontier node 0: (negative hessian total|\|G\|)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('federation server --model gbdt-hist refuses --secagg', () => {
  const r = spawnSync(process.execPath, [bin, 'federation', 'server', '--listen', '127.0.0.1:0', '--registry', '/nonexistent', '--key', '/nonexistent',
    '--model', 'gbdt-hist', '--secagg'], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--secagg works with vector models only/);
});

test('federation server --model gbdt-hist refuses settings whose final model would not fit a signed task', () => {
  const r = spawnSync(process.execPath, [bin, 'federation', 'server', '--listen', '127.0.0.1:0', '--registry', '/nonexistent', '--key', '/nonexistent',
    '--model', 'gbdt-hist', '--tree-depth', '8', '--trees-per-round', '1000', '--rounds', '3'], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /3000 trees of depth 8, at most 256 fit a signed model/);
});

test('on real features (bench splits, 3 non-IID nodes) federated histogram trees equal trainGbdt on the union: gain ties break alike', { timeout: 60_000 }, async (t) => {
  if (!existsSync(corpus)) { t.skip(`corpus not found at ${corpus}`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-fed-ties-'));
  try {
    buildSplits(corpus, dir, 50, 3, 20);
    const parts = [];
    for (const i of [1, 2, 3]) { const d = await loadDataset(join(dir, `node-${i}.jsonl`), featurize); assert.ok(d.ok); parts.push(d.value); }
    const union = { X: parts.flatMap((p) => p.X), y: parts.flatMap((p) => p.y) };
    const s = { ...DEFAULT_HIST_SETTINGS, trees: 15, subsample: 1, colsample: 1 };
    const fed = trainFederatedHist(parts, FEATURE_DIM, s, 1);
    const central = trainGbdt(union.X, union.y, { trees: s.trees, depth: s.depth, eta: s.eta, lambda: s.lambda, gamma: s.gamma, minChildWeight: s.minChildWeight,
      bins: s.bins, subsample: 1, colsample: 1, seed: 3, cuts: fed.cuts });
    assert.equal(fed.model.trees.length, central.trees.length);
    fed.model.trees.forEach((tr, k) => {
      const c = central.trees[k]!;
      assert.deepEqual([tr.feature, tr.threshold, tr.left, tr.right], [c.feature, c.threshold, c.left, c.right], `tree ${k}: structure`);
      tr.value.forEach((v, i) => assert.ok(Math.abs(v - c.value[i]!) <= 2e-6, `tree ${k} node ${i}: leaf ${v} vs ${c.value[i]}`));
    });
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
