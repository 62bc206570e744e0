// Metrics: exposition format, label escaping, histogram buckets, merging snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoNow, Metrics } from './index.js';

test('counters and histograms expose and merge', () => {
  const a = new Metrics();
  a.inc('jirachi_requests_total', { verdict: 'BLOCK', route: 'a"b' });
  a.inc('jirachi_requests_total', { verdict: 'BLOCK', route: 'a"b' }, 2);
  a.observe('jirachi_request_duration_seconds', { verdict: 'ALLOW' }, 0.0003);
  const b = new Metrics();
  b.inc('jirachi_requests_total', { verdict: 'BLOCK', route: 'a"b' });
  b.observe('jirachi_request_duration_seconds', { verdict: 'ALLOW' }, 3);
  a.gauge('jirachi_active_bans', () => 7);
  const text = a.expose([b.snapshot()]);
  assert.match(text, /^jirachi_requests_total\{route="a\\"b",verdict="BLOCK"\} 4$/m);
  assert.match(text, /^jirachi_request_duration_seconds_bucket\{verdict="ALLOW",le="0.0005"\} 1$/m);
  assert.match(text, /^jirachi_request_duration_seconds_bucket\{verdict="ALLOW",le="5"\} 2$/m);
  assert.match(text, /^jirachi_request_duration_seconds_count\{verdict="ALLOW"\} 2$/m);
  assert.match(text, /^jirachi_active_bans 7$/m);
  assert.match(text, /^# TYPE jirachi_findings_total counter$/m);
});

test('isoNow formats like Date#toISOString, across second and millisecond boundaries', () => {
  for (const ms of [0, 1, 9, 10, 99, 100, 999, 1000, 1_700_000_000_000, 1_700_000_000_007, 1_700_000_000_070, 1_700_000_000_999, 1_700_000_001_000, Date.now()]) {
    assert.equal(isoNow(ms), new Date(ms).toISOString(), String(ms));
  }
});
