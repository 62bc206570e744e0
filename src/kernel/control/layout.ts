// TypeScript mirror of src/kernel/bpf/jirachi_shared.h: map names, sizes, flags, and value codecs.

import type { Ban, BanSource, Prefix } from '../../decisions/index.js';

/** Constants of jirachi_shared.h (layout.test.ts checks them against the header). */
export const SHARED = {
  JIRACHI_MAX_EXACT: 65536,
  JIRACHI_MAX_CIDR: 16384,
  JIRACHI_MAX_ALLOW: 4096,
  JIRACHI_MAX_RATE: 65536,
  JIRACHI_ADDR4_LEN: 4,
  JIRACHI_ADDR6_LEN: 16,
  JIRACHI_F_RATE_LIMIT: 1,
  JIRACHI_F_ALLOW4: 2,
  JIRACHI_F_ALLOW6: 4,
  JIRACHI_LPM_FALLBACKS: 4,
  JIRACHI_SRC_MANUAL: 0,
  JIRACHI_SRC_AUTO: 1,
  JIRACHI_SRC_BRAIN: 2,
  JIRACHI_SRC_CONFIG: 3,
  JIRACHI_REASON_LEN: 64,
  JIRACHI_PARSE_OTHER: 0,
  JIRACHI_PARSE_IPV4: 4,
  JIRACHI_PARSE_IPV6: 6,
  JIRACHI_PARSE_MALFORMED: -1,
} as const;

/** Field offsets and sizes of the shared structs, in bytes (checked against the header). */
export const STRUCTS = {
  jirachi_addr4: { size: 4, fields: { addr: 0 } },
  jirachi_addr6: { size: 16, fields: { addr: 0 } },
  jirachi_lpm4_key: { size: 8, fields: { prefixlen: 0, addr: 4 } },
  jirachi_lpm6_key: { size: 20, fields: { prefixlen: 0, addr: 4 } },
  jirachi_ban: {
    size: 96,
    fields: { expires_ns: 0, expires_ms: 8, created_ms: 16, source: 24, prefixlen: 25, reason_len: 26, pad: 27, reason: 32 },
  },
  jirachi_allow_entry: { size: 8, fields: { created_ms: 0 } },
  jirachi_config: { size: 24, fields: { rate_interval_ns: 0, rate_tolerance_ns: 8, flags: 16, pad: 20 } },
  jirachi_stats: { size: 40, fields: { passed: 0, dropped_ban: 8, dropped_rate: 16, allowlisted: 24, malformed: 32 } },
} as const;

/** Map names as pinned under the pin directory (one set per address family), and the program's pin name. */
export const MAP_NAMES = [
  'jirachi_exact4', 'jirachi_exact6', 'jirachi_cidr4', 'jirachi_cidr6', 'jirachi_allow4', 'jirachi_allow6',
  'jirachi_rate4', 'jirachi_rate6', 'jirachi_config', 'jirachi_stats',
] as const;
/** One of MAP_NAMES. */
export type MapName = (typeof MAP_NAMES)[number];
/** An address family as the maps split them. */
export type Family = 4 | 6;
/** The maps of one family. */
export interface FamilyMaps { readonly exact: MapName; readonly cidr: MapName; readonly allow: MapName; readonly rate: MapName; readonly bits: number; readonly allowFlag: number }
/** Map names and address width per family. */
export const FAMILY: Readonly<Record<Family, FamilyMaps>> = {
  4: { exact: 'jirachi_exact4', cidr: 'jirachi_cidr4', allow: 'jirachi_allow4', rate: 'jirachi_rate4', bits: 32, allowFlag: SHARED.JIRACHI_F_ALLOW4 },
  6: { exact: 'jirachi_exact6', cidr: 'jirachi_cidr6', allow: 'jirachi_allow6', rate: 'jirachi_rate6', bits: 128, allowFlag: SHARED.JIRACHI_F_ALLOW6 },
};
/** The XDP program's function name in the object, also its pin name. */
export const PROG_NAME = 'jirachi_xdp';
/** Default pin directory. */
export const DEFAULT_PIN_DIR = '/sys/fs/bpf/jirachi';

