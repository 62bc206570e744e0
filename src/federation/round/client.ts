// Federation client ("Diplomat"): verifies and gates each global model, trains locally, returns its update (plain or masked).

import type { KeyObject } from 'node:crypto';
import { verifySignedModel } from '../auth/index.js';
import { vectorToBlob, wordsToBlob, type FederationTransport, type Body } from '../transport/index.js';
import { SecAggClient, type AdvertisedKeys } from '../secagg/index.js';
import { clipUpdate, type RoundConfig } from '../strategy/index.js';
import { isContributionAdapter, type ContributionAdapter, type Dataset, type EvalMetrics, type ModelAdapter } from './types.js';

/** A simulated attacker's behaviour (for robustness experiments only). */
export type Attack = { readonly kind: 'label-flip' } | { readonly kind: 'scale'; readonly factor: number };

/** Options of a federation client. */
export interface ClientOptions<M> {
  readonly nodeId: string;
  readonly transport: FederationTransport;
  readonly adapter: ModelAdapter<M> | ContributionAdapter<M>;
  readonly serverKey: KeyObject;
  readonly train: Dataset;
  readonly validation: Dataset;
  /** The model currently in the detector (the local model at start). */
  readonly current: M;
  /** Rollout gate: accept a global model unless validation accuracy drops more than this (fraction). */
  readonly tolerance: number;
  /** Called when a global model passes the gate (hot-swap it into the detector, write it out). */
  readonly onAccept: (m: M, round: number, metrics: EvalMetrics) => void | Promise<void>;
  readonly attack?: Attack;
  readonly callTimeoutMs?: number;
  readonly log?: (msg: string) => void;
}

/** What the gate decided for one model. */
export interface GateDecision {
  readonly round: number;
  readonly accepted: boolean;
  readonly reason: string;
  readonly candidate: EvalMetrics;
  readonly current: EvalMetrics;
}

/**
 * The rollout gate: a candidate replaces the current model only if its validation accuracy is not
 * lower by more than `tolerance`. Pure.
 */
export function rolloutGate(candidate: EvalMetrics, current: EvalMetrics, tolerance: number): { accepted: boolean; reason: string } {
  if (!(candidate.n > 0)) return { accepted: false, reason: 'no validation data' };
  const drop = current.accuracy - candidate.accuracy;
  return drop > tolerance
    ? { accepted: false, reason: `validation accuracy ${fmt(candidate.accuracy)} < ${fmt(current.accuracy)} - ${tolerance}` }
    : { accepted: true, reason: `validation accuracy ${fmt(candidate.accuracy)} (current ${fmt(current.accuracy)})` };
}

const fmt = (x: number): string => x.toFixed(4);

/** Runs a client until the server publishes the final model. Resolves to the gate decisions; rejects on transport failure. */
export class FederationClient<M> {
  private current: M;
  readonly decisions: GateDecision[] = [];
  readonly refusedModels: string[] = [];
  private presence: Float64Array | undefined;

  constructor(private readonly o: ClientOptions<M>) { this.current = o.current; }

  private async call(method: Parameters<FederationTransport['call']>[0], body: Body): Promise<Body> {
    const r = await this.o.transport.call(method, body, this.o.callTimeoutMs ?? 120_000);
    if (!r.ok) throw new Error(`${method}: ${r.error}`);
    const e = (r.value.json as { error?: unknown })?.error;
    if (typeof e === 'string') throw new Error(`${method} refused: ${e}`);
    return r.value;
  }

  /** The protocol loop. */
  async run(): Promise<GateDecision[]> {
    await this.call('Join', { json: {}, blobs: [] });
    let after = 0;
    for (;;) {
      const t = (await this.call('GetTask', { json: { afterRound: after }, blobs: [] })).json as Record<string, unknown>;
      if (t['wait'] === true) continue;
      const global = this.verify(t['model']);
      if (t['done'] === true) { if (global) await this.gate(global.model, global.round); return this.decisions; }
      const round = Number(t['round']);
      after = round;
      if (!global) continue;
      if (global.round !== round) { // the gate and the contribution use the signed round, never a different unsigned one
        this.refusedModels.push(`signed for round ${global.round}, task says round ${round}`);
        this.o.log?.(`refused global model: ${this.refusedModels.at(-1)}`);
        continue;
      }
      await this.gate(global.model, global.round);
      await this.participate(round, t['config'] as RoundConfig, global.model, t);
    }
  }

  private verify(signed: unknown): { model: M; round: number } | undefined {
    const v = verifySignedModel(signed, this.o.serverKey);
    const m = v.ok ? this.o.adapter.parse(v.value.model) : v;
    if (!v.ok || !m.ok) {
      this.refusedModels.push(v.ok ? (m.ok ? '' : m.error) : v.error);
      this.o.log?.(`refused global model: ${this.refusedModels.at(-1)}`);
      return undefined;
    }
    return { model: m.value, round: v.value.round };
  }

