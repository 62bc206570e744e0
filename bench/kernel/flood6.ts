// Benchmark tool: an IPv6 UDP flood into a veth (BPF_PROG_RUN live frames redirected out of IF) with receive cost per packet from paired real/null chunks.
// Usage: node dist/bench/kernel/flood6.js IF DSTMAC SRC6 DST6 SECS NULLIF   (root; run pinned to one CPU with taskset)
// Prints one line like the harness's xdpgen: generated=N secs=S pairs=P med_real=.. med_null=.. med_diff=.. p25_diff=..
// The redirector is a 4-instruction XDP program (r1 = ifindex; r2 = 0; call bpf_redirect; exit). Each chunk of
// CHUNK frames is sent to IF, then the same to NULLIF (a veth whose peer is down: frames are freed at transmit);
// the receiver's CPU per packet is the median over pairs of (real - null) process CPU time, as the sender and the
// receiving veth's NAPI poll run in lock-step inside the syscall.

import { BpfSyscall, libc } from '../../src/kernel/control/index.js';
import { udpFrame } from '../../src/kernel/control/frames.js';

const CHUNK = 65536, MIN_PAIRS = 40;

function redirector(sys: BpfSyscall, ifindex: number): number {
  const insns = Buffer.alloc(32);
  insns.writeUInt8(0xb7, 0); insns.writeUInt8(0x01, 1); insns.writeInt32LE(ifindex, 4); // r1 = ifindex
  insns.writeUInt8(0xb7, 8); insns.writeUInt8(0x02, 9); insns.writeInt32LE(0, 12);       // r2 = 0
  insns.writeUInt8(0x85, 16); insns.writeInt32LE(23, 20);                                // call bpf_redirect
  insns.writeUInt8(0x95, 24);                                                            // exit
  return sys.progLoadXdp(insns);
}

const median = (a: number[]): number => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1] ?? NaN; };
const quantile = (a: number[], q: number): number => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length * q)] ?? NaN; };
const cpuNs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };

function main(argv: string[]): number {
  const [iface, dmac, src, dst, secsText, nullIface] = argv;
  if (!iface || !dmac || !src || !dst || !secsText || !nullIface) { console.error('usage: flood6.js IF DSTMAC SRC6 DST6 SECS NULLIF'); return 2; }
  const c = libc();
  if (!c.ok) { console.error(c.error); return 1; }
  const sys = new BpfSyscall(c.value);
  const real = c.value.ifNameToIndex(iface), nul = c.value.ifNameToIndex(nullIface);
  if (real === 0 || nul === 0) { console.error(`no such interface: ${real === 0 ? iface : nullIface}`); return 1; }
  const frame = udpFrame(src, dst);
  Buffer.from(dmac.split(':').map((h) => parseInt(h, 16))).copy(frame, 0);
  const fds = [redirector(sys, real), redirector(sys, nul)];
  if (fds[0]! < 0 || fds[1]! < 0) { console.error(`loading the redirector failed (${fds.join(', ')})`); return 1; }
  const secs = Number(secsText), t0 = Date.now();
  const dReal: number[] = [], dNull: number[] = [], diff: number[] = [];
  let generated = 0;
  try {
    while (Date.now() - t0 < secs * 3000 && (Date.now() - t0 < secs * 1000 || diff.length < MIN_PAIRS)) {
      const per: number[] = [];
      for (const fd of fds) {
        const a = cpuNs();
        const r = sys.progTestRunLive(fd, frame, CHUNK);
        if (r < 0) { console.error(`BPF_PROG_RUN live frames failed (${r})`); return 1; }
        per.push((cpuNs() - a) / CHUNK);
      }
      generated += CHUNK;
      dReal.push(per[0]!); dNull.push(per[1]!); diff.push(per[0]! - per[1]!);
    }
  } finally { for (const fd of fds) sys.close(fd); }
  const secsTaken = (Date.now() - t0) / 1000;
  console.log(`generated=${generated} secs=${secsTaken.toFixed(3)} pairs=${diff.length} med_real=${median(dReal).toFixed(1)} ` +
    `med_null=${median(dNull).toFixed(1)} med_diff=${median(diff).toFixed(1)} p25_diff=${quantile(diff, 0.25).toFixed(1)}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
