// Shield e2e: faithful forwarding of methods, bodies, headers, chunked, keep-alive, streaming, WebSocket.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { WebSocket } from 'ws';
import { startEcho, startShield, request, type Echo, type TestShield } from './harness.js';

let echo: Echo;
let sh: TestShield;
before(async () => { echo = await startEcho(); sh = await startShield(echo.url, 'routes:\n  - prefix: /dav\n    mode: detect\n'); });
after(async () => { await sh.stop(); await echo.close(); });

const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

test('every method reaches the upstream with path, query and headers intact', async () => {
  // Unusual methods (WebDAV) are a protocol finding in block mode, so they go to a detect-mode route.
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'MKCOL']) {
    const path = ['PROPFIND', 'MKCOL'].includes(method) ? '/dav/b%20c?x=1&y=two&x=3' : '/a/b%20c?x=1&y=two&x=3';
    const r = await request(`${sh.base}${path}`, { method, headers: { 'x-custom': 'v1', 'X-Case': 'MiXeD' } });
    assert.equal(r.status, 200, method);
    if (method === 'HEAD') continue;
    const j = JSON.parse(r.body.toString());
    assert.equal(j.method, method);
    assert.equal(j.url, path);
    assert.equal(j.headers['x-custom'], 'v1');
    assert.ok(j.rawHeaders.includes('X-Case'), 'header name case preserved');
    assert.equal(j.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(j.headers['x-forwarded-proto'], 'http');
    assert.match(j.headers['x-forwarded-host'], /^127\.0\.0\.1:\d+$/);
  }
});

test('binary bodies of every size arrive byte for byte, with Content-Length or chunked', async () => {
  for (const size of [0, 1, 1000, 65_535, 65_537, 300_000, 3_000_000]) {
    const body = crypto.randomBytes(size);
    // A NUL first byte keeps every body binary to the shield's text sniff (a random 1-byte body can
    // be "(" and get inspected): this test checks forwarding, not detection.
    if (size > 0) body[0] = 0;
    const r = await request(`${sh.base}/upload`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    const j = JSON.parse(r.body.toString());
    assert.equal(j.bodyLength, size); assert.equal(j.bodySha, sha(body));
  }
  // Chunked request body (no Content-Length), inspected type, larger than the inspection limit.
  const parts = Array.from({ length: 40 }, (_, i) => Buffer.from(`field${i}=${'v'.repeat(4000)}&`));
  const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${sh.base}/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, agent: false }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
  const j = JSON.parse(r.body);
  assert.equal(r.status, 200);
  assert.equal(j.bodySha, sha(Buffer.concat(parts)));
  assert.equal(j.headers['transfer-encoding'], 'chunked');
});

test('hop-by-hop headers are removed both ways; multi-value response headers kept', async () => {
  const r = await request(`${sh.base}/h`, { headers: { connection: 'keep-alive, x-drop', 'x-drop': '1', 'keep-alive': 'timeout=5', 'proxy-authorization': 'Basic eA==', te: 'trailers' } });
  const j = JSON.parse(r.body.toString());
  for (const h of ['x-drop', 'keep-alive', 'proxy-authorization', 'te']) assert.ok(!(h in j.headers), h);
  const c = await request(`${sh.base}/cookies`);
  assert.deepEqual(c.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(c.headers['x-upstream'], 'echo');
  assert.ok(!('x-secret-hop' in c.headers), 'response header named in Connection removed');
});

test('spoofed X-Forwarded-For from an untrusted client is replaced; target-override headers are dropped', async () => {
  const r = await request(`${sh.base}/xff`, { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil', 'x-original-url': '/admin', 'x-rewrite-url': '/admin' } });
  const j = JSON.parse(r.body.toString());
  assert.equal(j.headers['x-forwarded-for'], '127.0.0.1');
  assert.notEqual(j.headers['x-forwarded-host'], 'evil');
  assert.ok(!('x-original-url' in j.headers) && !('x-rewrite-url' in j.headers), JSON.stringify(j.headers));
});

test('keep-alive: many requests over one client connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const r = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${sh.base}/k${i}`, { agent }, (res) => { res.resume(); res.on('end', () => resolve(req.socket?.localPort ?? 0)); });
      req.on('error', reject);
    });
    ports.add(r);
  }
  agent.destroy();
  assert.equal(ports.size, 1);
});

test('large responses stream: the first bytes arrive before the upstream has finished', async () => {
  const first = await new Promise<number>((resolve, reject) => {
    const req = http.get(`${sh.base}/stream`, { agent: false }, (res) => {
      let got = 0;
      res.on('data', (c: Buffer) => { got += c.length; if (got >= 65536) { resolve(got); echo.release(); } });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  assert.ok(first >= 65536);
  const big = await request(`${sh.base}/big?mb=32`);
  assert.equal(big.body.length, 32 * 1024 * 1024);
});

test('WebSocket upgrade passes through and echoes text and binary', async () => {
  const ws = new WebSocket(`${sh.base.replace('http', 'ws')}/ws`);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const got: Array<string | Buffer> = [];
  const done = new Promise<void>((resolve) => ws.on('message', (m: Buffer, bin: boolean) => { got.push(bin ? m : m.toString()); if (got.length === 2) resolve(); }));
  ws.send('hello through the shield');
  ws.send(Buffer.from([0, 1, 2, 255]));
  await done;
  ws.close();
  assert.equal(got[0], 'hello through the shield');
  assert.deepEqual([...(got[1] as Buffer)], [0, 1, 2, 255]);
});

test('a WebSocket handshake carrying an attack is refused', async () => {
  const ws = new WebSocket(`${sh.base.replace('http', 'ws')}/ws?q=${encodeURIComponent("1' OR '1'='1' --")}`);
  const status = await new Promise<number>((resolve) => { ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)); ws.once('open', () => resolve(101)); ws.once('error', () => resolve(0)); });
  assert.equal(status, 403);
});

test('upgrade smuggling: no bytes reach the upstream unless it answered 101; non-WebSocket upgrades refused', async () => {
  const { rawExchange } = await import('./harness.js');
  const port = sh.shield.proxyAddress.port;
  const before = echo.hits;
  // The echo upstream answers /plain as normal HTTP (no 101): the smuggled second request must die with the socket.
  const smuggle = 'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    + "GET /api?id=1'%20OR%201=1-- HTTP/1.1\r\nHost: a\r\n\r\n";
  const r = await rawExchange(port, smuggle, 3000);
  assert.equal((r.text.match(/HTTP\/1\.1 /g) ?? []).length, 1, `one response only: ${r.text.slice(0, 200)}`);
  assert.equal(echo.hits, before + 1, 'only the handshake reached the upstream');
  for (const bad of [
    'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
    'POST /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello',
  ]) {
    const x = await rawExchange(port, bad);
    assert.match(x.text, /^HTTP\/1\.1 400 /, bad.split('\r\n')[0]!);
  }
  assert.equal(echo.hits, before + 1);
});

test('an upstream URL with a base path prefixes every request target, WebSocket handshakes included', async (t) => {
  const based = await startShield(`${echo.url}/base/`);
  t.after(() => based.stop());
  const r = await request(`${based.base}/items?id=7`);
  assert.equal(JSON.parse(r.body.toString()).url, '/base/items?id=7');
  const ws = new WebSocket(`${based.base.replace('http', 'ws')}/ws`);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  ws.close();
  assert.equal(echo.upgrades[echo.upgrades.length - 1], '/base/ws');
});
