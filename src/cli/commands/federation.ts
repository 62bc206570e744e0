// `jirachi federation server|client|simulate|keygen`: herd immunity over gRPC/TLS (thin wrappers over src/federation).

import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import {
  buildStrategy, DEFAULT_TREE_SETTINGS, ROUND_TREE_LAMBDA, emptyGbdt, gbdtAdapter, generateIdentity, identityToFile, loadDataset, runClientProcess, runServerProcess,
  simulate, strategyNames, treeCombiner, weightModelAdapter, DEFAULT_HIST_SETTINGS, histTreeCap, MAX_NODE_ROWS, type Attack, type GbdtSimulateOptions, type HistSettings, type TreeSettings,
} from '../../federation/index.js';
import {
  FEATURE_DIM, FEATURE_VERSION, featurize, modelScorer, parseModelFile, scoreGbdt, scoreWeightModel, trainGbdt, trainWeightModel, type GbdtModelFile, type WeightModelFile,
} from '../../detect/index.js';
import { err, ok } from '../../core/index.js';
import { registerCommand, UsageFailure } from '../registry.js';

const adapter = weightModelAdapter<WeightModelFile>({
  train: (X, y, o) => trainWeightModel(X, y, o),
  score: scoreWeightModel,
  parse: (j) => { const m = parseModelFile(j); return !m.ok ? err(m.error) : m.value.format === 'jirachi-weight-model' ? ok(m.value) : err('not a weight model'); },
});
const gbdtOps = {
  train: trainGbdt, score: scoreGbdt, scorer: (m: GbdtModelFile) => modelScorer(m),
  parse: (j: unknown) => { const m = parseModelFile(j); return !m.ok ? err(m.error) : m.value.format === 'jirachi-gbdt' ? ok(m.value as GbdtModelFile) : err('not a GBDT model'); },
};
const MODELS = ['weight', 'gbdt', 'gbdt-hist'] as const;
type ModelKind = (typeof MODELS)[number];
const modelKind = (v: string): ModelKind => { if ((MODELS as readonly string[]).includes(v)) return v as ModelKind; throw new UsageFailure(`unknown --model ${v} (${MODELS.join(' | ')})`); };
/** Boosting settings from --trees-per-round, --tree-depth, --tree-eta (the other settings keep their defaults). */
const treeSettings = (o: Record<string, unknown>, count = (o['treesPerRound'] as number | undefined) ?? DEFAULT_TREE_SETTINGS.count): TreeSettings =>
  ({ ...DEFAULT_TREE_SETTINGS, count, depth: o['treeDepth'] as number, eta: o['treeEta'] as number });
/** Histogram-boosting settings: --trees-per-round (34), --tree-depth, --tree-eta, --tree-lambda (1); the rest as central training. */
const histSettings = (o: Record<string, unknown>): HistSettings => {
  const s = { ...DEFAULT_HIST_SETTINGS, trees: (o['treesPerRound'] as number | undefined) ?? DEFAULT_HIST_SETTINGS.trees, depth: o['treeDepth'] as number,
    eta: o['treeEta'] as number, lambda: (o['treeLambda'] as number | undefined) ?? DEFAULT_HIST_SETTINGS.lambda };
  if (s.trees < 1 || s.trees > 1000 || s.depth < 1 || s.depth > 8 || !(s.eta > 0 && s.eta <= 1) || !(s.lambda >= 0)) {
    throw new UsageFailure('gbdt-hist: --trees-per-round 1..1000, --tree-depth 1..8, --tree-eta in (0, 1], --tree-lambda >= 0');
  }
  const rounds = (o['rounds'] as number | undefined) ?? 1;
  if (rounds * s.trees > histTreeCap(s.depth)) {
    throw new UsageFailure(`gbdt-hist: --rounds × --trees-per-round = ${rounds * s.trees} trees of depth ${s.depth}, at most ${histTreeCap(s.depth)} fit a signed model (8 MiB of JSON)`);
  }
  return s;
};
const treeOptions = (c: Command, who: 'server' | 'local'): Command => c
  .option('--model <kind>', `federated model: weight (logistic regression, vector rounds) | gbdt (tree rounds) | gbdt-hist (histogram boosting: trees from all nodes' summed gradient histograms)`, modelKind, 'weight')
  .option('--tree-depth <n>', `gbdt: tree depth${who === 'local' ? ' of the local-only model' : ''}`, int, DEFAULT_TREE_SETTINGS.depth)
  .option('--tree-eta <eta>', 'gbdt: shrinkage', num, DEFAULT_TREE_SETTINGS.eta);
