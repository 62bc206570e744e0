// Capability probe: privileges, bpffs, possible CPUs. Reads /proc and /sys only.

import { readFileSync } from 'node:fs';
import { err, ok, type Result } from '../../core/index.js';

const CAP_NET_ADMIN = 12n, CAP_SYS_ADMIN = 21n, CAP_BPF = 39n;

/** The effective capability mask of this process, or null when /proc is not readable. */
export function effectiveCaps(): bigint | null {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : null;
  } catch { return null; }
}

/** ok when this process may create BPF maps/programs and attach XDP; else a one-line reason. */
export function checkPrivileges(): Result<void, string> {
  if (process.platform !== 'linux') return err(`unavailable: the kernel shield needs Linux (this is ${process.platform})`);
  const caps = effectiveCaps();
  if (caps === null) return err('unavailable: cannot read /proc/self/status to check capabilities');
  const has = (c: bigint): boolean => ((caps >> c) & 1n) === 1n;
  if (has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_NET_ADMIN))) return ok(undefined);
  return err('unavailable: no CAP_BPF/CAP_NET_ADMIN (run as root or grant the capabilities)');
}

/** True when a bpf filesystem is mounted at `mountPoint`. */
export function bpffsMounted(mountPoint = '/sys/fs/bpf'): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => {
      const f = l.split(' ');
      return f[1] === mountPoint && f[2] === 'bpf';
    });
  } catch { return false; }
}

/** Number of possible CPUs (the stride count of per-CPU map values). */
export function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let n = 0;
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return Math.max(1, n);
  } catch { return 1; }
}
