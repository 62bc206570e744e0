// Kernel shield end to end: XDP on a veth between two namespaces; bans from the CLI, the BlocklistBackend and the Shield's admin API.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openKernelBlocklist } from '../../src/kernel/control/index.js';
import { kernelSkipReason } from '../../src/kernel/control/scratch.js';
import { Netns, ROOT, SENDER_IP, netnsSkipReason } from './kernel-netns.js';

const skip = netnsSkipReason() ?? kernelSkipReason();
const PIN = `/sys/fs/bpf/jirachi-e2e-${process.pid}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kernel shield e2e (two namespaces, veth, native XDP)', skip ? { skip } : {}, () => {
  const net = new Netns();
  const cli = (...args: string[]): string => {
    const r = net.cli(['--pin-dir', PIN, ...args]);
    assert.equal(r.status, 0, `jirachi kernel ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const blocked = async (): Promise<void> => assert.deepEqual(await net.probe(), { udp: 0, tcp: false });
  const flowing = async (): Promise<void> => {
    const a = await net.probe();
    assert.ok(a.udp >= 18 && a.tcp, `expected traffic to arrive, got ${JSON.stringify(a)}`);
  };

  before(async () => {
    await net.setup();
    cli('attach', '--iface', net.rcvIface);
  });
  after(() => {
    net.cli(['--pin-dir', PIN, 'detach', '--iface', net.rcvIface]);
    net.cleanup();
    rmSync(PIN, { recursive: true, force: true });
  });

  test('attached in native mode; traffic flows; status reports it', async () => {
    await flowing();
    const s = JSON.parse(cli('status', '--json')) as { attached: Array<{ iface: string; mode: string }>; counters: { passed: number } };
    assert.deepEqual(s.attached.map((a) => [a.iface, a.mode]), [[net.rcvIface, 'native']]);
    assert.ok(s.counters.passed >= 20);
  });

  test('CLI block drops UDP and TCP from the source; unblock lets them through', async () => {
    cli('block', SENDER_IP, '--reason', 'e2e');
    await blocked();
    const s = JSON.parse(cli('status', '--json')) as { counters: { droppedBan: number } };
    assert.ok(s.counters.droppedBan >= 20);
    cli('unblock', SENDER_IP);
    await flowing();
  });

  test('a CIDR ban with a TTL lapses in the kernel by itself', async () => {
    // 5 s: long enough that a loaded machine (CLI start-up, 20 probe packets) still sees the ban first.
    cli('block', '198.18.50.0/24', '--ttl', '5');
    const set = Date.now(); // the CLI computed the deadline before it returned
    await blocked();
    await sleep(Math.max(0, set + 5800 - Date.now()));
    await flowing();
    cli('unblock', '198.18.50.0/24');
  });

  test('the in-process BlocklistBackend edits the live maps', async () => {
    const b = openKernelBlocklist({ pinDir: PIN });
    assert.ok(b.ok, b.ok ? '' : b.error);
    try {
      assert.ok(b.value.add({ target: SENDER_IP, reason: 'backend', source: 'auto', createdAt: Date.now(), expiresAt: Date.now() + 60_000 }).ok);
      await blocked();
      assert.equal(b.value.has(SENDER_IP)?.source, 'auto');
      assert.deepEqual(b.value.remove(SENDER_IP), { ok: true, value: true });
      await flowing();
    } finally { b.value.maps.close(); }
  });

  test('restart (detach, re-attach with a fresh load) keeps the bans', async () => {
    cli('block', SENDER_IP, '--reason', 'survives');
    cli('detach', '--iface', net.rcvIface);
    await flowing();
    cli('attach', '--iface', net.rcvIface);
    await blocked();
    const l = JSON.parse(cli('list', '--json')) as { bans: Array<{ target: string; reason: string }> };
    assert.deepEqual(l.bans.map((b) => [b.target, b.reason]), [[SENDER_IP, 'survives']]);
    cli('unblock', SENDER_IP);
    await flowing();
  });

  test('an allowlisted source passes despite a ban', async () => {
    cli('block', '198.18.50.0/24');
    cli('allow', SENDER_IP);
    await flowing();
    cli('allow', SENDER_IP, '--remove');
    await blocked();
    cli('unblock', '198.18.50.0/24');
    await flowing();
  });

  describe("the Shield's bans reach the kernel", () => {
    const TOKEN = 'e2e-admin-token-0123456789abcdef';
    let dir = '';
    let shield: ChildProcess | undefined;
    let out = '';
    let admin = '';
    const api = async (method: string, path: string, body?: unknown): Promise<number> => {
      const r = await fetch(`${admin}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) });
      await r.text();
      return r.status;
    };
    const start = async (): Promise<void> => {
      out = '';
      shield = spawn(process.execPath, [`${ROOT}bin/jirachi.js`, 'shield', '--config', join(dir, 'shield.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
      shield.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      shield.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      for (const until = Date.now() + 20_000; Date.now() < until; await sleep(100)) {
        if (shield.exitCode !== null) break;
        try { if ((await api('GET', '/admin/bans')) === 200) break; } catch { /* not up yet */ }
      }
      assert.match(out, /kernel blocklist: bans mirrored/, `shield output: ${out}`);
    };
    const stop = async (): Promise<void> => {
      if (!shield || shield.exitCode !== null) return;
      const done = new Promise((r) => shield!.once('exit', r));
      shield.kill('SIGTERM');
      await Promise.race([done, sleep(10_000)]);
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jirachi-e2e-'));
      const port = async (): Promise<number> => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); }); });
      const [p, a] = [await port(), await port()];
      admin = `http://127.0.0.1:${a}`;
      writeFileSync(join(dir, 'shield.yaml'), [
        `listen: 127.0.0.1:${p}`, 'upstream: http://127.0.0.1:9', `stateDir: ${join(dir, 'state')}`,
        'admin:', `  listen: 127.0.0.1:${a}`, `  token: ${TOKEN}`, 'log:', `  decisions: ${join(dir, 'decisions.jsonl')}`,
        'kernel:', '  enabled: true', `  pinDir: ${PIN}`, '',
      ].join('\n'));
      await start();
    });
    after(async () => { await stop(); rmSync(dir, { recursive: true, force: true }); });

    test('POST /admin/bans drops the source in the kernel; DELETE restores it', async () => {
      assert.equal(await api('POST', '/admin/bans', { target: SENDER_IP, reason: 'e2e shield' }), 201);
      await blocked();
      assert.equal(await api('DELETE', `/admin/bans/${encodeURIComponent(SENDER_IP)}`), 200);
      await flowing();
    });

    test('a ban with ttlSeconds expires in the kernel too', async () => {
      assert.equal(await api('POST', '/admin/bans', { target: '198.18.50.0/24', ttlSeconds: 2 }), 201);
      await blocked();
      await sleep(2300);
      await flowing();
    });

    test('a Shield restart keeps the ban in the kernel', async () => {
      assert.equal(await api('POST', '/admin/bans', { target: SENDER_IP, reason: 'restart' }), 201);
      await stop();
      await blocked();
      await start();
      await blocked();
      assert.equal(await api('DELETE', `/admin/bans/${encodeURIComponent(SENDER_IP)}`), 200);
      await flowing();
    });
  });
});
