// A throwaway load of the XDP program in its own pin directory, for tests and the benchmark (never attached by itself).

import { rmSync } from 'node:fs';
import { err, ok, type Result } from '../../core/index.js';
import { loadProgram, type LoadedProgram } from './loader.js';
import { KernelMaps } from './maps.js';
import { bpffsMounted, checkPrivileges } from './probe.js';
import { libbpf } from './ffi.js';

let seq = 0;

/** A loaded program with its maps in a private pin dir; close() unloads everything. */
export interface ScratchProgram { readonly pinDir: string; readonly program: LoadedProgram; readonly maps: KernelMaps; close(): void }

/** Why the kernel tests cannot run here, or undefined when they can (root, libbpf, bpffs mountable). */
export function kernelSkipReason(): string | undefined {
  const p = checkPrivileges();
  if (!p.ok) return p.error;
  const b = libbpf();
  if (!b.ok) return b.error;
  return undefined;
}

/** Loads the committed object into /sys/fs/bpf/jirachi-scratch-PID-N. Never throws. */
export function loadScratch(): Result<ScratchProgram, string> {
  const pinDir = `/sys/fs/bpf/jirachi-scratch-${process.pid}-${seq++}`;
  const program = loadProgram(pinDir);
  if (!program.ok) return program;
  const maps = KernelMaps.open(pinDir);
  if (!maps.ok) { program.value.close(); rmSync(pinDir, { recursive: true, force: true }); return err(maps.error); }
  return ok({
    pinDir, program: program.value, maps: maps.value,
    close: () => { maps.value.close(); program.value.close(); rmSync(pinDir, { recursive: true, force: true }); },
  });
}

/** True when bpffs is mounted (for messages). */
export { bpffsMounted };
