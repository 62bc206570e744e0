// Detector registry: the signature detectors the engine runs, in order.

import type { Finding, RequestView } from '../core/index.js';
import type { ParsedRequest } from './parts.js';
import type { FindingSink, SignatureDetector } from './signature.js';
import { sqliDetector } from './rules/sqli.js';
import { xssDetector } from './rules/xss.js';
import { cmdiDetector, codeDetector, javaDetector, phpDetector, ssiDetector, sstiDetector } from './rules/injection.js';
import { lfiDetector, rfiDetector, xxeDetector } from './rules/files.js';
import { crlfDetector, log4shellDetector, redirectDetector, shellshockDetector, ssrfDetector } from './rules/network.js';
import { ldapiDetector, nosqliDetector, prototypeDetector } from './rules/query.js';
import { protocolDetector, scannerDetector, sessionDetector } from './rules/protocol.js';

const detectors: SignatureDetector[] = [];

/** Adds a signature detector to the registry (ids must be unique). Throws on a duplicate id (a bug). */
export function registerDetector(d: SignatureDetector): void {
  if (detectors.some((x) => x.id === d.id)) throw new Error(`duplicate detector id ${d.id}`);
  detectors.push(d);
}

/** The registered signature detectors, in registration order. */
export function signatureDetectors(): readonly SignatureDetector[] {
  return detectors;
}

for (const d of [sqliDetector, xssDetector, cmdiDetector, phpDetector, javaDetector, sstiDetector, ssiDetector,
  codeDetector, lfiDetector, rfiDetector, xxeDetector, ssrfDetector, redirectDetector, crlfDetector,
  log4shellDetector, shellshockDetector, nosqliDetector, ldapiDetector, prototypeDetector, protocolDetector,
  scannerDetector, sessionDetector]) registerDetector(d);

/** Stable index of each detector id (used as ML feature slots). */
export const DETECTOR_IDS: readonly string[] = Object.freeze(detectors.map((d) => d.id));

/** Runs every registered signature detector on a parsed request; at most `max` findings. Never throws. */
export function runSignatures(parsed: ParsedRequest, view: RequestView, max: number): Finding[] {
  const sink: FindingSink = { findings: [], max };
  for (const d of detectors) {
    if (sink.findings.length >= max) break;
    try { d.inspectParsed(parsed, view, sink); } catch { /* a detector bug must not break inspection */ }
  }
  return sink.findings;
}
