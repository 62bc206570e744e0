// `federation simulate`: one server and one client per data file as real processes over real gRPC (TLS) on loopback.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateIdentity, identityToFile } from './auth/index.js';
import { simPaths } from './node.js';

/** Options of simulate. `bin` is the jirachi entry script run with the current node. */
export interface SimulateOptions {
  readonly bin: string;
  readonly data: readonly string[];
  readonly rounds: number;
  readonly strategy: string;
  readonly poison: ReadonlyMap<number, string>;
  readonly out: string;
  readonly secureAggregation: boolean;
  readonly localEpochs: number;
  readonly lr: number;
  readonly roundTimeoutMs: number;
  /** Server learning rate (1 = plain aggregate). */
  readonly serverLr?: number;
  /** Differential privacy on the server: clip norm and noise multiplier. */
  readonly dp?: { readonly clip: number; readonly noise: number };
  /** Federate the GBDT by tree rounds instead of the weight model (`strategy` is then unused). */
  readonly gbdt?: GbdtSimulateOptions;
  /** The clients' rollout gate tolerance (default 0.01). */
  readonly gateTolerance?: number;
  readonly log?: (msg: string) => void;
}

/** Tree-round settings of a GBDT simulation (see `federation server|client --model gbdt`). */
export interface GbdtSimulateOptions {
  /** `gbdt` tree rounds (default) or `gbdt-hist` histogram boosting. */
  readonly kind?: 'gbdt' | 'gbdt-hist';
  /** The server's own labeled validation file (tree rounds only). */
  readonly validation?: string;
  /** Histogram boosting: a round starts no new tree after this long (ms). */
  readonly roundBudgetMs?: number;
  readonly treesPerRound: number;
  readonly maxTreesPerNode?: number;
  readonly depth: number;
  readonly eta: number;
  readonly combine: 'sum' | 'mean';
  readonly tolerance: number;
  /** Trees of each node's local-only model. */
  readonly localTrees: number;
  /** L2 on leaf values of round trees (server default when absent). */
  readonly lambda?: number;
}

function gbdtArgs(g: GbdtSimulateOptions | undefined, side: 'server' | 'client'): string[] {
  if (!g) return [];
  const common = ['--model', g.kind ?? 'gbdt', '--tree-depth', String(g.depth), '--tree-eta', String(g.eta)];
  if (g.kind === 'gbdt-hist') {
    return side === 'client' ? [...common, '--local-trees', String(g.localTrees)]
      : [...common, '--trees-per-round', String(g.treesPerRound), ...(g.lambda !== undefined ? ['--tree-lambda', String(g.lambda)] : []),
        ...(g.roundBudgetMs !== undefined ? ['--round-budget', String(g.roundBudgetMs)] : [])];
  }
  return side === 'client' ? [...common, '--local-trees', String(g.localTrees)]
    : [...common, '--validation', g.validation ?? '', '--trees-per-round', String(g.treesPerRound), '--tree-combine', g.combine, '--tree-tolerance', String(g.tolerance),
      ...(g.maxTreesPerNode !== undefined ? ['--max-trees-per-node', String(g.maxTreesPerNode)] : []),
      ...(g.lambda !== undefined ? ['--tree-lambda', String(g.lambda)] : [])];
}

