// Engine tests: the Shield contract, signature cases as data, findings shape, and model-file checks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeRequestView, type RequestView } from '../core/index.js';
import { createEngine, parseModelFile, featurize, FEATURE_DIM, trainWeightModel, scoreWeightModel, trainGbdt, scoreGbdt, summarizeScores, wouldBlock } from './index.js';
import { generateBenign } from './benign.js';
import { legacyCharset, legacyPercentEncode } from './benign-i18n.js';

interface Case { rule?: string; class?: string; weak?: boolean; method?: string; path?: string; query?: string; body?: string; ct?: string; headers?: Record<string, string> }
const data = JSON.parse(readFileSync(new URL('../../../src/detect/testdata/signatures.json', import.meta.url), 'utf8')) as { attack: Case[]; benign: Case[] };
const ctx = { maxFindings: 32 };

function viewOf(c: Case): RequestView {
  const headers: Record<string, string> = { Host: 'app.example', 'User-Agent': 'Mozilla/5.0', ...(c.ct ? { 'Content-Type': c.ct } : {}), ...(c.headers ?? {}) };
  return makeRequestView({ method: c.method ?? (c.body ? 'POST' : 'GET'), path: c.path ?? '/search', query: c.query ?? '', body: c.body ?? '', headers });
}
const total = (fs: ReadonlyArray<{ score: number }>): number => fs.reduce((a, f) => a + f.score, 0);
const sigs = createEngine({ disableModel: true });

test('shield contract: SQLi query totals >= 5, a plain search has no findings', () => {
  const e = createEngine();
  const bad = e.inspect(makeRequestView({ path: '/search', query: "q=1'%20OR%20'1'='1'%20--", headers: { host: 'a' } }), ctx);
  assert.ok(total(bad) >= 5, JSON.stringify(bad));
  assert.ok(bad.every((f) => f.rule.length > 0 && f.detector.length > 0 && f.part.length > 0));
  assert.equal(bad.find((f) => f.detector === 'sqli')?.param, 'q');
  assert.deepEqual(e.inspect(makeRequestView({ path: '/search', query: 'q=blue+running+shoes', headers: { host: 'a' } }), ctx), []);
});

for (const c of data.attack) {
  test(`signature case fires: ${c.rule ?? c.class} ${JSON.stringify(c).slice(0, 60)}`, () => {
    const fs = sigs.inspect(viewOf(c), ctx);
    if (c.rule) assert.ok(fs.some((f) => f.rule === c.rule), `expected ${c.rule}, got ${JSON.stringify(fs.map((f) => f.rule))}`);
    if (c.class) assert.ok(fs.some((f) => f.class === c.class), `expected class ${c.class}, got ${JSON.stringify(fs)}`);
    if (!c.weak) assert.ok(wouldBlock(fs), 'block mode blocks it');
  });
}

test('query-only rules: a line break starting a new query parameter (crlf-004), not a multi-line text', () => {
  const rules = (q: string): string[] => sigs.inspect(makeRequestView({ path: '/get', query: q, headers: { host: 'a' } }), ctx).map((f) => f.rule);
  assert.ok(rules('a=test%0Dnext=more').includes('crlf-004'));
  assert.ok(rules('a=test%0A%0Dnext=more').includes('crlf-004'));
  assert.ok(!rules('q=For%20example%2C%20if%0D%0A1mu%3D1pt%20is%20used').includes('crlf-004'));
});

test('benign cases stay below the threshold (signatures and shipped model)', () => {
  const full = createEngine();
  for (const c of data.benign) {
    for (const e of [sigs, full]) {
      const fs = e.inspect(viewOf(c), ctx);
      assert.ok(!wouldBlock(fs), `${JSON.stringify(c)} → ${JSON.stringify(fs)}`);
    }
  }
});

test('findings carry redacted, truncated excerpts and never raw control characters', () => {
  const long = 'a'.repeat(500) + "'%20or%201=1--%0d%0a";
  for (const f of sigs.inspect(makeRequestView({ query: `q=${long}` }), ctx)) {
    assert.ok(f.excerpt.length <= 81, f.excerpt);
    assert.ok(!/[\u0000-\u001f]/.test(f.excerpt));
  }
});

test('generated benign traffic: false positives at most 0.5% with the shipped engine', () => {
  const e = createEngine();
  const recs = generateBenign(1400, 99);
  const fp = recs.filter((r) => wouldBlock(e.inspect(r.view, ctx))).length;
  assert.ok(fp / recs.length <= 0.005, `${fp} of ${recs.length} blocked`);
});

