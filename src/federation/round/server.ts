// Federation server: runs rounds (task → local training → updates → aggregation → signed global model) with quorum and timeouts.

import { randomBytes, type KeyObject } from 'node:crypto';
import type { Strategy, ClientUpdate, RoundConfig, Aggregate } from '../strategy/index.js';
import { signModel, type SignedModel } from '../auth/index.js';
import { blobToVector, blobToWords, type Body, type Handler, type FederationMethod } from '../transport/index.js';
import { decodeFixed, unmaskSum, type AdvertisedKeys, type Reveal } from '../secagg/index.js';
import { Barrier } from './barrier.js';
import { isContributionAdapter, type Combiner, type ContributionAdapter, type ModelAdapter, type RoundSummary } from './types.js';

/** Options of a federation server. */
export interface ServerOptions<M> {
  readonly rounds: number;
  readonly minClients: number;
  /** Vector rounds: how parameter vectors are aggregated (needs a ModelAdapter). */
  readonly strategy?: Strategy;
  readonly adapter: ModelAdapter<M> | ContributionAdapter<M>;
  /** Contribution rounds (needs a ContributionAdapter, no secure aggregation): how contributions become the next model. */
  readonly combiner?: Combiner<M>;
  readonly initialModel: M;
  readonly signingKey: KeyObject;
  readonly signer: string;
  readonly base: Omit<RoundConfig, 'round'>;
  readonly secureAggregation: boolean;
  /** Each phase of a round waits at most this long for slow or dropped clients. */
  readonly roundTimeoutMs: number;
  /** How long to wait for minClients to join before round 1. */
  readonly joinTimeoutMs: number;
  readonly onRound?: (s: RoundSummary) => void;
  readonly log?: (msg: string) => void;
}

/** One node's plain (unmasked) submission: a parameter vector or a contribution. */
type Submission = ClientUpdate & { readonly contribution?: unknown };

type Task = { round: number; config: RoundConfig; model: SignedModel; participants: Set<string>; salt: string; threshold: number } | { done: true; model: SignedModel };

interface SecaggRound {
  adv: Barrier<AdvertisedKeys>;
  share?: Barrier<Record<string, string>>;
  masked?: Barrier<{ y: BigUint64Array; metrics: Record<string, number>; numExamples: number }>;
  unmask?: Barrier<Reveal>;
  peers?: AdvertisedKeys[];
  u2?: string[];
  boxes?: Map<string, Record<string, string>>;
  u3?: string[];
}

const reply = (json: unknown, blobs: Buffer[] = []): Body => ({ json, blobs });

/** Server state machine; `handlers` plug into the transport, `run()` drives the rounds. */
export class FederationServer<M> {
  private readonly joined = new Set<string>();
  private joinWaiters: Array<() => void> = [];
  private task: Task | undefined;
  private taskWaiters: Array<() => void> = [];
  private updates: Barrier<Submission> | undefined;
  private sec: SecaggRound | undefined;
  private global: Float64Array;
  private model: M;
  private readonly fetchedDone = new Set<string>();
  private roundBytes = 0;
  readonly summaries: RoundSummary[] = [];

  constructor(private readonly o: ServerOptions<M>) {
    this.model = o.initialModel;
    if (isContributionAdapter(o.adapter)) {
      if (!o.combiner || o.secureAggregation) throw new Error(`${o.adapter.family}: contribution rounds need a combiner and no secure aggregation`);
      this.global = new Float64Array(0);
    } else {
      if (!o.strategy) throw new Error(`${o.adapter.family}: vector rounds need a strategy`);
      this.global = o.adapter.toParams(o.initialModel);
    }
  }

  private get strategy(): Strategy { return this.o.strategy as Strategy; }

  /** Counts request bytes for the per-node traffic figure (called by the transport wrapper). */
  countBytes(n: number): void { this.roundBytes += n; }

  /** The last global model (unsigned). */
  get current(): M { return this.model; }

  /** Transport handlers for every method. */
  get handlers(): Record<FederationMethod, Handler> {
    return {
      Join: async (id) => { this.joined.add(id); this.wake('join'); return reply({ ok: true, rounds: this.o.rounds }); },
      GetTask: (id, b) => this.getTask(id, b),
      Submit: async (id, b) => this.submit(id, b),
      Advertise: (id, b) => this.advertise(id, b),
      ShareKeys: (id, b) => this.shareKeys(id, b),
      MaskedInput: (id, b) => this.maskedInput(id, b),
      Unmask: (id, b) => this.unmask(id, b),
    };
  }

