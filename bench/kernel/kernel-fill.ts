// Benchmark tool: fills the pinned maps (N exact bans, M CIDR bans, rate limit) and times single map updates from TypeScript.
// Usage: node dist/bench/kernel/kernel-fill.js fill PIN_DIR N_EXACT N_CIDR PPS BURST BAN_ADDR
//        node --expose-gc dist/bench/kernel/kernel-fill.js updates N      (loads a scratch program; prints JSON timings)
//        node dist/bench/kernel/kernel-fill.js attach PIN_DIR IFACE OBJECT.o  (native XDP, another build of the program)

import { attach, openKernelBlocklist, writeRate } from '../../src/kernel/control/index.js';
import { loadScratch } from '../../src/kernel/control/scratch.js';
import { KernelBlocklist } from '../../src/kernel/control/kernel-blocklist.js';
import { STRUCTS } from '../../src/kernel/control/layout.js';
import type { Ban } from '../../src/decisions/index.js';

const ban = (target: string): Ban => ({ target, reason: 'bench', source: 'auto', createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
/** The i-th filler address: 198.19.x.y (never the flood source 198.18.0.1). */
const filler = (i: number): string => `198.19.${(i >> 8) & 0x7f}.${i & 255}`;

function fill(args: string[]): number {
  const [pinDir, nExact, nCidr, pps, burst, banAddr] = args;
  const b = openKernelBlocklist({ pinDir: pinDir! });
  if (!b.ok) { console.error(b.error); return 1; }
  for (let i = 0; i < Number(nExact); i++) { const r = b.value.add(ban(filler(i))); if (!r.ok) { console.error(r.error); return 1; } }
  // /28 prefixes in 198.19.128.0/17: 2048 available.
  for (let i = 0; i < Number(nCidr); i++) {
    const r = b.value.add(ban(`198.19.${128 + (i >> 4)}.${(i & 15) << 4}/28`));
    if (!r.ok) { console.error(r.error); return 1; }
  }
  const rate = writeRate(b.value.maps, Number(pps), Number(burst));
  if (!rate.ok) { console.error(rate.error); return 1; }
  if (banAddr) { const r = b.value.add({ ...ban(banAddr), expiresAt: null }); if (!r.ok) { console.error(r.error); return 1; } }
  console.log(JSON.stringify({ stats: b.value.stats(), rate: rate.value }));
  b.value.maps.close();
  return 0;
}

function percentiles(ns: number[]): { p50: number; p99: number; mean: number } {
  const s = [...ns].sort((a, b) => a - b);
  return { p50: s[s.length >> 1]!, p99: s[Math.floor(s.length * 0.99)]!, mean: Math.round(s.reduce((a, b) => a + b, 0) / s.length) };
}

function updates(args: string[]): number {
  const n = Math.min(Math.max(1000, Number(args[0] ?? 20000)), 60000);
  const s = loadScratch();
  if (!s.ok) { console.error(s.error); return 1; }
  try {
    const bl = new KernelBlocklist(s.value.maps);
    const t = (): bigint => process.hrtime.bigint();
    const time = (fn: (i: number) => void): number[] => {
      for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm-up: JIT, first-touch of map memory; not timed
      // With --expose-gc: collect now, so the inputs built just before are promoted and no scavenge copies them mid-measurement.
      (globalThis as { gc?: () => void }).gc?.();
      const lat: number[] = new Array<number>(n);
      for (let i = 0; i < n; i++) { const a = t(); fn(i); lat[i] = Number(t() - a); }
      return lat;
    };
    // Raw: one prepared BPF_MAP_UPDATE_ELEM (fixed attr, key and value buffers), the floor of any update from Node.
    const key = Buffer.alloc(STRUCTS.jirachi_addr4.size), value = Buffer.alloc(STRUCTS.jirachi_ban.size);
    key[0] = 198; key[1] = 19;
    const put = s.value.maps.prepare('jirachi_exact4', key, value);
    const raw = time((i) => { key[2] = (i >> 8) & 255; key[3] = i & 255; put(); });
    // Whole backend path: parse the target text, encode the value, update (what the Shield's mirror calls).
    const targets = Array.from({ length: n }, (_, i) => filler(i));
    const bans = targets.map(ban);
    const add = time((i) => { bl.add(bans[i]!); });
    const cidrBans = Array.from({ length: Math.min(n, 2048) }, (_, i) => ban(`198.19.${128 + (i >> 4)}.${(i & 15) << 4}/28`));
    const cidr = time((i) => { bl.add(cidrBans[i % cidrBans.length]!); });
    const del = time((i) => { bl.remove(targets[i]!); });
    const v6Bans = Array.from({ length: n }, (_, i) => ban(`2001:db8:${(i >> 16) & 0xffff}::${(i & 0xffff).toString(16)}`));
    const add6 = time((i) => { bl.add(v6Bans[i]!); });
    console.log(JSON.stringify({ n, node: process.version, raw_update_ns: percentiles(raw), backend_add_exact_ns: percentiles(add), backend_add_cidr_ns: percentiles(cidr), backend_add_exact6_ns: percentiles(add6), backend_remove_ns: percentiles(del) }));
    return 0;
  } finally { s.value.close(); }
}

/** Attaches another build of the program (the benchmark's old-vs-new comparison) in native mode. */
function attachObject(args: string[]): number {
  const [pinDir, iface, object] = args;
  if (!pinDir || !iface || !object) { console.error('usage: kernel-fill.js attach PIN_DIR IFACE OBJECT.o'); return 2; }
  const r = attach(iface, pinDir, 'native', object);
  if (!r.ok) { console.error(r.error); return 1; }
  console.log(`attached ${object} to ${iface} (program id ${r.value.progId})`);
  return 0;
}

const [cmd, ...rest] = process.argv.slice(2);
process.exitCode = cmd === 'fill' ? fill(rest) : cmd === 'updates' ? updates(rest) : cmd === 'attach' ? attachObject(rest)
  : (console.error('usage: kernel-fill.js fill|updates|attach ...'), 2);
