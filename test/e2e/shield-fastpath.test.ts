// The shield's own HTTP/1.1 server (fast path) against node:http: same answers, hand-offs mid
// connection, pipelining, Connection: close, idle timeout, shutdown, and a differential check that it
// never accepts a request node:http would refuse or read differently.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { recognizeRequest } from '../../src/shield/h1-request.js';
import { startEcho, startShield, request, type Echo, type TestShield } from './harness.js';

const port = (sh: TestShield): number => Number(new URL(sh.base).port);
const stats = (sh: TestShield): { served: number; handedOff: number; connections: number } => sh.shield.status().fastPath as { served: number; handedOff: number; connections: number };

/** Writes `parts` (waiting `gapMs` between them) on one connection; resolves with all bytes read until `ms` or close. */
function conversation(p: number, parts: string[], gapMs = 0, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(p, '127.0.0.1');
    let text = '';
    let closed = false;
    const t = setTimeout(() => { s.destroy(); resolve({ text, closed }); }, ms);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(t); resolve({ text, closed }); });
    s.on('connect', async () => {
      for (const part of parts) { s.write(part, 'latin1'); if (gapMs) await new Promise((r) => setTimeout(r, gapMs)); }
    });
  });
}

/** An echo upstream and a shield in front of it (extra config `yaml`), both stopped after the test. */
async function echoAndShield(t: TestContext, yaml = ''): Promise<{ echo: Echo; sh: TestShield }> {
  const echo = await startEcho();
  const sh = await startShield(echo.url, yaml);
  t.after(async () => { await sh.stop(); await echo.close(); });
  return { echo, sh };
}

/** Status lines of the responses in a conversation, in order. */
const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

/** Response headers without the ones that differ per response (date, request id). */
function stable(h: http.IncomingHttpHeaders): Record<string, unknown> {
  const { date: _d, 'x-jirachi-request-id': _id, ...rest } = h;
  return rest;
}

