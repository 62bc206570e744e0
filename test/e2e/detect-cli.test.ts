// End to end: `jirachi train` and `jirachi eval` as processes on a small labeled corpus (GBDT and weight model).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { generateBenign } from '../../src/detect/benign.js';
import { recordToLine } from '../../src/detect/corpus.js';
import { featurize, parseModelFile, FEATURE_DIM } from '../../src/detect/index.js';
import { parseCorpusLine } from '../../src/detect/corpus.js';

const bin = fileURLToPath(new URL('../../../bin/jirachi.js', import.meta.url));
const cases = JSON.parse(readFileSync(fileURLToPath(new URL('../../../src/detect/testdata/signatures.json', import.meta.url)), 'utf8')) as { attack: Array<{ class?: string; rule?: string; query?: string; body?: string; ct?: string }> };

function jirachi(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function corpus(dir: string): string {
  const lines: string[] = [];
  for (let k = 0; k < 6; k++) {
    cases.attack.forEach((c, i) => {
      const klass = c.class ?? (c.rule ?? 'x').split('-')[0];
      if (c.query !== undefined) {
        lines.push(JSON.stringify({ id: `a${k}-${i}`, source: k % 2 ? 'src-a' : 'src-b', label: 'attack', class: klass,
          method: 'GET', path: '/search', query: c.query + (k > 0 ? `&n=${k}` : ''), headers: { Host: 'x' }, body: '', meta: {} }));
      } else if (c.body !== undefined && c.ct !== undefined && !c.ct.startsWith('multipart/')) {
        lines.push(JSON.stringify({ id: `a${k}-${i}`, source: k % 2 ? 'src-a' : 'src-b', label: 'attack', class: klass,
          method: 'POST', path: '/submit', query: k > 0 ? `n=${k}` : '', headers: { Host: 'x', 'Content-Type': c.ct }, body: c.body, meta: {} }));
      }
    });
  }
  for (const r of generateBenign(300, 4)) lines.push(recordToLine(r));
  const p = join(dir, 'corpus.jsonl.gz');
  writeFileSync(p, gzipSync(lines.join('\n') + '\n'));
  return p;
}

test('train a GBDT and a weight model, then eval each with --only-model; eval of the full engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-detect-'));
  try {
    const data = corpus(dir);
    const g = join(dir, 'g.json');
    // The toy validation side has a few dozen benign rows: a 0.2 % FPR target would just be their maximum score.
    const t = jirachi(['train', '--data', data, '--out', g, '--trees', '15', '--depth', '4', '--seed', '3', '--target-fpr', '0.05']);
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, /tree 15\/15/);
    const model = JSON.parse(readFileSync(g, 'utf8')) as unknown;
    assert.ok(parseModelFile(model).ok);
    const report = JSON.parse(readFileSync(g + '.report.json', 'utf8')) as { rows: number; threshold: number };
    assert.ok(report.rows > 300 && report.threshold >= 0.5);
    const again = join(dir, 'g2.json');
    assert.equal(jirachi(['train', '--data', data, '--out', again, '--trees', '15', '--depth', '4', '--seed', '3', '--target-fpr', '0.05']).code, 0);
    assert.equal(readFileSync(again, 'utf8'), readFileSync(g, 'utf8'), 'training is deterministic for a seed');

    for (const m of [g]) {
      const e = jirachi(['eval', '--corpus', data, '--model', m, '--only-model', '--json']);
      assert.equal(e.code, 0, e.err);
      const r = JSON.parse(e.out) as { tpr: number; tnr: number; counts: { total: number }; per_class: object; per_source: Record<string, unknown>; p50_us: number; p99_us: number };
      assert.ok(r.tpr > 0.8 && r.tnr > 0.9, JSON.stringify({ tpr: r.tpr, tnr: r.tnr }));
      assert.ok(r.p99_us >= r.p50_us && r.p50_us > 0);
      assert.ok('src-a' in r.per_source && 'generated-search' in r.per_source);
    }
    const w = join(dir, 'w.json');
    assert.equal(jirachi(['train', '--data', data, '--out', w, '--kind', 'weight', '--eta', '0.5']).code, 0);
    const we = jirachi(['eval', '--corpus', data, '--model', w, '--only-model', '--json']);
    assert.equal(we.code, 0, we.err);
    assert.ok((JSON.parse(we.out) as { tpr: number }).tpr > 0.5);

    const full = jirachi(['eval', '--corpus', data]);
    assert.equal(full.code, 0, full.err);
    assert.match(full.out, /TPR +\d+\.\d+%/);
    assert.match(full.out, /per source/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('eval refuses a malformed model file with a one-line reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-detect-'));
  try {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'jirachi-gbdt', version: 1, dim: 3 }));
    const r = jirachi(['eval', '--generated-benign', '10', '--model', bad, '--json']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /^jirachi: .*bad\.json: dim: /);
    assert.equal(r.err.trim().split('\n').length, 1);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('eval --model-threshold: a probability in (0, 1) changes the model\'s operating point; anything else is a usage error', () => {
  for (const v of ['0', '1', '1.5', 'x']) {
    const r = jirachi(['eval', '--generated-benign', '10', '--model-threshold', v, '--json']);
    assert.notEqual(r.code, 0, v);
    assert.match(r.err, /--model-threshold must be a probability strictly between 0 and 1/);
  }
  assert.match(jirachi(['eval', '--generated-benign', '10', '--no-model', '--model-threshold', '0.5']).err, /needs a model/);
  // A threshold near 0 makes the model flag almost everything the engine featurizes; the file's own flags little.
  const own = JSON.parse(jirachi(['eval', '--generated-benign', '200', '--json']).out) as { tnr: number; model: string };
  const low = JSON.parse(jirachi(['eval', '--generated-benign', '200', '--model-threshold', '0.0001', '--json']).out) as { tnr: number; model: string };
  assert.ok(low.tnr < own.tnr, `${low.tnr} < ${own.tnr}`);
  assert.match(low.model, /threshold 0\.0001 instead of/);
});

