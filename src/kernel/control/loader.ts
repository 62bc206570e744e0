// Loads the committed XDP object through libbpf, pins maps and program, attaches/detaches XDP, lists attachments.

import { existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Result } from '../../core/index.js';
import { BpfSyscall, errnoName } from './bpf-syscall.js';
import { libbpf, libc, type Libbpf } from './ffi.js';
import { MAP_NAMES, PROG_NAME } from './layout.js';
import { OBJECT_PATH } from './paths.js';
import { bpffsMounted, checkPrivileges } from './probe.js';

const XDP_FLAGS_SKB_MODE = 1 << 1, XDP_FLAGS_DRV_MODE = 1 << 2;

/** XDP attach modes: native (in the driver) or generic (on the skb, any interface). */
export type XdpMode = 'native' | 'generic';

/** A loaded program: its fd and id; close() releases this process's handles (pins and attachments stay). */
export interface LoadedProgram { readonly progFd: number; readonly progId: number; close(): void }

/** Mounts bpffs at /sys/fs/bpf when pinDir lies under it and nothing is mounted there. */
function ensureBpffs(pinDir: string): Result<void, string> {
  if (!pinDir.startsWith('/sys/fs/bpf/') || bpffsMounted()) return ok(undefined);
  const c = libc();
  if (!c.ok) return c;
  if (c.value.mount('bpf', '/sys/fs/bpf', 'bpf', 0, null) !== 0) return err(`unavailable: bpffs is not mounted at /sys/fs/bpf and mounting it failed (${errnoName(c.value.errno())})`);
  return ok(undefined);
}

/**
 * Loads the XDP object (default: the committed one) and pins its maps and program in pinDir.
 * Maps already pinned there are reused with their contents (reconcile on restart). Never throws.
 */
export function loadProgram(pinDir: string, objectPath = OBJECT_PATH): Result<LoadedProgram, string> {
  const priv = checkPrivileges();
  if (!priv.ok) return priv;
  const b = libbpf();
  if (!b.ok) return b;
  const c = libc();
  if (!c.ok) return c;
  if (!existsSync(objectPath)) return err(`XDP object missing: ${objectPath} (bash src/kernel/bpf/build.sh)`);
  const mounted = ensureBpffs(pinDir);
  if (!mounted.ok) return mounted;
  try { mkdirSync(pinDir, { recursive: true, mode: 0o700 }); } catch (e) { return err(`cannot create ${pinDir}: ${(e as Error).message}`); }
  const lib = b.value;
  const obj = lib.openFile(objectPath);
  if (!obj || lib.getError(obj) !== 0) return err(`cannot open XDP object ${objectPath}`);
  for (const name of MAP_NAMES) lib.setPinPath(lib.findMap(obj, name), join(pinDir, name));
  const r = lib.load(obj);
  if (r !== 0) {
    lib.close(obj);
    const why = errnoName(r);
    return err(r === -22 ? `loading the XDP program failed (EINVAL): the maps pinned in ${pinDir} may have an older layout; detach and remove ${pinDir}` : `loading the XDP program failed (${why})`);
  }
  const progFd = lib.programFd(lib.findProgram(obj, PROG_NAME));
  const sys = new BpfSyscall(c.value);
  const progPin = join(pinDir, PROG_NAME);
  try { unlinkSync(progPin); } catch { /* not pinned yet */ }
  const pinned = sys.objPin(progFd, progPin);
  const info = sys.progInfo(progFd);
  if (pinned < 0 || typeof info === 'number') {
    lib.close(obj);
    return err(`pinning the XDP program at ${progPin} failed (${errnoName(pinned < 0 ? pinned : info as number)})`);
  }
  return ok({ progFd, progId: info.id, close: () => lib.close(obj) });
}

/** One interface running Jirachi's program. */
export interface Attachment { readonly iface: string; readonly ifindex: number; readonly mode: XdpMode; readonly progId: number }

function modeFlag(m: XdpMode): number { return m === 'native' ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE; }

