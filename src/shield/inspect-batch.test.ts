// Unit tests of the inspection batcher: one drain per event-loop turn, per-job outcomes, errors as values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Detector, Finding, RequestView } from '../core/index.js';
import { InspectBatcher } from './inspect-batch.js';

const view = (path: string): RequestView => ({ method: 'GET', path, query: '', headers: [], body: '', bodyTruncated: false, clientIp: '198.18.0.1' });
const finding = (path: string): Finding => ({ detector: 'probe', rule: 'p-1', class: 'sqli', score: 1, part: 'path', excerpt: path, explanation: 'seen' });

test('inspections queued in one turn run back to back, before any continuation, each with its own result', async () => {
  const order: string[] = [];
  const engine: Detector = { id: 'probe', inspect: (v) => { order.push(`inspect ${v.path}`); return v.path === '/bad' ? [finding(v.path)] : []; } };
  const b = new InspectBatcher(8);
  const paths = ['/a', '/bad', '/c'];
  const outs = await Promise.all(paths.map(async (p) => { const o = await b.inspect(engine, view(p)); order.push(`continue ${p}`); return o; }));
  assert.deepEqual(order, ['inspect /a', 'inspect /bad', 'inspect /c', 'continue /a', 'continue /bad', 'continue /c']);
  assert.deepEqual(outs.map((o) => (o.ok ? o.findings.map((f) => f.excerpt) : 'error')), [[], ['/bad'], []]);
  for (const o of outs) assert.ok(o.us >= 0);
});

test('an engine exception becomes that job\'s error outcome; the other jobs and later batches still run', async () => {
  let calls = 0;
  const engine: Detector = { id: 'flaky', inspect: (v) => { calls++; if (v.path === '/boom') throw new TypeError('engine broke'); return []; } };
  const b = new InspectBatcher(8);
  const [x, y, z] = await Promise.all([b.inspect(engine, view('/a')), b.inspect(engine, view('/boom')), b.inspect(engine, view('/c'))]);
  assert.equal(x?.ok, true);
  assert.equal(z?.ok, true);
  assert.ok(y && !y.ok && y.error.message === 'engine broke');
  // A job queued from a continuation goes into a new batch, which is scheduled again.
  const later = await b.inspect(engine, view('/later'));
  assert.equal(later.ok, true);
  assert.equal(calls, 4);
});

test('maxFindings is passed to the engine', async () => {
  let seen = -1;
  const engine: Detector = { id: 'ctx', inspect: (_v, ctx) => { seen = ctx.maxFindings; return []; } };
  await new InspectBatcher(5).inspect(engine, view('/'));
  assert.equal(seen, 5);
});

test('a batch holds at most maxBatch inspections: continuations of the first batch run before the next batch', async () => {
  const order: string[] = [];
  const engine: Detector = { id: 'probe', inspect: (v) => { order.push(`i${v.path}`); return []; } };
  const b = new InspectBatcher(8, 2);
  await Promise.all(['1', '2', '3', '4', '5'].map(async (p) => { await b.inspect(engine, view(p)); order.push(`c${p}`); }));
  assert.deepEqual(order, ['i1', 'i2', 'c1', 'c2', 'i3', 'i4', 'c3', 'c4', 'i5', 'c5']);
});

test('a batch also stops once its inspections took maxBatchUs; the rest run next, in order', async () => {
  const order: string[] = [];
  const spin = (ms: number): void => { const end = Date.now() + ms; while (Date.now() < end) { /* busy */ } };
  const engine: Detector = { id: 'slow', inspect: (v) => { order.push(`i${v.path}`); spin(2); return []; } };
  // Every inspection takes longer than the budget, so every batch holds exactly one.
  const b = new InspectBatcher(8, 16, 1000);
  await Promise.all(['1', '2', '3'].map(async (p) => { await b.inspect(engine, view(p)); order.push(`c${p}`); }));
  assert.deepEqual(order, ['i1', 'c1', 'i2', 'c2', 'i3', 'c3']);
});
