// Writes a fixed, balanced sample of the random-split TEST side (never trained on) as JSONL for WAF replays.
// Usage: node dist/bench/detect-sample.js OUT.jsonl [perLabel=2500]

import { writeFileSync } from 'node:fs';
import { readCorpusFile, recordToLine, selectRecords, type CorpusRecord } from '../src/detect/corpus.js';
import { generateBenign } from '../src/detect/benign.js';

const out = process.argv[2] ?? 'compare-sample.jsonl';
const per = Number(process.argv[3] ?? 2500);
const all: CorpusRecord[] = [];
for (const f of ['../shared/data/train-requests.jsonl.gz', '../shared/data/benign-extra.jsonl.gz']) {
  const r = readCorpusFile(f);
  if (!r.ok) throw new Error(r.error);
  all.push(...r.value.records);
}
all.push(...generateBenign(4000, 20240601)); // same generator and seed as `--generated-benign`, test side only below
const test = selectRecords(all, { split: 'test', testFraction: 0.2 });
const pick = (label: 0 | 1): CorpusRecord[] => {
  const xs = test.filter((r) => r.label === label);
  const step = xs.length / per;
  return Array.from({ length: Math.min(per, xs.length) }, (_, i) => xs[Math.floor(i * step)]!);
};
const lines = [...pick(1), ...pick(0)].map((r, i) => JSON.stringify({ id: `s${i}`, ...JSON.parse(recordToLine(r)) }));
writeFileSync(out, lines.join('\n') + '\n');
console.log(`${out}: ${lines.length} requests`);
