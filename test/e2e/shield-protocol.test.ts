// Shield e2e: smuggling shapes refused and never forwarded; timeouts; upstream faults 502/504.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEcho, startShield, rawExchange, request, type Echo, type TestShield } from './harness.js';

let echo: Echo;
let sh: TestShield;
before(async () => {
  echo = await startEcho();
  sh = await startShield(echo.url, 'limits:\n  headersTimeoutMs: 800\n  requestTimeoutMs: 1500\n  idleTimeoutMs: 1000\n  maxHeaderBytes: 4096\nupstreamTimeouts:\n  headersMs: 400\n');
});
after(async () => { await sh.stop(); await echo.close(); });

const H = 'Host: localhost\r\n';
const SHAPES: Record<string, string> = {
  'CL+TE': `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  'TE+CL': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`,
  'double CL': `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde`,
  'double CL equal': `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nabcde`,
  'CL list': `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nabcde`,
  'CL sign': `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nabcde`,
  'CL hex': `POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\nabcde`,
  'TE obfuscated': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
  'TE space before colon': `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
  'TE twice': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  'TE gzip, chunked': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
  'TE chunked, identity': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
  'TE on HTTP/1.0': `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  'obs-fold': `GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`,
  'bad chunk size': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
  'chunk size overflow': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nabc\r\n0\r\n\r\n`,
  'bare LF': `GET / HTTP/1.1\nHost: localhost\n\n`,
  'space in header name': `GET / HTTP/1.1\r\n${H}X A: b\r\n\r\n`,
  'NUL in header value': `GET / HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`,
  'no Host': `GET / HTTP/1.1\r\n\r\n`,
  'two Host headers': `GET / HTTP/1.1\r\n${H}Host: evil\r\n\r\n`,
  'absolute-form target': `GET http://evil.example/ HTTP/1.1\r\n${H}\r\n`,
  'asterisk-form': `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
  'CONNECT': `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`,
};

test('every smuggling and framing shape is refused with 4xx/501 and never reaches the upstream', async () => {
  const before = echo.hits;
  for (const [name, bytes] of Object.entries(SHAPES)) {
    const r = await rawExchange(sh.shield.proxyAddress.port, bytes);
    const line = r.text.split('\r\n')[0] ?? '';
    assert.match(line, /^HTTP\/1\.1 (4\d\d|501) /, `${name}: got ${JSON.stringify(line)}`);
  }
  assert.equal(echo.hits, before, 'no refused request was forwarded');
  const ok = await request(`${sh.base}/still-serving`);
  assert.equal(ok.status, 200);
});

test('oversized headers get 431', async () => {
  const r = await rawExchange(sh.shield.proxyAddress.port, `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(8000)}\r\n\r\n`);
  assert.match(r.text, /^HTTP\/1\.1 431 /);
});

test('slowloris: a client that never finishes its headers is cut off', async () => {
  const t0 = Date.now();
  const r = await rawExchange(sh.shield.proxyAddress.port, `GET / HTTP/1.1\r\n${H}X-Slow: `, 6000, -1);
  assert.ok(r.closed, 'connection closed by the shield');
  assert.ok(Date.now() - t0 < 5000);
});

test('idle keep-alive connections are closed after idleTimeoutMs', async () => {
  const t0 = Date.now();
  const r = await rawExchange(sh.shield.proxyAddress.port, `GET /idle HTTP/1.1\r\n${H}\r\n`, 8000, -1);
  assert.match(r.text, /^HTTP\/1\.1 200 /);
  assert.ok(r.closed && Date.now() - t0 < 6000, 'closed by the shield after the idle timeout');
});

test('slow body: a client that stops sending its body is cut off', async () => {
  const r = await rawExchange(sh.shield.proxyAddress.port, `POST / HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc`, 8000, -1);
  assert.ok(r.closed, 'connection closed by the shield');
});

test('upstream timeout gives 504 with a request id, and the shield keeps serving', async () => {
  const r = await request(`${sh.base}/slow?ms=3000`);
  assert.equal(r.status, 504);
  assert.match(String(r.headers['x-jirachi-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal((await request(`${sh.base}/fine`)).status, 200);
});

test('upstream refused gives 502 with a request id, never a hang', async () => {
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as net.AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const s2 = await startShield(`http://127.0.0.1:${port}`);
  try {
    const r = await request(`${s2.base}/x`);
    assert.equal(r.status, 502);
    assert.ok(r.headers['x-jirachi-request-id']);
    const j = await request(`${s2.base}/api`, { headers: { accept: 'application/json' } });
    assert.equal(j.status, 502);
  } finally { await s2.stop(); }
});

test('a client that stops reading a large response is cut off and frees its upstream connection', async (t) => {
  const s2 = await startShield(echo.url, 'upstreamTimeouts:\n  bodyMs: 1000\n');
  t.after(() => s2.stop());
  const sock = net.connect(s2.shield.proxyAddress.port, '127.0.0.1');
  sock.on('error', () => {});
  sock.write(`GET /big?mb=64 HTTP/1.1\r\n${H}\r\n`);
  sock.pause(); // never read: the shield's writes stall once the socket buffers are full
  let inFlight = -1;
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 100));
    inFlight = s2.shield.context.inFlight;
    if (i > 5 && inFlight === 0) break;
  }
  sock.destroy();
  assert.equal(inFlight, 0, 'the stalled response was destroyed');
  assert.equal((await request(`${s2.base}/after`)).status, 200);
});
