// Public entry of the detection engine: createEngine and the pieces other components use.

export { createEngine, shippedModelPath, type Engine, type EngineOptions } from './engine.js';
export { classThresholds, DEFAULT_THRESHOLD, SEVERITY, summarizeScores, wouldBlock, type ScoreSummary } from './scoring.js';
export { normalizeValue, normalizePath, urlDecodeRepeated, htmlEntityDecode, NORM_MAX_CHARS } from './normalize.js';
export { parseRequest, PART_LIMITS, type Part, type ParsedRequest } from './parts.js';
export { registerDetector, signatureDetectors, runSignatures } from './registry.js';
export type { SignatureDetector, FindingSink } from './signature.js';
export { AttackMemory, minhash, similarity } from './memory.js';
export * from './ml/index.js';
