// Property and behaviour tests of the aggregation strategies and the DP wrapper (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createStrategy, strategyNames, normalizeWeights, weightedMean, coordinateMedian, coordinateTrimmedMean,
  withDp, withServerLr, RdpAccountant, clipUpdate, norm2, sub, type ClientUpdate,
} from './index.js';

const DIM = 4;
const vec = fc.float64Array({ minLength: DIM, maxLength: DIM, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const updatesArb = fc.array(fc.record({ params: vec, numExamples: fc.integer({ min: 1, max: 10_000 }) }), { minLength: 1, maxLength: 9 })
  .map((us) => us.map((u, i): ClientUpdate => ({ nodeId: `n${i}`, params: u.params, numExamples: u.numExamples, metrics: {} })));
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

test('every registered strategy is constructible', () => {
  assert.deepEqual(strategyNames(), ['fedadam', 'fedavg', 'fedavg-coord', 'fedprox', 'krum', 'median', 'momentum', 'trimmed-mean']);
});

test('FedAvg weights are non-negative and sum to one', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1 }).filter((ws) => ws.some((w) => w > 0)), (ws) => {
    const n = normalizeWeights(ws);
    assert.ok(n.every((w) => w >= 0));
    assert.ok(close(n.reduce((a, b) => a + b, 0), 1));
  }));
});

test('aggregation does not depend on the order of updates', () => {
  for (const name of ['fedavg', 'median', 'trimmed-mean', 'krum']) {
    fc.assert(fc.property(updatesArb, fc.integer(), (us, seed) => {
      const shuffled = [...us].sort((a, b) => ((a.nodeId.charCodeAt(1) * 7919 + seed) % 13) - ((b.nodeId.charCodeAt(1) * 7919 + seed) % 13));
      const g = new Float64Array(DIM);
      const a = createStrategy(name)?.aggregate(g, us);
      const b = createStrategy(name)?.aggregate(g, shuffled);
      assert.ok(a && b);
      for (let i = 0; i < DIM; i++) assert.ok(close(a.params[i] as number, b.params[i] as number), `${name} coordinate ${i}`);
    }), { numRuns: 60 });
  }
});

test('FedAvg mean lies within the inputs per coordinate; identical inputs are a fixed point', () => {
  fc.assert(fc.property(updatesArb, (us) => {
    const m = weightedMean(us.map((u) => u.params), us.map((u) => u.numExamples));
    for (let d = 0; d < DIM; d++) {
      const col = us.map((u) => u.params[d] as number);
      assert.ok(m[d]! >= Math.min(...col) - 1e-6 && m[d]! <= Math.max(...col) + 1e-6);
    }
  }));
});

test('median and trimmed mean are bounded by the inputs, per coordinate', () => {
  fc.assert(fc.property(updatesArb, fc.double({ min: 0, max: 0.49, noNaN: true }), (us, beta) => {
    const vs = us.map((u) => u.params);
    for (const out of [coordinateMedian(vs), coordinateTrimmedMean(vs, beta)]) {
      for (let d = 0; d < DIM; d++) {
        const col = vs.map((v) => v[d] as number);
        assert.ok(out[d]! >= Math.min(...col) && out[d]! <= Math.max(...col));
      }
    }
  }));
});

test('robust strategies resist one scaled update; FedAvg does not', () => {
  const honest = [0.9, 1.0, 1.1, 1.05].map((x, i): ClientUpdate => ({ nodeId: `h${i}`, params: Float64Array.from([x, -x]), numExamples: 100, metrics: {} }));
  const evil: ClientUpdate = { nodeId: 'evil', params: Float64Array.from([-1000, 1000]), numExamples: 100, metrics: {} };
  const g = new Float64Array(2);
  const avg = createStrategy('fedavg')!.aggregate(g, [...honest, evil])!;
  assert.ok(Math.abs(avg.params[0]! - 1) > 100);
  for (const name of ['median', 'trimmed-mean', 'krum']) {
    const a = createStrategy(name)!.aggregate(g, [...honest, evil])!;
    assert.ok(Math.abs(a.params[0]! - 1) < 0.2, `${name}: ${a.params[0]}`);
  }
  const k = createStrategy('krum')!.aggregate(g, [...honest, evil])!;
  assert.deepEqual(k.rejected, ['evil']);
});

