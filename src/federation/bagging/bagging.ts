// Federated bagging of gradient-boosted trees: nodes contribute small tree ensembles, the server keeps those that don't hurt validation.

import { err, ok, type Result } from '../../core/index.js';
import type { GbdtModelFile, GbdtTree } from '../../detect/index.js';
import type { Dataset, EvalMetrics } from '../round/types.js';
import { evaluateScores } from '../round/types.js';

/** One regression tree as parallel arrays: the detection engine's GbdtTree. */
export type BagTree = GbdtTree;

/** A node's contribution in one round: a boosted ensemble trained on its own data (its prior log-odds and trees). */
export interface TreeContribution {
  readonly nodeId: string;
  readonly round: number;
  readonly baseScore: number;
  readonly trees: readonly BagTree[];
}

/** The model the bag produces: a detection-engine GBDT model file that records where its trees came from. */
export type BaggedGbdt = GbdtModelFile & { readonly meta: { readonly bag: ReadonlyArray<{ nodeId: string; round: number; trees: number }> } };

/** Settings of the acceptance step. */
export interface BaggingOptions {
  readonly dim: number;
  readonly featureVersion: number;
  /** Trees kept per node per round (a contribution's boosting prefix). */
  readonly maxTreesPerNode: number;
  /** A contribution is accepted if validation accuracy drops by at most this (fraction). */
  readonly tolerance: number;
  /** Maximum nodes per tree (bounds the work of a malicious contribution). */
  readonly maxNodesPerTree?: number;
}

/** What happened to one contribution. */
export interface BagDecision {
  readonly nodeId: string;
  readonly accepted: boolean;
  readonly reason: string;
  readonly validation?: EvalMetrics;
}

/**
 * Checks an untrusted tree: equal array lengths, at most `maxNodes` nodes, split features in
 * [0, dim), finite thresholds and values, children pointing strictly forward (so every path ends at
 * a leaf, no cycles). Pure.
 */
export function validateTree(t: unknown, dim: number, maxNodes: number): Result<BagTree, string> {
  const o = t as Partial<Record<keyof BagTree, unknown>>;
  const arrs = ['feature', 'threshold', 'left', 'right', 'value'] as const;
  if (!o || typeof o !== 'object' || arrs.some((k) => !Array.isArray(o[k]))) return err('tree: missing arrays');
  const [f, th, l, r, v] = arrs.map((k) => o[k] as unknown[]) as [unknown[], unknown[], unknown[], unknown[], unknown[]];
  const n = f.length;
  if (n === 0 || n > maxNodes || [th, l, r, v].some((a) => a.length !== n)) return err(`tree: arrays must have one equal length in [1, ${maxNodes}]`);
  for (let i = 0; i < n; i++) {
    const fi = f[i];
    if (typeof fi !== 'number' || !Number.isInteger(fi) || fi >= dim) return err(`tree: node ${i} feature out of range`);
    if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) return err(`tree: node ${i} value not finite`);
    if (fi < 0) continue;
    const li = l[i]; const ri = r[i];
    if (typeof th[i] !== 'number' || !Number.isFinite(th[i])) return err(`tree: node ${i} threshold not finite`);
    if (typeof li !== 'number' || typeof ri !== 'number' || !Number.isInteger(li) || !Number.isInteger(ri) || li <= i || ri <= i || li >= n || ri >= n) {
      return err(`tree: node ${i} children must point forward inside the tree`);
    }
  }
  return ok({ feature: f as number[], threshold: th as number[], left: l as number[], right: r as number[], value: v as number[] });
}

function treeValue(t: BagTree, x: Float32Array): number {
  let i = 0;
  for (;;) {
    const f = t.feature[i] as number;
    if (f < 0) return t.value[i] as number;
    i = (x[f] ?? 0) <= (t.threshold[i] as number) ? (t.left[i] as number) : (t.right[i] as number);
  }
}

