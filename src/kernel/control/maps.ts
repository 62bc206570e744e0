// The pinned maps of the XDP program, opened by path: typed reads and writes through bpf().

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Result } from '../../core/index.js';
import { BpfSyscall, errnoName, type MapInfo } from './bpf-syscall.js';
import { libc } from './ffi.js';
import { MAP_NAMES, STRUCTS, sumCounters, type KernelCounters, type MapName } from './layout.js';
import { possibleCpus } from './probe.js';

const ENOENT = 2, EPERM = 1, EACCES = 13;

/** Key and value sizes every pinned map must have (guards against a foreign or older layout). */
const EXPECTED: Record<MapName, { key: number; value: number }> = {
  jirachi_exact4: { key: STRUCTS.jirachi_addr4.size, value: STRUCTS.jirachi_ban.size },
  jirachi_exact6: { key: STRUCTS.jirachi_addr6.size, value: STRUCTS.jirachi_ban.size },
  jirachi_cidr4: { key: STRUCTS.jirachi_lpm4_key.size, value: STRUCTS.jirachi_ban.size },
  jirachi_cidr6: { key: STRUCTS.jirachi_lpm6_key.size, value: STRUCTS.jirachi_ban.size },
  jirachi_allow4: { key: STRUCTS.jirachi_lpm4_key.size, value: STRUCTS.jirachi_allow_entry.size },
  jirachi_allow6: { key: STRUCTS.jirachi_lpm6_key.size, value: STRUCTS.jirachi_allow_entry.size },
  jirachi_rate4: { key: STRUCTS.jirachi_addr4.size, value: 8 },
  jirachi_rate6: { key: STRUCTS.jirachi_addr6.size, value: 8 },
  jirachi_config: { key: 4, value: STRUCTS.jirachi_config.size },
  jirachi_stats: { key: 4, value: STRUCTS.jirachi_stats.size },
};

const OK: Result<void, string> = ok(undefined);

/**
 * Open fds of the ten pinned maps. Works from any process with the privileges, whether or not
 * this process loaded the program. Caller owns the instance and calls close().
 */
export class KernelMaps {
  private constructor(
    readonly pinDir: string,
    readonly sys: BpfSyscall,
    private readonly fds: Record<MapName, number>,
    readonly info: Record<MapName, MapInfo>,
  ) {}

  /** Opens the maps pinned in pinDir. The error is one line: unavailable / not attached / layout (e.g. maps pinned by an older program). */
  static open(pinDir: string): Result<KernelMaps, string> {
    const c = libc();
    if (!c.ok) return c;
    const sys = new BpfSyscall(c.value);
    const fds = {} as Record<MapName, number>;
    const info = {} as Record<MapName, MapInfo>;
    const fail = (msg: string): Result<KernelMaps, string> => {
      for (const fd of Object.values(fds)) sys.close(fd);
      return err(msg);
    };
    for (const name of MAP_NAMES) {
      const fd = sys.objGet(join(pinDir, name));
      if (fd === -ENOENT && existsSync(join(pinDir, 'jirachi_exact'))) return fail(`not attached: the maps in ${pinDir} are from an older layout (one 16-byte map for both families); attach again to create the per-family maps`);
      if (fd === -ENOENT) return fail(`not attached: no pinned maps in ${pinDir} (run jirachi kernel attach --iface IF)`);
      if (fd === -EPERM || fd === -EACCES) return fail(`unavailable: no permission to open ${pinDir} (needs root or CAP_BPF)`);
      if (fd < 0) return fail(`unavailable: cannot open ${join(pinDir, name)} (${errnoName(fd)})`);
      fds[name] = fd;
      const i = sys.mapInfo(fd);
      if (typeof i === 'number') return fail(`unavailable: cannot read map info of ${name} (${errnoName(i)})`);
      const want = EXPECTED[name];
      if (i.keySize !== want.key || i.valueSize !== want.value) {
        return fail(`pinned map ${name} has key/value ${i.keySize}/${i.valueSize}, expected ${want.key}/${want.value}: remove ${pinDir} and attach again`);
      }
      info[name] = i;
    }
    return ok(new KernelMaps(pinDir, sys, fds, info));
  }

  /** The fd of one map (owned by this instance). */
  fd(name: MapName): number { return this.fds[name]; }

  /** Writes one entry; the error names the map and errno. */
  put(name: MapName, key: Buffer, value: Buffer): Result<void, string> {
    const r = this.sys.mapUpdate(this.fds[name], key, value, 0);
    return r < 0 ? this.updateError(name, r) : OK;
  }

  /**
   * A writer of one entry of `name`: fill the returned `key` and `value` buffers in place, then
   * `put()`: one syscall per call, no allocation on success (BpfSyscall.updateSlot). The error
   * names the map and errno.
   */
  slot(name: MapName): { readonly key: Buffer; readonly value: Buffer; put(): Result<void, string> } {
    const s = this.sys.updateSlot(this.fds[name], this.info[name].keySize, this.info[name].valueSize, 0);
    return {
      key: s.key, value: s.value,
      put: () => {
        const r = s.run();
        return r < 0 ? this.updateError(name, r) : OK;
      },
    };
  }

  private updateError(name: MapName, r: number): Result<void, string> {
    return err(r === -7 || r === -28 ? `${name} is full (${this.info[name].maxEntries} entries)` : `update of ${name} failed (${errnoName(r)})`);
  }

  /** True when the map holds no entry (BPF_MAP_GET_NEXT_KEY finds no first key). */
  isEmpty(name: MapName): boolean {
    return this.sys.mapNextKey(this.fds[name], null, Buffer.alloc(this.info[name].keySize)) !== 0;
  }

  /** Reads one entry into `out`; false when absent. */
  get(name: MapName, key: Buffer, out: Buffer): boolean {
    return this.sys.mapLookup(this.fds[name], key, out) === 0;
  }

  /** Deletes one entry; ok(false) when it was absent. */
  delete(name: MapName, key: Buffer): Result<boolean, string> {
    const r = this.sys.mapDelete(this.fds[name], key);
    if (r === -ENOENT) return ok(false);
    if (r < 0) return err(`delete from ${name} failed (${errnoName(r)})`);
    return ok(true);
  }

  /** Every key of a map (copied), in the map's own order; bounded by the map's capacity. */
  keys(name: MapName): Buffer[] {
    const size = this.info[name].keySize;
    const out: Buffer[] = [];
    let prev: Buffer | null = null;
    const limit = this.info[name].maxEntries + 1;
    while (out.length < limit) {
      const next = Buffer.alloc(size);
      if (this.sys.mapNextKey(this.fds[name], prev, next) !== 0) break;
      out.push(next);
      prev = next;
    }
    return out;
  }

  /** The program's packet counters summed over CPUs. */
  counters(): KernelCounters {
    const ncpu = possibleCpus();
    const buf = Buffer.alloc(STRUCTS.jirachi_stats.size * ncpu);
    this.sys.mapLookup(this.fds.jirachi_stats, Buffer.alloc(4), buf);
    return sumCounters(buf, ncpu);
  }

  /** Closes every fd. Idempotent. */
  close(): void {
    for (const name of MAP_NAMES) {
      this.sys.close(this.fds[name]);
      this.fds[name] = -1;
    }
  }
}
