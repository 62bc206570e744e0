// Cluster-mode e2e through the CLI: an auto-ban wave reaches every worker, bans lifted by the admin
// API are lifted everywhere, and concurrent reloads all answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEcho } from './harness.js';

const BIN = new URL('../../../bin/jirachi.js', import.meta.url).pathname;

/** Starts the CLI shield; resolves with its proxy and admin ports once both are announced. */
function startCluster(cfg: string): Promise<{ proc: ReturnType<typeof spawn>; port: number; adminPort: number; out: () => string }> {
  const proc = spawn(process.execPath, [BIN, 'shield', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`shield did not start: ${out}`)), 20000);
    const check = (): void => {
      const p = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      const a = /admin and metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (p && a) { clearTimeout(t); resolve({ proc, port: Number(p[1]), adminPort: Number(a[1]), out: () => out }); }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.on('exit', () => { clearTimeout(t); reject(new Error(`shield exited: ${out}`)); });
  });
}

/** One request on a fresh connection from `from` (a loopback address); status, or the error code. */
function call(port: number, path: string, o: { from?: string; method?: string; token?: string; timeoutMs?: number } = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const r = http.request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', localAddress: o.from ?? '127.0.0.1', agent: false, headers: o.token ? { authorization: `Bearer ${o.token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.setTimeout(o.timeoutMs ?? 10000, () => { r.destroy(); resolve('timeout'); });
    r.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    r.end();
  });
}

const ATTACK = `/search?q=${encodeURIComponent("1' OR '1'='1")}`;

test('cluster mode: an auto-ban wave reaches every worker; an admin unban lifts it everywhere; concurrent reloads all answer', async (t) => {
  const echo = await startEcho();
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-cluster-bans-'));
  const cfg = join(dir, 's.yaml');
  const token = 'cluster-bans-token-0123456789';
  writeFileSync(cfg, `upstream: ${echo.url}\nlisten: 127.0.0.1:0\nworkers: 2\nstateDir: ${dir}/state\nadmin:\n  listen: 127.0.0.1:0\n  token: ${token}\nlog:\n  decisions: 'off'\ndetection:\n  disableModel: true\nbans:\n  auto:\n    threshold: 1\n    windowSeconds: 60\n    banSeconds: 600\n`);
  const { proc, port, adminPort } = await startCluster(cfg);
  t.after(async () => { proc.kill('SIGKILL'); await echo.close(); rmSync(dir, { recursive: true, force: true }); });
  // 400 sources, one attack each (threshold 1: each is banned), 8 at a time.
  const N = 400;
  const src = (k: number): string => `127.1.${k >> 7}.${(k & 127) + 1}`;
  let next = 0;
  const statuses: Array<number | string> = [];
  await Promise.all(Array.from({ length: 8 }, async () => { while (next < N) { const k = next++; statuses.push(await call(port, ATTACK, { from: src(k) })); } }));
  assert.deepEqual([...new Set(statuses)], [403]);
  const listed = async (): Promise<number> => new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port: adminPort, path: '/admin/status', headers: { authorization: `Bearer ${token}` } }, (res) => {
      let b = ''; res.on('data', (d) => { b += d; }); res.on('end', () => resolve((JSON.parse(b) as { bans: number }).bans));
    });
  });
  assert.equal(await listed(), N, 'the primary holds every auto-ban');
  await new Promise((r) => setTimeout(r, 200));
  // Every source is now banned on both workers: benign requests on fresh connections (dealt to both
  // workers in turn) are refused; a client never banned still passes.
  const after = await Promise.all(Array.from({ length: 40 }, (_, i) => call(port, `/hello${i}`, { from: src(i * 10) })));
  assert.deepEqual([...new Set(after)], [403], 'banned in every worker');
  for (let i = 0; i < 4; i++) assert.equal(await call(port, '/hello', { from: '127.2.0.1' }), 200);
  // Lifting one ban through the admin API lifts it in both workers.
  assert.equal(await call(adminPort, `/admin/bans/${src(7)}`, { method: 'DELETE', token }), 200);
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 4; i++) assert.equal(await call(port, `/again${i}`, { from: src(7) }), 200, 'unbanned in every worker');
  assert.equal(await call(port, '/again', { from: src(8) }), 403);
  // Two reloads at once: both answer (the first used to wait forever), and the bans survive them.
  const [r1, r2] = await Promise.all([call(adminPort, '/admin/reload', { method: 'POST', token, timeoutMs: 15000 }), call(adminPort, '/admin/reload', { method: 'POST', token, timeoutMs: 15000 })]);
  assert.deepEqual([r1, r2], [200, 200]);
  assert.equal(await call(port, '/after-reload', { from: src(9) }), 403);
  assert.equal(await call(port, '/after-reload', { from: src(7) }), 200);
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  proc.kill('SIGTERM');
  assert.equal(await exited, 0);
});