test('plain requests are served by the fast path with the same answers as node:http', async (t) => {
  const echo = await startEcho();
  const fast = await startShield(echo.url);
  const slow = await startShield(echo.url, 'fastPath: false\n');
  t.after(async () => { await fast.stop(); await slow.stop(); await echo.close(); });
  assert.equal(slow.shield.status().fastPath, null);
  const agent = (): http.Agent => new http.Agent({ keepAlive: true, maxSockets: 1 });
  const cases: Array<{ path: string; method?: string; body?: string; headers?: http.OutgoingHttpHeaders }> = [
    { path: '/a/b?c=1&d=%20e' },
    { path: '/form', method: 'POST', body: 'name=O%27Brien&city=K%C3%B6ln', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { path: '/json', method: 'PUT', body: '{"a":[1,2,3]}', headers: { 'content-type': 'application/json', cookie: 'a=1; b=2', 'x-forwarded-for': '9.9.9.9' } },
    { path: '/head', method: 'HEAD' },
    { path: '/del', method: 'DELETE' },
    { path: '/cookies' },
    { path: '/big?mb=1' },
    { path: '/?q=' + encodeURIComponent("1' UNION SELECT password FROM users --") },
  ];
  for (const sh of [fast, slow]) (sh as TestShield & { agent?: http.Agent }).agent = agent();
  for (const c of cases) {
    const answers = [];
    for (const sh of [fast, slow]) {
      const r = await request(sh.base + c.path, { method: c.method ?? 'GET', ...(c.body !== undefined ? { body: c.body } : {}), headers: { host: 'app.example', ...c.headers }, agent: (sh as TestShield & { agent: http.Agent }).agent });
      answers.push(r);
    }
    const [f, s] = answers as [Awaited<ReturnType<typeof request>>, Awaited<ReturnType<typeof request>>];
    assert.equal(f.status, s.status, c.path);
    assert.deepEqual(stable(f.headers), stable(s.headers), `${c.path}: response headers`);
    if (f.headers['content-type'] === 'application/json' && f.status === 200 && c.method !== 'HEAD') {
      const fe = JSON.parse(f.body.toString()) as Record<string, unknown>, se = JSON.parse(s.body.toString()) as Record<string, unknown>;
      assert.deepEqual(fe, se, `${c.path}: what the upstream received`);
    } else if (f.status === 200) assert.ok(f.body.equals(s.body), `${c.path}: body`);
  }
  for (const sh of [fast, slow]) (sh as TestShield & { agent: http.Agent }).agent.destroy();
  assert.equal(stats(fast).served, cases.length);
  assert.equal(stats(fast).handedOff, 0);
});

test('pipelined requests are answered in order on the fast path, and a chunked one mid-connection is handed to node:http', async (t) => {
  const { echo, sh } = await echoAndShield(t);
  const r = await conversation(port(sh), [
    'GET /one HTTP/1.1\r\nHost: a\r\n\r\nPOST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: a\r\n\r\n',
    'POST /four HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\nGET /five HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  ], 100);
  assert.deepEqual(statuses(r.text), [200, 200, 200, 200, 200]);
  const urls = [...r.text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(urls, ['/one', '/two', '/three', '/four', '/five']);
  assert.match(r.text, /"url":"\/four".*"bodyLength":3/);
  assert.ok(r.closed, 'Connection: close ends the connection');
  assert.equal(stats(sh).served, 3);
  assert.equal(stats(sh).handedOff, 1);
  // The same counts on the admin port's /metrics (in cluster mode, summed over the workers).
  const m = (await request(`${sh.admin}/metrics`, { headers: { authorization: `Bearer ${sh.token}` } })).body.toString();
  assert.match(m, /^jirachi_fast_path_total\{kind="served"\} 3$/m);
  assert.match(m, /^jirachi_fast_path_total\{kind="handed_off"\} 1$/m);
});

test('a request split over a few reads waits on the fast path; a trickled one, an Expect and a bad request go to node:http', async (t) => {
  const { echo, sh } = await echoAndShield(t);
  const split = await conversation(port(sh), ['GET /split HTTP/1.1\r\nHo', 'st: a\r\n\r\n', 'POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n', 'abc', 'def', 'GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'], 40);
  assert.deepEqual(statuses(split.text), [200, 200, 200]);
  assert.match(split.text, /"url":"\/body".*"bodyLength":6/);
  assert.equal(stats(sh).handedOff, 0, 'served on the fast path');
  const head = 'GET /trickle HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nConnection: close\r\n\r\n';
  const trickled = await conversation(port(sh), head.match(/[^]{1,5}/g)!, 15, 3000);
  assert.deepEqual(statuses(trickled.text), [200], 'a request in more than 8 reads is served by node:http');
  assert.equal(stats(sh).handedOff, 1);
  const bad = await conversation(port(sh), ['GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab']);
  assert.deepEqual(statuses(bad.text), [200, 400], 'the first request is served, the smuggling shape refused by node:http');
  const expect = await conversation(port(sh), ['POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n', 'hi'], 100);
  assert.deepEqual(statuses(expect.text), [100, 200]);
  assert.equal(stats(sh).handedOff, 3);
});

test('a client that ends its side in the middle of a request gets 400, as from node:http', async (t) => {
  const { echo, sh } = await echoAndShield(t);
  const { rawExchange } = await import('./harness.js');
  const r = await rawExchange(port(sh), 'POST /cut HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc', 2000, 100);
  assert.deepEqual(statuses(r.text), [400]);
  assert.equal(echo.hits, 0);
});

test('a trickled head is handed to node:http within a quarter of the header timeout (slowloris stays bounded)', async (t) => {
  const { echo, sh } = await echoAndShield(t, 'limits:\n  headersTimeoutMs: 2000\n  requestTimeoutMs: 2000\n');
  const t0 = Date.now();
  const bytes = 'GET /trickle HTTP/1.1\r\nHost: a\r\nX-Pad: ' + 'p'.repeat(40);
  const r = await conversation(port(sh), bytes.match(/[^]{1,2}/g)!, 300, 8000);
  const took = Date.now() - t0;
  assert.deepEqual(statuses(r.text), [408]);
  // Fast wait ≤ 500 ms (2000 / 4), then node's 2000 ms header timer (checked every 500 ms).
  assert.ok(took < 3800, `cut off after ${took} ms`);
});

test('shutdown hands a request whose body is still arriving to node:http, which finishes it', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await echo.close(); });
  const pending = conversation(port(sh), ['POST /late HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc', 'def'], 150, 4000);
  await new Promise((r) => setTimeout(r, 60));
  const stopped = sh.stop();
  const r = await pending;
  await stopped;
  assert.deepEqual(statuses(r.text), [200]);
  assert.match(r.text, /"bodyLength":6/);
});

test('line ends alone before a half-close get no answer (as llhttp ignores them between requests)', async (t) => {
  const { echo, sh } = await echoAndShield(t);
  const { rawExchange } = await import('./harness.js');
  const r = await rawExchange(port(sh), '\r\n', 2000, 50);
  assert.equal(r.text, '');
  assert.ok(r.closed);
});

test('a request that stops arriving is answered 408 by node:http once its header timeout passes (slowloris)', async (t) => {
  const { echo, sh } = await echoAndShield(t, 'limits:\n  headersTimeoutMs: 400\n  requestTimeoutMs: 400\n  idleTimeoutMs: 300\n');
  const t0 = Date.now();
  const r = await conversation(port(sh), ['GET /slow HTTP/1.1\r\nHost: a\r\nX-A: '], 0, 5000);
  assert.deepEqual(statuses(r.text), [408]);
  assert.ok(r.closed && Date.now() - t0 < 4000);
  assert.equal(stats(sh).handedOff, 1);
});

test('a block on the fast path keeps the connection; Connection: close and idle keep-alive close it', async (t) => {
  const { echo, sh } = await echoAndShield(t, 'limits:\n  idleTimeoutMs: 300\n');
  const attack = `GET /?q=${encodeURIComponent("1' UNION SELECT password FROM users --")} HTTP/1.1\r\nHost: a\r\n\r\n`;
  const r = await conversation(port(sh), [attack, 'GET /after HTTP/1.1\r\nHost: a\r\n\r\n'], 50, 3000);
  assert.deepEqual(statuses(r.text), [403, 200]);
  assert.match(r.text, /x-jirachi-request-id: [0-9a-f-]{36}/);
  assert.match(r.text, /Keep-Alive: timeout=0|Keep-Alive: timeout=\d+/);
  assert.ok(r.closed, 'the idle connection was closed by the idle timeout (before the 3 s wait ended)');
  assert.equal(stats(sh).handedOff, 0);
});

test('a reload of limits.idleTimeoutMs reaches connections already open on the fast path', async (t) => {
  const { echo, sh } = await echoAndShield(t);
  const s = net.connect(port(sh), '127.0.0.1');
  s.on('error', () => {});
  let text = '';
  s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  const closed = new Promise<number>((r) => s.on('close', () => r(Date.now())));
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write('GET /one HTTP/1.1\r\nHost: a\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  const { appendFileSync } = await import('node:fs');
  appendFileSync(sh.configFile, 'limits:\n  idleTimeoutMs: 300\n');
  assert.deepEqual(sh.shield.reload(), []);
  s.write('GET /two HTTP/1.1\r\nHost: a\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(0), 4000))]);
  assert.deepEqual(statuses(text), [200, 200]);
  assert.ok(at > 0 && at - t0 < 2000, 'closed after the new idle timeout, not the old 5 s');
  s.destroy();
});

test('shutdown closes idle fast-path connections and lets a busy one finish', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await echo.close(); });
  const idle = conversation(port(sh), ['GET /i HTTP/1.1\r\nHost: a\r\n\r\n'], 0, 5000);
  const busy = conversation(port(sh), ['GET /slow?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n'], 0, 5000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stats(sh).connections, 2);
  const t0 = Date.now();
  await sh.stop();
  const [i, b] = await Promise.all([idle, busy]);
  assert.ok(Date.now() - t0 < 2000, 'stop did not wait for the idle connection');
  assert.ok(i.closed && b.closed);
  assert.deepEqual(statuses(i.text), [200]);
  assert.deepEqual(statuses(b.text), [200], 'the in-flight request finished');
  assert.match(b.text, /Connection: close/, 'its answer said the connection closes');
});

