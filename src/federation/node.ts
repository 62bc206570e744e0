// Process shells for `jirachi federation server|client`: files, keys, TLS and the transport around the round protocol.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { RequestView, Result } from '../core/index.js';
import { identityFromFile, parseRegistry, parsePublicKey, rawPublicKey, type NodeIdentity } from './auth/index.js';
import { generateTlsMaterial, grpcTransport, startGrpcServer, type Handler, type FederationMethod } from './transport/index.js';
import { createStrategy, strategyNames, withDp, withServerLr, type Strategy } from './strategy/index.js';
import type { GbdtModelFile } from '../detect/index.js';
import { HistClient, HistServer, type HistSettings } from './hist/index.js';
import {
  FederationClient, FederationServer, loadDataset, splitValidation, type Attack, type Combiner, type ContributionAdapter, type ModelAdapter, type RoundSummary,
} from './round/index.js';

/** Reads and parses an identity key file; throws with a one-line reason. */
export async function loadIdentity(path: string): Promise<NodeIdentity> {
  const id = identityFromFile(await readFile(path, 'utf8'));
  if (!id.ok) throw new Error(`${path}: ${id.error}`);
  return id.value;
}

/** A server public key from a key file (its public half) or a raw base64 public key file. */
export async function loadServerKey(path: string): Promise<KeyObject> {
  const text = (await readFile(path, 'utf8')).trim();
  const asId = identityFromFile(text);
  if (asId.ok) return createPublicKey(asId.value.privateKey);
  const raw = text.startsWith('{') ? String((JSON.parse(text) as { publicKey?: unknown }).publicKey ?? '') : text;
  const k = parsePublicKey(raw);
  if (!k.ok) throw new Error(`${path}: ${k.error}`);
  return k.value;
}

/**
 * Builds the named strategy, optionally wrapped with DP, then with a server learning rate (1 = none).
 * Throws with the list of known names, or on a non-positive server learning rate.
 */
export function buildStrategy(name: string, dp?: { clipNorm: number; noiseMultiplier: number; delta: number }, serverLr = 1): Strategy {
  const s = createStrategy(name);
  if (!s) throw new Error(`unknown strategy ${name} (known: ${strategyNames().join(', ')})`);
  return withServerLr(dp ? withDp(s, dp) : s, serverLr);
}

/** Options of runServerProcess. */
export interface ServerProcessOptions<M> {
  readonly listen: string;
  readonly rounds: number;
  readonly minClients: number;
  /** Vector models: the aggregation strategy. */
  readonly strategy?: Strategy;
  readonly adapter: ModelAdapter<M> | ContributionAdapter<M>;
  /** Contribution models (GBDT): how the server accepts contributions. */
  readonly combiner?: Combiner<M>;
  readonly initialModel: M;
  readonly registryPath: string;
  readonly keyPath: string;
  readonly tls: { certPath: string; keyPath: string } | { generateInto: string };
  readonly secureAggregation: boolean;
  readonly roundTimeoutMs: number;
  readonly joinTimeoutMs: number;
  readonly localEpochs: number;
  readonly lr: number;
  readonly summaryPath?: string;
  readonly modelOut?: string;
  /** Histogram boosting (`--model gbdt-hist`): the server builds every tree from the nodes' summed histograms (adapter, strategy and combiner unused). */
  readonly histogram?: { readonly settings: HistSettings; readonly dim: number; readonly roundBudgetMs: number; readonly maxRows?: number };
  readonly onListening?: (info: { host: string; port: number; certPath: string }) => void;
  readonly log?: (msg: string) => void;
}

/** Runs a federation server to completion; resolves to the round summaries. */
export async function runServerProcess<M>(o: ServerProcessOptions<M>): Promise<RoundSummary[]> {
  const m = /^(.*):(\d{1,5})$/.exec(o.listen);
  if (!m) throw new Error(`--listen must be HOST:PORT, got ${o.listen}`);
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  const reg = parseRegistry(await readFile(o.registryPath, 'utf8'));
  if (!reg.ok) throw new Error(`${o.registryPath}: ${reg.error}`);
  const id = await loadIdentity(o.keyPath);
  let tls: { certPath: string; certPem: Buffer; keyPem: Buffer };
  if ('generateInto' in o.tls) {
    await mkdir(o.tls.generateInto, { recursive: true });
    tls = await generateTlsMaterial(o.tls.generateInto, [host]);
  } else {
    tls = { certPath: o.tls.certPath, certPem: await readFile(o.tls.certPath), keyPem: await readFile(o.tls.keyPath) };
  }
  const fed = o.histogram ? new HistServer({ rounds: o.rounds, minClients: o.minClients, settings: o.histogram.settings, dim: o.histogram.dim,
    signingKey: id.privateKey, signer: id.nodeId, stepTimeoutMs: o.roundTimeoutMs, joinTimeoutMs: o.joinTimeoutMs, roundBudgetMs: o.histogram.roundBudgetMs,
    ...(o.histogram.maxRows !== undefined ? { maxRows: o.histogram.maxRows } : {}),
    ...(o.log ? { log: o.log } : {}) }) : new FederationServer({
    rounds: o.rounds, minClients: o.minClients, adapter: o.adapter, initialModel: o.initialModel,
    ...(o.strategy ? { strategy: o.strategy } : {}), ...(o.combiner ? { combiner: o.combiner } : {}),
    signingKey: id.privateKey, signer: id.nodeId, secureAggregation: o.secureAggregation, roundTimeoutMs: o.roundTimeoutMs,
    joinTimeoutMs: o.joinTimeoutMs, base: { localEpochs: o.localEpochs, lr: o.lr, proxMu: 0, clipNorm: 0 },
    ...(o.log ? { log: o.log } : {}),
  });
  const inner = fed.handlers;
  const handlers = Object.fromEntries(Object.entries(inner).map(([k, h]) => [k, (async (nodeId, body) => {
    fed.countBytes(JSON.stringify(body.json).length + body.blobs.reduce((a, b) => a + b.length, 0));
    return h(nodeId, body);
  }) as Handler])) as Record<FederationMethod, Handler>;
  const server = await startGrpcServer({ host, port: Number(m[2]), tls, registry: reg.value, handlers });
  o.onListening?.({ host, port: server.port, certPath: tls.certPath });
  try {
    const summaries = await fed.run();
    if (o.summaryPath) await writeFile(o.summaryPath, JSON.stringify({ rounds: summaries, refused: server.refused, signer: id.nodeId, serverPublicKey: rawPublicKey(createPublicKey(id.privateKey)) }, null, 2) + '\n');
    if (o.modelOut) await writeFile(o.modelOut, JSON.stringify(fed.current) + '\n');
    return summaries;
  } finally {
    await server.close();
  }
}

