// Shield e2e: the upstream HTTP/1.1 client against a raw TCP upstream sending crafted answers
// (chunked with trailers, close-delimited, interim 1xx, malformed heads, stale keep-alive, pipelined junk).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startShield, request, type TestShield } from './harness.js';

/** What the crafted upstream answers, chosen by the request path. */
const ANSWERS: Record<string, string | ((n: number) => string)> = {
  '/chunked': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Up: 1\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n',
  '/close': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end',
  '/interim': 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  '/bad-head': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc',
  '/bad-status': 'HTTP/9.9 abc\r\n\r\n',
  '/obs-fold': 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n',
  '/bad-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  '/conn-close': 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbye!',
  '/extra': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsmuggl',
  '/head-ok': 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n',
  '/echo-len': (n) => `HTTP/1.1 200 OK\r\nContent-Length: ${String(n).length}\r\n\r\n${n}`,
};

let upstream: net.Server;
let port = 0;
const connections = new Set<net.Socket>();
let served = 0;
let sh: TestShield;

/** Reads requests (head + Content-Length body) off a socket and answers each by path; some close after. */
function serve(s: net.Socket): void {
  connections.add(s);
  s.on('close', () => connections.delete(s));
  s.on('error', () => {});
  let buf = Buffer.alloc(0);
  let discard = false;
  s.on('data', (d) => {
    if (discard) return;
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const target = head.split(' ')[1] ?? '/';
      // Answers at once, before (and without) reading the body; the rest of the connection is ignored.
      if (target === '/early-403') { discard = true; served++; s.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope'); return; }
      // Holds the connection: a chunked answer that never ends.
      if (target === '/hold') { discard = true; served++; s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n'); return; }
      // A HEAD answer followed, a moment later, by a forged response on the same connection.
      if (target === '/late-head') {
        buf = buf.subarray(end + 4); served++;
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n');
        setTimeout(() => { if (!s.destroyed) s.write('HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nSTOLEN!'); }, 5);
        continue;
      }
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      buf = buf.subarray(end + 4 + len);
      served++;
      const path = head.split(' ')[1] ?? '/';
      const a = ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
      s.write(typeof a === 'function' ? a(len) : a);
      if (path === '/close' || path === '/conn-close' || path === '/bad-chunk') s.end();
    }
  });
}

before(async () => {
  upstream = net.createServer(serve);
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  port = (upstream.address() as net.AddressInfo).port;
  sh = await startShield(`http://127.0.0.1:${port}`, 'upstreamConnections: 4\nupstreamTimeouts:\n  headersMs: 500\n');
});
after(async () => { await sh.stop(); for (const s of connections) s.destroy(); await new Promise<void>((r) => upstream.close(() => r())); });

test('chunked upstream bodies are decoded and re-framed for the client; trailers dropped', async () => {
  const r = await request(`${sh.base}/chunked`);
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'hello world');
  assert.equal(r.headers['x-up'], '1');
  assert.equal(r.headers['x-trailer'], undefined);
});

test('a close-delimited body is forwarded whole; Connection: close answers are not reused', async () => {
  const a = await request(`${sh.base}/close`);
  assert.equal(a.status, 200);
  assert.equal(a.body.toString(), 'until the end');
  const b = await request(`${sh.base}/conn-close`);
  assert.equal(b.body.toString(), 'bye!');
  const c = await request(`${sh.base}/chunked`);
  assert.equal(c.body.toString(), 'hello world', 'the next request gets a fresh connection');
});

test('interim 1xx answers are consumed and the final answer forwarded', async () => {
  const r = await request(`${sh.base}/interim`);
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'ok');
});

test('malformed upstream answers become 502 with a request id, and the shield keeps serving', async () => {
  for (const path of ['/bad-head', '/bad-status', '/obs-fold']) {
    const r = await request(`${sh.base}${path}`);
    assert.equal(r.status, 502, path);
    assert.ok(r.headers['x-jirachi-request-id'], path);
  }
  const ok = await request(`${sh.base}/chunked`);
  assert.equal(ok.body.toString(), 'hello world');
});

test('a body that breaks mid-way cuts the client response instead of passing garbage', async () => {
  await assert.rejects(request(`${sh.base}/bad-chunk`));
  const ok = await request(`${sh.base}/chunked`);
  assert.equal(ok.status, 200);
});