/** A raw upstream answering every request with a 60 kB Content-Length body in one write; counts requests. */
async function bulkUpstream(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const answer = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 60000\r\n\r\n'), Buffer.alloc(60_000, 0x62)]);
  const conns = new Set<net.Socket>();
  const srv = net.createServer((c) => {
    conns.add(c);
    let tail = '';
    c.on('data', (d: Buffer) => {
      const text = tail + d.toString('latin1');
      const n = (text.match(/\r\n\r\n/g) ?? []).length;
      tail = text.slice(-3);
      for (let i = 0; i < n; i++) { hits++; c.write(answer); }
    });
    c.on('error', () => {});
    c.on('close', () => conns.delete(c));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits: () => hits, close: () => new Promise((r) => { for (const c of conns) c.destroy(); srv.close(() => r()); }) };
}

test('a client that pipelines requests without reading the answers is read no further until it reads', async (t) => {
  const up = await bulkUpstream();
  const sh = await startShield(up.url);
  t.after(async () => { await sh.stop(); await up.close(); });
  const s = net.connect(port(sh), '127.0.0.1');
  s.on('error', () => {});
  s.pause();
  await new Promise<void>((r) => s.once('connect', () => r()));
  // 1500 requests for 60 kB answers (90 MB if the shield kept reading), none read for a while.
  const one = 'GET /bulk HTTP/1.1\r\nHost: a\r\n\r\n';
  for (let i = 0; i < 15; i++) { s.write(one.repeat(100)); await new Promise((r) => setTimeout(r, 30)); }
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(up.hits() < 750, `requests were read only as the client read answers (${up.hits()} of 1500 reached the upstream)`);
  // Once the client reads, every answer arrives.
  let answers = 0, tail = '';
  const all = new Promise<void>((r) => s.on('data', (d: Buffer) => {
    const text = tail + d.toString('latin1');
    answers += (text.match(/HTTP\/1\.1 200 OK/g) ?? []).length;
    tail = text.slice(-16);
    if (answers >= 1500) r();
  }));
  s.resume();
  await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
  assert.equal(answers, 1500, 'every answer arrived');
  assert.equal(up.hits(), 1500);
  s.destroy();
});

test('bytes after a Connection: close request are not run through the pipeline, on either server', async (t) => {
  const echo = await startEcho();
  const fast = await startShield(echo.url);
  const slow = await startShield(echo.url, 'fastPath: false\n');
  t.after(async () => { await fast.stop(); await slow.stop(); await echo.close(); });
  for (const sh of [fast, slow]) {
    const r = await conversation(port(sh), ['GET /first HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /app?after=1 HTTP/1.1\r\nHost: a\r\n\r\n']);
    assert.deepEqual(statuses(r.text), [200], 'the first request is answered, nothing else');
    assert.ok(r.closed);
    await new Promise((res) => setTimeout(res, 100));
    const { readFileSync } = await import('node:fs');
    assert.ok(!readFileSync(`${sh.dir}/decisions.jsonl`, 'utf8').includes('after=1'), 'no verdict event for the bytes after close');
  }
});

test('a reload that changes limits.maxHeaderBytes applies to both servers', async (t) => {
  const { echo, sh } = await echoAndShield(t);
  const { appendFileSync } = await import('node:fs');
  appendFileSync(sh.configFile, 'limits:\n  maxHeaderBytes: 4096\n');
  assert.deepEqual(sh.shield.reload(), []);
  const head = `GET /h HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(8000)}\r\nConnection: close\r\n\r\n`;
  const whole = await conversation(port(sh), [head]);
  const split = await conversation(port(sh), [head.slice(0, 100), head.slice(100)], 50);
  assert.deepEqual(statuses(whole.text), [431]);
  assert.deepEqual(statuses(split.text), [431]);
});

/** A node:http server that answers each request with what it parsed; 400 for what it refuses. */
async function parserProbe(): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = http.createServer({ requireHostHeader: true }, (req, res) => {
    const cs: Buffer[] = [];
    req.on('data', (c: Buffer) => cs.push(c));
    req.on('end', () => {
      // In a header, so that HEAD answers carry it too.
      const parsed = JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, headers: req.headers, body: Buffer.concat(cs).toString('latin1') });
      res.setHeader('connection', 'close');
      res.setHeader('x-parsed', Buffer.from(parsed).toString('base64'));
      res.end();
    });
  });
  srv.on('clientError', (_e, s) => { s.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as AddressInfo).port, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

test('differential: whatever the recognizer accepts, node:http accepts and reads the same way', async (t) => {
  const probe = await parserProbe();
  t.after(() => probe.close());
  const { nodeHeaders } = await import('../../src/shield/h1-request.js');
  const piece = fc.constantFrom(' ', '\t', ':', '\r', '\n', '\r\n', '\x00', '\x7f', '\xe9', '/', '?', '#', '%', 'a', 'Host', 'Content-Length', '1', ',', ';', '"', '(', '-', '_');
  const junk = fc.array(piece, { minLength: 0, maxLength: 6 }).map((a) => a.join(''));
  const clean = fc.constantFrom('', '1', '0', '12', ' x ', 'a=1; b=2', 'text/html, */*;q=0.8', 'close', 'keep-alive', 'Keep-Alive, x-a', '1.2.3.4', '"q"', 'a\tb');
  const line = fc.oneof({ weight: 3, arbitrary: clean }, { weight: 1, arbitrary: junk });
  const req = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'HEAD'),
    target: fc.constantFrom('/', '/a?b=c', '/x#f', '/%2e%2e/', '/a b'),
    extra: fc.array(fc.tuple(fc.constantFrom('X-A', 'Host', 'Content-Length', 'Cookie', 'Accept', 'x-forwarded-for', 'Connection', 'Set-Cookie'), line), { maxLength: 4 }),
    junk: fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 1, arbitrary: junk }),
  }).map((r) => {
    const hs = r.extra.map(([n, v]) => `${n}: ${v}\r\n`).join('');
    return `${r.method} ${r.target} HTTP/1.1\r\nHost: h\r\n${hs}${r.junk}\r\n\r\nabc`;
  });
  const samples = fc.sample(req, { numRuns: 600, seed: 7 });
  let accepted = 0;
  for (const bytes of samples) {
    const r = recognizeRequest(Buffer.from(bytes, 'latin1'), { maxHeadBytes: 16_384, maxBodyBytes: 65_536 });
    if (r.kind !== 'request') continue;
    accepted++;
    const text = (await conversation(probe.port, [bytes.slice(0, r.head.end)], 0, 1000)).text;
    assert.match(text, /^HTTP\/1\.1 200 /, `node refused what the recognizer accepted: ${JSON.stringify(bytes)}`);
    const got = JSON.parse(Buffer.from(/x-parsed: (\S+)/i.exec(text)![1]!, 'base64').toString()) as { method: string; url: string; rawHeaders: string[]; headers: object; body: string };
    assert.equal(got.method, r.head.method);
    assert.equal(got.url, r.head.url);
    assert.deepEqual(got.rawHeaders, r.head.rawHeaders, JSON.stringify(bytes));
    assert.deepEqual(got.headers, nodeHeaders(r.head.rawHeaders), JSON.stringify(bytes));
    assert.equal(got.body, bytes.slice(r.head.bodyStart, r.head.end));
  }
  assert.ok(accepted >= 150, `the sample exercised accepted requests (${accepted})`);
  console.log(`# differential: ${accepted} of ${samples.length} accepted by the recognizer, all read alike by node:http`);
});
