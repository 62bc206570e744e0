// Prints the markdown tables of docs/DETECTION.md from the JSON reports bench/detect-eval.sh writes.
// Usage: node dist/bench/detect-report.js [bench/results/detect]

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalReport } from '../src/detect/evaluate.js';

const dir = process.argv[2] ?? 'bench/results/detect';
const load = (f: string): EvalReport => JSON.parse(readFileSync(join(dir, f), 'utf8')) as EvalReport;
const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)} %`);

console.log('| run | requests | TPR | TNR | FP | p50 µs | p99 µs |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const f of readdirSync(dir).filter((x) => x.endsWith('.json') && !x.includes('report')).sort()) {
  const r = load(f);
  console.log(`| ${f.replace(/\.json$/, '')} | ${r.counts.total} | ${r.counts.attack ? pct(r.tpr) : '–'} | ${r.counts.benign ? pct(r.tnr) : '–'} | ${r.counts.fp} | ${r.p50_us} | ${r.p99_us} |`);
}
for (const f of ['random-split-test.json', ...readdirSync(dir).filter((x) => x.startsWith('lso-') && !x.includes('report')).sort()]) {
  let r: EvalReport;
  try { r = load(f); } catch { continue; }
  console.log(`\n**${f.replace(/\.json$/, '')}** per class (attacks) and per source\n\n| class | n | TPR |\n| --- | ---: | ---: |`);
  for (const [k, g] of Object.entries(r.per_class)) if (k !== 'benign') console.log(`| ${k} | ${g.n} | ${pct(g.tpr)} |`);
  console.log('\n| source | n | TPR | TNR |\n| --- | ---: | ---: | ---: |');
  for (const [k, g] of Object.entries(r.per_source)) console.log(`| ${k} | ${g.n} | ${pct(g.tpr)} | ${pct(g.tnr)} |`);
}
