// BanStore: the authoritative ban list. TTL, atomic persistence, mirrors (e.g. the kernel) kept in step.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { err, ok, systemClock, type Clock, type Result } from '../core/index.js';
import { canonicalTarget } from './address.js';
import type { Ban, BanSource, BlocklistBackend } from './backend.js';
import { MemoryBlocklist } from './memory-blocklist.js';

/** Options for a BanStore. */
export interface BanStoreOptions {
  /** JSON file the bans persist to (atomic write-and-rename); null keeps them in memory only. */
  readonly file: string | null;
  readonly clock?: Clock;
  /** Backends that mirror every change (e.g. the kernel's BPF maps). Their failures are reported, not fatal. */
  readonly mirrors?: readonly BlocklistBackend[];
  /** Called with a one-line message when a mirror or the file fails. */
  readonly onError?: (message: string) => void;
  /** Most bans held (default 100 000); beyond it new automatic bans are refused, manual ones still go in. */
  readonly maxBans?: number;
  /**
   * Automatic bans and expiry sweeps are written to the file at most this often (coalesced), so a
   * flood of new sources does not rewrite the file once per ban. Manual changes are written at once.
   * Default 250 ms; `flush()` writes what is pending (call it on shutdown).
   */
  readonly persistDelayMs?: number;
  /**
   * A ban file that does not parse (e.g. emptied by a crash on a filesystem without ordered
   * writes): 'refuse' (default) makes load() an error naming the file; 'set-aside' renames it to
   * `<file>.corrupt-<time>`, reports it, and starts without those bans (the shield's fail-open choice).
   */
  readonly onCorrupt?: 'refuse' | 'set-aside';
}

const SOURCES: ReadonlySet<unknown> = new Set(['manual', 'auto', 'brain', 'config']);

/** What the file holds. */
interface BanFile { readonly format: 'jirachi-bans'; readonly version: 1; readonly bans: Ban[] }

/**
 * Parses a ban file's JSON text. Never throws. With `skipped`, an entry that does not validate is
 * left out and described there (e.g. a file a newer version wrote) instead of failing the file.
 */
export function parseBanFile(text: string, skipped?: string[]): Result<Ban[], string> {
  let j: unknown;
  try { j = JSON.parse(text); } catch (e) { return err(`ban file is not JSON: ${(e as Error).message}`); }
  const f = j as Partial<BanFile>;
  if (!f || f.format !== 'jirachi-bans' || f.version !== 1 || !Array.isArray(f.bans)) return err('ban file: expected {format:"jirachi-bans", version:1, bans:[...]}');
  const out: Ban[] = [];
  for (const [i, b] of f.bans.entries()) {
    const t = typeof b?.target === 'string' ? canonicalTarget(b.target) : err('missing target');
    const bad = !t.ok ? t.error : (typeof b.reason !== 'string' || typeof b.createdAt !== 'number' || !(b.expiresAt === null || typeof b.expiresAt === 'number') || !(b.source === undefined || SOURCES.has(b.source))) ? 'bad fields' : null;
    if (bad !== null) {
      if (!skipped) return err(`ban file: bans[${i}]: ${bad}`);
      skipped.push(`bans[${i}]: ${bad}`);
      continue;
    }
    if (!t.ok) continue;
    out.push({ target: t.value, reason: b.reason.slice(0, 200), source: b.source ?? 'manual', createdAt: b.createdAt, expiresAt: b.expiresAt });
  }
  return ok(out);
}

/**
 * The shield's bans. Reads are O(1) for exact addresses. Writes persist at once (small file,
 * write to a temp file then rename, so a crash never leaves half a file) and go to every mirror.
 */
export class BanStore {
  private readonly mem: MemoryBlocklist;
  private readonly clock: Clock;
  private readonly mirrors: readonly BlocklistBackend[];
  private readonly report: (m: string) => void;

  constructor(private readonly opts: BanStoreOptions) {
    this.clock = opts.clock ?? systemClock;
    this.mem = new MemoryBlocklist(this.clock);
    this.mirrors = opts.mirrors ?? [];
    this.report = opts.onError ?? (() => {});
  }

