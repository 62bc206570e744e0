// Round protocol in process: dropouts mid-round don't stall, quorum, late submissions, secure aggregation with a dropout.
import { test } from 'node:test';
import { createPublicKey } from 'node:crypto';
import assert from 'node:assert/strict';
import { generateIdentity, signModel } from '../auth/index.js';
import { createStrategy } from '../strategy/index.js';
import { decodeBody, encodeBody, type Body, type FederationMethod, type FederationTransport, type Handler } from '../transport/index.js';
import { Barrier, FederationClient, FederationServer, type Dataset, type ModelAdapter } from './index.js';
import { err, ok } from '../../core/index.js';

/** A model whose local training moves each weight towards the node's feature means (deterministic, linear in the data). */
interface MeanModel { readonly w: number[] }
const adapter: ModelAdapter<MeanModel> = {
  family: 'test-mean',
  parse: (j) => ok(j as MeanModel),
  initial: (dim) => ({ w: new Array<number>(dim).fill(0) }),
  toParams: (m) => Float64Array.from(m.w),
  fromParams: (p) => ({ w: Array.from(p) }),
  train: (d, init, s) => ({ w: init.w.map((v, j) => v + s.lr * (d.X.reduce((a, x) => a + (x[j] as number), 0) / d.X.length - v)) }),
  evaluate: (_m, d) => ({ accuracy: 1, tpr: 1, fpr: 0, n: d.y.length }),
  coordinateCounts: (d) => Float64Array.from([0, 1], (j) => d.X.filter((x) => x[j] !== 0).length),
};
const data = (v: number, n: number): Dataset => ({ X: Array.from({ length: n }, () => Float32Array.from([v, 2 * v])), y: new Array<number>(n).fill(1) });

/** In-process transport: every call goes through the wire encoding to the server's handler, like gRPC would. */
function direct(nodeId: string, handlers: Record<FederationMethod, Handler>, failOn?: FederationMethod): FederationTransport {
  const traffic = { sent: 0, received: 0 };
  return {
    traffic,
    close: () => undefined,
    async call(method, body: Body) {
      if (method === failOn) return { ok: false, error: 'connection reset (simulated crash)' };
      const req = decodeBody(encodeBody(body));
      if (!req.ok) return req;
      const res = encodeBody(await handlers[method](nodeId, req.value));
      traffic.sent += res.length;
      return decodeBody(res);
    },
  };
}

const server = generateIdentity('server');
function setup(o: { minClients: number; secagg?: boolean; timeoutMs: number; strategy?: string }) {
  return new FederationServer<MeanModel>({
    rounds: 2, minClients: o.minClients, strategy: createStrategy(o.strategy ?? 'fedavg')!, adapter, initialModel: adapter.initial(2),
    signingKey: server.privateKey, signer: 'server', secureAggregation: o.secagg === true, roundTimeoutMs: o.timeoutMs, joinTimeoutMs: 5_000,
    base: { localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0 },
  });
}
function client(srv: FederationServer<MeanModel>, id: string, d: Dataset, failOn?: FederationMethod) {
  return new FederationClient<MeanModel>({
    nodeId: id, transport: direct(id, srv.handlers, failOn), adapter, serverKey: createPublicKey(server.privateKey), train: d, validation: d,
    current: adapter.initial(2), tolerance: 1, onAccept: () => undefined, callTimeoutMs: 10_000,
  });
}

test('a client that crashes mid-round does not stall it: the round closes at the timeout and aggregates the rest', async () => {
  const srv = setup({ minClients: 2, timeoutMs: 400 });
  const t0 = Date.now();
  const run = srv.run();
  const ok1 = client(srv, 'a', data(1, 10)).run();
  const ok2 = client(srv, 'b', data(3, 30)).run();
  const crash = client(srv, 'c', data(100, 10), 'Submit').run();
  await assert.rejects(crash, /Submit/);
  const sums = await run;
  await Promise.all([ok1, ok2]);
  assert.equal(sums.length, 2);
  assert.deepEqual(sums[0]!.dropped, ['c']);
  assert.deepEqual(sums[0]!.accepted, ['a', 'b']);
  assert.ok(sums[0]!.aggregated);
  // lr 1: each update is the node's mean, so the global is the example-weighted mean of a and b only.
  assert.deepEqual(srv.current.w.map((v) => Math.round(v * 1e6) / 1e6), [2.5, 5]);
  assert.ok(Date.now() - t0 < 5_000);
});

test('below the quorum a round is not aggregated and the global model stays', async () => {
  const srv = setup({ minClients: 3, timeoutMs: 300 });
  const run = srv.run();
  const a = client(srv, 'a', data(1, 10)).run();
  const b = client(srv, 'b', data(3, 10), 'Submit').run();
  const c = client(srv, 'c', data(5, 10), 'Submit').run();
  await Promise.allSettled([b, c]);
  const sums = await run;
  await a;
  assert.ok(sums.every((s) => !s.aggregated));
  assert.deepEqual(srv.current.w, [0, 0]);
});

