// Public entry of the kernel control plane: open the pinned maps as a BlocklistBackend, attach/detach, status.

import { err, ok, systemClock, type Clock, type Result } from '../../core/index.js';
import type { BlocklistBackend } from '../../decisions/index.js';
import { readRate } from './allowlist.js';
import { KernelBlocklist } from './kernel-blocklist.js';
import { DEFAULT_PIN_DIR, type KernelCounters, type MapName, type RateConfig } from './layout.js';
import { attachments, type Attachment } from './loader.js';
import { KernelMaps } from './maps.js';
import { checkPrivileges } from './probe.js';

export { KernelBlocklist } from './kernel-blocklist.js';
export { KernelMaps } from './maps.js';
export { attach, detach, attachments, loadProgram, type Attachment, type AttachOutcome, type XdpMode, type LoadedProgram } from './loader.js';
export { allowAdd, allowRemove, allowList, readRate, syncAllowFlags, writeRate } from './allowlist.js';
export { DEFAULT_PIN_DIR, type KernelCounters, type RateConfig } from './layout.js';
export { checkPrivileges } from './probe.js';
export { BpfSyscall, errnoName } from './bpf-syscall.js';
export { libc } from './ffi.js';
export { OBJECT_PATH } from './paths.js';

/**
 * Opens the pinned maps as a BlocklistBackend (the Shield mirrors its bans into it). The error is
 * one line starting with `unavailable:` (no privileges, no koffi/libbpf, not Linux) or
 * `not attached:` (no pinned maps). The backend's maps stay open for the process's life. Never throws.
 */
export function openKernelBlocklist(opts: { pinDir?: string; clock?: Clock } = {}): Result<KernelBlocklist, string> {
  const priv = checkPrivileges();
  if (!priv.ok) return priv;
  const maps = KernelMaps.open(opts.pinDir ?? DEFAULT_PIN_DIR);
  if (!maps.ok) return maps;
  return ok(new KernelBlocklist(maps.value, opts.clock ?? systemClock));
}

/** Map fill levels, as counts and capacity (summed over the IPv4 and IPv6 maps). */
export interface MapFill { readonly entries: number; readonly max: number }

/** What `jirachi kernel status` reports. */
export interface KernelStatus {
  readonly pinDir: string;
  readonly attached: Attachment[];
  readonly maps: { exact: MapFill; cidr: MapFill; allow: MapFill; rate: MapFill };
  readonly counters: { [K in keyof KernelCounters]: number };
  readonly rateLimit: RateConfig;
}

/** Reads attachments, map sizes, counters and the rate limit. Never throws. */
export function kernelStatus(pinDir = DEFAULT_PIN_DIR): Result<KernelStatus, string> {
  const priv = checkPrivileges();
  if (!priv.ok) return priv;
  const m = KernelMaps.open(pinDir);
  if (!m.ok) return m;
  const maps = m.value;
  try {
    const fill = (...names: MapName[]): MapFill =>
      ({ entries: names.reduce((n, x) => n + maps.keys(x).length, 0), max: names.reduce((n, x) => n + maps.info[x].maxEntries, 0) });
    const c = maps.counters();
    return ok({
      pinDir,
      attached: attachments(),
      maps: { exact: fill('jirachi_exact4', 'jirachi_exact6'), cidr: fill('jirachi_cidr4', 'jirachi_cidr6'), allow: fill('jirachi_allow4', 'jirachi_allow6'), rate: fill('jirachi_rate4', 'jirachi_rate6') },
      counters: { passed: Number(c.passed), droppedBan: Number(c.droppedBan), droppedRate: Number(c.droppedRate), allowlisted: Number(c.allowlisted), malformed: Number(c.malformed) },
      rateLimit: readRate(maps),
    });
  } catch (e) {
    return err(`status failed: ${(e as Error).message.split('\n')[0]}`);
  } finally { maps.close(); }
}

/** A BlocklistBackend type guard for callers holding the interface. */
export function isKernelBlocklist(b: BlocklistBackend): b is KernelBlocklist { return b instanceof KernelBlocklist; }