const log = (m: string): void => { process.stderr.write(`${m}\n`); };
const int = (v: string): number => { const n = Number(v); if (!Number.isInteger(n) || n < 0) throw new UsageFailure(`not a non-negative integer: ${v}`); return n; };
const num = (v: string): number => { const n = Number(v); if (!Number.isFinite(n)) throw new UsageFailure(`not a number: ${v}`); return n; };

function parseAttack(s: string | undefined): Attack | undefined {
  if (s === undefined) return undefined;
  if (s === 'label-flip') return { kind: 'label-flip' };
  const m = /^scale(?::(-?\d+(\.\d+)?))?$/.exec(s);
  if (m) return { kind: 'scale', factor: m[1] === undefined ? -10 : Number(m[1]) };
  throw new UsageFailure(`unknown attack ${s} (label-flip | scale[:FACTOR])`);
}

function registerServer(fed: Command): void {
  const srv = fed.command('server').description('aggregate model updates from registered nodes and ship signed global models')
    .requiredOption('--listen <host:port>', 'address to listen on (TLS gRPC)')
    .option('--rounds <n>', 'rounds to run', int, 3)
    .option('--min-clients <k>', 'quorum: clients needed to start and to aggregate a round', int, 2)
    .option('--strategy <name>', `aggregation: ${strategyNames().join('|')}`, 'fedavg')
    .requiredOption('--registry <file>', 'pre-registered nodes: {"nodes":[{"nodeId","publicKey"}]}')
    .requiredOption('--key <file>', 'server Ed25519 key file (signs models)')
    .option('--tls-cert <file>', 'TLS certificate (PEM)').option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--tls-dir <dir>', 'without --tls-cert: generate a self-signed certificate here (openssl)', 'federation-tls')
    .option('--secagg', 'secure aggregation: the server only sees the sum (linear strategies only)')
    .option('--server-lr <eta>', 'server learning rate: next = global + eta·(aggregate − global)', num, 1)
    .option('--dp-clip <C>', 'differential privacy: clip each update to L2 norm C', num)
    .option('--dp-noise <sigma>', 'differential privacy: noise multiplier', num, 1)
    .option('--dp-delta <delta>', 'differential privacy: delta for the reported epsilon', num, 1e-5)
    .option('--local-epochs <n>', 'local epochs per round', int, 2).option('--lr <lr>', 'local learning rate', num, 0.5)
    .option('--round-timeout <ms>', 'per-phase timeout for slow or dropped clients', int, 30_000)
    .option('--join-timeout <ms>', 'wait this long for --min-clients to join', int, 120_000)
    .option('--summary <file>', 'write per-round summaries here').option('--model-out <file>', 'write the final global model here')
    .option('--announce', 'print {"port","certPath"} as the first stdout line once listening')
    .option('--validation <file>', 'gbdt: the server\'s own labeled validation set (training_data.csv or corpus.jsonl); a node\'s trees are refused if they lower its accuracy')
    .option('--trees-per-round <n>', `gbdt: trees each node boosts per round (${DEFAULT_TREE_SETTINGS.count}); gbdt-hist: trees grown per round (${DEFAULT_HIST_SETTINGS.trees})`, int)
    .option('--max-trees-per-node <n>', 'gbdt: trees kept per node per round (default: --trees-per-round)', int)
    .option('--tree-combine <how>', 'gbdt: sum (append accepted trees) | mean (bagging: divide by the count)', 'sum')
    .option('--tree-tolerance <f>', 'gbdt: refuse a node\'s trees if they cost more validation accuracy than this (alone or within the round)', num, 0.01)
    .option('--tree-lambda <l>', `L2 on leaf values: gbdt round trees (${ROUND_TREE_LAMBDA}); gbdt-hist (${DEFAULT_HIST_SETTINGS.lambda})`, num)
    .option('--round-budget <ms>', 'gbdt-hist: a round starts no new tree after this long (--round-timeout bounds each exchange)', int, 600_000)
    .option('--max-node-rows <n>', 'gbdt-hist: most training rows a node may declare in its sketch (a larger claim is refused)', int, MAX_NODE_ROWS);
  treeOptions(srv, 'server').action(async (o: Record<string, unknown>) => {
      if (o['model'] === 'gbdt') { await runGbdtServer(o); return; }
      if (o['model'] === 'gbdt-hist') { await runHistServer(o); return; }
      const dp = o['dpClip'] === undefined ? undefined : { clipNorm: o['dpClip'] as number, noiseMultiplier: o['dpNoise'] as number, delta: o['dpDelta'] as number };
      let strategy;
      try { strategy = buildStrategy(o['strategy'] as string, dp, o['serverLr'] as number); } catch (e) { throw new UsageFailure((e as Error).message); }
      if (o['secagg'] && !strategy.fromMean) throw new UsageFailure(`--secagg needs a linear strategy (fedavg, fedprox, fedadam, momentum), not ${strategy.name}`);
      await runServerProcess({
        strategy, adapter, initialModel: adapter.initial(FEATURE_DIM), secureAggregation: o['secagg'] === true,
        ...serverShell(o),
      });
    });
}

