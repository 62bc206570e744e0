// The bpf() syscall called in process through koffi: object pins, map operations, program info, test runs.

import { constants } from 'node:os';
import type { Libc } from './ffi.js';

const SYS_BPF: Partial<Record<string, number>> = { x64: 321, arm64: 280 };
const CMD = {
  MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5, OBJ_PIN: 6, OBJ_GET: 7, PROG_TEST_RUN: 10, PROG_GET_FD_BY_ID: 13, OBJ_GET_INFO_BY_FD: 15,
} as const;
const ATTR_SIZE = 128;
/** The map-element commands read map_fd, key, value and flags only: the first 32 bytes of union bpf_attr. */
const UPDATE_ATTR_SIZE = 32;

/** Result of a bpf() call: non-negative value, or the errno as a negative number. */
export type SysResult = number;

/** Name of an errno for messages (`ENOENT`), or `errno N`. */
export function errnoName(e: number): string {
  const n = Math.abs(e);
  for (const [k, v] of Object.entries(constants.errno)) if (v === n) return k;
  return `errno ${n}`;
}

/** Map metadata from BPF_OBJ_GET_INFO_BY_FD. */
export interface MapInfo { type: number; id: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string }

/** A prepared BPF_MAP_UPDATE_ELEM: write `key` and `value` in place, then `run()` (one syscall). */
export interface UpdateSlot { readonly key: Buffer; readonly value: Buffer; run(): SysResult }

/** Output of one BPF_PROG_TEST_RUN. */
export interface TestRunResult { retval: number; durationNs: number; dataOut: Buffer }

/**
 * Thin typed wrappers over bpf(2). Every method returns the kernel's answer (negative errno on
 * failure) and never throws. One instance reuses its attribute buffers: not reentrant, which is
 * fine on Node's single thread.
 */
export class BpfSyscall {
  private readonly attr = Buffer.alloc(ATTR_SIZE);
  private readonly nr: number;
  constructor(private readonly c: Libc) {
    this.nr = SYS_BPF[process.arch] ?? -1;
  }

  private call(cmd: number): SysResult {
    if (this.nr < 0) return -38; // ENOSYS on an architecture we do not know
    const r = this.c.syscall(this.nr, cmd, this.attr, ATTR_SIZE);
    return r < 0 ? -this.c.errno() : r;
  }

  private readonly addresses = new WeakMap<Buffer, bigint>();

  /** Address of a buffer, cached: Node never moves a Buffer's memory while it lives. */
  private ptr(buf: Buffer | null): bigint {
    if (buf === null) return 0n;
    let a = this.addresses.get(buf);
    if (a === undefined) { a = this.c.address(buf); this.addresses.set(buf, a); }
    return a;
  }

  /** Opens a pinned object (map or program) and returns its fd. */
  objGet(path: string): SysResult {
    const p = Buffer.from(path + '\0');
    this.attr.fill(0);
    this.attr.writeBigUInt64LE(this.ptr(p), 0);
    return this.call(CMD.OBJ_GET);
  }

  /** Pins fd at path (the path must not exist yet). */
  objPin(fd: number, path: string): SysResult {
    const p = Buffer.from(path + '\0');
    this.attr.fill(0);
    this.attr.writeBigUInt64LE(this.ptr(p), 0);
    this.attr.writeUInt32LE(fd, 8);
    return this.call(CMD.OBJ_PIN);
  }

