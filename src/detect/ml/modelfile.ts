// Model files: schema check on load for GBDT and weight models (untrusted JSON in, Result out).

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { err, ok, type Result } from '../../core/index.js';
import type { GbdtModelFile } from './gbdt.js';
import type { WeightModelFile } from './weight.js';
import { FEATURE_DIM, FEATURE_VERSION } from './features.js';

/** Any model file the engine can load. */
export type ModelFile = GbdtModelFile | WeightModelFile;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const tree = z.object({
  feature: z.array(z.number().int().min(-1).max(FEATURE_DIM - 1)).min(1).max(1 << 16),
  threshold: z.array(finite), left: z.array(z.number().int().min(0)), right: z.array(z.number().int().min(0)),
  value: z.array(finite),
}).strict();
const gbdtSchema = z.object({
  format: z.literal('jirachi-gbdt'), version: z.literal(1), dim: z.literal(FEATURE_DIM),
  featureVersion: z.literal(FEATURE_VERSION), baseScore: finite, threshold: z.number().min(0).max(1),
  trees: z.array(tree).max(5000), meta: z.record(z.string(), z.unknown()).optional(),
}).strict();
const weightSchema = z.object({
  format: z.literal('jirachi-weight-model'), version: z.literal(1), dim: z.literal(FEATURE_DIM),
  weights: z.array(finite), bias: finite,
  meta: z.object({ featureVersion: z.number().optional(), threshold: z.number().min(0).max(1).optional() }).catchall(z.unknown()).optional(),
}).strict();

function checkTrees(m: GbdtModelFile): string | undefined {
  for (let t = 0; t < m.trees.length; t++) {
    const tr = m.trees[t]!;
    const n = tr.feature.length;
    if (tr.threshold.length !== n || tr.left.length !== n || tr.right.length !== n || tr.value.length !== n) return `trees[${t}]: arrays differ in length`;
    for (let i = 0; i < n; i++) {
      if (tr.feature[i]! >= 0 && (tr.left[i]! <= i || tr.right[i]! <= i || tr.left[i]! >= n || tr.right[i]! >= n)) return `trees[${t}] node ${i}: child index out of range`;
    }
  }
  return undefined;
}

/**
 * Schema-checks a parsed JSON value as a GBDT or weight model file. Errors name the path and the
 * problem, e.g. `trees.3.left: ...`. Never throws.
 */
export function parseModelFile(json: unknown): Result<ModelFile, string> {
  const fmt = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined;
  if (fmt === 'jirachi-weight-model') {
    const r = weightSchema.safeParse(json);
    if (!r.success) return err(describe(r.error));
    if (r.data.weights.length !== r.data.dim) return err(`weights: length ${r.data.weights.length} differs from dim ${r.data.dim}`);
    if (r.data.meta?.featureVersion !== undefined && r.data.meta.featureVersion !== FEATURE_VERSION) return err(`meta.featureVersion: ${r.data.meta.featureVersion}, this build uses ${FEATURE_VERSION}`);
    return ok(r.data as WeightModelFile);
  }
  if (fmt === 'jirachi-gbdt') {
    const r = gbdtSchema.safeParse(json);
    if (!r.success) return err(describe(r.error));
    const m = r.data as GbdtModelFile;
    const bad = checkTrees(m);
    return bad === undefined ? ok(m) : err(bad);
  }
  return err(`format: expected "jirachi-gbdt" or "jirachi-weight-model", got ${JSON.stringify(fmt)?.slice(0, 40) ?? 'nothing'}`);
}

function describe(e: z.ZodError): string {
  const first = e.issues[0];
  if (!first) return 'invalid model file';
  return `${first.path.join('.') || '(root)'}: ${first.message}`;
}

/** Reads and schema-checks a model file. I/O and JSON errors become error values. Never throws. */
export function loadModelFile(path: string): Result<ModelFile, string> {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { return err(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`); }
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { return err(`${path}: not JSON (${(e as Error).message.slice(0, 80)})`); }
  const r = parseModelFile(json);
  return r.ok ? r : err(`${path}: ${r.error}`);
}

export type { GbdtModelFile, WeightModelFile };
