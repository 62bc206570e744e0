// Tests of node auth (signatures, unknown nodes, replays, stale requests) and model signing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  generateIdentity, identityToFile, identityFromFile, parseRegistry, signRequest, verifyRequest, ReplayGuard,
  signModel, verifySignedModel, canonicalJson, parsePublicKey,
} from './index.js';

const alice = generateIdentity('alice');
const mallory = generateIdentity('mallory');
const registry = (() => { const r = parseRegistry(JSON.stringify({ nodes: [{ nodeId: 'alice', publicKey: alice.publicKey }] })); assert.ok(r.ok); return r.value; })();

test('a signed request verifies once; replay, tamper, unknown node and stale time are refused', () => {
  const guard = new ReplayGuard(60_000);
  const body = Buffer.from('update');
  const a = signRequest(alice, 'Submit', body, 1000);
  assert.deepEqual(verifyRequest(a, 'Submit', body, registry, guard, 1500), { ok: true, value: 'alice' });
  assert.deepEqual(verifyRequest(a, 'Submit', body, registry, guard, 1500), { ok: false, error: 'replay-or-stale' });
  const b = signRequest(alice, 'Submit', body, 1000);
  assert.deepEqual(verifyRequest(b, 'Submit', Buffer.from('updatE'), registry, guard, 1500), { ok: false, error: 'bad-signature' });
  assert.deepEqual(verifyRequest(b, 'Other', body, registry, guard, 1500), { ok: false, error: 'bad-signature' });
  assert.deepEqual(verifyRequest(signRequest(mallory, 'Submit', body, 1000), 'Submit', body, registry, guard, 1500), { ok: false, error: 'unknown-node' });
  const forged = { ...signRequest(mallory, 'Submit', body, 1000), nodeId: 'alice' };
  assert.deepEqual(verifyRequest(forged, 'Submit', body, registry, guard, 1500), { ok: false, error: 'bad-signature' });
  assert.deepEqual(verifyRequest(signRequest(alice, 'Submit', body, 0), 'Submit', body, registry, guard, 120_001), { ok: false, error: 'replay-or-stale' });
  assert.deepEqual(verifyRequest({ nodeId: 1 }, 'Submit', body, registry, guard, 0), { ok: false, error: 'malformed' });
});

test('key files round-trip; registries reject bad entries', () => {
  const back = identityFromFile(identityToFile(alice));
  assert.ok(back.ok && back.value.publicKey === alice.publicKey);
  assert.ok(!identityFromFile('{}').ok);
  assert.ok(!parseRegistry('{"nodes":[{"nodeId":"a","publicKey":"AAAA"}]}').ok);
  assert.ok(!parseRegistry(JSON.stringify({ nodes: [{ nodeId: 'a b', publicKey: alice.publicKey }] })).ok);
  assert.ok(!parsePublicKey('').ok);
});

test('signed models verify; unsigned, tampered or foreign-signed models are refused', () => {
  const model = { format: 'jirachi-weight-model', version: 1, dim: 2, weights: [0.1, -0.2], bias: 0.3 };
  const s = signModel(model, 3, 'server', alice.privateKey);
  const pub = parsePublicKey(alice.publicKey);
  assert.ok(pub.ok);
  const v = verifySignedModel(JSON.parse(JSON.stringify(s)), pub.value);
  assert.ok(v.ok && v.value.round === 3);
  assert.deepEqual(v.value.model, model);
  assert.ok(!verifySignedModel(model, pub.value).ok);
  assert.ok(!verifySignedModel({ ...s, model: { ...model, bias: 0.31 } }, pub.value).ok);
  assert.ok(!verifySignedModel({ ...s, round: 4 }, pub.value).ok);
  const other = parsePublicKey(mallory.publicKey);
  assert.ok(other.ok && !verifySignedModel(s, other.value).ok);
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
});
