// TypeScript mirror of src/kernel/bpf/jirachi_shared.h: map names, sizes, flags, and value codecs.

import type { Ban, BanSource, Prefix } from '../../decisions/index.js';

/** Constants of jirachi_shared.h (layout.test.ts checks them against the header). */
export const SHARED = {
  JIRACHI_MAX_EXACT: 65536,
  JIRACHI_MAX_CIDR: 16384,
  JIRACHI_MAX_ALLOW: 4096,
  JIRACHI_MAX_RATE: 65536,
  JIRACHI_ADDR_LEN: 16,
  JIRACHI_V4_PREFIX_BITS: 96,
  JIRACHI_F_RATE_LIMIT: 1,
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
  jirachi_addr: { size: 16, fields: { addr: 0 } },
  jirachi_lpm_key: { size: 20, fields: { prefixlen: 0, addr: 4 } },
  jirachi_ban: {
    size: 96,
    fields: { expires_ns: 0, expires_ms: 8, created_ms: 16, source: 24, prefixlen: 25, reason_len: 26, pad: 27, reason: 32 },
  },
  jirachi_allow_entry: { size: 8, fields: { created_ms: 0 } },
  jirachi_config: { size: 24, fields: { rate_interval_ns: 0, rate_tolerance_ns: 8, flags: 16, pad: 20 } },
  jirachi_stats: { size: 40, fields: { passed: 0, dropped_ban: 8, dropped_rate: 16, allowlisted: 24, malformed: 32 } },
} as const;

/** Map names as pinned under the pin directory, and the program's pin name. */
export const MAP_NAMES = ['jirachi_exact', 'jirachi_cidr', 'jirachi_allow', 'jirachi_rate', 'jirachi_config', 'jirachi_stats'] as const;
/** One of MAP_NAMES. */
export type MapName = (typeof MAP_NAMES)[number];
/** The XDP program's function name in the object, also its pin name. */
export const PROG_NAME = 'jirachi_xdp';
/** Default pin directory. */
export const DEFAULT_PIN_DIR = '/sys/fs/bpf/jirachi';

const SOURCES: readonly BanSource[] = ['manual', 'auto', 'brain', 'config'];

/** 16-byte map address of a prefix (IPv4 as ::ffff:a.b.c.d) and its length in that space. */
export function keyOf(p: Prefix): { addr: Uint8Array; prefixlen: number } {
  if (p.family === 6) return { addr: Uint8Array.from(p.bytes), prefixlen: p.prefixLen };
  const addr = new Uint8Array(16);
  addr[10] = 0xff; addr[11] = 0xff; addr.set(p.bytes, 12);
  return { addr, prefixlen: SHARED.JIRACHI_V4_PREFIX_BITS + p.prefixLen };
}

/** The prefix a 16-byte map address and length stand for (an IPv4-mapped /96+n becomes IPv4 /n); host bits cleared. */
export function prefixOfKey(raw: Uint8Array, prefixlen: number): Prefix {
  const addr = Uint8Array.from(raw.subarray(0, 16));
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefixlen - i * 8));
    addr[i] = addr[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  let mapped = prefixlen >= SHARED.JIRACHI_V4_PREFIX_BITS && addr[10] === 0xff && addr[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (addr[i] !== 0) mapped = false;
  if (mapped) return { family: 4, bytes: addr.slice(12, 16), prefixLen: prefixlen - SHARED.JIRACHI_V4_PREFIX_BITS };
  return { family: 6, bytes: addr.slice(0, 16), prefixLen: prefixlen };
}

/**
 * Fast path for the common case, a plain canonical dotted-quad IPv4 address (no leading zeros, no
 * prefix): its 16-byte map address written into `out`. Returns false for anything else, which
 * the caller hands to parsePrefix. Never throws.
 */
export function fastV4Key(text: string, out: Uint8Array): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let part = 0, digits = 0, idx = 12;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255 || idx > 15) return false;
      out[idx++] = part; part = 0; digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false; // leading zero
      part = part * 10 + (c - 48); digits++;
      if (digits > 3) return false;
    } else return false;
  }
  if (idx !== 16) return false;
  out.fill(0, 0, 10); out[10] = 0xff; out[11] = 0xff;
  return true;
}

/** Encodes an LPM key (struct jirachi_lpm_key) into `out` (20 bytes). */
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

/**
 * Encodes a ban value (struct jirachi_ban) into `out` (96 bytes). `expiresNs` is the kernel's
 * CLOCK_MONOTONIC deadline (0n = permanent); the reason is cut to 64 bytes of UTF-8.
 */
export function encodeBan(ban: Ban, prefixlen: number, expiresNs: bigint, out: Buffer): Buffer {
  // Epoch ms fit in 53 bits: written as two 32-bit halves (no BigInt on the hot path).
  const u64 = (v: number, at: number): void => { out.writeUInt32LE(v % 0x1_0000_0000, at); out.writeUInt32LE(Math.floor(v / 0x1_0000_0000), at + 4); };
  out.writeBigUInt64LE(expiresNs, 0);
  u64(ban.expiresAt === null ? 0 : Math.max(1, Math.trunc(ban.expiresAt)), 8);
  u64(Math.max(0, Math.trunc(ban.createdAt)), 16);
  out[24] = Math.max(0, SOURCES.indexOf(ban.source));
  out[25] = prefixlen;
  out.fill(0, 27, 32 + SHARED.JIRACHI_REASON_LEN);
  // Buffer.write never writes a partial character, so the cut is on a character boundary.
  out[26] = out.write(ban.reason, 32, SHARED.JIRACHI_REASON_LEN, 'utf8');
  return out;
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

/** Encodes a rate configuration into `out` (24 bytes). pps ≥ 1, burst ≥ 1 when enabled. */
export function encodeConfig(rate: RateConfig, out: Buffer): Buffer {
  out.fill(0);
  if (!rate.enabled) return out;
  const interval = BigInt(Math.max(1, Math.round(1e9 / rate.pps)));
  out.writeBigUInt64LE(interval, 0);
  out.writeBigUInt64LE(interval * BigInt(Math.max(0, rate.burst - 1)), 8);
  out.writeUInt32LE(SHARED.JIRACHI_F_RATE_LIMIT, 16);
  return out;
}

/** Decodes struct jirachi_config. */
export function decodeConfig(v: Buffer): RateConfig {
  const enabled = (v.readUInt32LE(16) & SHARED.JIRACHI_F_RATE_LIMIT) !== 0;
  const interval = v.readBigUInt64LE(0);
  if (!enabled || interval === 0n) return { enabled: false, pps: 0, burst: 0 };
  return { enabled, pps: Math.round(1e9 / Number(interval)), burst: Number(v.readBigUInt64LE(8) / interval) + 1 };
}
