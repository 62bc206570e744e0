// Allowlist: addresses and CIDRs that are never banned, rate limited or blocked by the kernel.

import { parsePrefix, prefixContains, type Prefix } from './address.js';

/** A compiled allowlist. Targets must already be valid (config validation checks them). */
export class Allowlist {
  private readonly exact = new Set<string>();
  private readonly prefixes: Prefix[] = [];

  constructor(targets: readonly string[]) {
    for (const t of targets) {
      const p = parsePrefix(t);
      if (!p.ok) continue;
      if (p.value.prefixLen === (p.value.family === 4 ? 32 : 128)) this.exact.add(Array.from(p.value.bytes).join(','));
      else this.prefixes.push(p.value);
    }
  }

  /** True if `ip` is allowlisted. Never throws; an unparsable address is not allowlisted. */
  has(ip: string): boolean {
    if (this.exact.size === 0 && this.prefixes.length === 0) return false;
    const p = parsePrefix(ip);
    if (!p.ok) return false;
    if (this.exact.has(Array.from(p.value.bytes).join(','))) return true;
    return this.prefixes.some((x) => prefixContains(x, p.value));
  }

  /** True if the list is empty. */
  get empty(): boolean { return this.exact.size === 0 && this.prefixes.length === 0; }
}
