// In-process access to libc (bpf() syscall, if_nametoindex, mount) and libbpf through koffi; loaded once, lazily.

import { createRequire } from 'node:module';
import { err, ok, type Result } from '../../core/index.js';

const require = createRequire(import.meta.url);

/** libc entry points the control plane uses. */
export interface Libc {
  syscall(nr: number, cmd: number, attr: Buffer, size: number): number;
  close(fd: number): number;
  ifNameToIndex(name: string): number;
  mount(source: string, target: string, type: string, flags: number, data: null): number;
  /** errno of the last foreign call. */
  errno(): number;
  /** Machine address of a buffer (stable while the buffer lives; Node never moves Buffer memory). */
  address(buf: Buffer): bigint;
}

/** libbpf entry points used to load, pin and attach the object. Pointers are opaque. */
export interface Libbpf {
  openFile(path: string): unknown;
  getError(ptr: unknown): number;
  load(obj: unknown): number;
  close(obj: unknown): void;
  findProgram(obj: unknown, name: string): unknown;
  programFd(prog: unknown): number;
  findMap(obj: unknown, name: string): unknown;
  setPinPath(map: unknown, path: string): number;
  xdpAttach(ifindex: number, progFd: number, flags: number): number;
  xdpDetach(ifindex: number, flags: number): number;
  xdpQueryId(ifindex: number, flags: number): { rc: number; id: number };
}

type Koffi = typeof import('koffi');
let koffiCache: Result<Koffi, string> | undefined;
let libcCache: Result<Libc, string> | undefined;
let libbpfCache: Result<Libbpf, string> | undefined;

function koffi(): Result<Koffi, string> {
  if (!koffiCache) {
    try { koffiCache = ok(require('koffi') as Koffi); }
    catch (e) { koffiCache = err(`unavailable: the koffi FFI package does not load (${(e as Error).message.split('\n')[0]})`); }
  }
  return koffiCache;
}

/** libc through koffi. Never throws; the error is one line. Linux x86_64/arm64 only. */
export function libc(): Result<Libc, string> {
  if (libcCache) return libcCache;
  if (process.platform !== 'linux') return (libcCache = err(`unavailable: the kernel shield needs Linux (this is ${process.platform})`));
  const k = koffi();
  if (!k.ok) return (libcCache = k);
  try {
    const lib = k.value.load('libc.so.6');
    const syscall = lib.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
    const close = lib.func('int close(int fd)');
    const ifn = lib.func('unsigned int if_nametoindex(const char *name)');
    const mount = lib.func('int mount(const char *src, const char *target, const char *type, unsigned long flags, const void *data)');
    const kv = k.value;
    libcCache = ok({
      syscall: (nr, cmd, attr, size) => Number(syscall(nr, cmd, attr, size)),
      close: (fd) => close(fd) as number,
      ifNameToIndex: (name) => ifn(name) as number,
      mount: (s, t, ty, f, d) => mount(s, t, ty, f, d) as number,
      errno: () => kv.errno(),
      address: (buf) => BigInt(kv.address(buf) as unknown as bigint),
    });
  } catch (e) {
    libcCache = err(`unavailable: cannot load libc through koffi (${(e as Error).message.split('\n')[0]})`);
  }
  return libcCache;
}

/** libbpf.so.1 through koffi (Debian: libbpf1). Never throws; the error is one line. */
export function libbpf(): Result<Libbpf, string> {
  if (libbpfCache) return libbpfCache;
  const k = koffi();
  if (!k.ok) return (libbpfCache = k);
  try {
    const b = k.value.load('libbpf.so.1');
    const openFile = b.func('void *bpf_object__open_file(const char *path, void *opts)');
    const getError = b.func('long libbpf_get_error(void *ptr)');
    const load = b.func('int bpf_object__load(void *obj)');
    const close = b.func('void bpf_object__close(void *obj)');
    const findProgram = b.func('void *bpf_object__find_program_by_name(void *obj, const char *name)');
    const programFd = b.func('int bpf_program__fd(void *prog)');
    const findMap = b.func('void *bpf_object__find_map_by_name(void *obj, const char *name)');
    const setPinPath = b.func('int bpf_map__set_pin_path(void *map, const char *path)');
    const xdpAttach = b.func('int bpf_xdp_attach(int ifindex, int prog_fd, uint32_t flags, void *opts)');
    const xdpDetach = b.func('int bpf_xdp_detach(int ifindex, uint32_t flags, void *opts)');
    const xdpQueryId = b.func('int bpf_xdp_query_id(int ifindex, int flags, _Out_ uint32_t *prog_id)');
    const setPrint = b.func('void *libbpf_set_print(void *fn)');
    setPrint(null); // libbpf's own stderr chatter is replaced by our one-line errors
    libbpfCache = ok({
      openFile: (p) => openFile(p, null),
      getError: (p) => Number(getError(p)),
      load: (o) => load(o) as number,
      close: (o) => { close(o); },
      findProgram: (o, n) => findProgram(o, n),
      programFd: (p) => programFd(p) as number,
      findMap: (o, n) => findMap(o, n),
      setPinPath: (m, p) => setPinPath(m, p) as number,
      xdpAttach: (i, fd, f) => xdpAttach(i, fd, f, null) as number,
      xdpDetach: (i, f) => xdpDetach(i, f, null) as number,
      xdpQueryId: (i, f) => { const id = [0]; const rc = xdpQueryId(i, f, id) as number; return { rc, id: id[0] ?? 0 }; },
    });
  } catch (e) {
    libbpfCache = err(`unavailable: libbpf.so.1 does not load (apt-get install libbpf1): ${(e as Error).message.split('\n')[0]}`);
  }
  return libbpfCache;
}