  private async gate(candidate: M, round: number): Promise<void> {
    const c = this.o.adapter.evaluate(candidate, this.o.validation);
    const cur = this.o.adapter.evaluate(this.current, this.o.validation);
    const g = rolloutGate(c, cur, this.o.tolerance);
    this.decisions.push({ round, accepted: g.accepted, reason: g.reason, candidate: c, current: cur });
    this.o.log?.(`round ${round}: global model ${g.accepted ? 'accepted' : 'rejected'} (${g.reason})`);
    if (g.accepted) { this.current = candidate; await this.o.onAccept(candidate, round, c); }
  }

  private counts(cfg: RoundConfig, dim: number): Float64Array | undefined {
    const a = this.o.adapter;
    if (cfg.coordinateWeights !== true || isContributionAdapter(a) || !a.coordinateCounts) return undefined;
    this.presence ??= a.coordinateCounts(this.o.train);
    return this.presence.length === dim ? this.presence : undefined;
  }

  private trainingData(): Dataset {
    return this.o.attack?.kind === 'label-flip' ? { X: this.o.train.X, y: this.o.train.y.map((v) => 1 - v) } : this.o.train;
  }

  private metrics(global: M, trained: M): Record<string, number> {
    const gv = this.o.adapter.evaluate(global, this.o.validation);
    const lv = this.o.adapter.evaluate(trained, this.o.validation);
    return { globalValAccuracy: gv.accuracy, localValAccuracy: lv.accuracy, trainExamples: this.o.train.y.length };
  }

  /** Contribution rounds: boost from the global model and send the contribution (plain only: it is not a vector to mask). */
  private async contribute(a: ContributionAdapter<M>, round: number, cfg: RoundConfig, global: M, t: Record<string, unknown>): Promise<void> {
    if (t['secureAggregation'] === true) throw new Error(`${a.family} rounds cannot run under secure aggregation`);
    const { model, contribution } = a.contribute(this.trainingData(), global, cfg);
    const atk = this.o.attack;
    const sent = atk?.kind === 'scale' && a.amplify ? a.amplify(contribution, atk.factor) : contribution;
    await this.call('Submit', { json: { round, numExamples: this.o.train.y.length, metrics: this.metrics(global, model), contribution: sent }, blobs: [] });
  }

  private localUpdate(a: ModelAdapter<M>, cfg: RoundConfig, global: M): { params: Float64Array; metrics: Record<string, number> } {
    const trained = a.train(this.trainingData(), global, { epochs: cfg.localEpochs, lr: cfg.lr, proxMu: cfg.proxMu, seed: cfg.round });
    const g = a.toParams(global);
    let params = a.toParams(trained);
    const atk = this.o.attack;
    if (atk?.kind === 'scale') params = params.map((p, i) => (g[i] as number) + atk.factor * (p - (g[i] as number)));
    if (cfg.clipNorm > 0) params = clipUpdate(g, params, cfg.clipNorm).params;
    return { params, metrics: this.metrics(global, trained) };
  }

  private async participate(round: number, cfg: RoundConfig, global: M, t: Record<string, unknown>): Promise<void> {
    const a = this.o.adapter;
    if (isContributionAdapter(a)) { await this.contribute(a, round, cfg, global, t); return; }
    const { params, metrics } = this.localUpdate(a, cfg, global);
    const n = cfg.clipNorm > 0 ? 1 : this.o.train.y.length;
    const cw = cfg.clipNorm > 0 ? undefined : this.counts(cfg, params.length);
    if (t['secureAggregation'] !== true) {
      await this.call('Submit', { json: { round, numExamples: n, metrics }, blobs: [vectorToBlob(params), ...(cw ? [vectorToBlob(cw)] : [])] });
      return;
    }
    const sec = new SecAggClient(this.o.nodeId, Buffer.from(String(t['salt']), 'base64'), Number(t['threshold']));
    const peers = ((await this.call('Advertise', { json: { round, keys: sec.advertise() }, blobs: [] })).json as { peers: AdvertisedKeys[] }).peers;
    const boxes = sec.shareKeys(peers);
    if (!boxes.ok) throw new Error(`secure aggregation: ${boxes.error}`);
    const sh = (await this.call('ShareKeys', { json: { round, boxes: boxes.value }, blobs: [] })).json as { u2: string[]; forMe: Record<string, string> };
    // Masked input: [n·w, n], or with coordinate weights [c ⊙ w, c]; the server only learns the sums.
    const x = new Float64Array(cw ? 2 * params.length : params.length + 1);
    params.forEach((p, i) => { x[i] = p * (cw ? (cw[i] as number) : n); });
    if (cw) x.set(cw, params.length); else x[params.length] = n;
    const y = sec.maskInput(x, sh.u2, sh.forMe);
    if (!y.ok) throw new Error(`secure aggregation: ${y.error}`);
    const u3 = ((await this.call('MaskedInput', { json: { round, numExamples: n, metrics }, blobs: [wordsToBlob(y.value)] })).json as { u3: string[] }).u3;
    const rev = sec.unmask(sh.u2, u3);
    if (!rev.ok) throw new Error(`secure aggregation: ${rev.error}`);
    await this.call('Unmask', { json: { round, reveal: rev.value }, blobs: [] });
  }
}
