// MemoryBlocklist: the in-process BlocklistBackend (exact map + prefix list per family).

import { err, ok, systemClock, type Clock, type Result } from '../core/index.js';
import { formatPrefix, parsePrefix, prefixContains, type Prefix } from './address.js';
import type { Ban, BlocklistBackend, BlocklistStats } from './backend.js';

interface CidrEntry { readonly prefix: Prefix; readonly ban: Ban }

/**
 * Bans in memory. Exact lookups are O(1); CIDR lookups scan the prefixes of the address family,
 * longest first (ban lists with many CIDRs belong in the kernel's LPM trie).
 */
export class MemoryBlocklist implements BlocklistBackend {
  readonly name = 'memory';
  private readonly exact = new Map<string, Ban>();
  private cidrs: CidrEntry[] = [];
  constructor(private readonly clock: Clock = systemClock) {}

  add(ban: Ban): Result<void, string> {
    const p = parsePrefix(ban.target);
    if (!p.ok) return p;
    const target = formatPrefix(p.value);
    const stored: Ban = { ...ban, target };
    const full = p.value.family === 4 ? 32 : 128;
    if (p.value.prefixLen === full) this.exact.set(target, stored);
    else {
      this.cidrs = this.cidrs.filter((c) => c.ban.target !== target);
      this.cidrs.push({ prefix: p.value, ban: stored });
      this.cidrs.sort((a, b) => b.prefix.prefixLen - a.prefix.prefixLen);
    }
    return ok(undefined);
  }

  remove(target: string): Result<boolean, string> {
    const p = parsePrefix(target);
    if (!p.ok) return err(p.error);
    const t = formatPrefix(p.value);
    if (this.exact.delete(t)) return ok(true);
    const before = this.cidrs.length;
    this.cidrs = this.cidrs.filter((c) => c.ban.target !== t);
    return ok(this.cidrs.length !== before);
  }

  has(address: string): Ban | undefined {
    const now = this.clock.now();
    const live = (b: Ban | undefined): Ban | undefined => (b && (b.expiresAt === null || b.expiresAt > now) ? b : undefined);
    const hit = live(this.exact.get(address));
    if (hit) return hit;
    if (this.cidrs.length === 0 && this.exact.size === 0) return undefined;
    const p = parsePrefix(address);
    if (!p.ok) return undefined;
    const exact = live(this.exact.get(formatPrefix(p.value)));
    if (exact) return exact;
    for (const c of this.cidrs) if (prefixContains(c.prefix, p.value) && live(c.ban)) return c.ban;
    return undefined;
  }

  list(): Ban[] {
    const now = this.clock.now();
    return [...this.exact.values(), ...this.cidrs.map((c) => c.ban)].filter((b) => b.expiresAt === null || b.expiresAt > now);
  }

  /** Removes every ban. */
  clear(): void { this.exact.clear(); this.cidrs = []; }

  /** Removes every lapsed ban and returns them (exact and CIDR). */
  sweep(): Ban[] {
    const now = this.clock.now();
    const lapsed = (b: Ban): boolean => b.expiresAt !== null && b.expiresAt <= now;
    const out: Ban[] = [];
    for (const [k, b] of this.exact) if (lapsed(b)) { out.push(b); this.exact.delete(k); }
    const keep: CidrEntry[] = [];
    for (const c of this.cidrs) (lapsed(c.ban) ? out.push(c.ban) : keep.push(c));
    this.cidrs = keep;
    return out;
  }

  stats(): BlocklistStats {
    return { exact: this.exact.size, cidr: this.cidrs.length };
  }
}
