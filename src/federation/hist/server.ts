// Federation server for histogram boosting: sketch phase, then per round and tree one exchange per level; only summed histograms build trees.

import type { KeyObject } from 'node:crypto';
import { Rng, type GbdtModelFile, type GbdtTree } from '../../detect/index.js';
import { signModel, type SignedModel } from '../auth/index.js';
import type { Body, Handler, FederationMethod } from '../transport/index.js';
import { Barrier } from '../round/barrier.js';
import type { RoundSummary } from '../round/types.js';
import { decodeHistograms, histLayout, sumHistograms, type HistLayout, type NodeHistograms } from './histogram.js';
import { clampSketchWeights, decodeSketch, mergeSketches, pooledBaseScore, type NodeSketch } from './sketch.js';
import { histModel, histTreeCap, sampleFeatures, TreeBuilder, type HistSettings } from './builder.js';

/** Options of a histogram-boosting server. */
export interface HistServerOptions {
  readonly rounds: number;
  readonly minClients: number;
  readonly settings: HistSettings;
  readonly dim: number;
  readonly signingKey: KeyObject;
  readonly signer: string;
  /** Each exchange (sketch or level) waits at most this long for slow or dropped nodes. */
  readonly stepTimeoutMs: number;
  readonly joinTimeoutMs: number;
  /** A round starts no new tree after this long (the trees finished so far are kept). */
  readonly roundBudgetMs: number;
  /** Largest row count a node may declare (bounds the magnitude checks; default MAX_NODE_ROWS). */
  readonly maxRows?: number;
  readonly onRound?: (s: RoundSummary) => void;
  readonly log?: (msg: string) => void;
}

/** Default cap on a node's declared training rows (`--max-node-rows`). */
export const MAX_NODE_ROWS = 1_000_000;

type Task =
  | { step: number; round: number; kind: 'sketch'; participants: ReadonlySet<string> }
  | { step: number; round: number; kind: 'level'; participants: ReadonlySet<string>; json: Record<string, unknown>; blobs: Buffer[] }
  | { step: number; done: true; model: SignedModel };

interface Sub { readonly json: Record<string, unknown>; readonly blobs: readonly Buffer[] }

const reply = (json: unknown, blobs: Buffer[] = []): Body => ({ json, blobs });

/** Common edges as two blobs: all edges (Float32) and per-feature counts (Uint32). */
export function encodeCuts(cuts: readonly Float32Array[]): Buffer[] {
  const all = new Float32Array(cuts.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of cuts) { all.set(c, o); o += c.length; }
  const counts = Uint32Array.from(cuts, (c) => c.length);
  return [Buffer.from(all.buffer), Buffer.from(counts.buffer)];
}

/** Server state machine: `handlers` plug into the transport (Join, GetTask, Submit), `run()` drives sketch and rounds. */
export class HistServer {
  private readonly joined = new Set<string>();
  private task: Task | undefined;
  private waiters: Array<() => void> = [];
  private step = 0;
  private subs: Barrier<Sub> | undefined;
  private model: GbdtModelFile;
  private layout: HistLayout | undefined;
  private cutBlobs: Buffer[] = [];
  private readonly rows = new Map<string, number>();
  private readonly rng: Rng;
  private roundBytes = 0;
  private readonly fetchedDone = new Set<string>();
  readonly summaries: RoundSummary[] = [];

  constructor(private readonly o: HistServerOptions) {
    this.model = histModel(o.dim, 0);
    this.rng = new Rng(o.settings.seed);
  }

  /** The last global model (unsigned). */
  get current(): GbdtModelFile { return this.model; }

  /** Counts request bytes for the per-node traffic figure. */
  countBytes(n: number): void { this.roundBytes += n; }

