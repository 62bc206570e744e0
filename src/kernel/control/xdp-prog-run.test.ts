// The XDP program in the kernel, driven with BPF_PROG_TEST_RUN on crafted frames: verdicts and counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/index.js';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { allowAdd, allowRemove, writeRate } from './allowlist.js';
import { arpFrame, udpFrame, type FrameOptions } from './frames.js';
import { KernelBlocklist } from './kernel-blocklist.js';
import { kernelSkipReason, loadScratch, type ScratchProgram } from './scratch.js';
import { SHARED, type KernelCounters } from './layout.js';

const XDP_DROP = 1, XDP_PASS = 2;
const skip = kernelSkipReason();
const DST = '198.18.0.2', DST6 = '2001:db8:ff::2';

function withProgram(title: string, fn: (s: ScratchProgram, run: (f: Buffer) => number, bl: KernelBlocklist) => void): void {
  test(title, skip ? { skip } : {}, () => {
    const s = loadScratch();
    if (!s.ok) throw new Error(s.error);
    try {
      const run = (f: Buffer): number => {
        const r = s.value.maps.sys.progTestRun(s.value.program.progFd, f);
        if (typeof r === 'number') throw new Error(`BPF_PROG_TEST_RUN failed: ${r}`);
        return r.retval;
      };
      fn(s.value, run, new KernelBlocklist(s.value.maps, systemClock));
    } finally { s.value.close(); }
  });
}

const ban = (target: string, ttlMs: number | null = null) => ({
  target, reason: 'test', source: 'manual' as const, createdAt: Date.now(), expiresAt: ttlMs === null ? null : Date.now() + ttlMs,
});
const counted = (s: ScratchProgram): KernelCounters => s.maps.counters();

withProgram('IPv4: banned source dropped, others pass, counters add up', (s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.7')).ok);
  assert.equal(run(udpFrame('198.18.0.7', DST)), XDP_DROP);
  assert.equal(run(udpFrame('198.18.0.8', DST)), XDP_PASS);
  assert.equal(run(udpFrame(DST, '198.18.0.7')), XDP_PASS, 'only the source address counts');
  const c = counted(s);
  assert.equal(c.droppedBan, 1n);
  assert.equal(c.passed, 2n);
});

withProgram('IPv6: exact and CIDR bans', (s, run, bl) => {
  assert.ok(bl.add(ban('2001:db8:1::7')).ok);
  assert.ok(bl.add(ban('2001:db8:aa::/48')).ok);
  assert.equal(run(udpFrame('2001:db8:1::7', DST6)), XDP_DROP);
  assert.equal(run(udpFrame('2001:db8:1::8', DST6)), XDP_PASS);
  assert.equal(run(udpFrame('2001:db8:aa:5::1', DST6)), XDP_DROP);
  assert.equal(run(udpFrame('2001:db8:ab::1', DST6)), XDP_PASS);
  assert.equal(counted(s).droppedBan, 2n);
});

withProgram('IPv4 CIDR bans hit their range only; IPv4 bans do not leak into IPv6', (_s, run, bl) => {
  assert.ok(bl.add(ban('198.18.4.0/22')).ok);
  assert.equal(run(udpFrame('198.18.4.1', DST)), XDP_DROP);
  assert.equal(run(udpFrame('198.18.7.255', DST)), XDP_DROP);
  assert.equal(run(udpFrame('198.18.8.0', DST)), XDP_PASS);
  assert.equal(run(udpFrame('198.18.3.255', DST)), XDP_PASS);
  assert.equal(run(udpFrame('::c612:401', DST6)), XDP_PASS, 'the IPv4-compatible IPv6 address is another address');
});

withProgram('VLAN: one and two tags (802.1Q, QinQ) are parsed', (_s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.9')).ok);
  assert.ok(bl.add(ban('2001:db8::9')).ok);
  for (const vlans of [[0x8100], [0x88a8, 0x8100], [0x8100, 0x8100]]) {
    assert.equal(run(udpFrame('198.18.0.9', DST, { vlans })), XDP_DROP, `v4 ${vlans}`);
    assert.equal(run(udpFrame('2001:db8::9', DST6, { vlans })), XDP_DROP, `v6 ${vlans}`);
    assert.equal(run(udpFrame('198.18.0.10', DST, { vlans })), XDP_PASS);
  }
  assert.equal(run(udpFrame('198.18.0.9', DST, { vlans: [0x8100, 0x8100, 0x8100] })), XDP_PASS, 'a third tag is not parsed: passes');
});

withProgram('IPv4 options: header lengths 24..60 parsed; options past the frame are malformed', (s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.11')).ok);
  for (const opt of [4, 8, 20, 40]) assert.equal(run(udpFrame('198.18.0.11', DST, { ipv4Options: opt })), XDP_DROP, `options ${opt}`);
  const f = udpFrame('198.18.0.11', DST, { ipv4Options: 40 });
  assert.equal(run(f.subarray(0, 14 + 40)), XDP_PASS, 'IHL says 60 bytes, the frame holds 40');
  assert.equal(run(udpFrame('198.18.0.11', DST, { versionIhl: 0x44 })), XDP_PASS, 'IHL 4 < 5');
  assert.equal(run(udpFrame('198.18.0.11', DST, { versionIhl: 0x65 })), XDP_PASS, 'version 6 under ethertype IPv4');
  assert.equal(counted(s).malformed, 3n);
});