const SOURCES: readonly BanSource[] = ['manual', 'auto', 'brain', 'config'];

/** Map address of a prefix (4 or 16 bytes, network order), its length and family. */
export function keyOf(p: Prefix): { family: Family; addr: Uint8Array; prefixlen: number } {
  return { family: p.family, addr: Uint8Array.from(p.bytes), prefixlen: p.prefixLen };
}

/** The prefix a map address (4 bytes: IPv4, 16: IPv6) and length stand for; host bits cleared. */
export function prefixOfKey(raw: Uint8Array, prefixlen: number): Prefix {
  const n = raw.length === 4 ? 4 : 16;
  const bytes = Uint8Array.from(raw.subarray(0, n));
  for (let i = 0; i < n; i++) {
    const bits = Math.max(0, Math.min(8, prefixlen - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return { family: n === 4 ? 4 : 6, bytes, prefixLen: Math.min(prefixlen, n * 8) };
}

/**
 * Fast path for the common case, a plain canonical dotted-quad IPv4 address (no leading zeros, no
 * prefix): its 4-byte map address written into `out`. Returns false for anything else, which the
 * caller hands to parsePrefix (`out` may then be partly written). Never throws.
 */
export function fastV4Key(text: string, out: Uint8Array): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let part = 0, digits = 0, idx = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255 || idx > 3) return false;
      out[idx++] = part; part = 0; digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false; // leading zero
      part = part * 10 + (c - 48); digits++;
      if (digits > 3) return false;
    } else return false;
  }
  return idx === 4;
}

/** Encodes an LPM key (struct jirachi_lpm4_key: 8 bytes, jirachi_lpm6_key: 20) into `out`. */
export function encodeLpmKey(addr: Uint8Array, prefixlen: number, out: Buffer): Buffer {
  out.writeUInt32LE(prefixlen, 0);
  out.set(addr, 4);
  return out;
}

/** Cuts UTF-8 text to at most `max` bytes without splitting a character. */
export function utf8Prefix(text: string, max: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= max) return b;
  let n = max;
  while (n > 0 && (b[n]! & 0xc0) === 0x80) n--;
  return b.subarray(0, n);
}

/** Writes a non-negative integer below 2^64 (exact below 2^53) as a little-endian u64, without BigInt. */
function writeU64(out: Buffer, v: number, at: number): void {
  out.writeUInt32LE(v % 0x1_0000_0000, at);
  out.writeUInt32LE(Math.floor(v / 0x1_0000_0000) % 0x1_0000_0000, at + 4);
}

/**
 * Encodes a ban value (struct jirachi_ban) into `out` (96 bytes). `expiresNs` is the kernel's
 * CLOCK_MONOTONIC deadline in ns as a non-negative integer (0 = permanent); the reason is cut to
 * 64 bytes of UTF-8. No BigInt and no allocation: this is on the path of every ban.
 */
export function encodeBan(ban: Ban, prefixlen: number, expiresNs: number, out: Buffer): Buffer {
  encodeBanHead(ban, prefixlen, expiresNs, out);
  encodeBanReason(ban.reason, out);
  return out;
}

/** Writes every field of a ban value except the reason (bytes 0..25): encodeBan without its reason part. */
export function encodeBanHead(ban: Ban, prefixlen: number, expiresNs: number, out: Buffer): void {
  writeU64(out, expiresNs, 0);
  writeU64(out, ban.expiresAt === null ? 0 : Math.max(1, Math.trunc(ban.expiresAt)), 8);
  writeU64(out, Math.max(0, Math.trunc(ban.createdAt)), 16);
  out[24] = Math.max(0, SOURCES.indexOf(ban.source));
  out[25] = prefixlen;
}

