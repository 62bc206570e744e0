// `jirachi eval`: runs the engine in block mode over a labeled JSONL corpus and reports rates and latency.

import type { Command } from 'commander';
import { createEngine, loadModelFile } from '../../detect/index.js';
import { readCorpusFile, selectRecords, type CorpusRecord } from '../../detect/corpus.js';
import { evaluate, type EvalReport, type GroupRates } from '../../detect/evaluate.js';
import { generateBenign } from '../../detect/benign.js';
import { registerCommand, UsageFailure } from '../registry.js';

interface EvalOpts {
  corpus?: string[]; model?: string | false; onlyModel?: boolean; json?: boolean; split?: string;
  testFraction?: string; sources?: string; excludeSources?: string; generatedBenign?: string; threshold?: string; limit?: string;
}

function list(s: string | undefined): string[] { return s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []; }

function pct(v: number | null): string { return v === null ? '   -  ' : `${(v * 100).toFixed(2).padStart(6)}%`; }

function table(title: string, m: Record<string, GroupRates>): string {
  const rows = Object.entries(m).map(([k, g]) => `  ${k.padEnd(26)} ${String(g.n).padStart(7)}  TPR ${pct(g.tpr)}  TNR ${pct(g.tnr)}`);
  return `${title}\n${rows.join('\n')}\n`;
}

function human(r: EvalReport): string {
  return `model: ${r.model}\nrequests ${r.counts.total} (attack ${r.counts.attack}, benign ${r.counts.benign})\n`
    + `TPR ${pct(r.tpr)}  TNR ${pct(r.tnr)}  (tp ${r.counts.tp} fn ${r.counts.fn} tn ${r.counts.tn} fp ${r.counts.fp})\n`
    + `latency per request: p50 ${r.p50_us} µs, p99 ${r.p99_us} µs, mean ${r.mean_us} µs\n\n`
    + table('per class', r.per_class) + '\n' + table('per source', r.per_source);
}

/** Loads and selects the records `eval`/`train` read. Throws UsageFailure on unreadable input. */
export function loadRecords(files: readonly string[], o: { split?: string; testFraction?: string; sources?: string; excludeSources?: string; generatedBenign?: string; limit?: string }): CorpusRecord[] {
  const all: CorpusRecord[] = [];
  for (const f of files) {
    const r = readCorpusFile(f);
    if (!r.ok) throw new UsageFailure(r.error);
    all.push(...r.value.records);
  }
  const n = Number(o.generatedBenign ?? 0);
  if (!Number.isInteger(n) || n < 0) throw new UsageFailure('--generated-benign needs a whole number');
  if (n > 0) all.push(...generateBenign(n, 20240601));
  const split = o.split ?? 'all';
  if (split !== 'all' && split !== 'train' && split !== 'test') throw new UsageFailure('--split must be all, train or test');
  const tf = Number(o.testFraction ?? 0.2);
  if (!(tf > 0 && tf < 1)) throw new UsageFailure('--test-fraction must be in (0, 1)');
  const sel = selectRecords(all, { split, testFraction: tf, onlySources: list(o.sources), excludeSources: list(o.excludeSources) });
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  return Number.isFinite(limit) ? sel.filter((_, i) => i % Math.max(1, Math.floor(sel.length / limit)) === 0).slice(0, limit) : sel;
}

registerCommand((program: Command) => {
  program.command('eval')
    .description('run the detection engine in block mode over a labeled JSONL corpus (.jsonl or .jsonl.gz) and report TPR/TNR per class and source, and latency')
    .option('--corpus <files...>', 'labeled corpora (format of shared/data)')
    .option('--model <file>', 'model file (GBDT or weight model); default: the shipped model')
    .option('--only-model', 'use the ML model alone (no signatures)')
    .option('--no-model', 'signatures only')
    .option('--split <side>', 'all | train | test (deterministic random split by line hash)', 'all')
    .option('--test-fraction <f>', 'fraction of records on the test side', '0.2')
    .option('--sources <list>', 'only these sources (comma-separated)')
    .option('--exclude-sources <list>', 'leave these sources out')
    .option('--generated-benign <n>', 'add n generated realistic benign requests (source generated-*)', '0')
    .option('--threshold <n>', 'anomaly threshold for block mode', '5')
    .option('--limit <n>', 'evaluate an evenly spaced subset of n records')
    .option('--json', 'print the report as JSON')
    .action((o: EvalOpts) => {
      const files = o.corpus ?? [];
      if (files.length === 0 && Number(o.generatedBenign ?? 0) === 0) throw new UsageFailure('give --corpus FILE... (or --generated-benign N)');
      const noModel = o.model === false;
      const modelPath = typeof o.model === 'string' ? o.model : undefined;
      if (modelPath !== undefined) { const m = loadModelFile(modelPath); if (!m.ok) throw new UsageFailure(m.error); }
      if (o.onlyModel && noModel) throw new UsageFailure('--only-model needs a model');
      const engine = createEngine({ ...(modelPath ? { modelPath } : {}), disableModel: noModel, onlyModel: o.onlyModel === true });
      if (!noModel && engine.modelStatus.startsWith('unavailable')) throw new UsageFailure(`model ${engine.modelStatus}`);
      const records = loadRecords(files, o);
      const thr = Number(o.threshold ?? 5);
      if (!(thr > 0)) throw new UsageFailure('--threshold must be positive');
      const showProgress = !o.json && process.stderr.isTTY;
      const report = evaluate(engine, records, () => process.hrtime.bigint(), thr,
        showProgress ? (d) => process.stderr.write(`\r${d}/${records.length}`) : undefined);
      if (showProgress) process.stderr.write('\n');
      process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : human(report));
    });
});
