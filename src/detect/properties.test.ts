// Properties (fast-check): normalization and every detector are total and bounded; regexes are ReDoS-free.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { check } from 'recheck';
import { makeRequestView } from '../core/index.js';
import { normalizeValue, normalizePath, NORM_MAX_CHARS, createEngine, parseRequest, signatureDetectors, PART_LIMITS, featurize, FEATURE_DIM } from './index.js';
import { compiledPatterns } from './signature.js';
import { resolveLookups } from './rules/network.js';
import { sqlTokens, SQL_MAX_TOKENS } from './sqllex.js';
import { htmlTags, HTML_MAX_TAGS } from './htmllex.js';

const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('%', '2', '5', 'c', '0', 'a', 'f', 'u', '<', '>', "'", '"', '$', '{', '}', '&', '#', ';', '/', '\\', '.', '(', ')', '*', '-', ' ', 'x'), maxLength: 400 }),
  fc.constantFrom('%', '%%%', '%u', '%c0', '&#', '&#x;', '${', '${${${', '<', "'", '\\u{', '\\x', '/*', '--'),
);

test('normalizeValue and normalizePath are total, bounded and lower-case', () => {
  fc.assert(fc.property(nasty, fc.boolean(), (s, enc) => {
    const n = normalizeValue(s, enc);
    assert.ok(n.length <= NORM_MAX_CHARS);
    assert.equal(n, n.toLowerCase());
    const p = normalizePath(s);
    assert.ok(p.path.startsWith('/') && !p.path.includes('/../'));
  }), { numRuns: 1500 });
});

test('normalization is idempotent on already-decoded text (no escapes left)', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', 'Z', '1', '.', ','), maxLength: 200 }), (s) => {
    const once = normalizeValue(s, true);
    assert.equal(normalizeValue(once, true), once);
  }), { numRuns: 500 });
});

test('huge inputs stay bounded in size and time', () => {
  const big = '%25'.repeat(200_000) + "'<script>${${lower:j}ndi:x}";
  const t0 = process.hrtime.bigint();
  assert.ok(normalizeValue(big, true).length <= NORM_MAX_CHARS);
  const e = createEngine();
  const v = makeRequestView({ method: 'POST', query: 'a=' + 'x'.repeat(100_000) + '&b=' + "'or 1=1--".repeat(5000), body: JSON.stringify({ a: Array.from({ length: 5000 }, (_, i) => ({ [`k${i}`]: "<img src=x onerror=alert(1)>" })) }), headers: { 'content-type': 'application/json' } });
  const fs = e.inspect(v, { maxFindings: 16 });
  assert.ok(fs.length <= 16);
  assert.ok(parseRequest(v).parts.length <= PART_LIMITS.maxParts);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('lexers and the Log4j resolver are total and bounded', () => {
  fc.assert(fc.property(nasty, (s) => {
    assert.ok(sqlTokens(s).length <= SQL_MAX_TOKENS);
    assert.ok(sqlTokens(s, "'").length <= SQL_MAX_TOKENS);
    assert.ok(htmlTags(s).length <= HTML_MAX_TAGS);
    assert.ok(resolveLookups(s).length <= 4096 + 64 * 32);
  }), { numRuns: 1500 });
});

const arbView = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'TRACE', 'X'), path: nasty, query: nasty, body: nasty,
  ct: fc.constantFrom('', 'application/json', 'multipart/form-data; boundary=b', 'application/x-www-form-urlencoded', 'text/xml'),
  ua: nasty, cookie: nasty,
}).map((r) => makeRequestView({ method: r.method, path: r.path, query: r.query, body: r.body,
  headers: { 'content-type': r.ct, 'user-agent': r.ua, cookie: r.cookie, host: 'h' } }));

test('every detector and the whole inspect path never throw and respect maxFindings (fuzz)', () => {
  const e = createEngine();
  fc.assert(fc.property(arbView, fc.integer({ min: 1, max: 8 }), (v, max) => {
    const parsed = parseRequest(v);
    for (const d of signatureDetectors()) {
      const sink = { findings: [], max };
      d.inspectParsed(parsed, v, sink);
      assert.ok(sink.findings.length <= max, d.id);
    }
    const fs = e.inspect(v, { maxFindings: max });
    assert.ok(fs.length <= max);
    for (const f of fs) assert.ok(Number.isFinite(f.score) && f.excerpt.length <= 81);
    assert.equal(featurize(v).length, FEATURE_DIM);
  }), { numRuns: 2500 });
});

test('every compiled detector regex is free of exponential backtracking (recheck)', async () => {
  const pats = compiledPatterns();
  assert.ok(pats.length > 50, `only ${pats.length} patterns tracked`);
  const unique = [...new Map(pats.map((p) => [`${p.source}/${p.flags}`, p])).values()];
  // recheck's hybrid checker is randomized and time-boxed: run all, then confirm an exponential verdict alone.
  const results = await Promise.all(unique.map(async (p) => ({ p, r: await check(p.source, p.flags, { timeout: 5_000 }) })));
  const bad: string[] = [];
  for (const { p, r } of results) {
    if (!(r.status === 'vulnerable' && r.complexity.type === 'exponential')) continue;
    const again = await check(p.source, p.flags, { timeout: 10_000 });
    if (again.status === 'vulnerable' && again.complexity.type === 'exponential') bad.push(p.source);
  }
  assert.deepEqual(bad, []);
});

test('every compiled regex runs in bounded time on adversarial 8 KiB inputs', () => {
  const fillers = ['a', ' ', '/', '\\', '%', '{', '(', '\'', '"', '<', '$', '.', '0', '\r\n', '-', ':', '@', '*', ')', ';'];
  const inputs: string[] = [];
  for (const f of fillers) { inputs.push(f.repeat(8192)); inputs.push(('x' + f).repeat(4096)); inputs.push('<!doctype ' + f.repeat(8000)); inputs.push('//' + f.repeat(8000) + '!'); }
  for (const p of compiledPatterns()) {
    const re = new RegExp(p.source, p.flags.replace('g', ''));
    const t0 = process.hrtime.bigint();
    for (const s of inputs) re.test(s);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 1000, `${p.source.slice(0, 60)} took ${ms.toFixed(1)} ms on ${inputs.length} inputs`);
  }
});

test('the normalization fast path agrees with the full path', () => {
  // A leading 'é' forces the full path (non-ASCII) and normalizes to itself, so both must agree on the rest.
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'B', ' ', '.', '/', "'", '<', '(', '$', '{', '-', '=', '1', '#', '*'), maxLength: 120 }), (s) => {
    assert.equal('é' + normalizeValue(s, true), normalizeValue('é' + s, true));
  }), { numRuns: 1000 });
});
