// Federated tree rounds for gradient-boosted trees: nodes contribute trees, the server keeps those that don't hurt its validation set.

import { err, ok, type Result } from '../../core/index.js';
import type { GbdtModelFile, GbdtTree } from '../../detect/index.js';
import type { Dataset } from '../round/types.js';

/** One regression tree as parallel arrays: the detection engine's GbdtTree. */
export type BagTree = GbdtTree;

/** A node's contribution in one round: trees boosted from the round's global model on its own data. */
export interface TreeContribution {
  readonly nodeId: string;
  readonly trees: readonly BagTree[];
}

/** Settings of the server's acceptance step. */
export interface TreeRoundOptions {
  readonly dim: number;
  /** Trees kept per node per round (a contribution's boosting prefix). */
  readonly maxTreesPerNode: number;
  /** A node's trees are refused when they cost more than this (fraction of validation accuracy): alone, or within the round. */
  readonly tolerance: number;
  /**
   * How the round's accepted contributions join the model: `sum` appends every node's trees as they are
   * (each corrects the global model on its own data), `mean` divides their leaf values by the count (bagging).
   */
  readonly combine: 'sum' | 'mean';
  /** Maximum nodes per tree (bounds the work of a malicious contribution; default 1024). */
  readonly maxNodesPerTree?: number;
  /** Maximum trees of the global model (the engine's model files hold at most 5000). */
  readonly maxTotalTrees?: number;
  /** Maximum depth of a tree: the round's `--tree-depth` (default 8, the nodes' limit); also caps nodes per tree at 2^(depth+1) − 1. */
  readonly maxDepth?: number;
  /** Maximum JSON size of the global model's trees (default MODEL_BYTE_LIMIT: the signed task must fit the wire's JSON limit). */
  readonly maxModelBytes?: number;
}

/** Default cap on the global model's tree JSON: half the wire's 16 MiB JSON limit, leaving room for the task around it. */
export const MODEL_BYTE_LIMIT = 8 << 20;

/** Leaves whose values are all below this in magnitude change no score: such contributions only fill the model. */
const NEGLIGIBLE_LEAF = 1e-9;

/** What happened to one contribution. */
export interface BagDecision {
  readonly nodeId: string;
  readonly accepted: boolean;
  readonly reason: string;
  readonly trees: number;
}

/**
 * Checks an untrusted tree against the engine's tree schema and rebuilds it from the checked numbers
 * only: equal array lengths in [1, `maxNodes`]; every node's feature an integer in [−1, dim), its
 * threshold and value finite numbers and its children integers; a split node's children point
 * strictly forward inside the tree and every node but the root has exactly one parent (a real tree:
 * no cycles, no shared subtrees); no path is deeper than `maxDepth` (default 64). Leaves are rebuilt
 * with threshold 0 and children 0, as `trainGbdt` writes them. Pure.
 */
export function validateTree(t: unknown, dim: number, maxNodes: number, maxDepth = 64): Result<BagTree, string> {
  const o = t as Partial<Record<keyof BagTree, unknown>>;
  const arrs = ['feature', 'threshold', 'left', 'right', 'value'] as const;
  if (!o || typeof o !== 'object' || arrs.some((k) => !Array.isArray(o[k]))) return err('tree: missing arrays');
  const [f, th, l, r, v] = arrs.map((k) => o[k] as unknown[]) as [unknown[], unknown[], unknown[], unknown[], unknown[]];
  const n = f.length;
  if (n === 0 || n > maxNodes || [th, l, r, v].some((a) => a.length !== n)) return err(`tree: arrays must have one equal length in [1, ${maxNodes}]`);
  const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
  const fin = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const out: BagTree = { feature: new Array<number>(n), threshold: new Array<number>(n), left: new Array<number>(n), right: new Array<number>(n), value: new Array<number>(n) };
  const depth = new Int32Array(n).fill(-1);
  depth[0] = 0;
  for (let i = 0; i < n; i++) {
    const fi = f[i], ti = th[i], li = l[i], ri = r[i], vi = v[i];
    if (!isInt(fi) || fi < -1 || fi >= dim) return err(`tree: node ${i} feature must be an integer in [-1, ${dim})`);
    if (!fin(vi)) return err(`tree: node ${i} value not finite`);
    if (!fin(ti)) return err(`tree: node ${i} threshold not finite`);
    if (!isInt(li) || !isInt(ri)) return err(`tree: node ${i} children must be integers`);
    if (depth[i]! < 0) return err(`tree: node ${i} has no parent`);
    out.feature[i] = fi; out.value[i] = vi;
    if (fi < 0) { out.threshold[i] = 0; out.left[i] = 0; out.right[i] = 0; continue; }
    if (li <= i || ri <= i || li >= n || ri >= n || li === ri) return err(`tree: node ${i} children must point forward inside the tree`);
    for (const c of [li, ri]) {
      if (depth[c]! >= 0) return err(`tree: node ${c} has two parents`);
      depth[c] = depth[i]! + 1;
      if (depth[c]! > maxDepth) return err(`tree: deeper than ${maxDepth}`);
    }
    out.threshold[i] = ti; out.left[i] = li; out.right[i] = ri;
  }
  return ok(out);
}