/** The options every server shares: TLS, timeouts, outputs, announce. */
function serverShell(o: Record<string, unknown>) {
  return {
    listen: o['listen'] as string, rounds: o['rounds'] as number, minClients: o['minClients'] as number,
    registryPath: o['registry'] as string, keyPath: o['key'] as string,
    tls: o['tlsCert'] ? { certPath: o['tlsCert'] as string, keyPath: String(o['tlsKey'] ?? '') } : { generateInto: o['tlsDir'] as string },
    roundTimeoutMs: o['roundTimeout'] as number, joinTimeoutMs: o['joinTimeout'] as number,
    localEpochs: o['localEpochs'] as number, lr: o['lr'] as number, log,
    ...(o['summary'] ? { summaryPath: o['summary'] as string } : {}), ...(o['modelOut'] ? { modelOut: o['modelOut'] as string } : {}),
    onListening: (i: { host: string; port: number; certPath: string }) => {
      if (o['announce']) process.stdout.write(JSON.stringify({ port: i.port, certPath: i.certPath }) + '\n');
      else log(`federation server listening on ${i.host}:${i.port} (TLS cert ${i.certPath})`);
    },
  };
}

/** `federation server --model gbdt`: tree rounds judged on the server's own validation set. */
async function runGbdtServer(o: Record<string, unknown>): Promise<void> {
  if (typeof o['validation'] !== 'string') throw new UsageFailure('--model gbdt needs --validation FILE (the server\'s own labeled validation set)');
  if (o['secagg']) throw new UsageFailure('--secagg works with vector models only (trees cannot be summed under masks)');
  if (o['treeCombine'] !== 'sum' && o['treeCombine'] !== 'mean') throw new UsageFailure(`--tree-combine must be sum or mean, not ${String(o['treeCombine'])}`);
  const v = await loadDataset(o['validation'], featurize);
  if (!v.ok) throw new UsageFailure(v.error);
  if (v.value.y.length === 0) throw new UsageFailure(`${o['validation']}: no labeled examples`);
  const trees = { ...treeSettings(o), lambda: (o['treeLambda'] as number | undefined) ?? ROUND_TREE_LAMBDA };
  if (!(trees.lambda >= 0)) throw new UsageFailure('--tree-lambda must be >= 0');
  if (o['maxTreesPerNode'] === 0 || trees.count === 0) throw new UsageFailure('--max-trees-per-node and --trees-per-round must be at least 1');
  const combiner = treeCombiner({ validation: v.value, trees, dim: FEATURE_DIM, maxTreesPerNode: (o['maxTreesPerNode'] as number | undefined) ?? trees.count,
    tolerance: o['treeTolerance'] as number, combine: o['treeCombine'], log });
  const adapter = gbdtAdapter(gbdtOps, trees, FEATURE_VERSION);
  await runServerProcess({ ...serverShell(o), adapter, combiner, initialModel: emptyGbdt(FEATURE_DIM, FEATURE_VERSION), secureAggregation: false });
}

/** `federation server --model gbdt-hist`: every tree from the nodes' summed gradient histograms (no validation set needed). */
async function runHistServer(o: Record<string, unknown>): Promise<void> {
  if (o['secagg']) throw new UsageFailure('--secagg works with vector models only (gbdt-hist sums histograms in the clear on the server)');
  const adapter = gbdtAdapter(gbdtOps, DEFAULT_TREE_SETTINGS, FEATURE_VERSION);
  await runServerProcess({ ...serverShell(o), adapter, initialModel: emptyGbdt(FEATURE_DIM, FEATURE_VERSION), secureAggregation: false,
    histogram: { settings: histSettings(o), dim: FEATURE_DIM, roundBudgetMs: o['roundBudget'] as number, maxRows: Math.max(1, o['maxNodeRows'] as number) } });
}

