// The engine: normalize → signatures → ML model → attack memory → findings with scores.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { anomalyScore, type Detector, type Finding, type InspectContext, type RequestView } from '../core/index.js';
import { parseRequest } from './parts.js';
import { runSignatures } from './registry.js';
import { FEATURE_DIM, featurizeParsed, inertForModel, loadModelFile, modelScorer, modelThreshold, type ModelFile } from './ml/index.js';
import { AttackMemory } from './memory.js';

/** Options of createEngine. */
export interface EngineOptions {
  /** Model file to load; default: the shipped models/jirachi-gbdt.json. */
  readonly modelPath?: string;
  /** Attack-memory file (loaded if present, written by saveMemory()). Without it memory is in-process only. */
  readonly memoryPath?: string;
  /** Run signatures only. */
  readonly disableModel?: boolean;
  /** Use the ML model alone (no signatures): for `jirachi eval --only-model`. */
  readonly onlyModel?: boolean;
  /** An already loaded model (takes precedence over modelPath). */
  readonly model?: ModelFile;
  /**
   * The model's blocking probability instead of the model file's threshold (0 < p < 1): lower
   * catches more and blocks more benign traffic (docs/DETECTION.md, "Operating point"). Values
   * outside (0, 1) are ignored; callers validate them first (the config schema and CLI do).
   */
  readonly modelThreshold?: number;
}

/** The detection engine behind the Shield's Detector seam. */
export interface Engine extends Detector {
  readonly id: 'engine';
  /** Inspects one request. Synchronous, never throws, bounded work. */
  inspect(view: RequestView, ctx: InspectContext): Finding[];
  /** 'loaded <path>' / 'disabled' / 'unavailable: <reason>'. */
  readonly modelStatus: string;
  /** The model's attack probability for a request (undefined without a model). Never throws. */
  modelProbability(view: RequestView): number | undefined;
  /** Stores a confirmed attack so variants are recognized. Never throws. */
  remember(view: RequestView, label: string): void;
  /** Persists the attack memory to memoryPath (no-op without it). Returns an error message or undefined. */
  saveMemory(): string | undefined;
}

/** Path of the shipped model (resolved relative to this file, works from src/ and dist/src/). */
export function shippedModelPath(): string {
  const fromDist = fileURLToPath(new URL('../../../models/jirachi-gbdt.json', import.meta.url));
  if (existsSync(fromDist)) return fromDist;
  return fileURLToPath(new URL('../../models/jirachi-gbdt.json', import.meta.url));
}

/** Low probability band: the model adds a notice (2) so it tips weak signatures over the threshold. */
const NOTICE_FRACTION = 0.6;

function modelFinding(p: number, thr: number, inert: boolean): Finding | undefined {
  if (p >= thr && !inert) return { detector: 'ml', rule: 'ml-001', class: 'ml', score: 5, part: 'request', excerpt: `p=${p.toFixed(3)}`, explanation: `ML model: attack probability ${p.toFixed(3)} ≥ ${thr.toFixed(3)}` };
  if (p >= thr * NOTICE_FRACTION) return { detector: 'ml', rule: 'ml-002', class: 'ml', score: 2, part: 'request', excerpt: `p=${p.toFixed(3)}`, explanation: inert ? `ML model: attack probability ${p.toFixed(3)}, but no value can carry injection syntax` : `ML model: elevated attack probability ${p.toFixed(3)}` };
  return undefined;
}

/**
 * Creates the engine. Loads the model once (a missing or invalid model leaves the engine running on
 * signatures, reported in modelStatus) and the attack memory. Never throws.
 */
export function createEngine(options: EngineOptions = {}): Engine {
  let model: ModelFile | undefined = options.model;
  let modelStatus = model ? 'loaded (in memory)' : 'disabled';
  if (!model && !options.disableModel) {
    const path = options.modelPath ?? shippedModelPath();
    const r = loadModelFile(path);
    if (r.ok) { model = r.value; modelStatus = `loaded ${path}`; } else modelStatus = `unavailable: ${r.error}`;
  }
  const own = options.modelThreshold;
  const thr = !model ? 1 : own !== undefined && own > 0 && own < 1 ? own : modelThreshold(model);
  if (model && thr !== modelThreshold(model)) modelStatus += ` (threshold ${thr} instead of ${modelThreshold(model)})`;
  const score = model ? modelScorer(model) : undefined;
  const memory = new AttackMemory(options.memoryPath);
  const onlyModel = options.onlyModel === true;
  // Feature buffer reused by every request (inspect is synchronous; the scorer does not keep it).
  const features = new Float32Array(FEATURE_DIM);
  return {
    id: 'engine',
    modelStatus,
    inspect(view: RequestView, ctx: InspectContext): Finding[] {
      try {
        const max = Math.max(1, ctx.maxFindings);
        const parsed = parseRequest(view);
        const sigs = runSignatures(parsed, view, max);
        const out = onlyModel ? [] : sigs;
        if (score && out.length < max) {
          const inert = inertForModel(parsed);
          // An inert request gets at most a 2-point notice from the model, which changes nothing
          // unless the signatures already hold 3 points: skip featurization then.
          if (!inert || onlyModel || anomalyScore(sigs) >= 3) {
            const f = modelFinding(score(featurizeParsed(parsed, sigs, features)), thr, inert);
            if (f) out.push(f);
          }
        }
        if (!onlyModel && out.length < max) { const m = memory.match(parsed); if (m) out.push(m); }
        return out;
      } catch {
        return [{ detector: 'engine', rule: 'engine-001', class: 'anomaly', score: 0, part: 'request', excerpt: '', explanation: 'inspection failed internally; no verdict from the engine' }];
      }
    },
    modelProbability(view: RequestView): number | undefined {
      if (!score) return undefined;
      try { const parsed = parseRequest(view); return score(featurizeParsed(parsed, runSignatures(parsed, view, 64), features)); } catch { return undefined; }
    },
    remember(view: RequestView, label: string): void { try { memory.add(parseRequest(view), label); } catch { /* bounded, best effort */ } },
    saveMemory(): string | undefined { return memory.save(); },
  };
}
