// Shield e2e at the edges of a request's life: clients that reset at once or leave mid-inspection,
// engine failures under fail-closed, WebSocket handshakes in the decision log, Expect: 100-continue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from '../../src/core/index.js';
import { Shield } from '../../src/shield/index.js';
import { WebSocket } from 'ws';
import { startEcho, startShield, request, type TestShield } from './harness.js';

const ATTACK_Q = `q=${encodeURIComponent("1' UNION SELECT password FROM users --")}`;

/** Decision-log lines (parsed) whose request path contains `marker`. */
function logLines(sh: TestShield, marker: string): Array<Record<string, any>> {
  return readFileSync(join(sh.dir, 'decisions.jsonl'), 'utf8').split('\n').filter((l) => l.includes(marker)).map((l) => JSON.parse(l));
}

/** Opens a connection from `from`, writes `bytes`, then resets it after `resetMs` (0: at once). */
function sendAndReset(port: number, bytes: string, from: string, resetMs: number): Promise<void> {
  return new Promise((done) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => {
      s.write(bytes);
      if (resetMs === 0) s.resetAndDestroy(); else setTimeout(() => s.resetAndDestroy(), resetMs);
      setTimeout(done, resetMs + 20);
    });
    s.on('error', () => done());
  });
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const port = (sh: TestShield): number => Number(new URL(sh.base).port);

