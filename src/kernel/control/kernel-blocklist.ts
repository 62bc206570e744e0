// KernelBlocklist: the BlocklistBackend whose bans live in the XDP program's pinned maps (per family: exact hash + LPM trie).

import { err, systemClock, type Clock, type Result } from '../../core/index.js';
import { formatPrefix, parsePrefix, type Ban, type BlocklistBackend, type BlocklistStats, type Prefix } from '../../decisions/index.js';
import { decodeBan, encodeBanHead, encodeBanReason, encodeLpmKey, FAMILY, fastV4Key, keyOf, prefixOfKey, STRUCTS, type BanValue, type Family, type MapName } from './layout.js';
import type { KernelMaps } from './maps.js';

/**
 * CLOCK_MONOTONIC in ms as a double, the clock bpf_ktime_get_ns() reads: Node's performance.now()
 * is uv_hrtime (CLOCK_MONOTONIC) minus the process's time origin, which is measured once here.
 */
const MONO_ORIGIN_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const monoNowMs = (): number => MONO_ORIGIN_MS + performance.now();

type BanMap = 'jirachi_exact4' | 'jirachi_exact6' | 'jirachi_cidr4' | 'jirachi_cidr6';

/**
 * Bans in the kernel's maps: an exact address goes to jirachi_exact4/6, a CIDR to jirachi_cidr4/6.
 * Each value carries the deadline twice: in CLOCK_MONOTONIC ns for the XDP program (so a lapsed
 * ban stops dropping with no user-space action) and in epoch ms, judged with `clock` here.
 * Not reentrant (reuses buffers); never throws. Caller owns `maps` unless it passes ownership to close().
 */
export class KernelBlocklist implements BlocklistBackend {
  readonly name = 'kernel';
  private readonly key4 = Buffer.alloc(STRUCTS.jirachi_addr4.size);
  private readonly key6 = Buffer.alloc(STRUCTS.jirachi_addr6.size);
  private readonly lpm4 = Buffer.alloc(STRUCTS.jirachi_lpm4_key.size);
  private readonly lpm6 = Buffer.alloc(STRUCTS.jirachi_lpm6_key.size);
  /** Read buffer (lookups, listing). */
  private readonly value = Buffer.alloc(STRUCTS.jirachi_ban.size);
  /** The hot path, one prepared syscall: an exact IPv4 ban from exact4.key and exact4.value. */
  private readonly exact4: { readonly key: Buffer; readonly value: Buffer; put(): Result<void, string> };
  /** Every ban written goes through exact4.value, and only through writeValue: the reason its bytes hold. */
  private written: string | undefined;

  constructor(readonly maps: KernelMaps, private readonly clock: Clock = systemClock) {
    this.exact4 = maps.slot('jirachi_exact4');
  }

  /**
   * Encodes `ban` into exact4.value (the one write buffer). The reason's bytes are rewritten only
   * when it differs from the last one written: bans in a burst share their reason, and the UTF-8
   * write is the costliest part of the encoding.
   */
  private writeValue(ban: Ban, prefixlen: number): Buffer {
    const out = this.exact4.value;
    encodeBanHead(ban, prefixlen, this.kernelDeadline(ban.expiresAt), out);
    if (ban.reason !== this.written) { encodeBanReason(ban.reason, out); this.written = ban.reason; }
    return out;
  }

  /** The kernel deadline (CLOCK_MONOTONIC ns) for an epoch-ms expiry, offset from this backend's clock. 0 = permanent. */
  private kernelDeadline(expiresAt: number | null): number {
    if (expiresAt === null) return 0;
    const leftMs = expiresAt - this.clock.now();
    if (leftMs <= 0) return 1; // already lapsed: never matches in the kernel
    return Math.ceil((monoNowMs() + leftMs) * 1e6);
  }

  /** Writes the exact key (family 4/6 buffer) or the LPM key of a prefix; returns the map and key to use. */
  private fill(p: Prefix): { map: BanMap; key: Buffer; prefixlen: number } {
    const k = keyOf(p), f = FAMILY[k.family];
    if (k.prefixlen === f.bits) {
      const key = k.family === 4 ? this.key4 : this.key6;
      key.set(k.addr);
      return { map: f.exact as BanMap, key, prefixlen: k.prefixlen };
    }
    const key = encodeLpmKey(k.addr, k.prefixlen, k.family === 4 ? this.lpm4 : this.lpm6);
    return { map: f.cidr as BanMap, key, prefixlen: k.prefixlen };
  }