test('a new global model the engine would refuse is discarded with a log line; the server keeps serving and the old model stays', async () => {
  const logs: string[] = [];
  // The "engine" refuses weights above 50; node c's data pushes the mean to ~70.
  const strict: ModelAdapter<MeanModel> = { ...adapter, parse: (j) => ((j as MeanModel).w.some((v) => v > 50) ? err('weight above 50') : ok(j as MeanModel)) };
  const srv = new FederationServer<MeanModel>({
    rounds: 2, minClients: 2, strategy: createStrategy('fedavg')!, adapter: strict, initialModel: adapter.initial(2),
    signingKey: server.privateKey, signer: 'server', secureAggregation: false, roundTimeoutMs: 2_000, joinTimeoutMs: 5_000,
    base: { localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0 }, log: (m) => logs.push(m),
  });
  const run = srv.run();
  const a = client(srv, 'a', data(1, 10)).run();
  const c = client(srv, 'c', data(100, 30)).run();
  const sums = await run;
  await Promise.all([a, c]);
  assert.equal(sums.length, 2, 'both rounds ran');
  assert.deepEqual(srv.current.w, [0, 0]);
  assert.ok(logs.some((l) => /round 1: new global model discarded, the engine refuses it: weight above 50/.test(l)), logs.join('\n'));
});

test('the join phase times out when the quorum never joins', async () => {
  const srv = new FederationServer<MeanModel>({
    rounds: 1, minClients: 2, strategy: createStrategy('fedavg')!, adapter, initialModel: adapter.initial(2), signingKey: server.privateKey,
    signer: 'server', secureAggregation: false, roundTimeoutMs: 100, joinTimeoutMs: 150, base: { localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0 },
  });
  await srv.handlers.Join('a', { json: {}, blobs: [] });
  await assert.rejects(srv.run(), /only 1 of 2 clients joined/);
});

test('barrier: late, duplicate and unexpected submissions are refused', async () => {
  const b = new Barrier<number>(new Set(['a', 'b']), 50);
  assert.ok(b.submit('a', 1));
  assert.ok(!b.submit('a', 2));
  assert.ok(!b.submit('z', 3));
  const got = await b.done;
  assert.deepEqual([...got], [['a', 1]]);
  assert.ok(!b.submit('b', 4));
});

test('secure aggregation: a node crashing after sharing keys is recovered; the sum equals the survivors\' weighted mean', async () => {
  const srv = setup({ minClients: 3, timeoutMs: 1_000, secagg: true });
  const run = srv.run();
  const cs = [client(srv, 'a', data(1, 10)).run(), client(srv, 'b', data(2, 20)).run(), client(srv, 'c', data(4, 10)).run()];
  const crash = client(srv, 'd', data(1000, 10), 'MaskedInput').run();
  await assert.rejects(crash, /MaskedInput/);
  const sums = await run;
  await Promise.all(cs);
  assert.deepEqual(sums[0]!.dropped, ['d']);
  assert.ok(sums[0]!.aggregated && sums[0]!.secureAggregation);
  // (1·10 + 2·20 + 4·10) / 40 = 2.25; the dropped node's masks cancelled (fixed point 2^-24).
  assert.ok(Math.abs(srv.current.w[0]! - 2.25) < 1e-5, String(srv.current.w));
  assert.ok(Math.abs(srv.current.w[1]! - 4.5) < 1e-5, String(srv.current.w));
});

test('secure aggregation with fedavg-coord: per-coordinate counts are summed under the masks', async () => {
  const srv = setup({ minClients: 3, timeoutMs: 2_000, secagg: true, strategy: 'fedavg-coord' });
  const run = srv.run();
  const rows = (x: number[], n: number): Dataset => ({ X: Array.from({ length: n }, () => Float32Array.from(x)), y: new Array<number>(n).fill(1) });
  await Promise.all([client(srv, 'a', rows([1, 0], 10)).run(), client(srv, 'b', rows([0, 3], 10)).run(), client(srv, 'c', rows([2, 0], 30)).run()]);
  const sums = await run;
  assert.ok(sums[0]!.aggregated && sums[0]!.secureAggregation);
  // Coordinate 0: (10·1 + 30·2) / 40; coordinate 1 only node b carries it, so it keeps b's 3 (FedAvg would give 0.6).
  assert.ok(Math.abs(srv.current.w[0]! - 1.75) < 1e-5 && Math.abs(srv.current.w[1]! - 3) < 1e-5, String(srv.current.w));
});

test('client: a task whose round differs from the signed model\'s round is refused (the gate never runs on an unsigned round)', async () => {
  const m = adapter.initial(2);
  const tasks: Body[] = [
    { json: { round: 2, config: { round: 2, localEpochs: 1, lr: 1, proxMu: 0, clipNorm: 0 }, model: signModel(m, 1, 'server', server.privateKey) }, blobs: [] },
    { json: { done: true, model: signModel(m, 3, 'server', server.privateKey) }, blobs: [] },
  ];
  const transport: FederationTransport = {
    traffic: { sent: 0, received: 0 }, close: () => undefined,
    call: async (method) => ({ ok: true, value: method === 'GetTask' ? tasks.shift() ?? { json: { wait: true }, blobs: [] } : { json: { ok: true }, blobs: [] } }),
  };
  const c = new FederationClient<MeanModel>({ nodeId: 'a', transport, adapter, serverKey: createPublicKey(server.privateKey), train: data(1, 5), validation: data(1, 5),
    current: m, tolerance: 1, onAccept: () => undefined, callTimeoutMs: 5_000 });
  const decisions = await c.run();
  assert.deepEqual(c.refusedModels, ['signed for round 1, task says round 2']);
  assert.deepEqual(decisions.map((d) => d.round), [3], 'only the final model (signed round 3) was gated');
});
