// Lists the engine's misses (attacks not blocked) or false positives (benign blocked) as JSON lines, for error analysis.
// Usage: node dist/bench/detect-misses.js [--split test|train|all] [--sources a,b] [--classes a,b] [--model FILE]
//        [--no-model] [--fp] [--data DIR] [corpus.jsonl.gz ...]
// Each line: source, class, total score, rules that fired, method, path, query, body (≤ 300 chars) and the
// headers that are not the usual browser/client ones. `source` and `class` select and label records only.

import { createEngine } from '../src/detect/index.js';
import { readCorpusFile, selectRecords, type CorpusRecord } from '../src/detect/corpus.js';
import { wouldBlock } from '../src/detect/scoring.js';
import { argReader } from './args.js';

const args = process.argv.slice(2);
const { opt, flag } = argReader(args);

const split = (opt('--split') ?? 'all') as 'test' | 'train' | 'all';
const sources = opt('--sources')?.split(',');
const classes = opt('--classes')?.split(',');
const modelPath = opt('--model');
const noModel = flag('--no-model');
const fp = flag('--fp');
const dataDir = opt('--data') ?? '../shared/data';
const files = args.length ? args : [`${dataDir}/train-requests.jsonl.gz`, `${dataDir}/benign-extra.jsonl.gz`];

const USUAL = new Set(['host', 'user-agent', 'accept', 'accept-language', 'accept-encoding', 'connection', 'content-length',
  'content-type', 'cache-control', 'pragma', 'upgrade-insecure-requests', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-dest']);

const records: CorpusRecord[] = [];
for (const f of files) {
  const r = readCorpusFile(f);
  if (!r.ok) { process.stderr.write(r.error + '\n'); process.exit(2); }
  records.push(...r.value.records);
}
const selected = selectRecords(records, { split, ...(sources ? { onlySources: sources } : {}) })
  .filter((r) => (fp ? r.label === 0 : r.label === 1) && (!classes || classes.includes(r.klass)));
const engine = createEngine({ ...(modelPath ? { modelPath } : {}), disableModel: noModel });
let n = 0;
for (const r of selected) {
  const findings = engine.inspect(r.view, { maxFindings: 32 });
  const blocked = wouldBlock(findings, 5);
  if (blocked !== fp) continue;
  n++;
  const v = r.view;
  const headers = v.headers.filter(([k]) => !USUAL.has(k.toLowerCase()));
  process.stdout.write(JSON.stringify({
    source: r.source, class: r.klass, score: findings.reduce((a, f) => a + f.score, 0),
    rules: findings.map((f) => `${f.rule}@${f.part}`), method: v.method, path: v.path, query: v.query,
    body: v.body.slice(0, 300), headers: Object.fromEntries(headers.map(([k, h]) => [k, h.slice(0, 200)])),
  }) + '\n');
}
process.stderr.write(`${n} of ${selected.length} ${fp ? 'benign blocked' : 'attacks missed'}\n`);
