// In-process FedAvg/central experiments on the non-IID splits: hyper-parameters are chosen on validation splits only.
// Usage: node dist/bench/federation-tune.js --dir /tmp/fed3 [--nodes 3] [--grid fed|central|both] [--test]
//   [--strategy fedavg|fedadam|momentum|coord|scaffold[-coord]|fedlin[-coord]] [--epochs 1,2,4] [--lr 0.5,1] [--server-lr 1,2,3]
//   [--adam-lr η] (FedAdam/momentum step size) [--damp d] (SCAFFOLD correction scale)
//   --test additionally prints held-out test rates of every configuration (never used for the choice).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { featurize, scoreWeightModel, trainWeightModel, type WeightModelFile } from '../src/detect/index.js';
import { logisticGradient, trainCorrected } from '../src/federation/round/scaffold.js';
import { corpusExample, splitValidation, weightModelAdapter, createStrategy, withServerLr, type Dataset } from '../src/federation/index.js';

const arg = (name: string, d: string): string => { const i = process.argv.indexOf(name); return i > 0 ? (process.argv[i + 1] ?? d) : d; };
const adapter = weightModelAdapter<WeightModelFile>({ train: (X, y, o) => trainWeightModel(X, y, o), score: scoreWeightModel, parse: () => { throw new Error('unused'); } });

function load(path: string): Dataset & { cls: string[] } {
  const X: Float32Array[] = []; const y: number[] = []; const cls: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const ex = corpusExample(line);
    if (!ex) continue;
    X.push(featurize(ex.view)); y.push(ex.label); cls.push(String((JSON.parse(line) as { class?: unknown }).class));
  }
  return { X, y, cls };
}

const concat = (ds: readonly Dataset[]): Dataset => ({ X: ds.flatMap((d) => [...d.X]), y: ds.flatMap((d) => [...d.y]) });
const acc = (m: WeightModelFile, d: Dataset): number => adapter.evaluate(m, d).accuracy;

/** Detection (attack) or true-negative (benign) rate per test class, in %. */
function testRates(m: WeightModelFile, tests: ReadonlyMap<string, Dataset>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [c, d] of tests) out[c] = Math.round(1000 * acc(m, d)) / 10;
  return out;
}

function presence(d: Dataset): Float64Array {
  const c = new Float64Array(513);
  for (const x of d.X) for (let j = 0; j < 512; j++) if (x[j] !== 0) c[j]!++;
  c[512] = d.y.length;
  return c;
}

interface FedCfg { epochs: number; lr: number; serverLr: number; strategy: string; proxMu: number }

/** Runs `rounds` synchronous rounds in process (same adapter and strategy code as the real server). */
export function runFed(nodes: readonly Dataset[], cfg: FedCfg, rounds: number, l2: number): WeightModelFile {
  const adamLr = arg('--adam-lr', '');
  const strat = withServerLr(createStrategy(/^(coord|scaffold|fedlin)/.test(cfg.strategy) ? 'fedavg' : cfg.strategy, { proxMu: cfg.proxMu, ...(adamLr ? { serverLr: Number(adamLr) } : {}) })!, cfg.serverLr);
  let model = adapter.initial(512);
  let prevG: Float64Array[] | undefined;
  for (let r = 1; r <= rounds; r++) {
    const c = strat.configureRound({ round: r, localEpochs: cfg.epochs, lr: cfg.lr, proxMu: 0, clipNorm: 0 });
    const c0 = c;
    const g = adapter.toParams(model);
    const ups = nodes.map((d, i) => ({ nodeId: `n${i}`, params: adapter.toParams(trainWeightModel([...d.X], [...d.y], { epochs: c.localEpochs, lr: c.lr, l2, seed: r, init: model, proxMu: c.proxMu })), numExamples: d.y.length, metrics: {} }));
    if (cfg.strategy.startsWith('scaffold') || cfg.strategy.startsWith('fedlin')) {
      // fedlin: gradients at the current global model (extra phase); scaffold: gradients from the previous round's model.
      const gi = nodes.map((d) => logisticGradient(d, g, l2));
      const useG = cfg.strategy.startsWith('fedlin') ? gi : (prevG ?? gi.map((x) => new Float64Array(x.length)));
      const tot = nodes.reduce((a, d) => a + d.y.length, 0);
      const c = new Float64Array(g.length);
      useG.forEach((v, i) => { for (let j = 0; j < c.length; j++) c[j]! += v[j]! * nodes[i]!.y.length / tot; });
      const damp = Number(arg('--damp', '1'));
      const ps = nodes.map((d, i) => trainCorrected(d, g, { epochs: c0.localEpochs, lr: c0.lr, l2, seed: r, correction: c.map((cj, j) => damp * (cj - useG[i]![j]!)) }));
      const out = new Float64Array(g.length);
      if (cfg.strategy.endsWith('-coord')) {
        const cnt = nodes.map((d) => presence(d));
        for (let j = 0; j < g.length; j++) { let s2 = 0; let w = 0; ps.forEach((p, i) => { s2 += cnt[i]![j]! * (p[j]! - g[j]!); w += cnt[i]![j]!; }); out[j] = w > 0 ? s2 / w : 0; }
      } else ps.forEach((p, i) => { for (let j = 0; j < g.length; j++) out[j]! += (p[j]! - g[j]!) * nodes[i]!.y.length / tot; });
      for (let j = 0; j < g.length; j++) out[j] = g[j]! + cfg.serverLr * out[j]!;
      prevG = gi;
      model = adapter.fromParams(out, model);
      continue;
    }
    if (cfg.strategy === 'coord') {
      const out = new Float64Array(g.length);
      const cnt = nodes.map((d) => presence(d));
      for (let j = 0; j < g.length; j++) {
        let s = 0; let w = 0;
        ups.forEach((u, i) => { const c = cnt[i]![j]!; s += c * (u.params[j]! - g[j]!); w += c; });
        out[j] = g[j]! + (w > 0 ? cfg.serverLr * s / w : 0);
      }
      model = adapter.fromParams(out, model);
      continue;
    }
    const a = strat.aggregate(g, ups);
    if (a) model = adapter.fromParams(a.params, model);
  }
  return model;
}