test('non-English text percent-encoded as browsers send it is not blocked (names, places, words, emoji, pasted URLs)', () => {
  const e = createEngine();
  const recs = generateBenign(4620, 11).filter((r) => r.source.startsWith('generated-i18n'));
  assert.ok(recs.length >= 400);
  // The generator really sends UTF-8 percent-encodings of several scripts, not ASCII stand-ins.
  const text = recs.map((r) => `${r.view.path}?${r.view.query} ${r.view.body}`).join(' ');
  for (const enc of ['%C3%', '%C5%', '%D0%', '%E6%', '%EC%', '%D8%', '%E0%B8%', '%F0%9F%']) assert.ok(text.includes(enc), enc);
  const blocked = recs.filter((r) => wouldBlock(e.inspect(r.view, ctx)));
  assert.ok(blocked.length / recs.length <= 0.005, blocked.map((r) => `${r.view.path}?${r.view.query} ${r.view.body}`).join('\n'));
  // Hand-written values outside the generator's vocabulary, in a query and in a form body.
  for (const v of ['Wrocław', 'Ærøskøbing', 'Hämeenlinna', 'Brașov', 'Šiauliai', 'Nguyễn Văn Thành', 'Ekaterinburg – Екатеринбург', '横浜市', '제주도', 'الإسكندرية', 'Ευχαριστώ', '😀 great']) {
    const q = makeRequestView({ method: 'GET', path: '/search', query: `q=${encodeURIComponent(v)}`, headers: [['host', 'shop.example.com']] });
    const b = makeRequestView({ method: 'POST', path: '/account/profile', body: `city=${encodeURIComponent(v)}`, headers: [['host', 'shop.example.com'], ['content-type', 'application/x-www-form-urlencoded']] });
    assert.ok(!wouldBlock(e.inspect(q, ctx)) && !wouldBlock(e.inspect(b, ctx)), v);
  }
});

test('text percent-encoded in legacy charsets (ISO-8859-1, Windows-1251) is not blocked, in paths, queries and forms', () => {
  assert.equal(legacyPercentEncode('Straße'), 'Stra%DFe');
  assert.equal(legacyPercentEncode('Київ', true), '%ca%e8%bf%e2');
  assert.equal(legacyPercentEncode('東京'), undefined);
  assert.equal(legacyCharset('Київ'), 'windows-1251');
  assert.equal(legacyCharset('Köln'), 'ISO-8859-1');
  const e = createEngine();
  const recs = generateBenign(4620, 12).filter((r) => r.source === 'generated-legacy-charset');
  assert.ok(recs.length >= 150);
  const text = recs.map((r) => `${r.view.path}?${r.view.query} ${r.view.body}`).join(' ');
  for (const enc of ['%DF', '%F6', '%FC', '%E9', '%CA', '%FF']) assert.ok(text.toUpperCase().includes(enc), enc);
  const blocked = recs.filter((r) => wouldBlock(e.inspect(r.view, ctx)));
  assert.ok(blocked.length / recs.length <= 0.005, blocked.map((r) => `${r.view.path}?${r.view.query} ${r.view.body}`).join('\n'));
  // Hand-written cases outside the generator's vocabulary are benign cases in testdata/signatures.json.
});

test('engine loads the shipped model, and a bad model path degrades to signatures with a reason', () => {
  assert.match(createEngine().modelStatus, /^loaded /);
  const e = createEngine({ modelPath: '/nonexistent/model.json' });
  assert.match(e.modelStatus, /^unavailable: .*cannot read/);
  assert.ok(total(e.inspect(makeRequestView({ query: 'q=%3Cscript%3Ealert(1)%3C/script%3E' }), ctx)) >= 5);
});

test('parseModelFile rejects malformed files with a precise path', () => {
  assert.match(String((parseModelFile({ format: 'x' }) as { error: string }).error), /^format:/);
  const r = parseModelFile({ format: 'jirachi-weight-model', version: 1, dim: FEATURE_DIM, weights: [1, 2], bias: 0 });
  assert.ok(!r.ok && /weights: length 2/.test(r.error));
  const g = parseModelFile({ format: 'jirachi-gbdt', version: 1, dim: FEATURE_DIM, featureVersion: 1, baseScore: 0, threshold: 0.5,
    trees: [{ feature: [3, -1, -1], threshold: [0.5, 0, 0], left: [1, 0, 0], right: [9, 0, 0], value: [0, 1, -1] }] });
  assert.ok(!g.ok && /trees\[0\] node 0: child index out of range/.test(g.error), JSON.stringify(g));
});

test('featurize is fixed-length and deterministic', () => {
  const v = makeRequestView({ query: "q=1' or 1=1--", body: '{"a":"<b>x</b>"}', headers: { 'content-type': 'application/json' } });
  const a = featurize(v), b = featurize(v);
  assert.equal(a.length, FEATURE_DIM);
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.ok(a.some((x) => x !== 0));
});

