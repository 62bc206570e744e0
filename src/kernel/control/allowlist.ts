// The kernel allowlist (LPM trie that wins over every ban and the rate limit) and the rate-limit setting.

import { err, ok, type Result } from '../../core/index.js';
import { formatPrefix, parsePrefix } from '../../decisions/index.js';
import { decodeConfig, encodeConfig, encodeLpmKey, keyOf, prefixOfKey, STRUCTS, type RateConfig } from './layout.js';
import type { KernelMaps } from './maps.js';

/** Adds an address or CIDR to the kernel allowlist. Never throws. */
export function allowAdd(maps: KernelMaps, target: string, nowMs: number): Result<string, string> {
  const p = parsePrefix(target);
  if (!p.ok) return p;
  const k = keyOf(p.value);
  const v = Buffer.alloc(STRUCTS.jirachi_allow_entry.size);
  v.writeBigUInt64LE(BigInt(Math.max(0, Math.trunc(nowMs))), 0);
  const r = maps.put('jirachi_allow', encodeLpmKey(k.addr, k.prefixlen, Buffer.alloc(STRUCTS.jirachi_lpm_key.size)), v);
  return r.ok ? ok(formatPrefix(p.value)) : r;
}

/** Removes exactly this allowlist entry; ok(false) when absent. Never throws. */
export function allowRemove(maps: KernelMaps, target: string): Result<boolean, string> {
  const p = parsePrefix(target);
  if (!p.ok) return err(p.error);
  const k = keyOf(p.value);
  return maps.delete('jirachi_allow', encodeLpmKey(k.addr, k.prefixlen, Buffer.alloc(STRUCTS.jirachi_lpm_key.size)));
}

/** The allowlist entries as canonical targets. */
export function allowList(maps: KernelMaps): string[] {
  return maps.keys('jirachi_allow').map((key) => formatPrefix(prefixOfKey(key.subarray(4), key.readUInt32LE(0))));
}

/** Reads the rate-limit setting. */
export function readRate(maps: KernelMaps): RateConfig {
  const v = Buffer.alloc(STRUCTS.jirachi_config.size);
  if (!maps.get('jirachi_config', Buffer.alloc(4), v)) return { enabled: false, pps: 0, burst: 0 };
  return decodeConfig(v);
}

/**
 * Sets the per-source rate limit: `pps` packets per second with bursts of `burst` packets, or off
 * (pps 0). Takes effect on the next packet. Never throws.
 */
export function writeRate(maps: KernelMaps, pps: number, burst: number): Result<RateConfig, string> {
  if (!Number.isFinite(pps) || pps < 0 || pps > 1e9) return err(`bad rate ${pps}: packets per second 0..1e9 (0 turns it off)`);
  if (pps > 0 && (!Number.isInteger(burst) || burst < 1 || burst > 1e7)) return err(`bad burst ${burst}: 1..1e7 packets`);
  const cfg: RateConfig = pps === 0 ? { enabled: false, pps: 0, burst: 0 } : { enabled: true, pps, burst };
  const r = maps.put('jirachi_config', Buffer.alloc(4), encodeConfig(cfg, Buffer.alloc(STRUCTS.jirachi_config.size)));
  return r.ok ? ok(readRate(maps)) : r;
}