const dir = arg('--dir', '/tmp/fed3');
const n = Number(arg('--nodes', '3'));
const grid = arg('--grid', 'both');
const showTest = process.argv.includes('--test');
const l2 = 1e-4;
const splits = Array.from({ length: n }, (_, i) => splitValidation(load(join(dir, `node-${i + 1}.jsonl`)), 0.2, `node-${i + 1}`));
const trains = splits.map((s) => s.train);
const vals = splits.map((s) => s.validation);
const valAll = concat(vals);
const tests = new Map<string, Dataset>();
for (const c of ['sqli', 'xss', 'path-traversal', 'cmdi', 'benign']) tests.set(c, load(join(dir, `test-${c}.jsonl`)));
const print = (o: unknown): void => { process.stdout.write(JSON.stringify(o) + '\n'); };

if (grid === 'central' || grid === 'both') {
  const all = concat(trains);
  let best: { v: number; m: WeightModelFile } | undefined;
  for (const epochs of (arg('--c-epochs', '2,4,6,10')).split(',').map(Number)) for (const lr of arg('--c-lr', '0.25,0.5,1').split(',').map(Number)) {
    const t0 = Date.now();
    const m = trainWeightModel([...all.X], [...all.y], { epochs, lr, l2, seed: 1 });
    const v = acc(m, valAll);
    if (!best || v > best.v) best = { v, m };
    print({ kind: 'central', epochs, lr, valAcc: v, valPerNode: vals.map((x) => Math.round(1e4 * acc(m, x)) / 1e4), ms: Date.now() - t0, ...(showTest ? { test: testRates(m, tests) } : {}) });
  }
  // The central baseline: the configuration with the best validation accuracy (never the test files).
  const out = arg('--save-central', '');
  if (out && best) writeFileSync(out, JSON.stringify(best.m) + '\n');
}
if (grid === 'fed' || grid === 'both') {
  for (const epochs of arg('--epochs', '1,2,4').split(',').map(Number)) for (const lr of arg('--lr', '0.5,1').split(',').map(Number))
    for (const serverLr of arg('--server-lr', '1,2,3').split(',').map(Number)) {
      const t0 = Date.now();
      const cfg = { epochs, lr, serverLr, strategy: arg('--strategy', 'fedavg'), proxMu: Number(arg('--mu', '0.01')) };
      const m = runFed(trains, cfg, 3, l2);
      print({ kind: 'fed', ...cfg, adamLr: arg('--adam-lr', ''), damp: arg('--damp', '1'), valAcc: acc(m, valAll), valPerNode: vals.map((v) => Math.round(1e4 * acc(m, v)) / 1e4), ms: Date.now() - t0, ...(showTest ? { test: testRates(m, tests) } : {}) });
    }
}