/** Writes the reason (length byte 26, padding, UTF-8 bytes 32..95, zero-filled): the rest of encodeBan. */
export function encodeBanReason(reason: string, out: Buffer): void {
  out.fill(0, 27, 32 + SHARED.JIRACHI_REASON_LEN);
  // Buffer.write never writes a partial character, so the cut is on a character boundary.
  out[26] = out.write(reason, 32, SHARED.JIRACHI_REASON_LEN, 'utf8');
}

/** A ban value as read from a map. */
export interface BanValue {
  readonly expiresNs: bigint;
  readonly expiresMs: number | null;
  readonly createdMs: number;
  readonly source: BanSource;
  readonly prefixlen: number;
  readonly reason: string;
}

/** Decodes a ban value (struct jirachi_ban). Never throws for a 96-byte buffer. */
export function decodeBan(v: Buffer): BanValue {
  const expiresMs = Number(v.readBigUInt64LE(8));
  const len = Math.min(v[26]!, SHARED.JIRACHI_REASON_LEN);
  return {
    expiresNs: v.readBigUInt64LE(0),
    expiresMs: expiresMs === 0 ? null : expiresMs,
    createdMs: Number(v.readBigUInt64LE(16)),
    source: SOURCES[v[24]!] ?? 'manual',
    prefixlen: v[25]!,
    reason: v.subarray(32, 32 + len).toString('utf8'),
  };
}

/** Packet counters of the program (struct jirachi_stats), summed over CPUs. */
export interface KernelCounters {
  passed: bigint;
  droppedBan: bigint;
  droppedRate: bigint;
  allowlisted: bigint;
  malformed: bigint;
}

/** Sums the per-CPU values of jirachi_stats (each CPU's value is 40 bytes padded to 8). */
export function sumCounters(buf: Buffer, ncpu: number): KernelCounters {
  const c: KernelCounters = { passed: 0n, droppedBan: 0n, droppedRate: 0n, allowlisted: 0n, malformed: 0n };
  const stride = STRUCTS.jirachi_stats.size;
  for (let i = 0; i < ncpu; i++) {
    const o = i * stride;
    c.passed += buf.readBigUInt64LE(o);
    c.droppedBan += buf.readBigUInt64LE(o + 8);
    c.droppedRate += buf.readBigUInt64LE(o + 16);
    c.allowlisted += buf.readBigUInt64LE(o + 24);
    c.malformed += buf.readBigUInt64LE(o + 32);
  }
  return c;
}

/** Rate-limit configuration (struct jirachi_config). */
export interface RateConfig {
  readonly enabled: boolean;
  /** Packets per second per source; 0 when disabled. */
  readonly pps: number;
  readonly burst: number;
}

/** Encodes a rate configuration into `out` (24 bytes), keeping `otherFlags` (the allowlist bits). pps ≥ 1, burst ≥ 1 when enabled. */
export function encodeConfig(rate: RateConfig, out: Buffer, otherFlags = 0): Buffer {
  out.fill(0);
  const keep = otherFlags & ~SHARED.JIRACHI_F_RATE_LIMIT;
  out.writeUInt32LE(keep, 16);
  if (!rate.enabled) return out;
  const interval = BigInt(Math.max(1, Math.round(1e9 / rate.pps)));
  out.writeBigUInt64LE(interval, 0);
  out.writeBigUInt64LE(interval * BigInt(Math.max(0, rate.burst - 1)), 8);
  out.writeUInt32LE(keep | SHARED.JIRACHI_F_RATE_LIMIT, 16);
  return out;
}

/** Decodes struct jirachi_config's rate part. */
export function decodeConfig(v: Buffer): RateConfig {
  const enabled = (v.readUInt32LE(16) & SHARED.JIRACHI_F_RATE_LIMIT) !== 0;
  const interval = v.readBigUInt64LE(0);
  if (!enabled || interval === 0n) return { enabled: false, pps: 0, burst: 0 };
  return { enabled, pps: Math.round(1e9 / Number(interval)), burst: Number(v.readBigUInt64LE(8) / interval) + 1 };
}