test('a banned client that resets right after its request never reaches the upstream nor passes as another address', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await sh.stop(); await echo.close(); });
  const ban = await request(sh.admin + '/admin/bans', { method: 'POST', headers: { authorization: `Bearer ${sh.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: '127.0.0.4', reason: 'test' }) });
  assert.equal(ban.status, 201);
  const before = echo.hits;
  const marker = `rb${Date.now()}`;
  for (let i = 0; i < 30; i++) {
    const body = `transfer=1000&to=attacker&n=${i}`;
    await sendAndReset(port(sh), `POST /x?${marker}=${i} HTTP/1.1\r\nhost: a\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n${body}`, '127.0.0.4', 0);
  }
  await settle(500);
  assert.equal(echo.hits, before, 'no request of the banned source reached the upstream');
  for (const l of logLines(sh, marker)) {
    assert.notEqual(l.verdict, 'ALLOW', JSON.stringify(l));
    assert.ok(l.clientIp === '127.0.0.4' || l.reason === 'protocol:no-peer', `logged as ${l.clientIp} (${l.reason})`);
  }
});

test('a client that leaves while its request waits for inspection: the log holds the verdict the engine reached, once', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await sh.stop(); await echo.close(); });
  const marker = `lv${Date.now()}`;
  // All connections open first, then every request is written at once: they arrive in one poll and
  // queue for inspection, and the attackers (and some benign clients) reset 1 ms after writing.
  const socks = await Promise.all(Array.from({ length: 190 }, () => new Promise<net.Socket>((done) => {
    const s = net.connect(port(sh), '127.0.0.1', () => done(s));
    s.on('error', () => {}); s.on('data', () => {});
  })));
  await settle(300); // the shield accepts every connection (and learns its peer) before any request
  socks.forEach((s, i) => {
    if (i % 9 === 0 && i / 9 < 20) { s.write(`GET /a?${marker}=${i}&${ATTACK_Q} HTTP/1.1\r\nhost: a\r\n\r\n`); setTimeout(() => s.resetAndDestroy(), 1); }
    else if (i % 9 === 4 && (i - 4) / 9 < 20) { s.write(`GET /b?${marker}b=${i} HTTP/1.1\r\nhost: a\r\n\r\n`); setTimeout(() => s.resetAndDestroy(), 1); }
    else s.write(`GET /benign?i=${i}&q=blue+shoes HTTP/1.1\r\nhost: a\r\nuser-agent: Mozilla/5.0 (X11; Linux x86_64)\r\naccept: text/html\r\n\r\n`);
  });
  await settle(1500);
  for (const s of socks) s.destroy();
  await settle(300);
  const lines = logLines(sh, `${marker}=`);
  assert.ok(lines.length >= 5, `attack lines logged: ${lines.length}`);
  const ids = new Set(lines.map((l) => l.request.query));
  assert.equal(ids.size, lines.length, 'one line per request');
  for (const l of lines) assert.notEqual(l.verdict, 'ALLOW', `attack logged as ${l.verdict}/${l.reason}`);
  const m = (await request(sh.admin + '/metrics', { headers: { authorization: `Bearer ${sh.token}` } })).body.toString();
  assert.doesNotMatch(m, /jirachi_upstream_errors_total\{/, 'clients that left are not upstream failures');
});

test('engine failure under failMode closed: block routes block, detect routes only record, and nobody is auto-banned', async (t) => {
  const echo = await startEcho();
  const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'jirachi-e2e-'));
  const configFile = join(dir, 'shield.yaml');
  (await import('node:fs')).writeFileSync(configFile, `upstream: ${echo.url}\nlisten: 127.0.0.1:0\nstateDir: ${dir}/state\nmode: detect\nfailMode: closed\nroutes:\n  - prefix: /strict\n    mode: block\nadmin:\n  listen: 127.0.0.1:0\n  token: test-admin-token-0123456789\nlog:\n  decisions: ${dir}/decisions.jsonl\nbans:\n  auto:\n    enabled: true\n    threshold: 2\n    windowSeconds: 60\n    banSeconds: 60\n`);
  const said: string[] = [];
  const r = await Shield.start({ configFile, engineFactory: () => ok({ id: 'broken', inspect() { throw new Error('engine bug'); } }), say: (l) => said.push(l) });
  if (!r.ok) throw new Error(r.error.join('\n'));
  const s = r.value;
  t.after(async () => { await s.stop(1000); await echo.close(); (await import('node:fs')).rmSync(dir, { recursive: true, force: true }); });
  const base = `http://127.0.0.1:${s.proxyAddress.port}`;
  for (let i = 0; i < 4; i++) assert.equal((await request(`${base}/hello?i=${i}`)).status, 200, 'detect mode never blocks');
  for (let i = 0; i < 4; i++) assert.equal((await request(`${base}/strict?i=${i}`)).status, 403, 'a block route fails closed');
  const ws = await new Promise<string>((done) => { const c = net.connect(s.proxyAddress.port, '127.0.0.1', () => c.write('GET /ws HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')); c.on('data', (d) => { done(d.toString().split('\r\n')[0]!); c.destroy(); }); c.on('error', () => done('error')); });
  assert.match(ws, / 101 /, 'a detect-route handshake passes too');
  assert.deepEqual(s.context.bans.list(), [], 'engine faults never ban clients');
  await settle(300);
  const lines = readFileSync(join(dir, 'decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const hello = lines.filter((l) => l.request?.path === '/hello');
  assert.equal(hello.length, 4);
  for (const l of hello) assert.deepEqual([l.verdict, l.wouldBlock, l.reason], ['ALLOW', true, 'engine-error:fail-closed']);
  assert.ok(said.some((l) => l.includes('detection failed on WebSocket handshake')), 'the handshake failure is reported');
});

test('WebSocket handshakes get a verdict event; a non-101 answer is relayed whole', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await sh.stop(); await echo.close(); });
  const handshake = (path: string, ms = 1500): Promise<{ text: string; closed: boolean }> => new Promise((done) => {
    const c = net.connect(port(sh), '127.0.0.1', () => c.write(`GET ${path} HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`));
    let text = '';
    const t0 = setTimeout(() => { c.destroy(); done({ text, closed: false }); }, ms);
    c.on('data', (d) => { text += d.toString('latin1'); if (text.includes('\r\n\r\n') && / 101 /.test(text.split('\r\n')[0]!)) { clearTimeout(t0); c.destroy(); done({ text, closed: false }); } });
    c.on('close', () => { clearTimeout(t0); done({ text, closed: true }); });
    c.on('error', () => {});
  });
  const bad = await handshake(`/ws?${ATTACK_Q}&m=wsatk`);
  assert.match(bad.text, /^HTTP\/1\.1 403 /);
  const id = /x-jirachi-request-id: ([0-9a-f-]{36})/.exec(bad.text)?.[1];
  assert.ok(id, 'the refusal carries a request id');
  const good = await handshake('/ws?room=lobby&m=wsok');
  assert.match(good.text, /^HTTP\/1\.1 101 /);
  const big = await handshake('/bigplain?m=wsbig', 3000);
  assert.match(big.text, /^HTTP\/1\.1 404 /);
  assert.equal(big.text.length - big.text.indexOf('\r\n\r\n') - 4, 200_000, 'the whole 404 body arrives');
  assert.ok(big.closed, 'then the connection closes (the upstream kept its socket open)');
  await settle(300);
  const [atk] = logLines(sh, 'm=wsatk');
  assert.deepEqual([atk?.verdict, atk?.status, atk?.requestId], ['BLOCK', 403, id]);
  assert.ok((atk?.findings.length ?? 0) > 0);
  const [okl] = logLines(sh, 'm=wsok');
  assert.deepEqual([okl?.verdict, okl?.status, okl?.upstreamStatus], ['ALLOW', 101, 101]);
  const [bigl] = logLines(sh, 'm=wsbig');
  assert.deepEqual([bigl?.verdict, bigl?.status], ['ALLOW', 404]);
});

