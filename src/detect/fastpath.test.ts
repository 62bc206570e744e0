// Fast paths give the same answers as the slow ones: needle automaton vs indexOf, SQL gate vs full lexing, URL decoding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeRequestView } from '../core/index.js';
import { parseRequest } from './index.js';
import { urlDecodeOnce } from './normalize.js';
import { NeedleAutomaton } from './needles.js';
import { inspectSqlPart, sqlInert } from './rules/sqli.js';
import { needles, activeParts, type FindingSink } from './signature.js';
import { generateBenign } from './benign.js';

const sqlish = fc.string({ unit: fc.constantFrom('a', 'n', 'd', 'o', 'r', ' ', '1', '-1union', '2and', '=', "'", '"', '(', ')', '-', '#', '/', '*', '!', ';', 'x', 'union', 'select', 'or', 'and', 'order by', 'from', '/*!5', '@@', 'é', '$', ',', '.', '&', '|', 'sleep(', 'information_schema', 'into outfile'), maxLength: 40 });

test('needle automaton finds exactly the needles indexOf finds (word needles at word boundaries; a digit may precede)', () => {
  const specs = [{ text: 'or', owners: 1, word: true }, { text: 'order', owners: 2, word: false }, { text: 'der', owners: 4, word: false }, { text: "'", owners: 8, word: false }, { text: 'union', owners: 16, word: true }];
  const a = new NeedleAutomaton(specs);
  const naive = (t: string): number[] => specs.flatMap((s, id) => {
    if (!s.word) return t.includes(s.text) ? [id] : [];
    return new RegExp(`(?<![A-Za-z_])${s.text}\\b`).test(t) ? [id] : [];
  });
  fc.assert(fc.property(sqlish, (t) => {
    const r = a.scan(t, t.length);
    assert.deepEqual([...r.hits].sort(), naive(t).sort(), t);
    assert.equal(r.mask, naive(t).reduce((m, id) => m | specs[id]!.owners, 0));
  }), { numRuns: 3000 });
});

test('a SQL-inert value gets the same SQLi findings without lexing as with it', () => {
  let inert = 0;
  fc.assert(fc.property(sqlish, (v) => {
    const parts = parseRequest(makeRequestView({ query: `q=${encodeURIComponent(v)}` })).parts.filter((p) => p.kind === 'query');
    for (const part of parts) {
      const fast: FindingSink = { findings: [], max: 8 }, slow: FindingSink = { findings: [], max: 8 };
      inspectSqlPart(part, fast, true);
      inspectSqlPart({ ...part, sqlCache: undefined }, slow, false);
      assert.deepEqual(fast.findings.map((f) => f.rule), slow.findings.map((f) => f.rule), v);
      if (sqlInert(part)) inert++;
    }
  }), { numRuns: 4000 });
  assert.ok(inert > 100, `the generator reaches the inert path (${inert})`);
});

test('parts the needle scan leaves out (no needle, no raw-rule needle) are the benign bulk, never an attack part', () => {
  const views = generateBenign(300, 11).map((r) => r.view);
  let skipped = 0, total = 0;
  for (const v of views) { const p = parseRequest(v); total += p.parts.length; skipped += p.parts.length - activeParts(p).length; }
  assert.ok(skipped / total > 0.3, `${skipped} of ${total} benign parts skip every table`);
  const attack = parseRequest(makeRequestView({ query: 'a=plain&b=1%27%20or%20%271%27=%271&c=..%2f..%2fetc%2fpasswd' }));
  assert.deepEqual(activeParts(attack).map((p) => p.name).filter((n) => n.startsWith('query:')), ['query:b', 'query:c']);
  assert.ok(needles().length > 100);
});

test('URL decoding: the platform fast path equals the lenient decoder on ASCII escapes', () => {
  const asciiEsc = fc.string({ unit: fc.oneof(fc.constantFrom('a', '+', ' ', '%', 'é'), fc.integer({ min: 0, max: 127 }).map((b) => `%${b.toString(16).padStart(2, '0')}`), fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)), maxLength: 30 });
  fc.assert(fc.property(asciiEsc, fc.boolean(), (s, plus) => {
    // Forcing the slow path: a trailing lone `%` never starts an escape (it stays as is in both).
    const slow = urlDecodeOnce(s + '%', plus);
    assert.equal(urlDecodeOnce(s, plus) + '%', slow, s);
  }), { numRuns: 3000 });
});
