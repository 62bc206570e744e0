// Public entry of the local ML layer: features, GBDT and weight models, model files, training.

import type { ModelFile } from './modelfile.js';
import { compileGbdt, scoreCompiledGbdt, scoreGbdt, type CompiledGbdt } from './gbdt.js';
import { scoreWeightModel } from './weight.js';

export { FEATURE_DIM, FEATURE_VERSION, featurize, featurizeParsed, inertForModel } from './features.js';
export { scoreWeightModel, trainWeightModel, type WeightModelFile, type WeightTrainOptions } from './weight.js';
export { scoreGbdt, gbdtMargin, compileGbdt, scoreCompiledGbdt, type CompiledGbdt, type GbdtModelFile, type GbdtTree } from './gbdt.js';
export { trainGbdt, quantileCuts, splitGain, leafValue, type GbdtTrainOptions, type GbdtProgress } from './gbdt-train.js';
export { parseModelFile, loadModelFile, type ModelFile } from './modelfile.js';
export { Rng } from './rng.js';

/** Probability of attack under either kind of model (GBDT or weight model). Never throws. */
export function scoreModel(m: ModelFile, x: Float32Array): number {
  return m.format === 'jirachi-gbdt' ? scoreGbdt(m, x) : scoreWeightModel(m, x);
}

/** A scorer for either kind of model, compiled once (GBDT trees flattened into typed arrays). Never throws. */
export function modelScorer(m: ModelFile): (x: Float32Array) => number {
  if (m.format === 'jirachi-gbdt') {
    let c: CompiledGbdt;
    try { c = compileGbdt(m); } catch { return (x) => scoreGbdt(m, x); }
    return (x) => scoreCompiledGbdt(c, x);
  }
  return (x) => scoreWeightModel(m, x);
}

/** The probability at or above which the model alone calls a request an attack. */
export function modelThreshold(m: ModelFile): number {
  return m.format === 'jirachi-gbdt' ? m.threshold : (m.meta?.threshold ?? 0.5);
}