function waitExit(p: ChildProcess, name: string, stderr: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}: ${stderr.join('').trim().split('\n').at(-1) ?? ''}`))));
  });
}

function collect(p: ChildProcess, into: string[], log?: (m: string) => void, name = ''): void {
  p.stderr?.on('data', (d: Buffer) => { into.push(d.toString()); if (into.length > 200) into.shift(); log?.(`${name}: ${d.toString().trimEnd()}`); });
}

/** Writes keys and the registry, runs everything, and writes DIR/summary.json. Resolves to the summary. */
export async function simulate(o: SimulateOptions): Promise<Record<string, unknown>> {
  const keys = join(o.out, 'keys');
  await mkdir(keys, { recursive: true });
  const server = generateIdentity('server');
  await writeFile(join(keys, 'server.key.json'), identityToFile(server), { mode: 0o600 });
  await writeFile(join(keys, 'server.pub'), server.publicKey + '\n');
  const nodes = o.data.map((_, i) => generateIdentity(`node-${i + 1}`));
  for (const [i, n] of nodes.entries()) await writeFile(simPaths.key(o.out, i + 1), identityToFile(n), { mode: 0o600 });
  await writeFile(join(keys, 'registry.json'), JSON.stringify({ nodes: nodes.map((n) => ({ nodeId: n.nodeId, publicKey: n.publicKey })) }, null, 2));
  const started = Date.now();
  const srvErr: string[] = [];
  const srv = spawn(process.execPath, [o.bin, 'federation', 'server', '--listen', '127.0.0.1:0', '--rounds', String(o.rounds),
    '--min-clients', String(nodes.length), '--strategy', o.strategy, '--registry', join(keys, 'registry.json'),
    '--key', join(keys, 'server.key.json'), '--model-out', join(o.out, 'global-model.json'), '--tls-dir', join(o.out, 'tls'), '--summary', join(o.out, 'server-summary.json'),
    '--local-epochs', String(o.localEpochs), '--lr', String(o.lr), '--round-timeout', String(o.roundTimeoutMs),
    '--server-lr', String(o.serverLr ?? 1), ...(o.dp ? ['--dp-clip', String(o.dp.clip), '--dp-noise', String(o.dp.noise)] : []),
    ...(o.secureAggregation ? ['--secagg'] : []), ...gbdtArgs(o.gbdt, 'server'), '--announce'], { stdio: ['ignore', 'pipe', 'pipe'] });
  collect(srv, srvErr, o.log, 'server');
  const srvDone = waitExit(srv, 'server', srvErr);
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: srv.stdout! });
    rl.once('line', resolve);
    srv.once('exit', () => reject(new Error(`server exited before listening: ${srvErr.join('').trim()}`)));
  });
  const addr = JSON.parse(first) as { port: number; certPath: string };
  const clients = nodes.map((_, k) => {
    const i = k + 1;
    const errs: string[] = [];
    const attack = o.poison.get(i);
    const p = spawn(process.execPath, [o.bin, 'federation', 'client', '--server', `localhost:${addr.port}`, '--data', o.data[k] as string,
      '--model-out', simPaths.model(o.out, i), '--local-model-out', simPaths.local(o.out, i), '--report', simPaths.report(o.out, i),
      '--key', simPaths.key(o.out, i), '--server-key', join(keys, 'server.pub'), '--ca', addr.certPath,
      '--local-epochs', String(o.localEpochs), '--lr', String(o.lr), ...(attack ? ['--attack', attack] : []), ...gbdtArgs(o.gbdt, 'client'),
      '--tolerance', String(o.gateTolerance ?? 0.01)], { stdio: ['ignore', 'ignore', 'pipe'] });
    collect(p, errs, o.log, `node-${i}`);
    return waitExit(p, `node-${i}`, errs);
  });
  try {
    await Promise.all([...clients, srvDone]);
  } catch (e) {
    srv.kill();
    throw e;
  }
  const ss = JSON.parse(await readFile(join(o.out, 'server-summary.json'), 'utf8')) as { rounds: Array<Record<string, unknown>>; refused: unknown };
  const reports = await Promise.all(nodes.map(async (_, k) => JSON.parse(await readFile(simPaths.report(o.out, k + 1), 'utf8')) as Record<string, unknown>));
  const summary = {
    model: o.gbdt ? (o.gbdt.kind ?? 'gbdt') : 'weight', gateTolerance: o.gateTolerance ?? 0.01,
    strategy: o.gbdt ? (o.gbdt.kind === 'gbdt-hist' ? 'histogram-sum' : `gbdt-${o.gbdt.combine}`) : o.strategy, serverLr: o.serverLr ?? 1, dp: o.dp ?? null, secureAggregation: o.secureAggregation, nodes: nodes.length, poisoned: [...o.poison.entries()].map(([i, k]) => ({ node: i, kind: k })),
    totalMs: Date.now() - started,
    rounds: ss.rounds.map((r) => ({ round: r['round'], time: r['startedAt'], durationMs: r['durationMs'], participants: r['participants'], accepted: r['accepted'],
      rejected: r['rejected'], dropped: r['dropped'], metrics: r['metrics'], info: r['info'], bytesPerNode: r['bytesPerNode'] })),
    nodeReports: reports.map((r) => ({ nodeId: r['nodeId'], examples: r['examples'], traffic: r['traffic'], refusedModels: r['refusedModels'],
      decisions: (r['decisions'] as Array<Record<string, unknown>>).map((d) => ({ round: d['round'], accepted: d['accepted'], reason: d['reason'] })) })),
    refused: ss.refused,
  };
  await writeFile(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