function treeValue(t: BagTree, x: Float32Array): number {
  let i = 0;
  for (;;) {
    const f = t.feature[i] as number;
    if (f < 0) return t.value[i] as number;
    i = (x[f] ?? 0) <= (t.threshold[i] as number) ? (t.left[i] as number) : (t.right[i] as number);
  }
}

/** Margin (log-odds) of a GBDT model file: baseScore plus every tree's leaf. Pure. */
export function treeMargin(m: Pick<GbdtModelFile, 'baseScore' | 'trees'>, x: Float32Array): number {
  let z = m.baseScore;
  for (const t of m.trees) z += treeValue(t, x);
  return z;
}

/** Parses one node's untrusted contribution `{ trees: [...] }`: every tree validated, cut to the per-node cap. */
export function parseTreeContribution(nodeId: string, c: unknown, o: TreeRoundOptions): Result<TreeContribution, string> {
  const trees = (c as { trees?: unknown } | null)?.trees;
  if (!Array.isArray(trees) || trees.length === 0) return err('contribution: needs a non-empty trees array');
  const out: BagTree[] = [];
  const depth = o.maxDepth ?? 8;
  const maxNodes = Math.min(o.maxNodesPerTree ?? 1024, 2 ** (depth + 1) - 1);
  for (const [k, t] of trees.slice(0, o.maxTreesPerNode).entries()) {
    const v = validateTree(t, o.dim, maxNodes, depth);
    if (!v.ok) return err(`trees[${k}]: ${v.error}`);
    out.push(v.value);
  }
  if (out.every((t) => t.feature.every((f, i) => f >= 0 || Math.abs(t.value[i] as number) < NEGLIGIBLE_LEAF))) {
    return err(`contribution: every leaf is below ${NEGLIGIBLE_LEAF} in magnitude (the trees change no score)`);
  }
  return ok({ nodeId, trees: out });
}

/** Accuracy at threshold 0.5 of margins `base + w·Σ parts` against labels. */
function accuracyOf(base: Float64Array, parts: readonly Float64Array[], w: number, y: readonly number[]): number {
  let right = 0;
  for (let i = 0; i < base.length; i++) {
    let z = base[i] as number;
    for (const p of parts) z += w * (p[i] as number);
    if ((z >= 0 ? 1 : 0) === ((y[i] as number) > 0.5 ? 1 : 0)) right++;
  }
  return base.length ? right / base.length : NaN;
}

/** The result of one tree round. */
export interface TreeRoundResult {
  readonly model: GbdtModelFile;
  readonly decisions: readonly BagDecision[];
  /** Validation accuracy before and after the round. */
  readonly before: number;
  readonly after: number;
}

/**
 * One tree round on the server. Contributions are parsed (malformed ones refused with the reason),
 * then judged by accuracy on `validation` in two steps: (1) alone: the global model plus a node's
 * trees must not be less accurate than the global model by more than `tolerance`; (2) together
 * (backward elimination): while removing one node's trees raises the round model's accuracy by more
 * than `tolerance`, the node whose removal helps most is refused. Step 1 catches a contribution that
 * a second one cancels out in step 2 (a label-flipping copy of an honest node). The accepted trees
 * are appended (leaf values scaled by 1/count for `mean`). Pure; decisions are in node-id order. An
 * empty `validation` refuses every contribution.
 */
