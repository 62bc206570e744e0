// Federation client for histogram boosting: sends a sketch once, then per level the gradient histograms of its own rows; gates every signed model.

import type { KeyObject } from 'node:crypto';
import type { Result } from '../../core/index.js';
import type { GbdtModelFile, GbdtTree } from '../../detect/index.js';
import { verifySignedModel } from '../auth/index.js';
import type { FederationTransport, Body, FederationMethod } from '../transport/index.js';
import { rolloutGate, type Attack, type GateDecision } from '../round/client.js';
import type { Dataset, EvalMetrics } from '../round/types.js';
import { TREE_LIMITS, validateTree } from '../bagging/index.js';
import { encodeHistograms, histLayout, HistWorker, type LevelTask, type NodeHistograms } from './histogram.js';
import { encodeSketch, nodeSketch } from './sketch.js';

/** Options of a histogram-boosting client. */
export interface HistClientOptions {
  readonly nodeId: string;
  readonly transport: FederationTransport;
  readonly serverKey: KeyObject;
  readonly dim: number;
  readonly train: Dataset;
  readonly validation: Dataset;
  /** The model in the detector now (the local-only model at start). */
  readonly current: GbdtModelFile;
  readonly tolerance: number;
  readonly parse: (json: unknown) => Result<GbdtModelFile, string>;
  readonly evaluate: (m: GbdtModelFile, d: Dataset) => EvalMetrics;
  readonly onAccept: (m: GbdtModelFile, round: number, metrics: EvalMetrics) => void | Promise<void>;
  /** Row sampling per tree and its seed when the server sends none (its value is clamped to [0.05, 1]). */
  readonly subsample: number;
  readonly seed: number;
  /** Simulation only: label-flip trains on inverted labels; scale:F multiplies the histograms by F. */
  readonly attack?: Attack;
  readonly callTimeoutMs?: number;
  readonly log?: (msg: string) => void;
}

/** Edges from the cut blobs of a round's first level task. */
function decodeCuts(blobs: readonly Buffer[], dim: number): Float32Array[] | undefined {
  const [a, c] = blobs;
  if (!a || !c || a.length % 4 !== 0 || c.length !== 4 * dim) return undefined;
  const all = new Float32Array(new Uint8Array(a).buffer); const counts = new Uint32Array(new Uint8Array(c).buffer);
  const cuts: Float32Array[] = []; let o = 0;
  for (const n of counts) {
    if (n < 1 || n > 254 || o + n > all.length) return undefined;
    const e = all.slice(o, o + n); o += n;
    if (e.some((v, i) => !Number.isFinite(v) || (i > 0 && !(v > e[i - 1]!)))) return undefined;
    cuts.push(e);
  }
  return o === all.length ? cuts : undefined;
}

/** Runs a node until the server publishes the final model; resolves to the gate decisions. Rejects on transport failure. */
export class HistClient {
  private current: GbdtModelFile;
  private worker: HistWorker | undefined;
  private readonly data: Dataset;
  readonly decisions: GateDecision[] = [];
  readonly refusedModels: string[] = [];

  constructor(private readonly o: HistClientOptions) {
    this.current = o.current;
    this.data = o.attack?.kind === 'label-flip' ? { X: o.train.X, y: o.train.y.map((v) => 1 - v) } : o.train;
  }

  private async call(method: FederationMethod, body: Body): Promise<Body> {
    const r = await this.o.transport.call(method, body, this.o.callTimeoutMs ?? 120_000);
    if (!r.ok) throw new Error(`${method}: ${r.error}`);
    return r.value;
  }

  private async submit(json: Record<string, unknown>, blobs: Buffer[] = []): Promise<void> {
    const e = ((await this.call('Submit', { json, blobs })).json as { error?: unknown })?.error;
    if (typeof e === 'string') this.o.log?.(`submit refused: ${e}`);
  }

  /** The protocol loop. */
  async run(): Promise<GateDecision[]> {
    await this.call('Join', { json: {}, blobs: [] });
    let after = 0;
    for (;;) {
      const { json, blobs } = await this.call('GetTask', { json: { afterStep: after }, blobs: [] });
      const t = (json ?? {}) as Record<string, unknown>;
      if (t['wait'] === true) continue;
      if (t['done'] === true) { const g = this.verify(t['model']); if (g) await this.gate(g.model, g.round); return this.decisions; }
      const step = Number(t['step']);
      if (!Number.isInteger(step) || step <= after) throw new Error('GetTask: task without a newer step');
      after = step;
      if (t['kind'] === 'sketch') {
        const e = encodeSketch(nodeSketch(this.o.train, this.o.dim));
        await this.submit({ step, sketch: e.json }, [e.blob]);
      } else if (t['kind'] === 'level') {
        await this.level(step, t, blobs);
      }
    }
  }