withProgram('truncated headers pass and count as malformed', (s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.12')).ok);
  assert.ok(bl.add(ban('2001:db8::12')).ok);
  const cases: Array<[string, string, FrameOptions]> = [
    ['198.18.0.12', DST, { truncate: 14 }], ['198.18.0.12', DST, { truncate: 14 + 19 }],
    ['2001:db8::12', DST6, { truncate: 14 + 39 }], ['198.18.0.12', DST, { vlans: [0x8100], truncate: 16 }],
    ['198.18.0.12', DST, { vlans: [0x8100, 0x8100], truncate: 20 }],
  ];
  for (const [src, dst, o] of cases) assert.equal(run(udpFrame(src, dst, o)), XDP_PASS, JSON.stringify(o));
  assert.equal(counted(s).malformed, BigInt(cases.length));
  assert.equal(counted(s).droppedBan, 0n);
  assert.equal(run(udpFrame('198.18.0.12', DST, { truncate: 14 + 20 })), XDP_DROP, 'a full header without payload is parsed');
});

withProgram('fragments from a banned source are dropped (first and later ones)', (_s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.13')).ok);
  assert.equal(run(udpFrame('198.18.0.13', DST, { fragment: 0x2000 })), XDP_DROP);
  assert.equal(run(udpFrame('198.18.0.13', DST, { fragment: 0x0010 })), XDP_DROP);
  assert.equal(run(udpFrame('198.18.0.14', DST, { fragment: 0x0010 })), XDP_PASS);
});

withProgram('non-IP frames pass and count as passed', (s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.1')).ok);
  assert.equal(run(arpFrame()), XDP_PASS);
  assert.equal(counted(s).passed, 1n);
});

withProgram('the allowlist wins over exact and CIDR bans', (s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.15')).ok);
  assert.ok(bl.add(ban('198.18.16.0/20')).ok);
  assert.ok(allowAdd(s.maps, '198.18.0.15', Date.now()).ok);
  assert.ok(allowAdd(s.maps, '198.18.17.0/24', Date.now()).ok);
  assert.equal(run(udpFrame('198.18.0.15', DST)), XDP_PASS);
  assert.equal(run(udpFrame('198.18.17.5', DST)), XDP_PASS);
  assert.equal(run(udpFrame('198.18.18.5', DST)), XDP_DROP);
  assert.equal(counted(s).allowlisted, 2n);
});

withProgram('expiry in the kernel: a lapsed ban stops dropping with no user-space action', (_s, run, bl) => {
  assert.ok(bl.add(ban('198.18.0.16', 300)).ok);
  assert.ok(bl.add(ban('198.18.32.0/24', 300)).ok);
  assert.ok(bl.add(ban('198.18.0.17', -1)).ok);
  assert.equal(run(udpFrame('198.18.0.16', DST)), XDP_DROP);
  assert.equal(run(udpFrame('198.18.32.9', DST)), XDP_DROP);
  assert.equal(run(udpFrame('198.18.0.17', DST)), XDP_PASS, 'already lapsed when added');
  const until = Date.now() + 400;
  while (Date.now() < until) { /* wait past the deadline; bounded to 400 ms */ }
  assert.equal(run(udpFrame('198.18.0.16', DST)), XDP_PASS);
  assert.equal(run(udpFrame('198.18.32.9', DST)), XDP_PASS);
});

withProgram('rate limit: a burst passes, the rest of a flood from one source is dropped', (s, run) => {
  assert.equal(run(udpFrame('198.18.0.20', DST)), XDP_PASS, 'off by default');
  assert.ok(writeRate(s.maps, 1, 5).ok);
  const verdicts = Array.from({ length: 12 }, () => run(udpFrame('198.18.0.21', DST)));
  assert.deepEqual(verdicts, [...Array(5).fill(XDP_PASS), ...Array(7).fill(XDP_DROP)]);
  assert.equal(run(udpFrame('198.18.0.22', DST)), XDP_PASS, 'another source has its own bucket');
  assert.ok(allowAdd(s.maps, '198.18.0.21', Date.now()).ok);
  assert.equal(run(udpFrame('198.18.0.21', DST)), XDP_PASS, 'allowlisted sources are not rate limited');
  assert.equal(counted(s).droppedRate, 7n);
  assert.ok(writeRate(s.maps, 0, 0).ok);
});