function registerClient(fed: Command): void {
  const cl = fed.command('client').description('train locally on this node\'s data and take part in federation rounds')
    .requiredOption('--server <host:port>', 'federation server').requiredOption('--data <file>', 'training_data.csv or a labeled corpus.jsonl[.gz]')
    .requiredOption('--model-out <file>', 'the model in use: local model first, then each global model the rollout gate accepts')
    .requiredOption('--key <file>', 'this node\'s Ed25519 key file').requiredOption('--server-key <file>', 'pinned server public key')
    .requiredOption('--ca <file>', 'pinned TLS certificate of the server')
    .option('--local-model-out <file>', 'also write the model trained on local data only')
    .option('--tolerance <points>', 'rollout gate: refuse a global model that loses more validation accuracy than this (fraction)', num, 0.01)
    .option('--val-fraction <f>', 'validation split', num, 0.2)
    .option('--local-epochs <n>', 'epochs of the local-only model', int, 2).option('--lr <lr>', 'learning rate of the local-only model', num, 0.5)
    .option('--report <file>', 'write gate decisions and traffic here')
    .option('--attack <kind>', 'simulation only: behave as a poisoning node (label-flip | scale[:FACTOR])')
    .option('--local-trees <n>', 'gbdt: trees of the local-only model', int, 30);
  treeOptions(cl, 'local').action(async (o: Record<string, unknown>) => {
      const attack = parseAttack(o['attack'] as string | undefined);
      const common = {
        server: o['server'] as string, dataPath: o['data'] as string, featurize, featureDim: FEATURE_DIM,
        keyPath: o['key'] as string, serverKeyPath: o['serverKey'] as string, caPath: o['ca'] as string, modelOut: o['modelOut'] as string,
        localEpochs: o['localEpochs'] as number, lr: o['lr'] as number, tolerance: o['tolerance'] as number, valFraction: o['valFraction'] as number,
        log, ...(attack ? { attack } : {}), ...(o['localModelOut'] ? { localModelOut: o['localModelOut'] as string } : {}),
        ...(o['report'] ? { reportPath: o['report'] as string } : {}),
      };
      const local = gbdtAdapter(gbdtOps, treeSettings(o, o['localTrees'] as number), FEATURE_VERSION);
      const r = o['model'] === 'gbdt' ? await runClientProcess({ ...common, adapter: local })
        : o['model'] === 'gbdt-hist' ? await runClientProcess({ ...common, adapter: local, histogram: { subsample: DEFAULT_HIST_SETTINGS.subsample, seed: DEFAULT_HIST_SETTINGS.seed } })
        : await runClientProcess({ ...common, adapter });
      log(`done: ${r.accepted} global model(s) accepted, ${r.rejected} rejected by the gate, ${r.refused} refused (bad signature or not a valid model: see the "refused global model" lines)`);
    });
}

