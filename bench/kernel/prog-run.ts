// Benchmark tool: the XDP program alone (BPF_PROG_TEST_RUN, repeat N) on IPv4 and IPv6 frames (banned, CIDR-banned, clean with rate limiting), with filled maps.
// Usage: node dist/bench/kernel/prog-run.js [OBJECT.o] [N_EXACT] [N_CIDR]
import { loadProgram } from '../../src/kernel/control/loader.js';
import { KernelMaps } from '../../src/kernel/control/maps.js';
import { KernelBlocklist } from '../../src/kernel/control/kernel-blocklist.js';
import { writeRate } from '../../src/kernel/control/allowlist.js';
import { udpFrame } from '../../src/kernel/control/frames.js';
import { OBJECT_PATH } from '../../src/kernel/control/paths.js';
import { rmSync } from 'node:fs';

const [obj = OBJECT_PATH, nExact = '10000', nCidr = '1000'] = process.argv.slice(2);
const pin = `/sys/fs/bpf/jirachi-progrun-${process.pid}`;
const p = loadProgram(pin, obj);
if (!p.ok) { console.error(p.error); process.exit(1); }
const m = KernelMaps.open(pin);
if (!m.ok) { console.error(m.error); process.exit(1); }
try {
  const bl = new KernelBlocklist(m.value);
  const ban = (target: string, ttl: number | null) => ({ target, reason: 'bench', source: 'auto' as const, createdAt: Date.now(), expiresAt: ttl === null ? null : Date.now() + ttl });
  for (let i = 0; i < Number(nExact); i++) bl.add(ban(`198.19.${(i >> 8) & 0x7f}.${i & 255}`, 3_600_000));
  for (let i = 0; i < Number(nCidr); i++) bl.add(ban(`198.19.${128 + (i >> 4)}.${(i & 15) << 4}/28`, 3_600_000));
  writeRate(m.value, 1000, 100);
  bl.add(ban('198.18.0.1', null));
  bl.add(ban('2001:db8::1', null));
  bl.add(ban('2001:db8:77::/48', 3_600_000));
  const out: Record<string, number> = {};
  const frames = { banned_v4: udpFrame('198.18.0.1', '198.18.0.2'), clean_v4_rate: udpFrame('198.18.0.3', '198.18.0.2'), cidr_v4: udpFrame('198.19.130.1', '198.18.0.2'),
    banned_v6: udpFrame('2001:db8::1', '2001:db8::2'), clean_v6_rate: udpFrame('2001:db8::3', '2001:db8::2'), cidr_v6: udpFrame('2001:db8:77::9', '2001:db8::2') };
  for (const [name, f] of Object.entries(frames)) {
    const best = Math.min(...[0, 1, 2].map(() => { const r = m.value.sys.progTestRun(p.value.progFd, f, 2_000_000); return typeof r === 'number' ? NaN : r.durationNs; }));
    out[`${name}_ns`] = best;
  }
  console.log(JSON.stringify(out));
} finally { m.value.close(); p.value.close(); rmSync(pin, { recursive: true, force: true }); }