  /** Transport handlers; the secure-aggregation methods are refused (histograms are sent in the clear to the server). */
  get handlers(): Record<FederationMethod, Handler> {
    const no: Handler = async () => reply({ error: 'histogram rounds use Join, GetTask and Submit only' });
    return {
      Join: async (id) => { this.joined.add(id); this.wake(); return reply({ ok: true, rounds: this.o.rounds }); },
      GetTask: (id, b) => this.getTask(id, b),
      Submit: async (id, b) => this.submit(id, b),
      Advertise: no, ShareKeys: no, MaskedInput: no, Unmask: no,
    };
  }

  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }

  private async getTask(id: string, b: Body): Promise<Body> {
    const after = Number((b.json as { afterStep?: unknown })?.afterStep ?? 0);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const t = this.task;
      if (t && 'done' in t) { this.fetchedDone.add(id); this.wake(); return reply({ done: true, model: t.model }); }
      if (t && t.step > after && t.participants.has(id)) {
        return t.kind === 'sketch' ? reply({ kind: 'sketch', step: t.step, round: t.round }) : reply(t.json, t.blobs);
      }
      const left = deadline - Date.now();
      if (left <= 0) return reply({ wait: true });
      await new Promise<void>((r) => { const tm = setTimeout(r, left); this.waiters.push(() => { clearTimeout(tm); r(); }); });
    }
  }

  /**
   * Takes one node's answer to the current step. The JSON is bounded by what the step needs (a sketch:
   * two counts per feature; a level: the step, an optional decline reason and metrics) and only those
   * fields are kept, metrics reduced to whitelisted finite numbers, so nothing else is held for the round.
   */
  private submit(id: string, b: Body): Body {
    const t = this.task;
    const j = (b.json ?? {}) as Record<string, unknown>;
    if (!t || 'done' in t || j['step'] !== t.step || !this.subs) return reply({ error: 'not in this step' });
    const limit = t.kind === 'sketch' ? 1024 + 48 * this.o.dim : 4096;
    let size = Infinity;
    try { size = JSON.stringify(j).length; } catch { /* cyclic or unencodable: refused below */ }
    if (!(size <= limit)) return reply({ error: `submission JSON of ${size} bytes, at most ${limit} in this step` });
    const decline = j['decline'];
    const json: Record<string, unknown> = t.kind === 'sketch' ? { sketch: j['sketch'] }
      : { ...(typeof decline === 'string' ? { decline: decline.slice(0, 200) } : {}), metrics: cleanMetrics(j['metrics']) };
    return reply({ accepted: this.subs.submit(id, { json, blobs: b.blobs }) });
  }

  private publish(t: Task): void { this.task = t; this.wake(); }

  private async waitForClients(): Promise<void> {
    const deadline = Date.now() + this.o.joinTimeoutMs;
    while (this.joined.size < this.o.minClients) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.joined.size} of ${this.o.minClients} clients joined`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  /** Sketch phase: common bin edges and the base score from the nodes' sketches. Throws below quorum. */
  private async sketchPhase(): Promise<void> {
    const participants = new Set(this.joined);
    this.subs = new Barrier(participants, this.o.stepTimeoutMs);
    this.publish({ step: ++this.step, round: 1, kind: 'sketch', participants });
    const got = await this.subs.done;
    const sketches: NodeSketch[] = [];
    for (const id of [...participants].sort()) {
      const s = got.get(id);
      const d = s ? decodeSketch(s.json['sketch'], s.blobs[0], this.o.dim, this.o.maxRows ?? MAX_NODE_ROWS) : undefined;
      if (d?.ok) { sketches.push(d.value); this.rows.set(id, d.value.n); } else this.o.log?.(`sketch: ${id} ${d ? `refused: ${d.error}` : 'sent nothing'}`);
    }
    if (sketches.length === 0 || got.size < this.o.minClients) throw new Error(`${got.size} sketches (${sketches.length} valid), quorum is ${this.o.minClients}`);
    const weighted = clampSketchWeights(sketches);
    const cuts = mergeSketches(weighted, this.o.dim, Math.min(255, Math.max(4, this.o.settings.bins)));
    this.layout = histLayout(cuts);
    this.cutBlobs = encodeCuts(cuts);
    this.model = histModel(this.o.dim, pooledBaseScore(weighted));
    this.o.log?.(`sketch: ${sketches.length} nodes, ${this.layout.total} bins over ${this.o.dim} features`);
  }

  /** Runs the sketch phase and every round, then publishes the final signed model. */
  async run(): Promise<RoundSummary[]> {
    await this.waitForClients();
    await this.sketchPhase();
    for (let round = 1; round <= this.o.rounds; round++) await this.runRound(round);
    this.publish({ step: ++this.step, done: true, model: signModel(this.model, this.o.rounds + 1, this.o.signer, this.o.signingKey) });
    const until = Date.now() + this.o.stepTimeoutMs;
    while (Date.now() < until && [...this.rows.keys()].some((id) => !this.fetchedDone.has(id))) {
      await new Promise<void>((r) => { const t = setTimeout(r, 200); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
    return this.summaries;
  }

  private async runRound(round: number): Promise<void> {
    const started = Date.now(); this.roundBytes = 0;
    const participants = new Set([...this.joined].filter((id) => this.rows.has(id)));
    const active = new Set(participants);
    const refused = new Map<string, string>(); const dropped = new Set<string>(); const metrics = new Map<string, Record<string, number>>();
    const signed = signModel(this.model, round, this.o.signer, this.o.signingKey);
    const s = this.o.settings; const layout = this.layout as HistLayout;
    let first = true; let finished: GbdtTree | undefined; let grown = 0; let exchanges = 0;
    const trees = [...this.model.trees];
    // Quorum counts the nodes that answer (a refused node is present, as a rejected update in vector rounds); trees need one node left.
    const quorum = (): boolean => active.size > 0 && active.size + refused.size >= this.o.minClients;
    for (let t = 0; t < s.trees && trees.length < histTreeCap(s.depth) && quorum() && Date.now() - started < this.o.roundBudgetMs; t++) {
      const featOk = sampleFeatures(this.rng, this.o.dim, s.colsample);
      let b = new TreeBuilder(layout, s, featOk);
      while (!b.done && quorum()) {
        const task = b.task(trees.length);
        const json = { kind: 'level', step: this.step + 1, round, ...task, ...(finished ? { finished } : {}), ...(first ? { model: signed, sampling: { subsample: s.subsample, seed: s.seed } } : {}) };
        this.subs = new Barrier(new Set(active), this.o.stepTimeoutMs);
        this.publish({ step: ++this.step, round, kind: 'level', participants: new Set(active), json, blobs: first ? this.cutBlobs : [] });
        first = false; exchanges++;
        const got = await this.subs.done;
        const parts: NodeHistograms[] = [];
        let removed = 0;
        for (const id of [...active].sort()) {
          const sub = got.get(id);
          const why = !sub ? undefined : typeof sub.json['decline'] === 'string' ? `declined: ${String(sub.json['decline']).slice(0, 200)}` : undefined;
          const d = sub && !why ? decodeHistograms(sub.blobs, { slots: task.frontier.length, layout, maxRows: this.rows.get(id) ?? 0 }) : undefined;
          const m = sub?.json['metrics'] as Record<string, number> | undefined;
          if (m && Object.keys(m).length > 0 && !metrics.has(id)) metrics.set(id, m); // once per node and round
          if (d?.ok) { parts.push(d.value); continue; }
          active.delete(id); removed++;
          if (!sub) dropped.add(id);
          else { const r = why ?? (d && !d.ok ? d.error : 'no histograms'); refused.set(id, r); this.o.log?.(`round ${round}: ${id} refused for this round (tree ${trees.length}): ${r}`); }
        }
        // A tree is built from one set of nodes: when one is refused or drops, the tree restarts from its root without it.
        if (removed > 0) { b = new TreeBuilder(layout, s, featOk); continue; }
        b.apply(sumHistograms(parts, task.frontier.length, layout));
      }
      if (!b.done) break;
      finished = b.tree(); trees.push(finished); grown++;
    }
    this.model = { ...histModel(this.o.dim, this.model.baseScore, trees), meta: { federated: { kind: 'gbdt-hist', rounds: round, trees: trees.length }, params: { ...s } } };
    const summary: RoundSummary = {
      round, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, participants: [...participants].sort(),
      accepted: [...active].sort(), rejected: [...refused.keys()].sort(), dropped: [...dropped].sort(), secureAggregation: false, aggregated: grown > 0,
      metrics: meanOf([...metrics.values()]), info: { treesGrown: grown, treesTotal: trees.length, exchanges },
      bytesPerNode: participants.size ? Math.round(this.roundBytes / participants.size) : 0,
    };
    this.summaries.push(summary);
    this.o.onRound?.(summary);
    this.o.log?.(`round ${round}: ${grown} trees from ${active.size}/${participants.size} nodes in ${summary.durationMs} ms, ${exchanges} exchanges`);
  }
}

/** Metrics a node may report (its rollout gate's accuracy on the round's model). */
const METRIC_KEYS = ['globalValAccuracy'] as const;

/** Untrusted metrics reduced to the whitelisted keys with finite values. */
function cleanMetrics(m: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (m && typeof m === 'object') for (const k of METRIC_KEYS) { const v = (m as Record<string, unknown>)[k]; if (typeof v === 'number' && Number.isFinite(v)) out[k] = v; }
  return out;
}

function meanOf(ms: ReadonlyArray<Record<string, unknown>>): Record<string, number> {
  const sum: Record<string, number> = {}; const cnt: Record<string, number> = {};
  for (const m of ms) for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v) && /^[A-Za-z]{1,40}$/.test(k)) { sum[k] = (sum[k] ?? 0) + v; cnt[k] = (cnt[k] ?? 0) + 1; }
  return Object.fromEntries(Object.keys(sum).map((k) => [k, sum[k]! / cnt[k]!]));
}