  private wake(which: 'join' | 'task'): void {
    const ws = which === 'join' ? this.joinWaiters : this.taskWaiters;
    if (which === 'join') this.joinWaiters = []; else this.taskWaiters = [];
    for (const w of ws) w();
  }

  private async getTask(id: string, b: Body): Promise<Body> {
    const after = Number((b.json as { afterRound?: unknown })?.afterRound ?? 0);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const t = this.task;
      if (t && 'done' in t) { this.fetchedDone.add(id); this.wake('task'); return reply({ done: true, model: t.model }); }
      if (t && t.round > after && t.participants.has(id)) {
        return reply({ round: t.round, config: t.config, model: t.model, secureAggregation: this.o.secureAggregation, salt: t.salt, threshold: t.threshold });
      }
      const left = deadline - Date.now();
      if (left <= 0) return reply({ wait: true });
      await new Promise<void>((r) => { const tm = setTimeout(r, left); this.taskWaiters.push(() => { clearTimeout(tm); r(); }); });
    }
  }

  private currentRound(b: Body): number | undefined {
    const t = this.task;
    const r = (b.json as { round?: unknown })?.round;
    return t && !('done' in t) && r === t.round ? t.round : undefined;
  }

  private submit(id: string, b: Body): Body {
    if (this.currentRound(b) === undefined || !this.updates) return reply({ error: 'not in this round' });
    const j = b.json as { numExamples?: unknown; metrics?: unknown; contribution?: unknown };
    if (this.o.combiner) {
      const n = Number(j.numExamples);
      if (!Number.isInteger(n) || n < 1) return reply({ error: 'numExamples must be a positive integer' });
      if (j.contribution === undefined) return reply({ error: 'a contribution round needs a contribution' });
      return reply({ accepted: this.updates.submit(id, { nodeId: id, params: this.global, numExamples: n, metrics: cleanMetrics(j.metrics), contribution: j.contribution }) });
    }
    const v = b.blobs[0] ? blobToVector(b.blobs[0]) : undefined;
    if (!v?.ok || v.value.length !== this.global.length) return reply({ error: 'update has the wrong dimension or non-finite values' });
    const n = Number(j.numExamples);
    if (!Number.isInteger(n) || n < 1) return reply({ error: 'numExamples must be a positive integer' });
    const cw = b.blobs[1] ? blobToVector(b.blobs[1]) : undefined;
    if (cw && (!cw.ok || cw.value.length !== this.global.length || cw.value.some((c) => c < 0 || c > n))) return reply({ error: 'coordinate weights must have the model dimension and lie in [0, numExamples]' });
    const accepted = this.updates.submit(id, { nodeId: id, params: v.value, numExamples: n, metrics: cleanMetrics(j.metrics), ...(cw?.ok ? { coordWeights: cw.value } : {}) });
    return reply({ accepted });
  }

  private async advertise(id: string, b: Body): Promise<Body> {
    const s = this.sec;
    const k = (b.json as { keys?: Partial<AdvertisedKeys> })?.keys;
    if (this.currentRound(b) === undefined || !s || typeof k?.cPk !== 'string' || typeof k.sPk !== 'string') return reply({ error: 'bad advertise' });
    s.adv.submit(id, { nodeId: id, cPk: k.cPk, sPk: k.sPk });
    await s.adv.done;
    while (!s.peers) await new Promise((r) => setTimeout(r, 5));
    return reply({ peers: s.peers });
  }

  private async shareKeys(id: string, b: Body): Promise<Body> {
    const s = this.sec;
    const boxes = (b.json as { boxes?: unknown })?.boxes;
    if (this.currentRound(b) === undefined || !s?.share || !boxes || typeof boxes !== 'object') return reply({ error: 'bad shares' });
    s.share.submit(id, boxes as Record<string, string>);
    await s.share.done;
    while (!s.u2) await new Promise((r) => setTimeout(r, 5));
    const forMe: Record<string, string> = {};
    for (const from of s.u2) { const box = s.boxes?.get(from)?.[id]; if (typeof box === 'string') forMe[from] = box; }
    return reply({ u2: s.u2, forMe });
  }

  private async maskedInput(id: string, b: Body): Promise<Body> {
    const s = this.sec;
    const w = b.blobs[0] ? blobToWords(b.blobs[0]) : undefined;
    const j = b.json as { metrics?: unknown; numExamples?: unknown };
    if (this.currentRound(b) === undefined || !s?.masked || !w?.ok || w.value.length !== this.maskedLength()) return reply({ error: 'bad masked input' });
    s.masked.submit(id, { y: w.value, metrics: cleanMetrics(j.metrics), numExamples: Math.max(1, Number(j.numExamples) || 1) });
    await s.masked.done;
    while (!s.u3) await new Promise((r) => setTimeout(r, 5));
    return reply({ u3: s.u3 });
  }

  /** Length of a masked input: [n·w, n], or [c ⊙ w, c] when the round asks for coordinate weights. */
  private maskedLength(): number {
    const t = this.task;
    return t && !('done' in t) && t.config.coordinateWeights === true && t.config.clipNorm === 0 ? 2 * this.global.length : this.global.length + 1;
  }

  private async unmask(id: string, b: Body): Promise<Body> {
    const s = this.sec;
    const r = (b.json as { reveal?: Reveal })?.reveal;
    if (this.currentRound(b) === undefined || !s?.unmask || !r || typeof r.selfMask !== 'object' || typeof r.maskKey !== 'object') return reply({ error: 'bad unmask' });
    s.unmask.submit(id, { from: id, selfMask: r.selfMask, maskKey: r.maskKey });
    return reply({ ok: true });
  }

  private async waitForClients(): Promise<void> {
    const deadline = Date.now() + this.o.joinTimeoutMs;
    while (this.joined.size < this.o.minClients) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.joined.size} of ${this.o.minClients} clients joined`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.joinWaiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  /** Runs every round, then publishes the final model and waits briefly for clients to fetch it. */
  async run(): Promise<RoundSummary[]> {
    await this.waitForClients();
    for (let round = 1; round <= this.o.rounds; round++) {
      try { await this.runRound(round); } catch (e) { this.o.log?.(`round ${round} skipped: ${(e as Error).message.slice(0, 200)} (the global model stays)`); }
    }
    const final = signModel(this.model, this.o.rounds + 1, this.o.signer, this.o.signingKey);
    this.task = { done: true, model: final };
    this.wake('task');
    const until = Date.now() + this.o.roundTimeoutMs;
    while (Date.now() < until && [...this.joined].some((id) => !this.fetchedDone.has(id))) {
      await new Promise<void>((r) => { const t = setTimeout(r, 200); this.taskWaiters.push(() => { clearTimeout(t); r(); }); });
    }
    return this.summaries;
  }

  private async runRound(round: number): Promise<void> {
    const started = Date.now();
    this.roundBytes = 0;
    const participants = new Set(this.joined);
    const config = (this.o.combiner ?? this.strategy).configureRound({ ...this.o.base, round });
    const threshold = Math.max(2, Math.floor(participants.size / 2) + 1);
    const model = signModel(this.model, round, this.o.signer, this.o.signingKey);
    const salt = randomBytes(16).toString('base64');
    if (this.o.secureAggregation) this.sec = { adv: new Barrier(participants, this.o.roundTimeoutMs) };
    else this.updates = new Barrier(participants, this.o.roundTimeoutMs);
    this.task = { round, config, model, participants, salt, threshold };
    this.wake('task');
    const res = this.o.secureAggregation ? await this.secureRound(Buffer.from(salt, 'base64'), threshold) : await this.plainRound(round);
    if (res.next) this.adopt(res.next, round);
    else if (res.agg && !isContributionAdapter(this.o.adapter)) {
      if (this.adopt(this.o.adapter.fromParams(res.agg.params, this.model), round)) this.global = res.agg.params;
    }
    const summary: RoundSummary = {
      round, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started,
      participants: [...participants].sort(), accepted: [...(res.agg?.accepted ?? [])].sort(), rejected: [...(res.agg?.rejected ?? [])].sort(),
      dropped: [...participants].filter((p) => !res.present.includes(p)).sort(), secureAggregation: this.o.secureAggregation,
      aggregated: res.agg !== null, metrics: res.metrics, info: res.agg?.info ?? {},
      bytesPerNode: participants.size ? Math.round(this.roundBytes / participants.size) : 0,
    };
    this.summaries.push(summary);
    this.o.onRound?.(summary);
    this.o.log?.(`round ${round}: ${res.present.length}/${participants.size} updates, ${summary.durationMs} ms${res.agg ? '' : ' (not aggregated: below quorum)'}`);
  }

  /**
   * Makes `next` the global model only if the engine's own schema check accepts it after a JSON round
   * trip (what every client will parse) and it signs; otherwise logs why and keeps the current model.
   */
  private adopt(next: M, round: number): boolean {
    let why: string | undefined;
    try {
      const p = this.o.adapter.parse(JSON.parse(JSON.stringify(next)));
      if (!p.ok) why = `the engine refuses it: ${p.error}`;
      else signModel(next, round + 1, this.o.signer, this.o.signingKey);
    } catch (e) { why = `it cannot be encoded or signed: ${(e as Error).message.slice(0, 200)}`; }
    if (why !== undefined) { this.o.log?.(`round ${round}: new global model discarded, ${why.slice(0, 300)}`); return false; }
    this.model = next;
    return true;
  }

  private async plainRound(round: number): Promise<{ agg: Aggregate | null; next?: M; present: string[]; metrics: Record<string, number> }> {
    const got = [...(await (this.updates as Barrier<Submission>).done).values()];
    const present = got.map((u) => u.nodeId);
    const metrics = meanMetrics(got.map((u) => ({ w: u.numExamples, m: u.metrics })));
    if (got.length < this.o.minClients) return { agg: null, present, metrics };
    if (!this.o.combiner) return { agg: this.strategy.aggregate(this.global, got), present, metrics };
    const c = this.o.combiner.combine(this.model, round, got.map((u) => ({ nodeId: u.nodeId, contribution: u.contribution })));
    return c ? { agg: { params: this.global, accepted: c.accepted, rejected: c.rejected, info: c.info }, next: c.model, present, metrics } : { agg: null, present, metrics };
  }

  private async secureRound(salt: Buffer, threshold: number): Promise<{ agg: Aggregate | null; next?: M; present: string[]; metrics: Record<string, number> }> {
    const s = this.sec as SecaggRound;
    const fail = (present: string[]) => ({ agg: null, present, metrics: {} });
    const adv = await s.adv.done;
    s.share = new Barrier(new Set(adv.keys()), this.o.roundTimeoutMs);
    s.peers = [...adv.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    if (adv.size < Math.max(this.o.minClients, threshold)) { s.u2 = []; return fail([...adv.keys()]); }
    s.boxes = await s.share.done;
    s.masked = new Barrier(new Set(s.boxes.keys()), this.o.roundTimeoutMs);
    s.u2 = [...s.boxes.keys()].sort();
    const masked = await s.masked.done;
    s.unmask = new Barrier(new Set(masked.keys()), this.o.roundTimeoutMs);
    s.u3 = [...masked.keys()].sort();
    const metrics = meanMetrics([...masked.values()].map((v) => ({ w: v.numExamples, m: v.metrics })));
    if (s.u3.length < Math.max(this.o.minClients, threshold)) return { ...fail(s.u3), metrics };
    const reveals = [...(await s.unmask.done).values()];
    const len = this.maskedLength();
    const sum = unmaskSum({ salt, threshold, length: len, peers: s.peers, u2: s.u2, u3: s.u3,
      masked: new Map([...masked].map(([k, v]) => [k, v.y])), reveals });
    if (!sum.ok || !this.strategy.fromMean) { this.o.log?.(`secure aggregation failed: ${sum.ok ? 'strategy is not linear' : sum.error}`); return { ...fail(s.u3), metrics }; }
    const dec = decodeFixed(sum.value);
    const L = this.global.length;
    const total = dec[len === 2 * L ? 2 * L - 1 : L] as number;
    if (!(total > 0)) return { ...fail(s.u3), metrics };
    const mean = len === 2 * L
      ? dec.subarray(0, L).map((x, j) => { const c = dec[L + j] as number; return c > 0.5 ? x / c : (this.global[j] as number); })
      : dec.subarray(0, L).map((x) => x / total);
    return { agg: this.strategy.fromMean(this.global, Float64Array.from(mean), s.u3), present: s.u3, metrics };
  }
}

function cleanMetrics(m: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v) && /^[A-Za-z]{1,40}$/.test(k)) out[k] = v;
  return out;
}

function meanMetrics(items: Array<{ w: number; m: Record<string, number> }>): Record<string, number> {
  const sum: Record<string, number> = {};
  const wt: Record<string, number> = {};
  for (const { w, m } of items) for (const [k, v] of Object.entries(m)) { sum[k] = (sum[k] ?? 0) + w * v; wt[k] = (wt[k] ?? 0) + w; }
  return Object.fromEntries(Object.keys(sum).map((k) => [k, (sum[k] as number) / (wt[k] as number)]));
}