test('weight model and GBDT learn a separable toy problem, deterministically; FedProx pulls towards init', () => {
  const X: Float32Array[] = [], y: number[] = [];
  for (let i = 0; i < 400; i++) { const x = new Float32Array(FEATURE_DIM); x[0] = (i % 7) / 7; x[5] = i % 2; X.push(x); y.push(i % 2); }
  const w1 = trainWeightModel(X, y, { epochs: 30, lr: 1, l2: 0, seed: 3 });
  assert.deepEqual(w1, trainWeightModel(X, y, { epochs: 30, lr: 1, l2: 0, seed: 3 }));
  assert.ok(scoreWeightModel(w1, X[1]!) > 0.8 && scoreWeightModel(w1, X[0]!) < 0.2);
  const prox = trainWeightModel(X, y, { epochs: 30, lr: 1, l2: 0, seed: 3, init: { ...w1, weights: w1.weights.map(() => 0), bias: 0 }, proxMu: 5 });
  assert.ok(Math.abs(prox.weights[5]!) < Math.abs(w1.weights[5]!));
  const g = trainGbdt(X, y, { trees: 10, depth: 3, eta: 0.3, lambda: 1, gamma: 0, minChildWeight: 1, bins: 16, subsample: 1, colsample: 1, seed: 1 });
  assert.ok(parseModelFile(JSON.parse(JSON.stringify(g))).ok);
  assert.ok(scoreGbdt(g, X[1]!) > 0.8 && scoreGbdt(g, X[0]!) < 0.2);
});

test('summarizeScores totals per class and names decisive classes', () => {
  const s = summarizeScores([
    { detector: 'sqli', rule: 'sqli-001', class: 'sqli', score: 5, part: 'query:q', excerpt: '', explanation: '' },
    { detector: 'xss', rule: 'xss-005', class: 'xss', score: 3, part: 'query:q', excerpt: '', explanation: '' },
  ]);
  assert.equal(s.total, 8);
  assert.deepEqual(s.decisive, ['sqli']);
  assert.equal(s.topClass, 'sqli');
});

test('anomaly scoring counts each rule once, at its highest score; distinct rules add up', () => {
  const f = (rule: string, cls: 'sqli' | 'path-traversal' | 'xss', score: number, part: string) => ({ detector: cls, rule, class: cls, score, part, excerpt: '', explanation: '' });
  // The same 4-point mention in a title and a description is one piece of evidence: below the threshold.
  const pasted = [f('lfi-002', 'path-traversal', 4, 'body:json.title'), f('lfi-002', 'path-traversal', 4, 'body:json.markdown')];
  assert.equal(summarizeScores(pasted).total, 4);
  assert.equal(wouldBlock(pasted), false);
  // Two different weak rules still reach it, and a rule's best match counts.
  assert.equal(summarizeScores([f('lfi-002', 'path-traversal', 4, 'query:a'), f('xss-005', 'xss', 3, 'query:a')]).total, 7);
  const s = summarizeScores([f('sqli-010', 'sqli', 3, 'query:a'), f('sqli-010', 'sqli', 4, 'query:b'), f('sqli-010', 'sqli', 2, 'query:c'), f('xss-005', 'xss', 3, 'query:d')]);
  assert.equal(s.total, 7);
  assert.equal(s.perClass.sqli, 4);
  assert.equal(s.perClass.xss, 3);
});

test('attack memory recognizes a variant of a remembered attack', () => {
  const e = createEngine({ disableModel: true });
  const seen = makeRequestView({ query: 'cfg=zzq!!evil-marker~~payload((42))##tail' });
  const variant = makeRequestView({ query: 'other=zzq!!evil-marker~~payload((77))##tail' });
  assert.ok(!e.inspect(variant, ctx).some((f) => f.detector === 'memory'));
  e.remember(seen, 'custom');
  assert.ok(e.inspect(variant, ctx).some((f) => f.detector === 'memory' && f.param === 'other'));
  assert.ok(!e.inspect(makeRequestView({ query: 'q=a+perfectly+normal+sentence+here' }), ctx).some((f) => f.detector === 'memory'));
});

test('compiled GBDT scoring equals the tree walk on real requests', async () => {
  const { loadModelFile, compileGbdt, scoreCompiledGbdt, scoreGbdt: walk } = await import('./index.js');
  const { shippedModelPath } = await import('./engine.js');
  const m = loadModelFile(shippedModelPath());
  assert.ok(m.ok && m.value.format === 'jirachi-gbdt');
  if (!m.ok || m.value.format !== 'jirachi-gbdt') return;
  const c = compileGbdt(m.value);
  for (const r of generateBenign(50, 3)) { const x = featurize(r.view); assert.equal(scoreCompiledGbdt(c, x), walk(m.value, x)); }
  for (const a of data.attack) { const x = featurize(viewOf(a)); assert.equal(scoreCompiledGbdt(c, x), walk(m.value, x)); }
});

test('attack memory persists across engines and survives a corrupt file', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-mem-'));
  try {
    const path = join(dir, 'memory.json');
    const a = createEngine({ disableModel: true, memoryPath: path });
    a.remember(makeRequestView({ query: 'x=qq%7C%7Cmarker%3A%3Aabc((1))%7Bzz%7D' }), 'custom');
    assert.equal(a.saveMemory(), undefined);
    const b = createEngine({ disableModel: true, memoryPath: path });
    assert.ok(b.inspect(makeRequestView({ query: 'y=qq%7C%7Cmarker%3A%3Aabc((2))%7Bzz%7D' }), ctx).some((f) => f.detector === 'memory'));
    writeFileSync(path, '{not json');
    const c = createEngine({ disableModel: true, memoryPath: path });
    assert.ok(total(c.inspect(makeRequestView({ query: "q=1'%20or%20'1'='1" }), ctx)) >= 5);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