withProgram('a lapsed longest CIDR ban does not hide a shorter live one (kernel looks below it, bounded)', (s, run, bl) => {
  assert.ok(bl.add(ban('198.18.64.0/18')).ok);
  assert.ok(bl.add(ban('198.18.64.0/24', -1)).ok);
  assert.ok(bl.add(ban('198.18.64.0/26', -1)).ok);
  assert.equal(run(udpFrame('198.18.64.5', DST)), XDP_DROP, 'two lapsed prefixes above a live /18');
  assert.equal(run(udpFrame('198.18.65.5', DST)), XDP_DROP, 'the /18 alone');
  assert.equal(run(udpFrame('198.18.128.5', DST)), XDP_PASS);
  assert.ok(bl.add(ban('2001:db8:aa00::/40')).ok);
  assert.ok(bl.add(ban('2001:db8:aa00::/48', -1)).ok);
  assert.equal(run(udpFrame('2001:db8:aa00::1', DST6)), XDP_DROP, 'IPv6: lapsed /48 above a live /40');
  // Deeper than JIRACHI_LPM_FALLBACKS lapsed prefixes: the kernel gives up (documented); user space still sees the ban and sweeps.
  for (const len of [20, 21, 22, 23, 24, 25]) assert.ok(bl.add(ban(`10.0.0.0/${len}`, -1)).ok);
  assert.ok(bl.add(ban('10.0.0.0/8')).ok);
  assert.equal(run(udpFrame('10.0.0.1', DST)), XDP_PASS);
  assert.equal(bl.has('10.0.0.1')?.target, '10.0.0.0/8');
  assert.ok(bl.sweep().length >= 6);
  assert.equal(run(udpFrame('10.0.0.1', DST)), XDP_DROP, 'after the sweep the live /8 is the longest match');
  assert.equal(counted(s).droppedBan, 4n);
});

withProgram('the allowlist flag: set while a family has entries, cleared when it is empty again', (s, run, bl) => {
  const flags = (): number => { const v = Buffer.alloc(24); assert.ok(s.maps.get('jirachi_config', Buffer.alloc(4), v)); return v.readUInt32LE(16); };
  assert.ok(bl.add(ban('198.18.0.30')).ok);
  assert.ok(bl.add(ban('2001:db8::30')).ok);
  assert.equal(flags(), 0);
  assert.ok(allowAdd(s.maps, '2001:db8::/64', Date.now()).ok);
  assert.equal(flags(), SHARED.JIRACHI_F_ALLOW6);
  assert.equal(run(udpFrame('2001:db8::30', DST6)), XDP_PASS, 'IPv6 allowlist wins');
  assert.equal(run(udpFrame('198.18.0.30', DST)), XDP_DROP, 'the IPv4 allowlist is empty');
  assert.ok(allowAdd(s.maps, '198.18.0.30', Date.now()).ok);
  assert.ok(writeRate(s.maps, 100, 10).ok, 'writing the rate keeps the allowlist flags');
  assert.equal(flags(), SHARED.JIRACHI_F_ALLOW4 | SHARED.JIRACHI_F_ALLOW6 | SHARED.JIRACHI_F_RATE_LIMIT);
  assert.equal(run(udpFrame('198.18.0.30', DST)), XDP_PASS);
  assert.deepEqual(allowRemove(s.maps, '198.18.0.30'), { ok: true, value: true });
  assert.deepEqual(allowRemove(s.maps, '2001:db8::/64'), { ok: true, value: true });
  assert.equal(flags(), SHARED.JIRACHI_F_RATE_LIMIT);
  assert.equal(run(udpFrame('198.18.0.30', DST)), XDP_DROP);
  assert.equal(run(udpFrame('2001:db8::30', DST6)), XDP_DROP);
  assert.equal(counted(s).allowlisted, 2n);
});

test('rate limit under two CPUs racing on one source: exactly the burst passes (compare-and-swap)', skip ? { skip } : {}, async (t) => {
  if (availableParallelism() < 2) { t.skip('needs 2 CPUs to race'); return; }
  const s = loadScratch();
  if (!s.ok) throw new Error(s.error);
  try {
    const burst = 1_000_000, perChild = 3_000_000;
    const start = Date.now() + 800; // both children start their run at this instant, so the runs overlap
    assert.ok(writeRate(s.value.maps, 0.01, burst).ok); // one packet per 100 s: no refill during the test
    const child = `import { libc, BpfSyscall } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)};
      import { udpFrame } from ${JSON.stringify(new URL('./frames.js', import.meta.url).href)};
      const c = libc(); if (!c.ok) throw new Error(c.error);
      const sys = new BpfSyscall(c.value); const fd = sys.objGet(${JSON.stringify(`${s.value.pinDir}/jirachi_xdp`)});
      const frame = udpFrame('198.18.0.40', '198.18.0.2');
      while (Date.now() < ${start}) { /* bounded: at most 800 ms */ }
      const r = sys.progTestRun(fd, frame, ${perChild});
      if (typeof r === 'number') throw new Error('test run failed ' + r);`;
    const runChild = (): Promise<number | null> => new Promise((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => resolve(code));
    });
    assert.deepEqual(await Promise.all([runChild(), runChild()]), [0, 0]);
    const c = s.value.maps.counters();
    assert.equal(c.passed, BigInt(burst));
    assert.equal(c.droppedRate, BigInt(2 * perChild - burst));
  } finally { s.value.close(); }
});
