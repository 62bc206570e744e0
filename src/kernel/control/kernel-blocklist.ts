// KernelBlocklist: the BlocklistBackend whose bans live in the XDP program's pinned maps (exact hash + LPM trie).

import { err, ok, systemClock, type Clock, type Result } from '../../core/index.js';
import { formatPrefix, parsePrefix, type Ban, type BlocklistBackend, type BlocklistStats, type Prefix } from '../../decisions/index.js';
import { decodeBan, encodeBan, encodeLpmKey, fastV4Key, keyOf, prefixOfKey, STRUCTS, type BanValue } from './layout.js';
import type { KernelMaps } from './maps.js';

/** Real CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads. */
const monoNow = (): bigint => process.hrtime.bigint();

/**
 * Bans in the kernel's maps: an exact address goes to jirachi_exact, a CIDR to jirachi_cidr.
 * Each value carries the deadline twice: in CLOCK_MONOTONIC ns for the XDP program (so a lapsed
 * ban stops dropping with no user-space action) and in epoch ms, judged with `clock` here.
 * Not reentrant (reuses buffers); never throws. Caller owns `maps` unless it passes ownership to close().
 */
export class KernelBlocklist implements BlocklistBackend {
  readonly name = 'kernel';
  private readonly addrKey = Buffer.alloc(STRUCTS.jirachi_addr.size);
  private readonly lpmKey = Buffer.alloc(STRUCTS.jirachi_lpm_key.size);
  private readonly value = Buffer.alloc(STRUCTS.jirachi_ban.size);

  constructor(readonly maps: KernelMaps, private readonly clock: Clock = systemClock) {}

  /** The kernel deadline for an epoch-ms expiry, offset from this backend's clock. 0n = permanent. */
  private kernelDeadline(expiresAt: number | null): bigint {
    if (expiresAt === null) return 0n;
    const leftMs = expiresAt - this.clock.now();
    if (leftMs <= 0) return 1n; // already lapsed: never matches in the kernel
    return monoNow() + BigInt(Math.ceil(leftMs * 1e6));
  }

  private fill(p: Prefix): { exact: boolean; prefixlen: number } {
    const k = keyOf(p);
    if (k.prefixlen === 128) this.addrKey.set(k.addr);
    else encodeLpmKey(k.addr, k.prefixlen, this.lpmKey);
    return { exact: k.prefixlen === 128, prefixlen: k.prefixlen };
  }

  add(ban: Ban): Result<void, string> {
    if (fastV4Key(ban.target, this.addrKey)) { // hot path: a plain IPv4 address, as auto-bans are
      encodeBan(ban, 128, this.kernelDeadline(ban.expiresAt), this.value);
      return this.maps.put('jirachi_exact', this.addrKey, this.value);
    }
    const p = parsePrefix(ban.target);
    if (!p.ok) return p;
    const { exact, prefixlen } = this.fill(p.value);
    encodeBan(ban, prefixlen, this.kernelDeadline(ban.expiresAt), this.value);
    return exact ? this.maps.put('jirachi_exact', this.addrKey, this.value) : this.maps.put('jirachi_cidr', this.lpmKey, this.value);
  }

  remove(target: string): Result<boolean, string> {
    if (fastV4Key(target, this.addrKey)) return this.maps.delete('jirachi_exact', this.addrKey);
    const p = parsePrefix(target);
    if (!p.ok) return err(p.error);
    const { exact } = this.fill(p.value);
    return exact ? this.maps.delete('jirachi_exact', this.addrKey) : this.maps.delete('jirachi_cidr', this.lpmKey);
  }

  private live(v: BanValue, now: number): boolean { return v.expiresMs === null || v.expiresMs > now; }

  private toBan(target: string, v: BanValue): Ban {
    return { target, reason: v.reason, source: v.source, createdAt: v.createdMs, expiresAt: v.expiresMs };
  }

  has(address: string): Ban | undefined {
    const p = parsePrefix(address);
    if (!p.ok) return undefined;
    const now = this.clock.now();
    const k = keyOf(p.value);
    this.addrKey.set(k.addr);
    if (k.prefixlen === 128 && this.maps.get('jirachi_exact', this.addrKey, this.value)) {
      const v = decodeBan(this.value);
      if (this.live(v, now)) return this.toBan(formatPrefix(p.value), v);
    }
    // Longest prefix first; when that ban has lapsed, look again below it (the kernel only sees the longest).
    for (let len = Math.min(k.prefixlen, 127); len >= 0;) {
      encodeLpmKey(k.addr, len, this.lpmKey);
      if (!this.maps.get('jirachi_cidr', this.lpmKey, this.value)) return undefined;
      const v = decodeBan(this.value);
      if (this.live(v, now)) return this.toBan(formatPrefix(prefixOfKey(k.addr, v.prefixlen)), v);
      len = v.prefixlen - 1;
    }
    return undefined;
  }

  /** Every stored ban with its expiry state (lapsed ones included). */
  private entries(): Array<{ ban: Ban; lapsed: boolean; map: 'jirachi_exact' | 'jirachi_cidr'; key: Buffer }> {
    const now = this.clock.now();
    const out: Array<{ ban: Ban; lapsed: boolean; map: 'jirachi_exact' | 'jirachi_cidr'; key: Buffer }> = [];
    for (const key of this.maps.keys('jirachi_exact')) {
      if (!this.maps.get('jirachi_exact', key, this.value)) continue;
      const v = decodeBan(this.value);
      out.push({ ban: this.toBan(formatPrefix(prefixOfKey(key, 128)), v), lapsed: !this.live(v, now), map: 'jirachi_exact', key });
    }
    for (const key of this.maps.keys('jirachi_cidr')) {
      if (!this.maps.get('jirachi_cidr', key, this.value)) continue;
      const v = decodeBan(this.value);
      const target = formatPrefix(prefixOfKey(key.subarray(4), key.readUInt32LE(0)));
      out.push({ ban: this.toBan(target, v), lapsed: !this.live(v, now), map: 'jirachi_cidr', key });
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
    for (const e of this.entries()) if (!e.lapsed) (e.map === 'jirachi_exact' ? exact++ : cidr++);
    return { exact, cidr };
  }
}