export function treeRound(global: GbdtModelFile, contributions: ReadonlyArray<{ nodeId: string; contribution: unknown }>,
  validation: Dataset, o: TreeRoundOptions): TreeRoundResult {
  const decisions = new Map<string, BagDecision>();
  const valid: TreeContribution[] = [];
  for (const c of [...contributions].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))) {
    const p = parseTreeContribution(c.nodeId, c.contribution, o);
    if (p.ok) valid.push(p.value);
    else decisions.set(c.nodeId, { nodeId: c.nodeId, accepted: false, reason: p.error, trees: 0 });
  }
  const base = Float64Array.from(validation.X, (x) => treeMargin(global, x));
  const parts = new Map(valid.map((c) => [c.nodeId, Float64Array.from(validation.X, (x) => c.trees.reduce((z, t) => z + treeValue(t, x), 0))]));
  const acc = (ids: readonly string[]): number =>
    accuracyOf(base, ids.map((id) => parts.get(id) as Float64Array), o.combine === 'mean' ? 1 / Math.max(1, ids.length) : 1, validation.y);
  const before = acc([]);
  let kept: string[] = [];
  for (const c of valid) {
    const alone = validation.y.length ? acc([c.nodeId]) : NaN;
    if (alone >= before - o.tolerance) kept.push(c.nodeId);
    else decisions.set(c.nodeId, { nodeId: c.nodeId, accepted: false, trees: c.trees.length,
      reason: validation.y.length ? `validation accuracy ${alone.toFixed(4)} with its trees alone < ${before.toFixed(4)} - ${o.tolerance}` : 'no validation data' });
  }
  while (kept.length > 0) {
    const all = acc(kept);
    const without = kept.map((id) => ({ id, a: acc(kept.filter((k) => k !== id)) })).sort((p, q) => q.a - p.a || (p.id < q.id ? -1 : 1))[0] as { id: string; a: number };
    if (!(without.a > all + o.tolerance)) break;
    const n = valid.find((c) => c.nodeId === without.id)?.trees.length ?? 0;
    decisions.set(without.id, { nodeId: without.id, accepted: false, trees: n,
      reason: `validation accuracy ${without.a.toFixed(4)} without its trees > ${all.toFixed(4)} with them + ${o.tolerance}` });
    kept = kept.filter((k) => k !== without.id);
  }
  let room = (o.maxTotalTrees ?? 5000) - global.trees.length;
  const byteCap = o.maxModelBytes ?? MODEL_BYTE_LIMIT;
  let bytes = JSON.stringify(global.trees).length;
  const accepted = valid.filter((c) => kept.includes(c.nodeId)).filter((c) => {
    const add = JSON.stringify(c.trees).length;
    const why = c.trees.length > room ? `the global model is full (${o.maxTotalTrees ?? 5000} trees)`
      : bytes + add > byteCap ? `the global model is full (its trees would take ${bytes + add} bytes of JSON, the limit is ${byteCap})` : undefined;
    if (why) { decisions.set(c.nodeId, { nodeId: c.nodeId, accepted: false, reason: why, trees: c.trees.length }); return false; }
    room -= c.trees.length; bytes += add;
    return true;
  });
  const after = acc(accepted.map((c) => c.nodeId));
  for (const c of accepted) decisions.set(c.nodeId, { nodeId: c.nodeId, accepted: true, trees: c.trees.length, reason: `validation accuracy ${after.toFixed(4)} with its trees (${before.toFixed(4)} before the round)` });
  const w = o.combine === 'mean' ? 1 / Math.max(1, accepted.length) : 1;
  const model: GbdtModelFile = { ...global, trees: [...global.trees, ...accepted.flatMap((c) => c.trees.map((t) => (w === 1 ? t : { ...t, value: t.value.map((v) => v * w) })))] };
  return { model, decisions: [...decisions.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)), before, after };
}
