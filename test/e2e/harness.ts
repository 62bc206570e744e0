// Test harness for shield e2e tests: an echo upstream (with slow, streaming and WebSocket routes),
// a shield started in process with the real engine, and raw-socket helpers.

import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { Shield } from '../../src/shield/index.js';
import { engineFor } from '../../src/cli/engine.js';

/** A running echo upstream. `hits` counts requests that reached it; `release` ends held streams. */
export interface Echo { server: http.Server; port: number; url: string; hits: number; upgrades: string[]; slowClosed: number; release: () => void; close: () => Promise<void> }

/**
 * Starts the echo upstream. Routes: `/slow?ms=N` waits before answering; `/stream?chunks=N` sends
 * one 64 KiB chunk and holds the rest until `release()`; `/big?mb=N` streams N MiB; `/cookies`
 * sets two cookies; anything else echoes {method,url,headers,bodyLength,bodySha}. `/ws` is a
 * WebSocket echo.
 */
export async function startEcho(): Promise<Echo> {
  let waiting: Array<() => void> = [];
  const e: Echo = { server: http.createServer(), port: 0, url: '', hits: 0, upgrades: [], slowClosed: 0, release: () => { for (const w of waiting) w(); waiting = []; }, close: async () => {} };
  e.server.on('request', (req, res) => {
    e.hits++;
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (u.pathname === '/slow') { setTimeout(() => { if (!res.destroyed) { res.writeHead(200); res.end('slow'); } }, Number(u.searchParams.get('ms') ?? 1000)); return; }
      if (u.pathname === '/stream') { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.write(Buffer.alloc(65536, 1)); waiting.push(() => res.end(Buffer.alloc(65536, 2))); return; }
      if (u.pathname === '/big') {
        const n = Number(u.searchParams.get('mb') ?? 1) * 16;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        let i = 0;
        const more = (): void => { while (i < n) { i++; if (!res.write(Buffer.alloc(65536, i & 0xff))) { res.once('drain', more); return; } } res.end(); };
        more();
        return;
      }
      if (u.pathname === '/cookies') { res.writeHead(200, [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-upstream', 'echo'], ['connection', 'x-secret-hop'], ['x-secret-hop', 'leak']]); res.end('ok'); return; }
      const body = Buffer.concat(chunks);
      const out = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, bodyLength: body.length, bodySha: crypto.createHash('sha256').update(body).digest('hex') });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
      res.end(req.method === 'HEAD' ? undefined : out);
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  e.server.on('upgrade', (req, socket, head) => {
    e.hits++;
    e.upgrades.push(req.url ?? '');
    // /plain acts like an upstream without WebSocket support: a normal answer on a kept-alive socket,
    // counting every further request it parses there (which the shield must never let through).
    // /bigplain answers 404 with a 200 kB body in several writes, and keeps the socket open.
    if ((req.url ?? '').startsWith('/bigplain')) {
      socket.write(`HTTP/1.1 404 Not Found\r\ncontent-length: ${200_000}\r\n\r\n`);
      for (let i = 0; i < 4; i++) socket.write(Buffer.alloc(50_000, 0x61 + i));
      socket.on('error', () => {});
      socket.on('end', () => socket.end());
      return;
    }
    if ((req.url ?? '').startsWith('/plain')) {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      socket.on('data', (d: Buffer) => { e.hits += (d.toString('latin1').match(/ HTTP\/1\.1\r\n/g) ?? []).length; });
      socket.on('error', () => {});
      return;
    }
    // /slowws answers 101 only after 1.5 s (e.slowClosed: the shield closed that socket first);
    // /hintws sends 103 Early Hints before its 101.
    if ((req.url ?? '').startsWith('/slowws')) {
      let answered = false;
      const t = setTimeout(() => { answered = true; wss.handleUpgrade(req, socket, head, (ws) => { ws.on('error', () => {}); }); }, 1500);
      socket.on('error', () => {});
      let gone = false;
      const onGone = (): void => { if (!answered && !gone) { gone = true; clearTimeout(t); e.slowClosed++; socket.destroy(); } };
      socket.on('end', onGone);
      socket.on('close', onGone);
      socket.resume();
      return;
    }
    if ((req.url ?? '').startsWith('/hintws')) socket.write('HTTP/1.1 103 Early Hints\r\nlink: </app.css>; rel=preload\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => { ws.on('error', () => {}); ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary })); });
  });
  await new Promise<void>((r) => e.server.listen(0, '127.0.0.1', r));
  e.port = (e.server.address() as AddressInfo).port;
  e.url = `http://127.0.0.1:${e.port}`;
  e.close = () => new Promise((r) => { e.release(); wss.close(); e.server.closeAllConnections(); e.server.close(() => r()); });
  return e;
}

/** A shield started in process on free ports with a temp state dir and config file. */
export interface TestShield { shield: Shield; base: string; admin: string; token: string; dir: string; configFile: string; stop: () => Promise<void> }

/** Writes `yaml` (merged after the upstream/listen lines) and starts a shield with the real engine. */
export async function startShield(upstream: string, yaml = '', dir?: string): Promise<TestShield> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'jirachi-e2e-'));
  const token = 'test-admin-token-0123456789';
  const configFile = join(d, 'shield.yaml');
  writeFileSync(configFile, `upstream: ${upstream}\nlisten: 127.0.0.1:0\nstateDir: ${d}/state\nadmin:\n  listen: 127.0.0.1:0\n  token: ${token}\nlog:\n  decisions: ${d}/decisions.jsonl\n${yaml}`);
  const r = await Shield.start({ configFile, engineFactory: engineFor, say: () => {} });
  if (!r.ok) throw new Error(r.error.join('\n'));
  const s = r.value;
  return {
    shield: s, base: `http://127.0.0.1:${s.proxyAddress.port}`, admin: `http://127.0.0.1:${s.adminAddress?.port ?? 0}`, token, dir: d, configFile,
    stop: async () => { await s.stop(2000); if (!dir) rmSync(d, { recursive: true, force: true }); },
  };
}

/** Sends raw bytes and resolves with everything the server sent until it closed or `ms` passed. */
export function rawExchange(port: number, bytes: string | Buffer, ms = 2000, endAfterMs = 300): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    let closed = false;
    const t = setTimeout(() => { s.destroy(); resolve({ text: buf, closed }); }, ms);
    s.on('data', (d) => { buf += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(t); resolve({ text: buf, closed }); });
    s.write(bytes);
    if (endAfterMs >= 0) setTimeout(() => s.end(), endAfterMs);
  });
}

/** An HTTP request with node:http (no fetch normalization), returning status, headers and body. */
export function request(url: string, o: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string; agent?: http.Agent | false } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers ?? {}, agent: o.agent ?? false }, (res) => {
      const cs: Buffer[] = [];
      res.on('data', (c: Buffer) => cs.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(cs) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
