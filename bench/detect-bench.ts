// Engine micro-benchmark: fixed request set, warm-up, per-request latency percentiles and throughput on one core.
// Usage: node dist/bench/detect-bench.js [corpus.jsonl.gz ...]  (default: shared/data corpora + generated benign)

import { createEngine } from '../src/detect/index.js';
import { readCorpusFile, type CorpusRecord } from '../src/detect/corpus.js';
import { generateBenign } from '../src/detect/benign.js';

const files = process.argv.slice(2);
const defaults = ['../shared/data/train-requests.jsonl.gz', '../shared/data/benign-extra.jsonl.gz'];
const all: CorpusRecord[] = [];
for (const f of files.length ? files : defaults) { const r = readCorpusFile(f); if (r.ok) all.push(...r.value.records); else console.error(r.error); }
all.push(...generateBenign(2000, 5));
const step = Math.max(1, Math.floor(all.length / 10000));
const set = all.filter((_, i) => i % step === 0).slice(0, 10000);
const size = (r: CorpusRecord): number => r.view.path.length + r.view.query.length + r.view.body.length + r.view.headers.reduce((a, [n, v]) => a + n.length + v.length, 0);
const typical = set.filter((r) => size(r) <= 2048);

function run(name: string, engine: ReturnType<typeof createEngine>, reqs: CorpusRecord[]): Record<string, number | string> {
  const ctx = { maxFindings: 32 };
  for (let i = 0; i < 2; i++) for (const r of reqs) engine.inspect(r.view, ctx);
  const lat = new Float64Array(reqs.length);
  const t0 = process.hrtime.bigint();
  reqs.forEach((r, i) => { const a = process.hrtime.bigint(); engine.inspect(r.view, ctx); lat[i] = Number(process.hrtime.bigint() - a) / 1000; });
  const totalS = Number(process.hrtime.bigint() - t0) / 1e9;
  const s = Array.from(lat).sort((a, b) => a - b);
  const q = (p: number): number => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10;
  return { set: name, requests: reqs.length, p50_us: q(0.5), p90_us: q(0.9), p99_us: q(0.99), max_us: Math.round(s[s.length - 1]!), req_per_s: Math.round(reqs.length / totalS) };
}

const full = createEngine();
const sig = createEngine({ disableModel: true });
console.log(JSON.stringify({ model: full.modelStatus, results: [
  run('typical (<=2 KiB), engine', full, typical), run('all sampled, engine', full, set),
  run('typical (<=2 KiB), signatures only', sig, typical),
] }, null, 2));