  add(ban: Ban): Result<void, string> {
    if (fastV4Key(ban.target, this.exact4.key)) { // hot path: a plain IPv4 address, as auto-bans are
      this.writeValue(ban, 32);
      return this.exact4.put();
    }
    const p = parsePrefix(ban.target);
    if (!p.ok) return p;
    const { map, key, prefixlen } = this.fill(p.value);
    return this.maps.put(map, key, this.writeValue(ban, prefixlen));
  }

  remove(target: string): Result<boolean, string> {
    if (fastV4Key(target, this.key4)) return this.maps.delete('jirachi_exact4', this.key4);
    const p = parsePrefix(target);
    if (!p.ok) return err(p.error);
    const { map, key } = this.fill(p.value);
    return this.maps.delete(map, key);
  }

  private live(v: BanValue, now: number): boolean { return v.expiresMs === null || v.expiresMs > now; }

  private toBan(target: string, v: BanValue): Ban {
    return { target, reason: v.reason, source: v.source, createdAt: v.createdMs, expiresAt: v.expiresMs };
  }

  has(address: string): Ban | undefined {
    const p = parsePrefix(address);
    if (!p.ok) return undefined;
    const now = this.clock.now();
    const k = keyOf(p.value), f = FAMILY[k.family];
    if (k.prefixlen === f.bits) {
      const key = k.family === 4 ? this.key4 : this.key6;
      key.set(k.addr);
      if (this.maps.get(f.exact, key, this.value)) {
        const v = decodeBan(this.value);
        if (this.live(v, now)) return this.toBan(formatPrefix(p.value), v);
      }
    }
    // Longest prefix first; when that ban has lapsed, look again below it (the kernel does the same a few times).
    const lpm = k.family === 4 ? this.lpm4 : this.lpm6;
    for (let len = Math.min(k.prefixlen, f.bits - 1); len >= 0;) {
      encodeLpmKey(k.addr, len, lpm);
      if (!this.maps.get(f.cidr, lpm, this.value)) return undefined;
      const v = decodeBan(this.value);
      if (this.live(v, now)) return this.toBan(formatPrefix(prefixOfKey(k.addr, v.prefixlen)), v);
      if (v.prefixlen === 0 || v.prefixlen > len) return undefined;
      len = v.prefixlen - 1;
    }
    return undefined;
  }

  /** Every stored ban with its expiry state (lapsed ones included). */
  private entries(): Array<{ ban: Ban; lapsed: boolean; map: MapName; key: Buffer; exact: boolean }> {
    const now = this.clock.now();
    const out: Array<{ ban: Ban; lapsed: boolean; map: MapName; key: Buffer; exact: boolean }> = [];
    for (const family of [4, 6] as Family[]) {
      const f = FAMILY[family];
      for (const key of this.maps.keys(f.exact)) {
        if (!this.maps.get(f.exact, key, this.value)) continue;
        const v = decodeBan(this.value);
        out.push({ ban: this.toBan(formatPrefix(prefixOfKey(key, f.bits)), v), lapsed: !this.live(v, now), map: f.exact, key, exact: true });
      }
      for (const key of this.maps.keys(f.cidr)) {
        if (!this.maps.get(f.cidr, key, this.value)) continue;
        const v = decodeBan(this.value);
        const target = formatPrefix(prefixOfKey(key.subarray(4), key.readUInt32LE(0)));
        out.push({ ban: this.toBan(target, v), lapsed: !this.live(v, now), map: f.cidr, key, exact: false });
      }
    }
    return out;
  }

  list(): Ban[] {
    return this.entries().filter((e) => !e.lapsed).map((e) => e.ban);
  }

  /** Deletes every lapsed ban from the maps and returns them. */
  sweep(): Ban[] {
    const out: Ban[] = [];
    for (const e of this.entries()) {
      if (!e.lapsed) continue;
      const r = this.maps.delete(e.map, e.key);
      if (r.ok && r.value) out.push(e.ban);
    }
    return out;
  }

  stats(): BlocklistStats {
    let exact = 0, cidr = 0;
    for (const e of this.entries()) if (!e.lapsed) (e.exact ? exact++ : cidr++);
    return { exact, cidr };
  }
}
