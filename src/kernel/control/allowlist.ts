// The kernel allowlist (per-family LPM tries that win over every ban and the rate limit), its "non-empty" flags, and the rate-limit setting.

import { err, ok, type Result } from '../../core/index.js';
import { formatPrefix, parsePrefix } from '../../decisions/index.js';
import { decodeConfig, encodeConfig, encodeLpmKey, FAMILY, keyOf, prefixOfKey, SHARED, STRUCTS, type Family, type RateConfig } from './layout.js';
import type { KernelMaps } from './maps.js';

const ZERO = Buffer.alloc(4);
const ALLOW_BITS = SHARED.JIRACHI_F_ALLOW4 | SHARED.JIRACHI_F_ALLOW6;

function readConfig(maps: KernelMaps): Buffer {
  const v = Buffer.alloc(STRUCTS.jirachi_config.size);
  if (!maps.get('jirachi_config', ZERO, v)) v.fill(0);
  return v;
}

/** Sets or clears allowlist bits in jirachi_config.flags, keeping the rest. */
function writeAllowBits(maps: KernelMaps, bits: number): Result<void, string> {
  const v = readConfig(maps);
  const flags = v.readUInt32LE(16);
  if ((flags & ALLOW_BITS) === bits) return ok(undefined);
  v.writeUInt32LE((flags & ~ALLOW_BITS) | bits, 16);
  return maps.put('jirachi_config', ZERO, v);
}

/**
 * Makes the allowlist bits of jirachi_config say which families' allowlists hold entries (the
 * program skips the allowlist of a family whose bit is clear). Writers race only with other
 * processes editing the allowlist or rate at the same moment: the bits are re-derived from the
 * maps after each write until they agree (at most 3 passes), so the outcome is right once every
 * writer is done; the window in which an entry exists while its bit is clear is one such pass.
 */
export function syncAllowFlags(maps: KernelMaps): Result<void, string> {
  for (let pass = 0; pass < 3; pass++) {
    const want = (maps.isEmpty('jirachi_allow4') ? 0 : SHARED.JIRACHI_F_ALLOW4) | (maps.isEmpty('jirachi_allow6') ? 0 : SHARED.JIRACHI_F_ALLOW6);
    if ((readConfig(maps).readUInt32LE(16) & ALLOW_BITS) === want) return ok(undefined);
    const r = writeAllowBits(maps, want);
    if (!r.ok) return r;
  }
  return ok(undefined);
}

function lpmKey(family: Family, addr: Uint8Array, prefixlen: number): Buffer {
  return encodeLpmKey(addr, prefixlen, Buffer.alloc(family === 4 ? STRUCTS.jirachi_lpm4_key.size : STRUCTS.jirachi_lpm6_key.size));
}

/**
 * Adds an address or CIDR to the kernel allowlist. The family's flag is set before the entry is
 * written (a set flag with an empty trie only costs a lookup), so the entry is never invisible.
 * Never throws.
 */
export function allowAdd(maps: KernelMaps, target: string, nowMs: number): Result<string, string> {
  const p = parsePrefix(target);
  if (!p.ok) return p;
  const k = keyOf(p.value), f = FAMILY[k.family];
  const flag = writeAllowBits(maps, (readConfig(maps).readUInt32LE(16) & ALLOW_BITS) | f.allowFlag);
  if (!flag.ok) return flag;
  const v = Buffer.alloc(STRUCTS.jirachi_allow_entry.size);
  v.writeBigUInt64LE(BigInt(Math.max(0, Math.trunc(nowMs))), 0);
  const r = maps.put(f.allow, lpmKey(k.family, k.addr, k.prefixlen), v);
  const s = syncAllowFlags(maps);
  if (!r.ok) return r;
  return s.ok ? ok(formatPrefix(p.value)) : s;
}

/** Removes exactly this allowlist entry (clearing the family's flag when its trie is now empty); ok(false) when absent. Never throws. */
export function allowRemove(maps: KernelMaps, target: string): Result<boolean, string> {
  const p = parsePrefix(target);
  if (!p.ok) return err(p.error);
  const k = keyOf(p.value);
  const r = maps.delete(FAMILY[k.family].allow, lpmKey(k.family, k.addr, k.prefixlen));
  if (!r.ok) return r;
  const s = syncAllowFlags(maps);
  return s.ok ? r : s;
}

/** The allowlist entries as canonical targets (IPv4 first). */
export function allowList(maps: KernelMaps): string[] {
  return (['jirachi_allow4', 'jirachi_allow6'] as const).flatMap((name) =>
    maps.keys(name).map((key) => formatPrefix(prefixOfKey(key.subarray(4), key.readUInt32LE(0)))));
}

/** Reads the rate-limit setting. */
export function readRate(maps: KernelMaps): RateConfig {
  return decodeConfig(readConfig(maps));
}

/**
 * Sets the per-source rate limit: `pps` packets per second with bursts of `burst` packets, or off
 * (pps 0), keeping the allowlist flags. Takes effect on the next packet. Never throws.
 */
export function writeRate(maps: KernelMaps, pps: number, burst: number): Result<RateConfig, string> {
  if (!Number.isFinite(pps) || pps < 0 || pps > 1e9) return err(`bad rate ${pps}: packets per second 0..1e9 (0 turns it off)`);
  if (pps > 0 && (!Number.isInteger(burst) || burst < 1 || burst > 1e7)) return err(`bad burst ${burst}: 1..1e7 packets`);
  const cfg: RateConfig = pps === 0 ? { enabled: false, pps: 0, burst: 0 } : { enabled: true, pps, burst };
  const flags = readConfig(maps).readUInt32LE(16);
  const r = maps.put('jirachi_config', ZERO, encodeConfig(cfg, Buffer.alloc(STRUCTS.jirachi_config.size), flags));
  if (!r.ok) return r;
  const s = syncAllowFlags(maps);
  return s.ok ? ok(readRate(maps)) : s;
}