  /** BPF_MAP_UPDATE_ELEM with flags (0 = any, 1 = no exist, 2 = exist). */
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags = 0): SysResult {
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(fd, 0);
    a.writeBigUInt64LE(this.ptr(key), 8);
    a.writeBigUInt64LE(this.ptr(value), 16);
    a.writeBigUInt64LE(BigInt(flags), 24);
    return this.call(CMD.MAP_UPDATE_ELEM);
  }

  /**
   * BPF_MAP_UPDATE_ELEM bound to one fd, with the attribute, key and value in one buffer written
   * once: `key` and `value` are views the caller rewrites in place, and each `run()` is one
   * syscall and nothing else (no allocation, no marshalling beyond koffi's). One buffer keeps
   * everything the kernel reads on one page, which matters on hosts where every syscall costs a
   * TLB refill (see docs/BENCHMARKS.md, "Kernel shield").
   */
  updateSlot(fd: number, keySize: number, valueSize: number, flags = 0): UpdateSlot {
    const keyAt = UPDATE_ATTR_SIZE, valueAt = keyAt + ((keySize + 7) & ~7);
    const buf = Buffer.alloc(valueAt + valueSize);
    const base = this.c.address(buf);
    buf.writeUInt32LE(fd, 0);
    buf.writeBigUInt64LE(base + BigInt(keyAt), 8);
    buf.writeBigUInt64LE(base + BigInt(valueAt), 16);
    buf.writeUInt32LE(flags, 24);
    const c = this.c, nr = this.nr;
    const run = nr < 0 ? (): SysResult => -38 : (): SysResult => {
      const r = c.syscall(nr, CMD.MAP_UPDATE_ELEM, buf, UPDATE_ATTR_SIZE);
      return r < 0 ? -c.errno() : r;
    };
    return { key: buf.subarray(keyAt, keyAt + keySize), value: buf.subarray(valueAt, valueAt + valueSize), run };
  }

  /** BPF_MAP_LOOKUP_ELEM into `out` (value size, or value size × CPUs for per-CPU maps). */
  mapLookup(fd: number, key: Buffer, out: Buffer): SysResult {
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(fd, 0);
    a.writeBigUInt64LE(this.ptr(key), 8);
    a.writeBigUInt64LE(this.ptr(out), 16);
    return this.call(CMD.MAP_LOOKUP_ELEM);
  }

  /** BPF_MAP_DELETE_ELEM; -ENOENT when the key is absent. */
  mapDelete(fd: number, key: Buffer): SysResult {
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(fd, 0);
    a.writeBigUInt64LE(this.ptr(key), 8);
    return this.call(CMD.MAP_DELETE_ELEM);
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (null: the first) into `next`; -ENOENT at the end. */
  mapNextKey(fd: number, key: Buffer | null, next: Buffer): SysResult {
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(fd, 0);
    a.writeBigUInt64LE(this.ptr(key), 8);
    a.writeBigUInt64LE(this.ptr(next), 16);
    return this.call(CMD.MAP_GET_NEXT_KEY);
  }

  /** Map metadata, or the negative errno. */
  mapInfo(fd: number): MapInfo | SysResult {
    const info = Buffer.alloc(96);
    const r = this.objInfo(fd, info);
    if (r < 0) return r;
    const nameEnd = info.indexOf(0, 24);
    return {
      type: info.readUInt32LE(0), id: info.readUInt32LE(4), keySize: info.readUInt32LE(8),
      valueSize: info.readUInt32LE(12), maxEntries: info.readUInt32LE(16), flags: info.readUInt32LE(20),
      name: info.subarray(24, nameEnd < 0 || nameEnd > 40 ? 40 : nameEnd).toString('latin1'),
    };
  }

  /** Program id and name of a program fd, or the negative errno. */
  progInfo(fd: number): { id: number; name: string } | SysResult {
    const info = Buffer.alloc(232);
    const r = this.objInfo(fd, info);
    if (r < 0) return r;
    const nameEnd = info.indexOf(0, 64);
    return { id: info.readUInt32LE(4), name: info.subarray(64, nameEnd < 0 || nameEnd > 80 ? 80 : nameEnd).toString('latin1') };
  }

  /** An fd for a loaded program by id (caller closes it). */
  progFdById(id: number): SysResult {
    this.attr.fill(0);
    this.attr.writeUInt32LE(id, 0);
    return this.call(CMD.PROG_GET_FD_BY_ID);
  }

  private objInfo(fd: number, info: Buffer): SysResult {
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(fd, 0);
    a.writeUInt32LE(info.length, 4);
    a.writeBigUInt64LE(this.ptr(info), 8);
    return this.call(CMD.OBJ_GET_INFO_BY_FD);
  }

  /** Runs the program on one frame (BPF_PROG_TEST_RUN). `outSize` bounds the returned frame. */
  progTestRun(progFd: number, data: Buffer, repeat = 1, outSize = 2048): TestRunResult | SysResult {
    const out = Buffer.alloc(outSize);
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(progFd, 0);
    a.writeUInt32LE(data.length, 8);
    a.writeUInt32LE(out.length, 12);
    a.writeBigUInt64LE(this.ptr(data), 16);
    a.writeBigUInt64LE(this.ptr(out), 24);
    a.writeUInt32LE(repeat, 32);
    const r = this.call(CMD.PROG_TEST_RUN);
    if (r < 0) return r;
    return { retval: a.readUInt32LE(4), durationNs: a.readUInt32LE(36), dataOut: out.subarray(0, a.readUInt32LE(12)) };
  }

  /**
   * Loads raw XDP instructions (8 bytes each) as a program and returns its fd (caller closes it).
   * For tools that need a tiny program without an object file (the benchmark's redirector).
   */
  progLoadXdp(insns: Buffer, license = 'GPL'): SysResult {
    const lic = Buffer.from(license + '\0');
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(6, 0); // BPF_PROG_TYPE_XDP
    a.writeUInt32LE(insns.length / 8, 4);
    a.writeBigUInt64LE(this.ptr(insns), 8);
    a.writeBigUInt64LE(this.ptr(lic), 16);
    return this.call(CMD.PROG_LOAD);
  }

  /**
   * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: the XDP program runs `repeat` times on
   * copies of `data` and its verdicts take effect (XDP_REDIRECT transmits the frame), in batches of
   * `batch`. Returns 0 or the negative errno.
   */
  progTestRunLive(progFd: number, data: Buffer, repeat: number, batch = 64): SysResult {
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(progFd, 0);
    a.writeUInt32LE(data.length, 8);
    a.writeBigUInt64LE(this.ptr(data), 16);
    a.writeUInt32LE(repeat, 32);
    a.writeUInt32LE(1 << 1, 64); // BPF_F_TEST_XDP_LIVE_FRAMES
    a.writeUInt32LE(batch, 72);
    return this.call(CMD.PROG_TEST_RUN);
  }

  /** Closes an fd. */
  close(fd: number): void {
    if (fd >= 0) this.c.close(fd);
  }
}
