// Presence masks give the same answer as testing each rule's needles with indexOf.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeRequestView } from '../../core/index.js';
import { parseRequest } from '../index.js';
import { compileRules } from '../signature.js';
import { presenceTable, presentRules } from './present.js';

const RULES = compileRules([
  { id: 't-1', score: 5, needles: ['..', '/'], pattern: '\\.\\./', explanation: 'a' },
  { id: 't-2', score: 5, needles: ['union', "'"], pattern: 'union', explanation: 'b' },
  { id: 't-3', score: 5, needles: ['<script', 'on'], pattern: 'x', explanation: 'c' },
  { id: 't-4', score: 5, raw: true, flags: 'i', needles: ['\r'], pattern: '\\r', explanation: 'd' },
]);
const TABLE = presenceTable(RULES);
const text = fc.string({ unit: fc.constantFrom('.', '/', 'u', 'n', 'i', 'o', '<', 's', 'c', 'r', 'p', 't', "'", ' ', 'a', '%2e', '%0d', '\r', 'union', '<script', '..'), maxLength: 30 });

test('presentRules sets bit r exactly when a needle of rule r occurs in the normalized value (raw rules always)', () => {
  fc.assert(fc.property(text, (t) => {
    const parsed = parseRequest(makeRequestView({ method: 'GET', path: '/', query: `q=${encodeURIComponent(t)}`, headers: { host: 'a' } }));
    const part = parsed.parts.find((p) => p.kind === 'query')!;
    const bits = presentRules(TABLE, part);
    RULES.forEach((r, i) => {
      const expected = r.raw === true || r.needles.some((n) => part.norm.includes(n));
      assert.equal((bits >>> i) & 1, expected ? 1 : 0, `${r.id} on ${JSON.stringify(part.norm)}`);
    });
  }), { numRuns: 2000 });
});

test('presenceTable refuses more than 31 rules', () => {
  const many = Array.from({ length: 32 }, () => RULES[0]!);
  assert.throws(() => presenceTable(many), /at most 31/);
});
