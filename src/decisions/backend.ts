// The BlocklistBackend seam: where bans live (process memory, the kernel's BPF maps, ...).

import type { Result } from '../core/index.js';

/** Who created a ban. */
export type BanSource = 'manual' | 'auto' | 'brain' | 'config';

/** One ban: an address or CIDR (canonical text), why, and until when. */
export interface Ban {
  /** Canonical address (`1.2.3.4`, `2001:db8::1`) or CIDR (`10.0.0.0/8`). */
  readonly target: string;
  readonly reason: string;
  readonly source: BanSource;
  /** Epoch ms when created. */
  readonly createdAt: number;
  /** Epoch ms when the ban lapses; null for permanent. */
  readonly expiresAt: number | null;
}

/** Counts a backend reports. */
export interface BlocklistStats {
  readonly exact: number;
  readonly cidr: number;
}

/**
 * A store of bans. Implementations: MemoryBlocklist (here), KernelBlocklist (src/kernel/control).
 * All methods are synchronous and never throw for bad input; I/O failures come back as errors.
 * `has` ignores expired bans (expiry is judged with the backend's clock); `list` omits them.
 */
export interface BlocklistBackend {
  readonly name: string;
  /** Adds or replaces the ban on `ban.target`. */
  add(ban: Ban): Result<void, string>;
  /** Removes the ban on exactly this target; true if one was there. */
  remove(target: string): Result<boolean, string>;
  /** The ban that covers this address (exact first, then the longest CIDR), if any. */
  has(address: string): Ban | undefined;
  list(): Ban[];
  stats(): BlocklistStats;
}
