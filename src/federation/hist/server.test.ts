// Histogram-boosting server in process: submissions bounded and reduced on arrival; one node's inflated sketch cannot set the edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { Rng, type GbdtModelFile } from '../../detect/index.js';
import { generateIdentity, signModel } from '../auth/index.js';
import type { Body, FederationTransport } from '../transport/index.js';
import { clampSketchWeights, DEFAULT_HIST_SETTINGS, encodeCuts, encodeSketch, HistClient, HistServer, histModel, mergeSketches, nodeSketch, pooledBaseScore, type NodeSketch } from './index.js';

const DIM = 4;
function rows(n: number, seed: number): { X: Float32Array[]; y: number[] } {
  const r = new Rng(seed);
  const X = Array.from({ length: n }, () => Float32Array.from([r.next(), r.next(), r.next(), r.next()]));
  return { X, y: X.map((x) => (x[0]! > 0.7 ? 1 : 0)) };
}
const body = (json: unknown, blobs: Buffer[] = []): Body => ({ json, blobs });

test('hist server: oversized submissions are refused; metrics are whitelisted finite numbers, kept once per node and round', async () => {
  const key = generateIdentity('server').privateKey;
  const srv = new HistServer({ rounds: 1, minClients: 1, settings: { ...DEFAULT_HIST_SETTINGS, trees: 1, depth: 1 }, dim: DIM, signingKey: key, signer: 'server',
    stepTimeoutMs: 3_000, joinTimeoutMs: 3_000, roundBudgetMs: 10_000 });
  const h = srv.handlers;
  await h.Join('a', body({}));
  const run = srv.run();
  const t1 = (await h.GetTask('a', body({ afterStep: 0 }))).json as { kind: string; step: number };
  assert.equal(t1.kind, 'sketch');
  const e = encodeSketch(nodeSketch(rows(200, 1), DIM));
  const big = await h.Submit('a', body({ step: t1.step, sketch: e.json, junk: 'x'.repeat(100_000) }, [e.blob]));
  assert.match(String((big.json as { error?: unknown }).error), /submission JSON of \d+ bytes, at most \d+ in this step/);
  assert.deepEqual((await h.Submit('a', body({ step: t1.step, sketch: e.json }, [e.blob]))).json, { accepted: true });
  const t2 = (await h.GetTask('a', body({ afterStep: t1.step }))).json as { kind: string; step: number };
  assert.equal(t2.kind, 'level');
  const bigMetrics = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`m${i}`, i]));
  assert.match(String(((await h.Submit('a', body({ step: t2.step, metrics: bigMetrics }))).json as { error?: unknown }).error), /submission JSON/);
  await h.Submit('a', body({ step: t2.step, decline: 'testing', metrics: { globalValAccuracy: 0.75, evil: 1, nested: { a: 1 } } }));
  const done = (await h.GetTask('a', body({ afterStep: t2.step }))).json as { done?: boolean };
  assert.equal(done.done, true);
  const sums = await run;
  assert.deepEqual(sums[0]!.metrics, { globalValAccuracy: 0.75 });
  assert.deepEqual(sums[0]!.rejected, ['a']);
});

test('hist sketches: a node claiming far more rows than the others is weighted at most 2× the median (edges and base score stay the honest ones)', () => {
  const honest = [nodeSketch(rows(300, 2), DIM), nodeSketch(rows(300, 3), DIM)];
  // The liar claims 10^7 rows, all attacks, with every feature's values in [1000, 1064].
  const values = Array.from({ length: DIM }, () => Float32Array.from({ length: 65 }, (_, i) => 1000 + i));
  const liar: NodeSketch = { n: 1e7, pos: 1e7, nnz: new Array<number>(DIM).fill(1e7), values };
  const clamped = clampSketchWeights([...honest, liar]);
  assert.deepEqual(clamped.slice(0, 2), honest, 'honest sketches are unchanged');
  assert.equal(clamped[2]!.n, 600);
  const edges = mergeSketches(clamped, DIM, 32);
  for (const c of edges) assert.ok(c.filter((v) => v <= 1).length >= 10, `most edges stay in the honest range: ${c.length} edges, ${c.filter((v) => v <= 1).length} ≤ 1`);
  const unclamped = mergeSketches([...honest, liar], DIM, 32);
  assert.ok(unclamped.every((c) => c.filter((v) => v <= 1).length <= 2), 'without the clamp the liar sets the edges');
  // The prior moves at most to the liar's half (~0.6 log-odds here), not to its 10^7 attacks (~16).
  assert.ok(pooledBaseScore(clamped) < 1 && pooledBaseScore([...honest, liar]) > 6);
});

test('hist client: level tasks beyond its own limits (deeper than 8, frontier not distinct leaves) are declined', async () => {
  const srvKey = generateIdentity('server').privateKey;
  const signed = signModel(histModel(DIM, 0), 1, 'server', srvKey);
  const deep = { feature: [] as number[], threshold: [] as number[], left: [] as number[], right: [] as number[], value: [] as number[] };
  for (let i = 0; i < 9; i++) { deep.feature.push(0); deep.threshold.push(0.5); deep.left.push(i + 1); deep.right.push(10 + i); deep.value.push(0); }
  for (let i = 0; i < 10; i++) { deep.feature.push(-1); deep.threshold.push(0); deep.left.push(0); deep.right.push(0); deep.value.push(0); }
  const leaf = { feature: [-1], threshold: [0], left: [0], right: [0], value: [0] };
  const split = { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, 0, 0] };
  const cuts = encodeCuts(Array.from({ length: DIM }, () => Float32Array.from([0, 0.5])));
  const tasks: Body[] = [
    body({ kind: 'level', step: 1, round: 1, treeIndex: 0, tree: deep, frontier: [9], model: signed, sampling: { subsample: 1, seed: 1 } }, cuts),
    body({ kind: 'level', step: 2, round: 1, treeIndex: 0, tree: leaf, frontier: [0, 0] }),
    body({ kind: 'level', step: 3, round: 1, treeIndex: 0, tree: split, frontier: [0] }),
    body({ kind: 'level', step: 4, round: 1, treeIndex: 0, tree: split, frontier: [1, 2] }),
    body({ done: true, model: signModel(histModel(DIM, 0), 2, 'server', srvKey) }),
  ];
  const subs: Array<Record<string, unknown>> = [];
  const transport: FederationTransport = {
    traffic: { sent: 0, received: 0 }, close: () => undefined,
    call: async (method, b) => {
      if (method === 'GetTask') return { ok: true, value: tasks.shift() ?? body({ wait: true }) };
      if (method === 'Submit') subs.push(b.json as Record<string, unknown>);
      return { ok: true, value: body({ accepted: true }) };
    },
  };
  const d = rows(50, 5);
  const client = new HistClient({ nodeId: 'a', transport, serverKey: createPublicKey(srvKey), dim: DIM, train: d, validation: d, current: histModel(DIM, 0),
    tolerance: 1, parse: (j) => ({ ok: true, value: j as GbdtModelFile }), evaluate: () => ({ accuracy: 1, tpr: 1, fpr: 0, n: 1 }), onAccept: () => undefined,
    subsample: 1, seed: 1 });
  await client.run();
  assert.deepEqual(subs.map((s) => s['decline'] ?? 'histograms'), ['malformed level task', 'malformed level task', 'malformed level task', 'histograms']);
});
