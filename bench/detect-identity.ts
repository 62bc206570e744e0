// Detection identity check: a hash per request of the engine's findings, model probability and features, to compare two builds.
// Usage: node dist/bench/detect-identity.js --model FILE [--root DIR] [--out FILE] [--generated N] [--seed S] [--data DIR] [more.jsonl ...]
//        node dist/bench/detect-identity.js --write-generated FILE [--generated N] [--seed S]
// --root: the dist/ directory of the build to test (default: this build), e.g. /tmp/eng-base/dist.
// The requests come from this build's corpus reader and benign generator (the same for both sides):
// DATA/train-requests.jsonl.gz, DATA/benign-extra.jsonl.gz, generateBenign(N, S) (default 20000, 7), then
// the corpus files given. While the generator is being edited, write its requests to a file once
// (--write-generated) and pass that file with --generated 0 to both sides.
// Per request: inspect() findings (detector, rule, class, part, param, score, excerpt, explanation),
// modelProbability() as the exact float64 bits, and the 512 features as float32 bytes.
// Prints per-part digests and a total digest; --out writes one line per request (index, hash) so
// `diff` finds the first request that differs.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RequestView } from '../src/core/index.js';
import { readCorpusFile, recordToLine, type CorpusRecord } from '../src/detect/corpus.js';
import { generateBenign } from '../src/detect/benign.js';
import type * as Detect from '../src/detect/index.js';
import { argReader } from './args.js';

const { opt, rest } = argReader(process.argv.slice(2));
const modelPath = opt('--model');
const root = opt('--root');
const out = opt('--out');
const generated = Number(opt('--generated') ?? '20000');
const seed = Number(opt('--seed') ?? '7');
const dataDir = opt('--data') ?? '../shared/data';
const writeGenerated = opt('--write-generated');
if (writeGenerated !== undefined) {
  writeFileSync(writeGenerated, generateBenign(generated, seed).map(recordToLine).join('\n') + '\n');
  process.exit(0);
}
if (modelPath === undefined) { console.error('--model FILE is required (the same model file for both builds)'); process.exit(2); }

const mod = (root === undefined
  ? await import('../src/detect/index.js')
  : await import(pathToFileURL(resolve(root, 'src/detect/index.js')).href)) as typeof Detect;
const engine = mod.createEngine({ modelPath });
if (!engine.modelStatus.startsWith('loaded')) { console.error(`model: ${engine.modelStatus}`); process.exit(2); }

const records: CorpusRecord[] = [];
for (const f of [`${dataDir}/train-requests.jsonl.gz`, `${dataDir}/benign-extra.jsonl.gz`, ...rest]) {
  const r = readCorpusFile(f);
  if (!r.ok) { console.error(r.error); process.exit(2); }
  records.push(...r.value.records);
  if (f === `${dataDir}/benign-extra.jsonl.gz`) records.push(...generateBenign(generated, seed));
}

function viewText(v: RequestView): string {
  return JSON.stringify([v.method, v.path, v.query, v.body, v.headers]);
}

const ctx = { maxFindings: 32 };
const total = createHash('sha256');
const requests = createHash('sha256');
const findingsDigest = createHash('sha256');
const probDigest = createHash('sha256');
const featureDigest = createHash('sha256');
const lines: string[] = [];
const probBits = new Float64Array(1);
let findingCount = 0;
for (let i = 0; i < records.length; i++) {
  const view = records[i]!.view;
  const findings = engine.inspect(view, ctx);
  findingCount += findings.length;
  const f = JSON.stringify(findings.map((x) => [x.detector, x.rule, x.class, x.part, x.param ?? null, x.score, x.excerpt, x.explanation]));
  probBits[0] = engine.modelProbability(view) ?? NaN;
  const p = Buffer.from(probBits.buffer).toString('hex');
  const x = Buffer.from(mod.featurize(view).buffer);
  const h = createHash('sha256').update(viewText(view)).update('\0').update(f).update('\0').update(p).update(x).digest('hex').slice(0, 24);
  requests.update(viewText(view));
  findingsDigest.update(f).update('\n');
  probDigest.update(p);
  featureDigest.update(x);
  total.update(h);
  if (out !== undefined) lines.push(`${i} ${h}`);
}
if (out !== undefined) writeFileSync(out, lines.join('\n') + '\n');
console.log(JSON.stringify({
  build: root ?? 'this', model: modelPath, requests: records.length, findings: findingCount,
  digest: { requests: requests.digest('hex').slice(0, 16), findings: findingsDigest.digest('hex').slice(0, 16),
    probabilities: probDigest.digest('hex').slice(0, 16), features: featureDigest.digest('hex').slice(0, 16), total: total.digest('hex') },
}, null, 2));
