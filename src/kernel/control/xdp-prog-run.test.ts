// The XDP program in the kernel, driven with BPF_PROG_TEST_RUN on crafted frames: verdicts and counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/index.js';
import { allowAdd, writeRate } from './allowlist.js';
import { arpFrame, udpFrame, type FrameOptions } from './frames.js';
import { KernelBlocklist } from './kernel-blocklist.js';
import { kernelSkipReason, loadScratch, type ScratchProgram } from './scratch.js';
import type { KernelCounters } from './layout.js';

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