function registerSimulate(fed: Command): void {
  const collectData = (v: string, acc: string[]): string[] => [...acc, v];
  const sim = fed.command('simulate').description('run a server and one client per data file as real processes over gRPC/TLS on loopback')
    .requiredOption('--data <file>', 'a node\'s data (repeat per node)', collectData, [] as string[])
    .option('--rounds <n>', 'rounds', int, 3).option('--strategy <name>', `aggregation: ${strategyNames().join('|')}`, 'fedavg')
    .option('--poison <i:kind>', 'node i (1-based) poisons: label-flip | scale[:FACTOR] (repeatable)', collectData, [] as string[])
    .requiredOption('--out <dir>', 'output directory').option('--secagg', 'use secure aggregation')
    .option('--local-epochs <n>', 'local epochs', int, 2).option('--lr <lr>', 'learning rate', num, 0.5)
    .option('--server-lr <eta>', 'server learning rate', num, 1)
    .option('--round-timeout <ms>', 'per-phase timeout', int, 60_000)
    .option('--dp-clip <C>', 'differential privacy: clip each update to L2 norm C', num)
    .option('--dp-noise <sigma>', 'differential privacy: noise multiplier', num, 1)
    .option('--verbose', 'relay the processes\' logs to stderr').option('--json', 'print summary.json')
    .option('--validation <file>', 'gbdt: the server\'s own labeled validation set')
    .option('--trees-per-round <n>', `gbdt: trees each node boosts per round (${DEFAULT_TREE_SETTINGS.count}); gbdt-hist: trees grown per round (${DEFAULT_HIST_SETTINGS.trees})`, int)
    .option('--round-budget <ms>', 'gbdt-hist: a round starts no new tree after this long', int)
    .option('--max-trees-per-node <n>', 'gbdt: trees kept per node per round (default: --trees-per-round)', int)
    .option('--tree-combine <how>', 'gbdt: sum | mean', 'sum')
    .option('--tree-tolerance <f>', 'gbdt: the server\'s acceptance tolerance (fraction of validation accuracy)', num, 0.01)
    .option('--tree-lambda <l>', `L2 on leaf values: gbdt round trees (${ROUND_TREE_LAMBDA}); gbdt-hist (${DEFAULT_HIST_SETTINGS.lambda})`, num)
    .option('--gate-tolerance <f>', 'clients\' rollout gate tolerance (fraction of validation accuracy)', num, 0.01)
    .option('--local-trees <n>', 'gbdt: trees of each node\'s local-only model', int, 30);
  treeOptions(sim, 'server').action(async (o: Record<string, unknown>) => {
      const data = o['data'] as string[];
      if (data.length < 2) throw new UsageFailure('simulate needs at least two --data files');
      const poison = new Map<number, string>();
      for (const p of o['poison'] as string[]) {
        const m = /^(\d+):(.+)$/.exec(p);
        if (!m || Number(m[1]) < 1 || Number(m[1]) > data.length) throw new UsageFailure(`bad --poison ${p} (I:KIND with 1 <= I <= ${data.length})`);
        parseAttack(m[2]);
        poison.set(Number(m[1]), m[2] as string);
      }
      const gbdt = o['model'] === 'gbdt' ? simulateGbdt(o) : o['model'] === 'gbdt-hist' ? simulateHist(o) : undefined;
      const bin = fileURLToPath(new URL('../../../../bin/jirachi.js', import.meta.url));
      const s = await simulate({ bin, data, rounds: o['rounds'] as number, strategy: o['strategy'] as string, poison, out: o['out'] as string,
        secureAggregation: o['secagg'] === true, localEpochs: o['localEpochs'] as number, lr: o['lr'] as number, serverLr: o['serverLr'] as number,
        ...(o['dpClip'] !== undefined ? { dp: { clip: o['dpClip'] as number, noise: o['dpNoise'] as number } } : {}),
        roundTimeoutMs: o['roundTimeout'] as number, gateTolerance: o['gateTolerance'] as number, ...(o['verbose'] ? { log } : {}), ...(gbdt ? { gbdt } : {}) });
      process.stdout.write(o['json'] ? JSON.stringify(s, null, 2) + '\n' : `simulation done in ${String(s['totalMs'])} ms; see ${String(o['out'])}/summary.json\n`);
    });
}

function simulateHist(o: Record<string, unknown>): GbdtSimulateOptions {
  if (o['secagg']) throw new UsageFailure('--secagg works with vector models only');
  const s = histSettings(o);
  return { kind: 'gbdt-hist', treesPerRound: s.trees, depth: s.depth, eta: s.eta, lambda: s.lambda, combine: 'sum', tolerance: 0, localTrees: o['localTrees'] as number,
    ...(o['roundBudget'] !== undefined ? { roundBudgetMs: o['roundBudget'] as number } : {}) };
}

function simulateGbdt(o: Record<string, unknown>): GbdtSimulateOptions {
  if (typeof o['validation'] !== 'string') throw new UsageFailure('--model gbdt needs --validation FILE (the server\'s own labeled validation set)');
  if (o['secagg']) throw new UsageFailure('--secagg works with vector models only');
  const combine = o['treeCombine'];
  if (combine !== 'sum' && combine !== 'mean') throw new UsageFailure(`--tree-combine must be sum or mean, not ${String(combine)}`);
  return { validation: o['validation'], treesPerRound: (o['treesPerRound'] as number | undefined) ?? DEFAULT_TREE_SETTINGS.count, depth: o['treeDepth'] as number, eta: o['treeEta'] as number,
    combine, tolerance: o['treeTolerance'] as number, localTrees: o['localTrees'] as number, lambda: (o['treeLambda'] as number | undefined) ?? ROUND_TREE_LAMBDA,
    ...(o['maxTreesPerNode'] !== undefined ? { maxTreesPerNode: o['maxTreesPerNode'] as number } : {}) };
}

registerCommand((program: Command) => {
  const fed = program.command('federation').description('herd immunity: federated learning among sidecars');
  registerServer(fed);
  registerClient(fed);
  registerSimulate(fed);
  fed.command('keygen').description('create an Ed25519 identity key file for a node or the server')
    .requiredOption('--node-id <id>', 'node id').requiredOption('--out <file>', 'key file to write (mode 0600)')
    .action(async (o: { nodeId: string; out: string }) => {
      const id = generateIdentity(o.nodeId);
      await writeFile(o.out, identityToFile(id), { mode: 0o600, flag: 'wx' });
      process.stdout.write(JSON.stringify({ nodeId: id.nodeId, publicKey: id.publicKey }) + '\n');
    });
});