test('WebSocket: a client that leaves before the upstream answers is recorded at once (status 0); interim 1xx answers pass before the 101', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await sh.stop(); await echo.close(); });
  const c = net.connect(port(sh), '127.0.0.1', () => c.write('GET /slowws?m=wsgone HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
  c.on('error', () => {});
  await settle(200);
  c.end();
  // The upstream answers only after 1.5 s: well before that the shield has seen the client go.
  await settle(500);
  const [gone] = logLines(sh, 'm=wsgone');
  assert.deepEqual([gone?.verdict, gone?.status], ['ALLOW', 0], 'recorded as soon as the client left, with no status sent');
  assert.equal(echo.slowClosed, 1, 'and the upstream connection was closed');
  // 103 Early Hints before the 101: relayed, then the tunnel works.
  const raw = await new Promise<string>((done) => {
    const r = net.connect(port(sh), '127.0.0.1', () => r.write('GET /hintws?m=wshint HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
    let text = '';
    const t0 = setTimeout(() => { r.destroy(); done(text); }, 1500);
    r.on('data', (d) => { text += d.toString('latin1'); if (/ 101 [^]*\r\n\r\n/.test(text)) { clearTimeout(t0); r.destroy(); done(text); } });
    r.on('error', () => {});
  });
  assert.match(raw, /^HTTP\/1\.1 103 Early Hints\r\nlink: <\/app\.css>; rel=preload\r\n\r\nHTTP\/1\.1 101 /);
  const ws = new WebSocket(`${sh.base.replace('http', 'ws')}/hintws?m=wshint2`);
  const echoed = await new Promise<string>((done, fail) => { ws.once('open', () => ws.send('hello')); ws.once('message', (m) => { done(String(m)); ws.close(); }); ws.once('error', fail); });
  assert.equal(echoed, 'hello');
  await settle(300);
  const [hint] = logLines(sh, 'm=wshint');
  assert.deepEqual([hint?.status, hint?.upstreamStatus], [101, 101]);
});

test('Expect: 100-continue: a refused client gets its refusal (never 100) and the connection closes; others get 100 first', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await sh.stop(); await echo.close(); });
  const ban = await request(sh.admin + '/admin/bans', { method: 'POST', headers: { authorization: `Bearer ${sh.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: '127.0.0.6', reason: 'test' }) });
  assert.equal(ban.status, 201);
  const ask = (from: string, sendBody: boolean): Promise<{ text: string; closed: boolean }> => new Promise((done) => {
    const c = net.connect({ port: port(sh), host: '127.0.0.1', localAddress: from }, () => c.write('POST /upload HTTP/1.1\r\nhost: a\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 11\r\nexpect: 100-continue\r\n\r\n'));
    let text = '';
    const t0 = setTimeout(() => { c.destroy(); done({ text, closed: false }); }, 1500);
    c.on('data', (d) => { text += d.toString('latin1'); if (sendBody && text.startsWith('HTTP/1.1 100 ') && !text.includes(' 200 ')) c.write('a=1&b=hello'); });
    c.on('close', () => { clearTimeout(t0); done({ text, closed: true }); });
    c.on('error', () => {});
  });
  const banned = await ask('127.0.0.6', false);
  assert.match(banned.text, /^HTTP\/1\.1 403 /, 'the refusal comes first, no 100 Continue');
  assert.match(banned.text, /connection: close/i);
  assert.ok(banned.closed);
  const fine = await ask('127.0.0.1', true);
  assert.match(fine.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
});

test('bodies are inspected as the application will parse them: JSON under odd types; base64 multipart parts refused', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await sh.stop(); await echo.close(); });
  const json = JSON.stringify({ q: "1' OR '1'='1' -- ", c: '<script>alert(document.cookie)</script>' });
  for (const ct of ['image/json', 'application/x-json', 'font/json', 'application/octet-stream; profile=/json']) {
    assert.equal((await request(sh.base + '/x', { method: 'POST', headers: { 'content-type': ct }, body: json })).status, 403, ct);
  }
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(2000, 7)]);
  assert.equal((await request(sh.base + '/upload', { method: 'POST', headers: { 'content-type': 'image/png' }, body: png })).status, 200, 'binary uploads pass uninspected');
  const mp = `--b\r\ncontent-disposition: form-data; name="q"\r\ncontent-transfer-encoding: base64\r\n\r\n${Buffer.from("1' OR '1'='1' --").toString('base64')}\r\n--b--\r\n`;
  const before = echo.hits;
  const r = await request(sh.base + '/form', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: mp });
  assert.equal(r.status, 415);
  assert.equal(echo.hits, before);
});

test('pipelined requests whose client leaves are recorded and leave nothing in flight (shutdown does not wait), on both HTTP servers', async (t) => {
  const echo = await startEcho();
  t.after(() => echo.close());
  for (const yaml of ['', 'fastPath: false\n']) {
    const sh = await startShield(echo.url, yaml);
    t.after(() => sh.stop());
    const s = net.connect(port(sh), '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write('GET /slow?ms=300&pl=1 HTTP/1.1\r\nhost: a\r\n\r\nGET /slow?ms=300&pl=2 HTTP/1.1\r\nhost: a\r\n\r\nPOST /x?pl=3 HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\nhi');
    await settle(100);
    s.destroy();
    await settle(700);
    assert.equal(sh.shield.context.inFlight, 0);
    const lines = readFileSync(join(sh.dir, 'decisions.jsonl'), 'utf8').split('\n').filter((l) => l.includes('pl='));
    assert.equal(lines.length, 3, `one event per pipelined request (${yaml || 'fast path'})`);
    const fast = sh.shield.status().fastPath as { handedOff: number } | null;
    assert.equal(fast === null ? 'node' : fast.handedOff, yaml ? 'node' : 0, 'served by the server under test');
  }
});
