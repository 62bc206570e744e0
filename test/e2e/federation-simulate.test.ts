// E2E: `jirachi federation simulate` runs a server and three clients as real processes over gRPC/TLS on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSplits } from '../../bench/federation-splits.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// The shared corpus: $JIRACHI_SHARED_DATA, else ../shared/data beside the checkout, else /work/shared/data.
const corpus = [process.env['JIRACHI_SHARED_DATA'], join(root, '..', 'shared', 'data'), '/work/shared/data']
  .filter((d): d is string => typeof d === 'string')
  .map((d) => join(d, 'train-requests.jsonl.gz'))
  .find((f) => existsSync(f)) ?? join(root, '..', 'shared', 'data', 'train-requests.jsonl.gz');
const hasOpenssl = (() => { try { execFileSync('openssl', ['version']); return true; } catch { return false; } })();

test('simulate: 3 non-IID nodes, 2 rounds, signed global models, per-node outputs', { timeout: 120_000 }, (t) => {
  if (!hasOpenssl) { t.skip('openssl CLI not installed (apt-get install openssl)'); return; }
  if (!existsSync(corpus)) { t.skip(`corpus not found at ${corpus}`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-fed-e2e-'));
  try {
    buildSplits(corpus, join(dir, 'data'), 250, 3);
    const out = join(dir, 'sim');
    const r = spawnSync(process.execPath, [join(root, 'bin', 'jirachi.js'), 'federation', 'simulate',
      ...[1, 2, 3].flatMap((i) => ['--data', join(dir, 'data', `node-${i}.jsonl`)]),
      '--rounds', '2', '--out', out, '--local-epochs', '2', '--lr', '1', '--json'], { encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      rounds: Array<{ round: number; participants: string[]; durationMs: number; metrics: Record<string, number> }>;
      nodeReports: Array<{ refusedModels: string[]; decisions: unknown[] }>;
    };
    assert.equal(s.rounds.length, 2);
    for (const round of s.rounds) {
      assert.deepEqual(round.participants, ['node-1', 'node-2', 'node-3']);
      assert.ok(round.durationMs > 0 && Number.isFinite(round.metrics['globalValAccuracy']));
    }
    // Every node verified every server signature and ran the gate on rounds 1..2 and the final model.
    for (const n of s.nodeReports) { assert.deepEqual(n.refusedModels, []); assert.equal(n.decisions.length, 3); }
    for (const i of [1, 2, 3]) {
      for (const f of ['model.json', 'local-model.json']) {
        const m = JSON.parse(readFileSync(join(out, `node-${i}`, f), 'utf8')) as { format: string; weights: number[] };
        assert.equal(m.format, 'jirachi-weight-model');
        assert.ok(m.weights.every(Number.isFinite));
      }
    }
    // The final global model differs from every local-only model: it carries the other nodes' knowledge.
    const global = JSON.parse(readFileSync(join(out, 'global-model.json'), 'utf8')) as { weights: number[] };
    const local1 = JSON.parse(readFileSync(join(out, 'node-1', 'local-model.json'), 'utf8')) as { weights: number[] };
    assert.notDeepEqual(global.weights, local1.weights);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simulate --secagg with DP: masked sums over real gRPC/TLS, epsilon reported, models still signed and finite', { timeout: 60_000 }, (t) => {
  if (!hasOpenssl) { t.skip('openssl CLI not installed (apt-get install openssl)'); return; }
  if (!existsSync(corpus)) { t.skip(`corpus not found at ${corpus}`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-fed-secagg-'));
  try {
    buildSplits(corpus, join(dir, 'data'), 30, 3);
    const out = join(dir, 'sim');
    const r = spawnSync(process.execPath, [join(root, 'bin', 'jirachi.js'), 'federation', 'simulate',
      ...[1, 2, 3].flatMap((i) => ['--data', join(dir, 'data', `node-${i}.jsonl`)]),
      '--rounds', '2', '--out', out, '--local-epochs', '1', '--lr', '1', '--secagg', '--dp-clip', '5', '--dp-noise', '0.8', '--round-timeout', '20000'],
    { encoding: 'utf8', timeout: 55_000 });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      secureAggregation: boolean; rounds: Array<{ participants: string[]; dropped: string[]; info: Record<string, number> }>;
      nodeReports: Array<{ refusedModels: string[] }>;
    };
    assert.equal(s.secureAggregation, true);
    assert.equal(s.rounds.length, 2);
    const eps = s.rounds.map((x) => x.info['epsilon'] as number);
    for (const x of s.rounds) { assert.deepEqual(x.participants, ['node-1', 'node-2', 'node-3']); assert.deepEqual(x.dropped, []); }
    // The accountant composes: epsilon is finite, positive and grows with every round.
    assert.ok(eps.every((e) => Number.isFinite(e) && e > 0) && (eps[1] as number) > (eps[0] as number), String(eps));
    for (const n of s.nodeReports) assert.deepEqual(n.refusedModels, []);
    const g = JSON.parse(readFileSync(join(out, 'global-model.json'), 'utf8')) as { weights: number[]; bias: number };
    assert.ok(g.weights.every(Number.isFinite) && Number.isFinite(g.bias) && g.weights.some((w) => w !== 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