  /** Loads the file (if any); expired bans are dropped; mirrors are reconciled. Returns how many loaded. */
  load(): Result<number, string> {
    if (this.opts.file === null) return ok(0);
    let text: string;
    try { text = readFileSync(this.opts.file, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(0);
      return err(`cannot read ban file ${this.opts.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    // Entries that do not validate are skipped and said under set-aside; the file as a whole must parse.
    const skipped: string[] = [];
    const parsed = parseBanFile(text, this.opts.onCorrupt === 'set-aside' ? skipped : undefined);
    if (skipped.length) this.report(`ban file ${this.opts.file}: ${skipped.length} invalid entr${skipped.length === 1 ? 'y' : 'ies'} skipped (${skipped.slice(0, 3).join('; ')})`);
    if (!parsed.ok) {
      if (this.opts.onCorrupt !== 'set-aside') return err(`${this.opts.file}: ${parsed.error}`);
      const aside = `${this.opts.file}.corrupt-${this.clock.now()}`;
      try { renameSync(this.opts.file, aside); } catch (e) { return err(`${this.opts.file}: ${parsed.error}; cannot set it aside: ${(e as NodeJS.ErrnoException).code ?? String(e)}`); }
      this.report(`ban file ${this.opts.file} is corrupt (${parsed.error}); moved to ${aside}, starting without its bans`);
      return ok(0);
    }
    const now = this.clock.now();
    let n = 0;
    for (const b of parsed.value) if (b.expiresAt === null || b.expiresAt > now) { this.mem.add(b); n++; }
    this.reconcileMirrors();
    return ok(n);
  }

  /** Adds (or replaces) a ban. `ttlMs` null = permanent. Returns the stored ban. Never throws. */
  add(target: string, o: { ttlMs: number | null; reason: string; source: BanSource }): Result<Ban, string> {
    const t = canonicalTarget(target);
    if (!t.ok) return t;
    if (o.ttlMs !== null && !(o.ttlMs > 0 && Number.isFinite(o.ttlMs))) return err('ttl must be a positive finite number of milliseconds (null for a permanent ban)');
    const st = this.mem.stats();
    if (o.source === 'auto' && st.exact + st.cidr >= (this.opts.maxBans ?? 100_000)) return err(`ban list full (${st.exact + st.cidr} entries): automatic ban refused`);
    const now = this.clock.now();
    const ban: Ban = { target: t.value, reason: o.reason.slice(0, 200), source: o.source, createdAt: now, expiresAt: o.ttlMs === null ? null : now + o.ttlMs };
    const r = this.mem.add(ban);
    if (!r.ok) return r;
    for (const m of this.mirrors) { const x = m.add(ban); if (!x.ok) this.report(`ban mirror ${m.name}: ${x.error}`); }
    if (this.batching) this.dirty = true; else if (o.source === 'auto') this.persistSoon(); else this.persist();
    return ok(ban);
  }

  /** Removes the ban on exactly `target`. True if there was one. */
  remove(target: string): Result<boolean, string> {
    const r = this.mem.remove(target);
    if (!r.ok) return r;
    for (const m of this.mirrors) { const x = m.remove(target); if (!x.ok) this.report(`ban mirror ${m.name}: ${x.error}`); }
    if (r.value) { if (this.batching) this.dirty = true; else this.persist(); }
    return r;
  }

  /**
   * Replaces every ban with `bans` (a cluster worker's replica of its primary's list). Touches
   * neither mirrors nor the file: the primary owns those.
   */
  replaceAll(bans: readonly Ban[]): void {
    this.mem.clear();
    for (const b of bans) this.mem.add(b);
  }

  /** The ban covering `ip`, if any (expired bans never match). */
  match(ip: string): Ban | undefined { return this.mem.has(ip); }

  /** Bans in force. */
  list(): Ban[] { return this.mem.list(); }

  /**
   * Makes the bans with source 'config' exactly `targets`: adds new ones, removes those no longer
   * listed (so deleting a line from `bans.static` lifts that ban on restart or reload).
   */
  syncConfigBans(targets: readonly string[]): void {
    const want = new Set<string>();
    for (const t of targets) { const c = canonicalTarget(t); if (c.ok) want.add(c.value); }
    // One file write for the whole set (a threat feed of thousands of lines was one rewrite per line).
    this.batching = true;
    try {
      for (const b of this.list()) if (b.source === 'config' && !want.has(b.target)) this.remove(b.target);
      const have = new Set(this.list().filter((b) => b.source === 'config').map((b) => b.target));
      for (const t of want) if (!have.has(t)) this.add(t, { ttlMs: null, reason: 'config', source: 'config' });
    } finally {
      this.batching = false;
    }
    if (this.dirty) { this.dirty = false; this.persist(); }
  }

  private batching = false;
  private dirty = false;

  /** Drops expired bans from memory, mirrors and the file. Returns how many lapsed. */
  sweep(): number {
    const lapsed = this.mem.sweep();
    if (lapsed.length === 0) return 0;
    for (const b of lapsed) for (const m of this.mirrors) m.remove(b.target);
    this.persistSoon();
    return lapsed.length;
  }

  private reconcileMirrors(): void {
    const want = new Map(this.list().map((b) => [b.target, b]));
    for (const m of this.mirrors) {
      for (const b of m.list()) if (!want.has(b.target)) m.remove(b.target);
      for (const b of want.values()) { const x = m.add(b); if (!x.ok) this.report(`ban mirror ${m.name}: ${x.error}`); }
    }
  }

  /** Writes a pending coalesced change to the file now (no-op if none). */
  flush(): void { if (this.pending) this.persist(); }

  private pending: NodeJS.Timeout | null = null;
  private failures = 0;

  private persistSoon(): void {
    if (this.opts.file === null || this.pending) return;
    this.pending = setTimeout(() => this.persist(), coalesceDelayMs(this.opts.persistDelayMs ?? 250, this.lastPersistMs));
    this.pending.unref();
  }

  /** How long the last file write held the event loop (serializing a large list is synchronous). */
  private lastPersistMs = 0;

  private persist(): void {
    if (this.pending) { clearTimeout(this.pending); this.pending = null; }
    const file = this.opts.file;
    if (file === null) return;
    const t0 = performance.now();
    try { this.writeFile(file); } finally { this.lastPersistMs = performance.now() - t0; }
  }

  private writeFile(file: string): void {
    const body: BanFile = { format: 'jirachi-bans', version: 1, bans: this.list() };
    // A temp name no other process picks (pids repeat across containers sharing a state dir).
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeDurably(tmp, JSON.stringify(body, null, 1));
      renameSync(tmp, file);
      syncDir(dirname(file));
      this.failures = 0;
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* never created */ }
      // Said on the first failure and then every 40th retry (~10 s), not every 250 ms.
      if (this.failures++ % 40 === 0) this.report(`cannot persist bans to ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; retrying`);
      this.persistSoon();
    }
  }
}

/** Writes `text` to a new file (mode 0600) and fsyncs it, so a rename after it never exposes an empty file. */
function writeDurably(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    const b = Buffer.from(text, 'utf8');
    for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
    fsyncSync(fd);
  } finally { closeSync(fd); }
}

/** Fsyncs a directory so a rename in it survives a power loss (best effort: some filesystems refuse). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try { fd = openSync(dir, 'r'); fsyncSync(fd); } catch { /* not supported here */ } finally { if (fd !== undefined) closeSync(fd); }
}

/**
 * Delay before a coalesced ban-file write: the configured delay, stretched so that writes hold the
 * event loop at most ~10 % of the time (100 000 bans take ~350 ms to serialize and write; at a fixed
 * 250 ms an auto-ban flood would stall the proxy most of the time).
 */
export function coalesceDelayMs(baseMs: number, lastWriteMs: number): number {
  return Math.max(baseMs, Math.ceil(9 * lastWriteMs));
}