test('train reads training_data.csv (features already computed) next to JSONL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-detect-'));
  try {
    const data = corpus(dir);
    const header = ['time', 'format', 'method', 'status', 'label', 'label_origin', ...Array.from({ length: FEATURE_DIM }, (_, i) => `f${i}`)].join(',');
    const rows: string[] = [header];
    const lines = gunzipSync(readFileSync(data)).toString('utf8').split('\n').filter(Boolean);
    for (const line of lines) {
      const r = parseCorpusLine(line);
      if (!r) continue;
      rows.push(['2024-01-01T00:00:00Z', 'jirachi', r.view.method, '200', String(r.label), 'corpus', ...Array.from(featurize(r.view), (v) => String(Number(v.toPrecision(6))))].join(','));
    }
    const csv = join(dir, 'training_data.csv');
    writeFileSync(csv, rows.join('\n') + '\n');
    const out = join(dir, 'csv-model.json');
    // As above: on the toy validation side a 0.2 % FPR target would be its highest benign score.
    const t = jirachi(['train', '--data', csv, '--out', out, '--kind', 'weight', '--eta', '0.5', '--target-fpr', '0.05']);
    assert.equal(t.code, 0, t.err);
    const e = jirachi(['eval', '--corpus', data, '--model', out, '--only-model', '--json']);
    assert.equal(e.code, 0, e.err);
    assert.ok((JSON.parse(e.out) as { tpr: number }).tpr > 0.5, e.out.slice(0, 300));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'label,f0\n1,0.5\n');
    const b = jirachi(['train', '--data', bad, '--out', join(dir, 'x.json')]);
    assert.notEqual(b.code, 0);
    assert.match(b.err, /1 feature columns, this build uses 512/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
