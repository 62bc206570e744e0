// Benchmark tool: fills the pinned maps (N exact bans, M CIDR bans, rate limit) and times single map updates from TypeScript.
// Usage: node dist/bench/kernel/kernel-fill.js fill PIN_DIR N_EXACT N_CIDR PPS BURST BAN_ADDR
//        node --expose-gc dist/bench/kernel/kernel-fill.js updates N      (loads a scratch program; prints JSON timings)
//        node dist/bench/kernel/kernel-fill.js attach PIN_DIR IFACE OBJECT.o  (native XDP, another build of the program)

import { attach, openKernelBlocklist, writeRate } from '../../src/kernel/control/index.js';
import { loadScratch } from '../../src/kernel/control/scratch.js';
import { KernelBlocklist } from '../../src/kernel/control/kernel-blocklist.js';
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

/** p50 / p99 / p99.9 / max of latencies in µs (two decimals). */
function percentiles(us: Float64Array): { p50: number; p99: number; p999: number; max: number } {
  const s = Float64Array.from(us).sort();
  const q = (p: number): number => Math.round(s[Math.min(s.length - 1, Math.floor(s.length * p))]! * 100) / 100;
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999), max: q(1) };
}

/**
 * Times single updates from TypeScript. The two headline variants run interleaved in 10 blocks, so
 * both see the same machine: `raw` (one prepared BPF_MAP_UPDATE_ELEM from KernelMaps.slot, the
 * floor of any update from Node) and `add` (KernelBlocklist.add of an exact IPv4 ban: text → key,
 * value encoding, the same prepared syscall); both insert fresh keys. Then CIDR, IPv6 and remove.
 * The clock is performance.now() (a double: no BigInt allocated per sample).
 */
function updates(args: string[]): number {
  const n = Math.min(Math.max(1000, Number(args[0] ?? 20000)), 60000);
  const s = loadScratch();
  if (!s.ok) { console.error(s.error); return 1; }
  try {
    const bl = new KernelBlocklist(s.value.maps);
    const gc = (globalThis as { gc?: () => void }).gc;
    const sample = (fn: (i: number) => void, lat: Float64Array, i: number): void => {
      const a = performance.now(); fn(i); lat[i] = (performance.now() - a) * 1000;
    };
    const time = (fn: (i: number) => void): Float64Array => {
      for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm-up: JIT, first touch; not timed
      gc?.(); // with --expose-gc: inputs built just before are promoted, so no scavenge copies them mid-measurement
      const lat = new Float64Array(n);
      for (let i = 0; i < n; i++) sample(fn, lat, i);
      return lat;
    };
    const slot = s.value.maps.slot('jirachi_exact4');
    slot.key[0] = 198; slot.key[1] = 19;
    const raw = (i: number): void => { slot.key[2] = (i >> 8) & 127; slot.key[3] = i & 255; slot.put(); };
    const bans = Array.from({ length: n + 2000 }, (_, i) => ban(`198.20.${(i >> 8) & 0x7f}.${i & 255}`));
    const add = (i: number): void => { bl.add(bans[i]!); };
    for (let i = 0; i < 2000; i++) { raw(n + i); add(n + i); } // warm-up on keys outside the timed ranges
    gc?.();
    const latRaw = new Float64Array(n), latAdd = new Float64Array(n), blocks = 10, per = Math.ceil(n / blocks);
    for (let b = 0; b < blocks; b++) {
      for (let i = b * per; i < Math.min(n, (b + 1) * per); i++) sample(raw, latRaw, i);
      for (let i = b * per; i < Math.min(n, (b + 1) * per); i++) sample(add, latAdd, i);
    }
    const targets = bans.slice(0, n).map((b) => b.target);
    const cidrBans = Array.from({ length: Math.min(n, 2048) }, (_, i) => ban(`198.19.${128 + (i >> 4)}.${(i & 15) << 4}/28`));
    const cidr = time((i) => { bl.add(cidrBans[i % cidrBans.length]!); });
    const del = time((i) => { bl.remove(targets[i]!); });
    const v6Bans = Array.from({ length: n }, (_, i) => ban(`2001:db8:${(i >> 16) & 0xffff}::${(i & 0xffff).toString(16)}`));
    const add6 = time((i) => { bl.add(v6Bans[i]!); });
    console.log(JSON.stringify({ n, node: process.version, unit: 'us', raw_update: percentiles(latRaw), backend_add_exact: percentiles(latAdd),
      backend_add_cidr: percentiles(cidr), backend_add_exact6: percentiles(add6), backend_remove: percentiles(del) }));
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