/** Options of runClientProcess. */
export interface ClientProcessOptions<M> {
  readonly server: string;
  readonly dataPath: string;
  readonly featurize: (v: RequestView) => Float32Array;
  readonly adapter: ModelAdapter<M> | ContributionAdapter<M>;
  readonly featureDim: number;
  readonly keyPath: string;
  readonly serverKeyPath: string;
  readonly caPath: string;
  readonly modelOut: string;
  readonly localModelOut?: string;
  readonly localEpochs: number;
  readonly lr: number;
  readonly tolerance: number;
  readonly valFraction: number;
  readonly attack?: Attack;
  readonly reportPath?: string;
  /** Histogram boosting (`--model gbdt-hist`, adapter = the GBDT adapter): row sampling per tree and its seed. */
  readonly histogram?: { readonly subsample: number; readonly seed: number };
  readonly log?: (msg: string) => void;
}

/** Trains the local-only model, then takes part in federation until the server finishes. */
export async function runClientProcess<M>(o: ClientProcessOptions<M>): Promise<{ accepted: number; rejected: number; refused: number }> {
  const id = await loadIdentity(o.keyPath);
  const serverKey = await loadServerKey(o.serverKeyPath);
  const data = await loadDataset(o.dataPath, o.featurize);
  if (!data.ok) throw new Error(data.error);
  if (data.value.y.length === 0) throw new Error(`${o.dataPath}: no labeled examples`);
  const { train, validation } = splitValidation(data.value, o.valFraction, id.nodeId);
  const a = o.adapter;
  const local = a.train(train, a.initial(o.featureDim), { epochs: o.localEpochs, lr: o.lr, proxMu: 0, seed: 1 });
  const writeJson = async (p: string, v: unknown): Promise<void> => { await mkdir(dirname(p), { recursive: true }); await writeFile(p, JSON.stringify(v) + '\n'); };
  if (o.localModelOut) await writeJson(o.localModelOut, local);
  await writeJson(o.modelOut, local);
  const transport = grpcTransport({ target: o.server, caPem: await readFile(o.caPath), identity: id });
  const extra = { ...(o.attack ? { attack: o.attack } : {}), ...(o.log ? { log: o.log } : {}) };
  const client = o.histogram
    ? new HistClient({ nodeId: id.nodeId, transport, serverKey, dim: o.featureDim, train, validation, current: local as GbdtModelFile, tolerance: o.tolerance,
      parse: (j) => a.parse(j) as Result<GbdtModelFile, string>, evaluate: (m, d) => a.evaluate(m as M, d), onAccept: (m) => writeJson(o.modelOut, m),
      subsample: o.histogram.subsample, seed: o.histogram.seed, ...extra })
    : new FederationClient({ nodeId: id.nodeId, transport, adapter: a, serverKey, train, validation, current: local, tolerance: o.tolerance,
      onAccept: (m) => writeJson(o.modelOut, m), ...extra });
  try {
    const decisions = await client.run();
    const accepted = decisions.filter((d) => d.accepted).length;
    if (o.reportPath) {
      await writeJson(o.reportPath, { nodeId: id.nodeId, examples: { train: train.y.length, validation: validation.y.length, skipped: data.value.skipped },
        decisions, refusedModels: client.refusedModels, traffic: transport.traffic });
    }
    return { accepted, rejected: decisions.length - accepted, refused: client.refusedModels.length };
  } finally {
    transport.close();
  }
}

/** Path helpers for a simulation directory. */
export const simPaths = {
  node: (dir: string, i: number) => join(dir, `node-${i}`),
  model: (dir: string, i: number) => join(dir, `node-${i}`, 'model.json'),
  local: (dir: string, i: number) => join(dir, `node-${i}`, 'local-model.json'),
  report: (dir: string, i: number) => join(dir, `node-${i}`, 'report.json'),
  key: (dir: string, i: number) => join(dir, 'keys', `node-${i}.key.json`),
};