/** Program ids attached to an interface in each mode, and whether each is Jirachi's. */
function queryIface(ifindex: number): Array<{ mode: XdpMode; id: number; ours: boolean }> {
  const b = libbpf(), c = libc();
  if (!b.ok || !c.ok) return [];
  const sys = new BpfSyscall(c.value);
  const out: Array<{ mode: XdpMode; id: number; ours: boolean }> = [];
  for (const mode of ['native', 'generic'] as const) {
    const q = b.value.xdpQueryId(ifindex, modeFlag(mode));
    if (q.rc !== 0 || q.id === 0) continue;
    const fd = sys.progFdById(q.id);
    const info = fd >= 0 ? sys.progInfo(fd) : fd;
    sys.close(fd);
    out.push({ mode, id: q.id, ours: typeof info !== 'number' && info.name === PROG_NAME });
  }
  return out;
}

/** Interfaces of this network namespace that run Jirachi's program. Never throws. */
export function attachments(): Attachment[] {
  const c = libc();
  if (!c.ok) return [];
  // /proc/net/dev follows this process's network namespace (/sys/class/net may belong to another).
  let names: string[] = [];
  try { names = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean); } catch { return []; }
  const out: Attachment[] = [];
  for (const iface of names.sort()) {
    const ifindex = c.value.ifNameToIndex(iface);
    if (ifindex === 0) continue;
    for (const q of queryIface(ifindex)) if (q.ours) out.push({ iface, ifindex, mode: q.mode, progId: q.id });
  }
  return out;
}

/** Privileges, libbpf and the interface's index: what attach and detach both need first. Never throws. */
function openIface(iface: string): Result<{ readonly bpf: Libbpf; readonly ifindex: number }, string> {
  const priv = checkPrivileges();
  if (!priv.ok) return priv;
  const c = libc(), b = libbpf();
  if (!c.ok) return c;
  if (!b.ok) return b;
  const ifindex = c.value.ifNameToIndex(iface);
  if (ifindex === 0) return err(`no such interface: ${iface}`);
  return ok({ bpf: b.value, ifindex });
}

/** Outcome of attach: the mode used, and a warning when native XDP fell back to generic. */
export interface AttachOutcome { readonly mode: XdpMode; readonly progId: number; readonly warning?: string }

/**
 * Loads (reusing pinned maps) and attaches the program to `iface`. `mode` undefined: native,
 * falling back to generic with a warning; a given mode is used as is. Refuses to replace another
 * XDP program. `objectPath` (default: the committed object) lets a benchmark attach another build
 * of the same program. Never throws.
 */
export function attach(iface: string, pinDir: string, mode?: XdpMode, objectPath = OBJECT_PATH): Result<AttachOutcome, string> {
  const opened = openIface(iface);
  if (!opened.ok) return opened;
  const { bpf, ifindex } = opened.value;
  const current = queryIface(ifindex);
  const foreign = current.find((q) => !q.ours);
  if (foreign) return err(`${iface} already runs another XDP program (id ${foreign.id}, ${foreign.mode}); detach it first`);
  const loaded = loadProgram(pinDir, objectPath);
  if (!loaded.ok) return loaded;
  try {
    const tryMode = (m: XdpMode): number => {
      for (const q of current) if (q.mode !== m) bpf.xdpDetach(ifindex, modeFlag(q.mode));
      return bpf.xdpAttach(ifindex, loaded.value.progFd, modeFlag(m));
    };
    const first: XdpMode = mode ?? 'native';
    const r = tryMode(first);
    if (r === 0) return ok({ mode: first, progId: loaded.value.progId });
    if (mode !== undefined) return err(`attaching XDP to ${iface} in ${first} mode failed (${errnoName(r)})`);
    const r2 = tryMode('generic');
    if (r2 !== 0) return err(`attaching XDP to ${iface} failed: native ${errnoName(r)}, generic ${errnoName(r2)}`);
    return ok({ mode: 'generic', progId: loaded.value.progId, warning: `native XDP is not available on ${iface} (${errnoName(r)}): attached in generic mode, which costs more per packet` });
  } finally {
    loaded.value.close();
  }
}

/** Detaches Jirachi's program from `iface`; ok(false) when it was not attached there. Never throws. */
export function detach(iface: string): Result<boolean, string> {
  const opened = openIface(iface);
  if (!opened.ok) return opened;
  const { bpf, ifindex } = opened.value;
  let detached = false;
  for (const q of queryIface(ifindex)) {
    if (!q.ours) continue;
    const r = bpf.xdpDetach(ifindex, modeFlag(q.mode));
    if (r !== 0) return err(`detaching XDP from ${iface} failed (${errnoName(r)})`);
    detached = true;
  }
  return ok(detached);
}