  private verify(signed: unknown): { model: GbdtModelFile; round: number } | undefined {
    const v = verifySignedModel(signed, this.o.serverKey);
    const m = v.ok ? this.o.parse(v.value.model) : v;
    if (!v.ok || !m.ok) { this.refusedModels.push(v.ok ? (m.ok ? '' : m.error) : v.error); this.o.log?.(`refused global model: ${this.refusedModels.at(-1)}`); return undefined; }
    return { model: m.value, round: v.value.round };
  }

  private async gate(candidate: GbdtModelFile, round: number): Promise<EvalMetrics> {
    const c = this.o.evaluate(candidate, this.o.validation);
    const cur = this.o.evaluate(this.current, this.o.validation);
    const g = rolloutGate(c, cur, this.o.tolerance);
    this.decisions.push({ round, accepted: g.accepted, reason: g.reason, candidate: c, current: cur });
    this.o.log?.(`round ${round}: global model ${g.accepted ? 'accepted' : 'rejected'} (${g.reason})`);
    if (g.accepted) { this.current = candidate; await this.o.onAccept(candidate, round, c); }
    return c;
  }

  /** One level: on the round's first task verify, gate and load the signed model (and the edges); then send histograms. */
  private async level(step: number, t: Record<string, unknown>, blobs: readonly Buffer[]): Promise<void> {
    const decline = (why: string): Promise<void> => { this.o.log?.(`step ${step}: declined: ${why}`); return this.submit({ step, decline: why }); };
    let metrics: Record<string, number> | undefined;
    if (t['model'] !== undefined) {
      const g = this.verify(t['model']);
      if (!g) return decline('the round model is not validly signed');
      metrics = { globalValAccuracy: (await this.gate(g.model, g.round)).accuracy };
      if (blobs.length > 0) {
        const cuts = decodeCuts(blobs, this.o.dim);
        if (!cuts) return decline('malformed bin edges');
        const sm = (t['sampling'] ?? {}) as { subsample?: unknown; seed?: unknown };
        const sub = typeof sm.subsample === 'number' && Number.isFinite(sm.subsample) ? sm.subsample : this.o.subsample;
        const seed = typeof sm.seed === 'number' && Number.isInteger(sm.seed) ? sm.seed : this.o.seed;
        this.worker = new HistWorker(this.data, histLayout(cuts), this.o.nodeId, { subsample: Math.min(1, Math.max(0.05, sub)), seed });
      }
      this.worker?.reset(g.model);
    }
    const w = this.worker;
    if (!w) return decline('no bin edges yet');
    const treeIndex = Number(t['treeIndex']);
    // Bounded by the node's own limits whatever the server asks: depth ≤ TREE_LIMITS.maxDepth, frontier = distinct leaves of the tree so far.
    const D = TREE_LIMITS.maxDepth, maxNodes = 2 ** (D + 1) - 1;
    const tree = validateTree(t['tree'], this.o.dim, maxNodes, D);
    const frontier = t['frontier'];
    if (!tree.ok || !Array.isArray(frontier) || frontier.length === 0 || frontier.length > 2 ** D || new Set(frontier).size !== frontier.length
      || !frontier.every((i) => Number.isInteger(i) && i >= 0 && i < tree.value.feature.length && tree.value.feature[i] === -1)) return decline('malformed level task');
    if (t['finished'] !== undefined && w.treeCount === treeIndex - 1) {
      const f = validateTree(t['finished'], this.o.dim, maxNodes, D);
      if (!f.ok) return decline(`finished tree: ${f.error}`);
      w.append(f.value as GbdtTree);
    }
    if (w.treeCount !== treeIndex) return decline(`out of step: task for tree ${treeIndex}, margins hold ${w.treeCount} trees`);
    let h: NodeHistograms = w.histograms({ treeIndex, tree: tree.value, frontier: frontier as number[] } satisfies LevelTask);
    const atk = this.o.attack;
    if (atk?.kind === 'scale') h = { ...h, g: h.g.map((v) => v * atk.factor), h: h.h.map((v) => v * atk.factor), totals: h.totals.map((v, i) => (i % 3 === 2 ? v : v * atk.factor)) };
    await this.submit({ step, ...(metrics ? { metrics } : {}) }, encodeHistograms(h));
  }
}
