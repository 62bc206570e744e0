// E2E: `jirachi federation simulate --model gbdt`: tree rounds over real gRPC/TLS on loopback, a poisoning node refused, the model usable by `jirachi eval`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSplits } from '../../bench/federation-splits.js';
import { bin, corpus, hasOpenssl, type Summary } from './federation-fixture.js';

test('simulate --model gbdt: 3 non-IID nodes and a label-flipping 4th over gRPC/TLS; its trees are refused every round', { timeout: 150_000 }, (t) => {
  if (!hasOpenssl) { t.skip('openssl CLI not installed (apt-get install openssl)'); return; }
  if (!existsSync(corpus)) { t.skip(`corpus not found at ${corpus}`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-fed-gbdt-'));
  try {
    const data = join(dir, 'data');
    buildSplits(corpus, data, 150, 3, 60);
    const out = join(dir, 'sim');
    const nodes = [1, 2, 3, 1].flatMap((i) => ['--data', join(data, `node-${i}.jsonl`)]);
    const r = spawnSync(process.execPath, [bin, 'federation', 'simulate', ...nodes, '--model', 'gbdt', '--validation', join(data, 'server-validation.jsonl'),
      '--rounds', '2', '--trees-per-round', '12', '--max-trees-per-node', '8', '--local-trees', '10', '--poison', '4:label-flip', '--out', out, '--round-timeout', '60000'],
    { encoding: 'utf8', timeout: 140_000 });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.model, 'gbdt');
    assert.equal(s.rounds.length, 2);
    for (const round of s.rounds) {
      assert.deepEqual(round.participants, ['node-1', 'node-2', 'node-3', 'node-4']);
      // The poisoning node's trees lower the server's validation accuracy: refused in every round.
      assert.ok(round.rejected.includes('node-4'), `round ${round.round}: ${JSON.stringify(round)}`);
      assert.ok(!round.accepted.includes('node-4'));
      assert.ok(round.info['validationAfter']! >= round.info['validationBefore']! - 0.01, JSON.stringify(round.info));
      // The per-node cap: at most 8 of each node's 12 trees per round.
      assert.ok(round.info['treesAccepted']! <= 8 * round.accepted.length);
    }
    assert.ok(s.rounds.some((x) => x.accepted.length > 0));
    // Every node verified every server signature (rounds 1..2 and the final model) and ran the gate on each.
    for (const n of s.nodeReports) { assert.deepEqual(n.refusedModels, []); assert.equal(n.decisions.length, 3); }
    const global = JSON.parse(readFileSync(join(out, 'global-model.json'), 'utf8')) as { format: string; trees: unknown[]; meta: { federated: { rounds: number } } };
    assert.equal(global.format, 'jirachi-gbdt');
    assert.equal(global.meta.federated.rounds, 2);
    assert.equal(global.trees.length, s.rounds.reduce((a, x) => a + (x.info['treesAccepted'] ?? 0), 0));
    for (const i of [1, 2, 3]) assert.equal((JSON.parse(readFileSync(join(out, `node-${i}`, 'model.json'), 'utf8')) as { format: string }).format, 'jirachi-gbdt');
    // The global model is an ordinary engine model file: `jirachi eval --only-model` scores it, and it
    // detects the attack classes of all three honest nodes better than node 1's local-only model.
    const evalRates = (model: string): Record<string, { tpr?: number; tnr?: number }> => {
      const e = spawnSync(process.execPath, [bin, 'eval', '--model', model, '--only-model', '--json',
        '--corpus', ...['sqli', 'xss', 'path-traversal', 'cmdi', 'benign'].map((c) => join(data, `test-${c}.jsonl`))], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(e.status, 0, e.stderr);
      return (JSON.parse(e.stdout) as { per_class: Record<string, { tpr?: number; tnr?: number }> }).per_class;
    };
    const g = evalRates(join(out, 'global-model.json'));
    const local1 = evalRates(join(out, 'node-1', 'local-model.json'));
    const unseen = (p: Record<string, { tpr?: number }>): number => ['xss', 'path-traversal', 'cmdi'].reduce((a, c) => a + (p[c]?.tpr ?? 0), 0);
    assert.ok(unseen(g) > unseen(local1) + 0.5, `global ${JSON.stringify(g)} vs node 1 local ${JSON.stringify(local1)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('federation server --model gbdt refuses to start without a validation set or with --secagg', () => {
  for (const extra of [[], ['--validation', '/nonexistent.jsonl', '--secagg']]) {
    const r = spawnSync(process.execPath, [bin, 'federation', 'server', '--listen', '127.0.0.1:0', '--registry', '/nonexistent', '--key', '/nonexistent',
      '--model', 'gbdt', ...extra], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, extra.length ? /--secagg works with vector models only/ : /--model gbdt needs --validation FILE/);
  }
});
