// In-process GBDT tree rounds and central GBDT on the non-IID splits: settings are chosen on validation splits only.
// Usage: node dist/bench/federation-trees-tune.js --dir DIR [--grid fed|central|both] [--trees 5,10,20] [--depth 3,4,6]
//   [--lambda 1,10] [--seeds 0,100,200] [--c-trees 30,60,100] [--c-depth 3,4,6] [--rounds 3] [--save-central FILE] [--test]
//   --seeds: training-seed offsets of the nodes' boosting; a configuration's score is its mean pooled validation accuracy.
//   The server's validation set is DIR/server-validation.jsonl (as in `federation simulate --model gbdt`); configurations
//   are compared on the pooled 20 % validation splits the clients hold out; --test also prints held-out test rates (never
//   used for the choice).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { featurize, scoreGbdt, trainGbdt, FEATURE_VERSION, type GbdtModelFile } from '../src/detect/index.js';
import {
  corpusExample, DEFAULT_TREE_SETTINGS, emptyGbdt, evaluateScores, gbdtAdapter, splitValidation, treeRound, type Dataset, type TreeSettings,
} from '../src/federation/index.js';

const arg = (name: string, d: string): string => { const i = process.argv.indexOf(name); return i > 0 ? (process.argv[i + 1] ?? d) : d; };
const list = (name: string, d: string): number[] => arg(name, d).split(',').map(Number);

function load(path: string): Dataset {
  const X: Float32Array[] = []; const y: number[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const ex = line.trim() ? corpusExample(line) : undefined;
    if (ex) { X.push(featurize(ex.view)); y.push(ex.label); }
  }
  return { X, y };
}

const acc = (m: GbdtModelFile, d: Dataset): number => evaluateScores((x) => scoreGbdt(m, x), d).accuracy;
const ops = { train: trainGbdt, score: scoreGbdt, parse: () => { throw new Error('unused'); } };

/** Runs `rounds` tree rounds in process with the server's acceptance step (the same code as `federation server --model gbdt`). */
export function runTreeRounds(nodes: readonly Dataset[], serverVal: Dataset, s: TreeSettings, rounds: number, seedOffset = 0): { model: GbdtModelFile; accepted: string[][] } {
  const adapter = gbdtAdapter(ops, s, FEATURE_VERSION);
  let g = emptyGbdt(512, FEATURE_VERSION);
  const accepted: string[][] = [];
  for (let round = 1; round <= rounds; round++) {
    const cfg = { round: round + seedOffset, localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0, trees: s };
    const cs = nodes.map((d, i) => ({ nodeId: `node-${i + 1}`, contribution: adapter.contribute(d, g, cfg).contribution }));
    const r = treeRound(g, cs, serverVal, { dim: 512, maxTreesPerNode: s.count, tolerance: 0.01, combine: 'sum' });
    accepted.push(r.decisions.filter((d) => d.accepted).map((d) => d.nodeId));
    g = r.model;
  }
  return { model: g, accepted };
}

const dir = arg('--dir', '/tmp/fed3');
const n = Number(arg('--nodes', '3'));
const grid = arg('--grid', 'both');
const showTest = process.argv.includes('--test');
const splits = Array.from({ length: n }, (_, i) => splitValidation(load(join(dir, `node-${i + 1}.jsonl`)), 0.2, `node-${i + 1}`));
const valAll: Dataset = { X: splits.flatMap((s) => [...s.validation.X]), y: splits.flatMap((s) => [...s.validation.y]) };
const tests = new Map(['sqli', 'xss', 'path-traversal', 'cmdi', 'benign'].map((c) => [c, load(join(dir, `test-${c}.jsonl`))] as const));
const rates = (m: GbdtModelFile): Record<string, number> => Object.fromEntries([...tests].map(([c, d]) => [c, Math.round(1000 * acc(m, d)) / 10]));
const print = (o: unknown): void => { process.stdout.write(JSON.stringify(o) + '\n'); };

if (grid === 'central' || grid === 'both') {
  const all: Dataset = { X: splits.flatMap((s) => [...s.train.X]), y: splits.flatMap((s) => [...s.train.y]) };
  let best: { v: number; m: GbdtModelFile } | undefined;
  for (const trees of list('--c-trees', '30,60,100')) for (const depth of list('--c-depth', '3,4,6')) {
    const m = trainGbdt(all.X, all.y, { trees, depth, eta: DEFAULT_TREE_SETTINGS.eta, lambda: 1, gamma: 0, minChildWeight: 1, bins: 32, subsample: 0.8, colsample: 0.8, seed: 1 });
    const v = acc(m, valAll);
    if (!best || v > best.v) best = { v, m };
    print({ kind: 'central', trees, depth, valAcc: v, ...(showTest ? { test: rates(m) } : {}) });
  }
  const out = arg('--save-central', '');
  if (out && best) writeFileSync(out, JSON.stringify(best.m) + '\n');
}
if (grid === 'fed' || grid === 'both') {
  const serverVal = load(join(dir, 'server-validation.jsonl'));
  for (const count of list('--trees', '5,10,20')) for (const depth of list('--depth', '3,4,6')) for (const lambda of list('--lambda', '10')) {
    const runs = list('--seeds', '0').map((seed) => {
      const t0 = Date.now();
      const r = runTreeRounds(splits.map((x) => x.train), serverVal, { ...DEFAULT_TREE_SETTINGS, count, depth, lambda }, Number(arg('--rounds', '3')), seed);
      const valAcc = acc(r.model, valAll);
      print({ kind: 'fed', count, depth, lambda, seed, valAcc, accepted: r.accepted, ms: Date.now() - t0, ...(showTest ? { test: rates(r.model) } : {}) });
      return valAcc;
    });
    print({ kind: 'fed-mean', count, depth, lambda, meanValAcc: runs.reduce((a, b) => a + b, 0) / runs.length, minValAcc: Math.min(...runs) });
  }
}