/** Margin of the bag: the mean of its members' margins (bagging averages the ensembles). Pure. */
export function bagMargin(members: readonly TreeContribution[], x: Float32Array): number {
  if (members.length === 0) return 0;
  let z = 0;
  for (const m of members) { z += m.baseScore; for (const t of m.trees) z += treeValue(t, x); }
  return z / members.length;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function evalBag(members: readonly TreeContribution[], d: Dataset): EvalMetrics {
  return evaluateScores((x) => sigmoid(bagMargin(members, x)), d);
}

/**
 * One bagging round on the server. Each contribution is validated, cut to its first
 * `maxTreesPerNode` trees, and tried in node-id order: it replaces that node's previous member (or
 * joins the bag) only if the bag's accuracy on `validation` does not drop by more than `tolerance`
 * (an empty bag must beat always predicting the majority class). Pure; returns the new members and
 * one decision per contribution.
 */
export function bagRound(members: readonly TreeContribution[], contributions: readonly unknown[], validation: Dataset, o: BaggingOptions):
  { members: TreeContribution[]; decisions: BagDecision[] } {
  let bag = [...members];
  const decisions: BagDecision[] = [];
  const pos = validation.y.filter((y) => y > 0.5).length;
  let current = bag.length ? evalBag(bag, validation).accuracy : Math.max(pos, validation.y.length - pos) / Math.max(1, validation.y.length);
  const parsed = contributions.map((c) => parseContribution(c, o));
  parsed.sort((a, b) => (a.ok && b.ok ? (a.value.nodeId < b.value.nodeId ? -1 : 1) : a.ok ? -1 : 1));
  for (const p of parsed) {
    if (!p.ok) { decisions.push({ nodeId: '?', accepted: false, reason: p.error }); continue; }
    const c = p.value;
    const trial = [...bag.filter((m) => m.nodeId !== c.nodeId), c];
    const v = evalBag(trial, validation);
    const accepted = v.accuracy >= current - o.tolerance;
    decisions.push({ nodeId: c.nodeId, accepted, validation: v,
      reason: `validation accuracy ${v.accuracy.toFixed(4)} ${accepted ? '>=' : '<'} ${current.toFixed(4)} - ${o.tolerance}` });
    if (accepted) { bag = trial; current = v.accuracy; }
  }
  return { members: bag, decisions };
}

function parseContribution(c: unknown, o: BaggingOptions): Result<TreeContribution, string> {
  const x = c as Partial<Record<keyof TreeContribution, unknown>>;
  if (!x || typeof x !== 'object' || typeof x.nodeId !== 'string' || typeof x.baseScore !== 'number' || !Number.isFinite(x.baseScore) || !Array.isArray(x.trees)) {
    return err('contribution: needs nodeId, finite baseScore and trees');
  }
  const trees: BagTree[] = [];
  for (const t of x.trees.slice(0, o.maxTreesPerNode)) {
    const v = validateTree(t, o.dim, o.maxNodesPerTree ?? 1024);
    if (!v.ok) return err(`${x.nodeId}: ${v.error}`);
    trees.push(v.value);
  }
  return ok({ nodeId: x.nodeId, round: typeof x.round === 'number' ? x.round : 0, baseScore: x.baseScore, trees });
}

/**
 * The bag as one GBDT model file the engine scores directly: baseScore is the members' mean prior
 * and each member's leaf values are divided by the number of members. Pure.
 */
export function bagToModel(members: readonly TreeContribution[], o: { dim: number; featureVersion: number; threshold?: number }): BaggedGbdt {
  const k = Math.max(1, members.length);
  return {
    format: 'jirachi-gbdt', version: 1, dim: o.dim, featureVersion: o.featureVersion, threshold: o.threshold ?? 0.5,
    baseScore: members.reduce((a, m) => a + m.baseScore, 0) / k,
    trees: members.flatMap((m) => m.trees.map((t) => ({ ...t, value: t.value.map((v) => v / k) }))),
    meta: { bag: members.map((m) => ({ nodeId: m.nodeId, round: m.round, trees: m.trees.length })) },
  };
}
