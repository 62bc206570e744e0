// Scoring: anomaly totals per class and the documented thresholds policy compares them with.

import { anomalyScore, type AttackClass, type Finding } from '../core/index.js';

/** CRS-style severities a finding may carry. */
export const SEVERITY = Object.freeze({ critical: 5, error: 4, warning: 3, notice: 2 });

/** Default inbound anomaly threshold: a request whose total score reaches it is blocked (block mode). */
export const DEFAULT_THRESHOLD = 5;

/**
 * Per-class thresholds: the total of one class's findings at or above which that class alone is
 * decisive. Classes not listed use DEFAULT_THRESHOLD. Policy may override per route.
 */
export const classThresholds: Readonly<Partial<Record<AttackClass, number>>> = Object.freeze({
  sqli: 5, xss: 5, cmdi: 5, 'path-traversal': 5, rfi: 5, ssrf: 5, ssti: 5, xxe: 5, log4shell: 5,
  shellshock: 5, nosqli: 5, ldapi: 5, crlf: 5, 'open-redirect': 5, scanner: 5, protocol: 5, ml: 5,
  memory: 5, anomaly: 5,
});

/** Totals of a finding list. */
export interface ScoreSummary {
  readonly total: number;
  readonly perClass: Readonly<Partial<Record<AttackClass, number>>>;
  /** Classes whose total reached their threshold. */
  readonly decisive: readonly AttackClass[];
  /** The class with the highest total ('anomaly' when none). */
  readonly topClass: AttackClass;
}

/**
 * Anomaly totals overall and per class (each rule once, at its highest score: anomalyScore) and the
 * decisive classes. Pure; never throws.
 */
export function summarizeScores(findings: readonly Finding[], threshold = DEFAULT_THRESHOLD): ScoreSummary {
  const perClass: Partial<Record<AttackClass, number>> = {};
  const total = anomalyScore(findings);
  for (const f of findings) if (perClass[f.class] === undefined) perClass[f.class] = anomalyScore(findings, (g) => g.class === f.class);
  const decisive: AttackClass[] = [];
  let topClass: AttackClass = 'anomaly', top = -1;
  for (const [c, s] of Object.entries(perClass) as Array<[AttackClass, number]>) {
    if (s >= (classThresholds[c] ?? threshold)) decisive.push(c);
    if (s > top) { top = s; topClass = c; }
  }
  return { total, perClass, decisive, topClass };
}

/** Block-mode outcome the engine's own evaluation uses: total ≥ threshold or any decisive class. */
export function wouldBlock(findings: readonly Finding[], threshold = DEFAULT_THRESHOLD): boolean {
  const s = summarizeScores(findings, threshold);
  return s.total >= threshold || s.decisive.length > 0;
}