test('bytes after a complete answer never reach the next client (connection dropped)', async () => {
  const a = await request(`${sh.base}/extra`);
  assert.equal(a.body.toString(), 'ok');
  const b = await request(`${sh.base}/echo-len`, { method: 'POST', body: 'abc' });
  assert.equal(b.body.toString(), '3', 'the next answer is the upstream\'s real one, not the smuggled bytes');
});

test('HEAD answers carry no body even with a Content-Length', async () => {
  const r = await request(`${sh.base}/head-ok`, { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], '1234');
  assert.equal(r.body.length, 0);
});

test('an idle upstream connection closed by the upstream is replaced: no 502 for the next request', async () => {
  await request(`${sh.base}/chunked`);
  for (const s of connections) s.destroy(); // the upstream drops every keep-alive connection
  await new Promise((r) => setTimeout(r, 50));
  const before = served;
  const r = await request(`${sh.base}/chunked`);
  assert.equal(r.status, 200);
  assert.equal(served, before + 1);
  const p = await request(`${sh.base}/echo-len`, { method: 'POST', body: 'x'.repeat(10) });
  assert.equal(p.body.toString(), '10', 'bodies reach the upstream with their length');
});

test('concurrent requests beyond the pool size queue and all complete', async () => {
  const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => request(`${sh.base}/echo-len`, { method: 'POST', body: 'y'.repeat(i) })));
  rs.forEach((r, i) => assert.equal(r.body.toString(), String(i)));
});

test('a client that aborts a streamed upload does not take the shield down', async () => {
  const c = net.connect(sh.shield.proxyAddress.port, '127.0.0.1');
  await new Promise<void>((r) => c.once('connect', () => r()));
  c.on('error', () => {});
  c.write('POST /echo-len HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n');
  c.write(Buffer.alloc(100_000, 7));
  await new Promise((r) => setTimeout(r, 100));
  c.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const ok = await request(`${sh.base}/chunked`);
  assert.equal(ok.body.toString(), 'hello world', 'still serving');
});

test('an upstream answering before reading a large upload: the client gets the answer, its connection is closed, nothing hangs', async () => {
  const c = net.connect(sh.shield.proxyAddress.port, '127.0.0.1');
  c.on('error', () => {});
  let got = '';
  c.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  const closed = new Promise<void>((r) => c.once('close', () => r()));
  c.write('POST /early-403 HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000000\r\n\r\n');
  for (let i = 0; i < 30 && !c.destroyed; i++) { c.write(Buffer.alloc(100_000, 1)); await new Promise((r) => setTimeout(r, 5)); }
  await Promise.race([closed, new Promise((_, rej) => setTimeout(() => rej(new Error(`client connection left open; got ${JSON.stringify(got.slice(0, 80))}`)), 15_000))]);
  assert.match(got, /^HTTP\/1\.1 403 /);
  const ok = await request(`${sh.base}/chunked`);
  assert.equal(ok.status, 200);
});

test('bytes an upstream sends after a HEAD answer never become another request\'s answer', async (t) => {
  const one = await startShield(`http://127.0.0.1:${port}`, 'upstreamConnections: 1\n');
  t.after(() => one.stop());
  const head = request(`${one.base}/late-head`, { method: 'HEAD' });
  const next = request(`${one.base}/echo-len`, { method: 'POST', body: 'abcd' });
  assert.equal((await head).status, 200);
  assert.equal((await next).body.toString(), '4', 'the waiting request gets its own answer, not the forged one');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal((await request(`${one.base}/echo-len`, { method: 'POST', body: 'ab' })).body.toString(), '2');
});

test('a request waiting for a free upstream connection times out with 504 instead of waiting forever', async (t) => {
  const one = await startShield(`http://127.0.0.1:${port}`, 'upstreamConnections: 1\nupstreamTimeouts:\n  headersMs: 400\n');
  t.after(() => one.stop());
  const holder = net.connect(one.shield.proxyAddress.port, '127.0.0.1');
  holder.on('error', () => {});
  holder.write('GET /hold HTTP/1.1\r\nHost: a\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const r = await request(`${one.base}/chunked`);
  assert.equal(r.status, 504);
  assert.ok(Date.now() - t0 < 3000, 'answered within about headersMs');
  holder.destroy();
  await new Promise((r2) => setTimeout(r2, 100));
  assert.equal((await request(`${one.base}/chunked`)).status, 200, 'the pool recovers once the holder leaves');
});