test('FedProx sets μ; FedAdam moves toward the mean', () => {
  const base = { round: 1, localEpochs: 1, lr: 0.1, proxMu: 0, clipNorm: 0 };
  assert.equal(createStrategy('fedprox', { proxMu: 0.3 })!.configureRound(base).proxMu, 0.3);
  const s = createStrategy('fedadam', { serverLr: 0.5 })!;
  const g = Float64Array.from([0, 0]);
  const a = s.aggregate(g, [{ nodeId: 'a', params: Float64Array.from([1, -1]), numExamples: 1, metrics: {} }])!;
  assert.ok(a.params[0]! > 0 && a.params[1]! < 0);
});

test('clipping bounds the update norm', () => {
  fc.assert(fc.property(vec, vec, fc.double({ min: 0.01, max: 100, noNaN: true }), (g, p, c) => {
    const out = clipUpdate(g, p, c);
    // Absolute slack for float cancellation when |g| is much larger than c.
    assert.ok(norm2(sub(out.params, g)) <= c * (1 + 1e-9) + 1e-12 * (norm2(g) + norm2(p)) * DIM);
  }));
});

test('DP wrapper adds noise of the configured scale and reports a growing ε', () => {
  let calls = 0;
  const s = withDp(createStrategy('fedavg')!, { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, gaussian: () => { calls++; return 1; } });
  const g = new Float64Array(3);
  const us = [0, 1].map((i): ClientUpdate => ({ nodeId: `n${i}`, params: Float64Array.from([10, 0, 0]), numExamples: 5, metrics: {} }));
  const a1 = s.aggregate(g, us)!;
  assert.equal(calls, 3);
  assert.ok(close(a1.params[0]!, 1 + 0.5)); // clipped to norm 1, plus noise 1·σC/n = 0.5
  assert.ok(close(a1.params[1]!, 0.5));
  const e1 = a1.info['epsilon']!;
  const e2 = s.aggregate(g, us)!.info['epsilon']!;
  assert.ok(e1 > 0 && e2 > e1);
  assert.throws(() => withDp(createStrategy('median')!, { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 }));
});

test('RDP accountant matches the closed form for one Gaussian release', () => {
  const acc = new RdpAccountant();
  acc.step(4);
  // At α=2: 2/32 + ln(1/2) − (ln 1e-5 + ln 2)/1 ≈ 10.99; the minimum over orders is much smaller.
  const e = acc.epsilon(1e-5);
  assert.ok(e > 0.5 && e < 2, String(e));
  const more = new RdpAccountant();
  for (let i = 0; i < 100; i++) more.step(4);
  assert.ok(more.epsilon(1e-5) > e);
});

test('fedavg-coord: a feature seen by one node keeps its weight, shared ones are count-weighted, unseen ones stay', () => {
  const s = createStrategy('fedavg-coord')!;
  assert.equal(s.configureRound({ round: 1, localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0 }).coordinateWeights, true);
  const g = Float64Array.from([0, 0, 7]);
  const a = s.aggregate(g, [
    { nodeId: 'a', params: Float64Array.from([4, 1, 9]), numExamples: 10, metrics: {}, coordWeights: Float64Array.from([10, 1, 0]) },
    { nodeId: 'b', params: Float64Array.from([-1, 4, 9]), numExamples: 10, metrics: {}, coordWeights: Float64Array.from([0, 2, 0]) },
  ])!;
  assert.deepEqual([...a.params], [4, 3, 7]);
  // Without counts it is FedAvg.
  fc.assert(fc.property(updatesArb, (us) => {
    const x = s.aggregate(new Float64Array(DIM), us)!.params;
    const y = createStrategy('fedavg')!.aggregate(new Float64Array(DIM), us)!.params;
    x.forEach((v, i) => assert.ok(close(v, y[i] as number)));
  }));
});

test('server learning rate scales the aggregated step and keeps linearity', () => {
  fc.assert(fc.property(updatesArb, vec, fc.double({ min: 0.1, max: 5, noNaN: true }), (us, g, lr) => {
    const base = createStrategy('fedavg')!;
    const s = withServerLr(createStrategy('fedavg')!, lr);
    const a = base.aggregate(g, us)!.params;
    const b = s.aggregate(g, us)!.params;
    b.forEach((v, i) => assert.ok(Math.abs(v - ((g[i] as number) + lr * ((a[i] as number) - (g[i] as number)))) <= 1e-6 * Math.max(1, Math.abs(v))));
    assert.ok(s.fromMean);
  }));
  assert.equal(withServerLr(createStrategy('median')!, 2).fromMean, undefined);
  assert.throws(() => withServerLr(createStrategy('fedavg')!, 0));
});
