// Finding and Detector: what a detector reports and the seam every detector implements.

import type { RequestView } from './request.js';

/** Attack classes a finding may name. 'anomaly' is for protocol or model findings without a class. */
export type AttackClass =
  | 'sqli' | 'xss' | 'cmdi' | 'path-traversal' | 'rfi' | 'ssrf' | 'ssti' | 'xxe' | 'log4shell'
  | 'shellshock' | 'nosqli' | 'ldapi' | 'crlf' | 'open-redirect' | 'scanner' | 'protocol'
  | 'ml' | 'memory' | 'anomaly';

/**
 * One reason to distrust a request. `excerpt` is redacted and truncated (never a full payload,
 * never a secret); `score` is the anomaly score this finding contributes (CRS-style: 5 critical,
 * 4 error, 3 warning, 2 notice).
 */
export interface Finding {
  readonly detector: string;
  readonly rule: string;
  readonly class: AttackClass;
  readonly score: number;
  /** Which part of the request matched, e.g. `query:q`, `body:json.user.name`, `header:user-agent`, `path`. */
  readonly part: string;
  /** Parameter name when the part is a parameter (used by per-route exclusions). */
  readonly param?: string;
  readonly excerpt: string;
  readonly explanation: string;
}

/** Context passed to detectors: limits that bound their work. */
export interface InspectContext {
  /** Maximum findings a detector should return (it may stop early). */
  readonly maxFindings: number;
}

/** A detector: pure, synchronous, never throws for any RequestView. */
export interface Detector {
  readonly id: string;
  inspect(view: RequestView, ctx: InspectContext): Finding[];
}

/**
 * The anomaly score of a finding list: each rule counts once, with its highest score, however many
 * parts it matched. The same weak rule in a title and a description is one piece of evidence (one
 * pasted phrase), not two; distinct rules still add up. `filter` restricts the sum (e.g. one class).
 * Pure; never throws.
 */
export function anomalyScore(findings: readonly Finding[], filter?: (f: Finding) => boolean): number {
  if (findings.length === 0) return 0;
  const best = new Map<string, number>();
  for (const f of findings) {
    if (filter !== undefined && !filter(f)) continue;
    const b = best.get(f.rule);
    if (b === undefined || f.score > b) best.set(f.rule, f.score);
  }
  let total = 0;
  for (const score of best.values()) total += score;
  return total;
}

const EXCERPT_MAX = 80;

/**
 * Makes a log-safe excerpt of attacker text: control characters escaped, truncated to 80 chars.
 * Never throws.
 */
export function excerptOf(text: string, start = 0, length = EXCERPT_MAX): string {
  const from = Math.max(0, start - 10);
  const slice = text.slice(from, from + Math.min(length + 20, EXCERPT_MAX));
  // eslint-disable-next-line no-control-regex
  const clean = slice.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > EXCERPT_MAX ? clean.slice(0, EXCERPT_MAX) + '…' : clean;
}
