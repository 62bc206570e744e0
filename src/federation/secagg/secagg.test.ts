// Tests of secure aggregation: Shamir recovery, exact mask cancellation (fast-check), dropout recovery, tamper refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { splitSecret, combineShares, encodeFixed, decodeFixed, expandMask, SecAggClient, unmaskSum, type Reveal } from './index.js';

test('Shamir: any threshold shares recover the secret, fewer do not', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 5 }), (sec, t, extra) => {
    const n = t + extra;
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const shares = splitSecret(Buffer.from(sec), xs, t);
    const pick = [...shares].reverse().slice(0, t);
    assert.deepEqual(combineShares(pick, 32), Buffer.from(sec));
    if (t > 1) assert.notDeepEqual(combineShares(pick.slice(1), 32), Buffer.from(sec));
  }), { numRuns: 40 });
});

test('fixed point round-trips within the scale', () => {
  const x = [0, 1.5, -2.25, 1e6, -1e-3];
  const back = decodeFixed(encodeFixed(x));
  x.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) < 1e-7));
});

test('masks are uniformly spread 64-bit words, deterministic per key', () => {
  const k = randomBytes(32);
  assert.deepEqual(expandMask(k, 8), expandMask(k, 8));
  assert.notDeepEqual(expandMask(k, 8), expandMask(randomBytes(32), 8));
  const m = expandMask(k, 4096);
  const highBitSet = [...m].filter((w) => w >> 63n === 1n).length;
  assert.ok(highBitSet > 1800 && highBitSet < 2300);
});

function runRound(inputs: number[][], threshold: number, drop: Set<number>) {
  const salt = randomBytes(16);
  const clients = inputs.map((_, i) => new SecAggClient(`node-${i}`, salt, threshold));
  const peers = clients.map((c) => c.advertise());
  const boxes = clients.map((c) => { const r = c.shareKeys(peers); assert.ok(r.ok); return r.value; });
  const u2 = clients.map((c) => c.nodeId);
  const masked = new Map<string, BigUint64Array>();
  clients.forEach((c, i) => {
    const forMe: Record<string, string> = {};
    boxes.forEach((b, j) => { forMe[`node-${j}`] = b[c.nodeId]!; });
    const y = c.maskInput(inputs[i]!, u2, forMe);
    assert.ok(y.ok);
    if (!drop.has(i)) masked.set(c.nodeId, y.value);
  });
  const u3 = u2.filter((_, i) => !drop.has(i));
  const reveals: Reveal[] = [];
  clients.forEach((c, i) => { if (!drop.has(i)) { const r = c.unmask(u2, u3); assert.ok(r.ok); reveals.push(r.value); } });
  return { masked, res: unmaskSum({ salt, threshold, length: inputs[0]!.length, peers, u2, u3, masked, reveals }) };
}

test('masks cancel exactly: the unmasked sum equals the sum of encoded inputs', () => {
  const vecs = fc.array(fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }).map((v) => v / 1024), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 5 });
  fc.assert(fc.property(vecs, (inputs) => {
    const { masked, res } = runRound(inputs, Math.max(1, Math.ceil(inputs.length / 2)), new Set());
    assert.ok(res.ok, res.ok ? '' : res.error);
    const expect = new BigUint64Array(3);
    for (const x of inputs) { const e = encodeFixed(x); for (let i = 0; i < 3; i++) expect[i] = expect[i]! + e[i]!; }
    assert.deepEqual(res.value, expect);
    // The server's view of one input is masked: it differs from the encoding.
    const first = masked.get('node-0')!;
    assert.notDeepEqual(first, encodeFixed(inputs[0]!));
  }), { numRuns: 15 });
});

test('dropout after sharing keys is recovered from the survivors\' shares', () => {
  const inputs = [[1, 2], [10, 20], [100, 200], [1000, 2000]];
  const { res } = runRound(inputs, 2, new Set([1]));
  assert.ok(res.ok);
  assert.deepEqual([...decodeFixed(res.value)], [1101, 2202]);
});

test('a client refuses to unmask with too few survivors or a forged survivor list', () => {
  const salt = randomBytes(16);
  const cs = [0, 1, 2].map((i) => new SecAggClient(`n${i}`, salt, 2));
  const peers = cs.map((c) => c.advertise());
  const boxes = cs.map((c) => { const r = c.shareKeys(peers); assert.ok(r.ok); return r.value; });
  const forMe: Record<string, string> = {};
  boxes.forEach((b, j) => { forMe[`n${j}`] = b['n0']!; });
  // A tampered share box is refused.
  const bad = { ...forMe, n1: Buffer.from(forMe['n1']!, 'base64').fill(7, 40, 41).toString('base64') };
  assert.ok(!cs[0]!.maskInput([1], ['n0', 'n1', 'n2'], bad).ok);
  assert.ok(cs[0]!.maskInput([1], ['n0', 'n1', 'n2'], forMe).ok);
  assert.ok(!cs[0]!.unmask(['n0', 'n1', 'n2'], ['n0']).ok);
  assert.ok(!cs[0]!.unmask(['n0', 'n1', 'n2'], ['n0', 'n9']).ok);
});
