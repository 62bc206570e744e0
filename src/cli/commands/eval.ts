// `jirachi eval`: runs the engine in block mode over a labeled JSONL corpus and reports rates and latency.

import type { Command } from 'commander';
import { createEngine, loadModelFile } from '../../detect/index.js';
import { evaluate, type EvalReport, type GroupRates } from '../../detect/evaluate.js';
import { addCorpusOptions, loadRecords, type CorpusSelection } from '../corpus-options.js';
import { registerCommand, UsageFailure } from '../registry.js';

interface EvalOpts extends CorpusSelection {
  corpus?: string[]; model?: string | false; onlyModel?: boolean; json?: boolean; threshold?: string; modelThreshold?: string;
}

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

registerCommand((program: Command) => {
  addCorpusOptions(program.command('eval')
    .description('run the detection engine in block mode over a labeled JSONL corpus (.jsonl or .jsonl.gz) and report TPR/TNR per class and source, and latency'))
    .option('--corpus <files...>', 'labeled corpora (format of shared/data)')
    .option('--model <file>', 'model file (GBDT or weight model); default: the shipped model')
    .option('--only-model', 'use the ML model alone (no signatures)')
    .option('--no-model', 'signatures only')
    .option('--threshold <n>', 'anomaly threshold for block mode', '5')
    .option('--model-threshold <p>', "the model's blocking probability instead of the model file's (0 < p < 1)")
    .option('--json', 'print the report as JSON')
    .action((o: EvalOpts) => {
      const files = o.corpus ?? [];
      if (files.length === 0 && Number(o.generatedBenign ?? 0) === 0) throw new UsageFailure('give --corpus FILE... (or --generated-benign N)');
      const noModel = o.model === false;
      const modelPath = typeof o.model === 'string' ? o.model : undefined;
      if (modelPath !== undefined) { const m = loadModelFile(modelPath); if (!m.ok) throw new UsageFailure(m.error); }
      if (o.onlyModel && noModel) throw new UsageFailure('--only-model needs a model');
      const mthr = o.modelThreshold === undefined ? undefined : Number(o.modelThreshold);
      if (mthr !== undefined && !(mthr > 0 && mthr < 1)) throw new UsageFailure(`--model-threshold must be a probability strictly between 0 and 1, got ${JSON.stringify(o.modelThreshold)}`);
      if (mthr !== undefined && noModel) throw new UsageFailure('--model-threshold needs a model');
      const engine = createEngine({ ...(modelPath ? { modelPath } : {}), disableModel: noModel, onlyModel: o.onlyModel === true, ...(mthr !== undefined ? { modelThreshold: mthr } : {}) });
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
