// Tests of the wire format and the TLS gRPC transport on loopback: signed calls pass, forged ones are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { generateIdentity, parseRegistry } from '../auth/index.js';
import {
  encodeBody, decodeBody, blobToVector, vectorToBlob, generateTlsMaterial, startGrpcServer, grpcTransport,
  FEDERATION_METHODS, SERVER_RECEIVE_BYTES, type Handler, type FederationMethod,
} from './index.js';

const hasOpenssl = (() => { try { execFileSync('openssl', ['version']); return true; } catch { return false; } })();

test('body encoding round-trips and rejects truncation and trailing bytes', () => {
  const b = encodeBody({ json: { a: 1 }, blobs: [vectorToBlob(Float64Array.from([1.5, -2]))] });
  const d = decodeBody(b);
  assert.ok(d.ok);
  assert.deepEqual(d.value.json, { a: 1 });
  const v = blobToVector(d.value.blobs[0]!);
  assert.ok(v.ok && v.value[1] === -2);
  assert.ok(!decodeBody(b.subarray(0, b.length - 1)).ok);
  assert.ok(!decodeBody(Buffer.concat([b, Buffer.from([0])])).ok);
  assert.ok(!blobToVector(vectorToBlob(Float64Array.from([NaN]))).ok);
});

test('gRPC over TLS: registered nodes are served, unknown nodes refused', async (t) => {
  if (!hasOpenssl) { t.skip('openssl CLI not installed (apt-get install openssl)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-tls-'));
  const alice = generateIdentity('alice');
  const eve = generateIdentity('eve');
  const reg = parseRegistry(JSON.stringify({ nodes: [{ nodeId: 'alice', publicKey: alice.publicKey }] }));
  assert.ok(reg.ok);
  const echo: Handler = async (nodeId, body) => ({ json: { nodeId, got: body.json }, blobs: body.blobs });
  const handlers = Object.fromEntries(FEDERATION_METHODS.map((m) => [m, echo])) as Record<FederationMethod, Handler>;
  const tls = await generateTlsMaterial(dir);
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, tls, registry: reg.value, handlers });
  try {
    const a = grpcTransport({ target: `localhost:${server.port}`, caPem: tls.certPem, identity: alice });
    const r = await a.call('Join', { json: { hi: 1 }, blobs: [Buffer.from('xyz')] }, 5000);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.json, { nodeId: 'alice', got: { hi: 1 } });
    assert.equal(r.value.blobs[0]!.toString(), 'xyz');
    assert.ok(a.traffic.sent > 0 && a.traffic.received > 0);
    const e = grpcTransport({ target: `localhost:${server.port}`, caPem: tls.certPem, identity: eve });
    const r2 = await e.call('Join', { json: {}, blobs: [] }, 5000);
    assert.ok(!r2.ok && r2.error.includes('unknown-node'));
    assert.equal(server.refused['unknown-node'], 1);
    a.close(); e.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true });
  }
});

test('gRPC server: a request above SERVER_RECEIVE_BYTES is refused by gRPC before authentication, the handler never runs', async (t) => {
  if (!hasOpenssl) { t.skip('openssl CLI not installed (apt-get install openssl)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-tls-'));
  const reg = parseRegistry(JSON.stringify({ nodes: [] }));
  assert.ok(reg.ok);
  let calls = 0;
  const count: Handler = async () => { calls++; return { json: {}, blobs: [] }; };
  const tls = await generateTlsMaterial(dir);
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, tls, registry: reg.value, handlers: Object.fromEntries(FEDERATION_METHODS.map((m) => [m, count])) as Record<FederationMethod, Handler> });
  const id = (b: Buffer): Buffer => b;
  const Raw = grpc.makeGenericClientConstructor({ Join: { path: '/jirachi.federation.v1.Federation/Join', requestStream: false, responseStream: false,
    requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } }, 'Raw');
  const raw = new Raw(`localhost:${server.port}`, grpc.credentials.createSsl(tls.certPem), { 'grpc.max_send_message_length': -1 });
  try {
    const code = (n: number): Promise<number> => new Promise((resolve) => raw.makeUnaryRequest('/jirachi.federation.v1.Federation/Join', id, id, Buffer.alloc(n),
      { deadline: Date.now() + 10_000 }, (e: grpc.ServiceError | null) => resolve(e ? e.code : 0)));
    assert.equal(await code(SERVER_RECEIVE_BYTES + 1024), grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(await code(1024), grpc.status.INVALID_ARGUMENT, 'a small garbage frame reaches the frame check');
    assert.equal(calls, 0);
  } finally {
    raw.close();
    await server.close();
    rmSync(dir, { recursive: true });
  }
});
