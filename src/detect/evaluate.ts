// Evaluation: runs the engine in block mode over labeled records and reports rates and latency.

import type { Engine } from './engine.js';
import type { CorpusRecord } from './corpus.js';
import { wouldBlock } from './scoring.js';

/** Rates for one group of records. */
export interface GroupRates { n: number; attack: number; benign: number; tp: number; fp: number; tpr: number | null; tnr: number | null }

/** The JSON `jirachi eval --json` prints. */
export interface EvalReport {
  readonly tpr: number; readonly tnr: number; readonly fpr: number;
  readonly counts: { readonly total: number; readonly attack: number; readonly benign: number; readonly tp: number; readonly fn: number; readonly tn: number; readonly fp: number };
  readonly per_class: Record<string, GroupRates>;
  readonly per_source: Record<string, GroupRates>;
  readonly p50_us: number; readonly p99_us: number; readonly mean_us: number;
  readonly top_rules_on_benign: Record<string, number>;
  readonly model: string;
}

function rates(g: GroupRates): GroupRates {
  return { ...g, tpr: g.attack > 0 ? round4(g.tp / g.attack) : null, tnr: g.benign > 0 ? round4(1 - g.fp / g.benign) : null };
}
function round4(v: number): number { return Math.round(v * 10000) / 10000; }
function bump(map: Record<string, GroupRates>, key: string, r: CorpusRecord, blocked: boolean): void {
  const g = map[key] ?? (map[key] = { n: 0, attack: 0, benign: 0, tp: 0, fp: 0, tpr: null, tnr: null });
  g.n++;
  if (r.label === 1) { g.attack++; if (blocked) g.tp++; } else { g.benign++; if (blocked) g.fp++; }
}

/**
 * Inspects every record with `engine` (block mode at `threshold`), timing each call with
 * `clock` (ns). Calls `onProgress` every 5000 records. Never throws for any record.
 */
export function evaluate(engine: Engine, records: readonly CorpusRecord[], clock: () => bigint, threshold = 5,
  onProgress?: (done: number) => void): EvalReport {
  const ctx = { maxFindings: 32 };
  const lat = new Float64Array(records.length);
  const perClass: Record<string, GroupRates> = {}, perSource: Record<string, GroupRates> = {};
  const benignRules: Record<string, number> = {};
  let tp = 0, fn = 0, tn = 0, fp = 0;
  records.forEach((r, i) => {
    const t0 = clock();
    const findings = engine.inspect(r.view, ctx);
    lat[i] = Number(clock() - t0) / 1000;
    const blocked = wouldBlock(findings, threshold);
    if (r.label === 1) { if (blocked) tp++; else fn++; } else if (blocked) { fp++; for (const f of findings) benignRules[f.rule] = (benignRules[f.rule] ?? 0) + 1; } else tn++;
    bump(perClass, r.label === 1 ? r.klass : 'benign', r, blocked);
    bump(perSource, r.source, r, blocked);
    if (onProgress && (i + 1) % 5000 === 0) onProgress(i + 1);
  });
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const q = (p: number): number => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10 : 0);
  const fix = (m: Record<string, GroupRates>): Record<string, GroupRates> => Object.fromEntries(Object.entries(m).sort().map(([k, g]) => [k, rates(g)]));
  const attack = tp + fn, benign = tn + fp;
  return {
    tpr: attack ? round4(tp / attack) : 0, tnr: benign ? round4(tn / benign) : 0, fpr: benign ? round4(fp / benign) : 0,
    counts: { total: records.length, attack, benign, tp, fn, tn, fp },
    per_class: fix(perClass), per_source: fix(perSource),
    p50_us: q(0.5), p99_us: q(0.99), mean_us: sorted.length ? Math.round((sorted.reduce((a, b) => a + b, 0) / sorted.length) * 10) / 10 : 0,
    top_rules_on_benign: Object.fromEntries(Object.entries(benignRules).sort((a, b) => b[1] - a[1]).slice(0, 15)),
    model: engine.modelStatus,
  };
}
