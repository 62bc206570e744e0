// IP addresses and CIDR prefixes as bytes: parse, canonicalize, match. Pure.

import { isIPv4, isIPv6 } from 'node:net';
import { err, ok, type Result } from '../core/index.js';

/** An address or prefix: 4 bytes (IPv4) or 16 bytes (IPv6), and a prefix length in bits. */
export interface Prefix {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefixLen: number;
}

function v4Bytes(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map((p) => Number(p)));
}

function v6Bytes(s: string): Uint8Array {
  let text = s;
  const out = new Uint8Array(16);
  // Trailing embedded IPv4 (::ffff:1.2.3.4).
  const lastColon = text.lastIndexOf(':');
  let tail: number[] = [];
  if (text.slice(lastColon + 1).includes('.')) {
    const b = v4Bytes(text.slice(lastColon + 1));
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    text = text.slice(0, lastColon + 1) + '0';
  }
  const [head, rest] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head === '' ? [] : head.split(':').map((x) => parseInt(x, 16));
  const r = rest === undefined || rest === '' ? [] : rest.split(':').map((x) => parseInt(x, 16));
  if (tail.length) { (r.length ? r : h).pop(); }
  const groups = rest === undefined ? [...h, ...tail] : [...h, ...new Array(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail];
  groups.forEach((g, i) => { out[i * 2] = (g >> 8) & 0xff; out[i * 2 + 1] = g & 0xff; });
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * Parses one address (`1.2.3.4`, `::1`, `::ffff:1.2.3.4` → IPv4) or CIDR (`10.0.0.0/8`, `2001:db8::/32`).
 * An IPv4-mapped prefix `::ffff:a.b.c.d/n` (n >= 96) becomes the IPv4 prefix `a.b.c.d/(n-96)`, as a
 * mapped address becomes its IPv4 address; a mapped prefix shorter than /96 is an error. Host bits
 * beyond the prefix are cleared. Never throws; the error names what is wrong.
 */
export function parsePrefix(text: string): Result<Prefix, string> {
  const s = text.trim();
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? undefined : s.slice(slash + 1);
  let family: 4 | 6;
  let bytes: Uint8Array;
  if (isIPv4(addr)) { family = 4; bytes = v4Bytes(addr); }
  else if (isIPv6(addr) && !addr.includes('%')) {
    bytes = v6Bytes(addr); family = 6;
  } else return err(`not an IP address or CIDR: ${JSON.stringify(s.slice(0, 60))}`);
  const max = family === 4 ? 32 : 128;
  let prefixLen = max;
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return err(`bad prefix length /${lenText.slice(0, 10)} for IPv${family} (0..${max})`);
    prefixLen = Number(lenText);
  }
  // Clients on IPv4-mapped addresses are matched as IPv4, so a mapped prefix must become an IPv4 one.
  if (family === 6 && isV4Mapped(bytes)) {
    if (prefixLen < 96) return err(`IPv4-mapped prefix ${JSON.stringify(s.slice(0, 60))} is shorter than /96: it would cover more than the mapped IPv4 range; write the IPv4 range (a.b.c.d/n) instead`);
    family = 4; bytes = bytes.slice(12); prefixLen -= 96;
  }
  return ok({ family, bytes: maskBytes(bytes, prefixLen), prefixLen });
}

function maskBytes(b: Uint8Array, len: number): Uint8Array {
  const out = Uint8Array.from(b);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    out[i] = out[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Canonical text of a prefix: `1.2.3.4` for a full-length address, `10.0.0.0/8` otherwise. */
export function formatPrefix(p: Prefix): string {
  const max = p.family === 4 ? 32 : 128;
  let a: string;
  if (p.family === 4) a = Array.from(p.bytes).join('.');
  else {
    const g: string[] = [];
    for (let i = 0; i < 16; i += 2) g.push(((p.bytes[i]! << 8) | p.bytes[i + 1]!).toString(16));
    a = compressV6(g);
  }
  return p.prefixLen === max ? a : `${a}/${p.prefixLen}`;
}

function compressV6(g: string[]): string {
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== '0') { i++; continue; }
    let j = i; while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

/** Canonicalizes an address or CIDR string, or returns the parse error. Never throws. */
export function canonicalTarget(text: string): Result<string, string> {
  const p = parsePrefix(text);
  return p.ok ? ok(formatPrefix(p.value)) : p;
}

/** True if `addr` (a full address) lies inside `prefix`. Families must match. */
export function prefixContains(prefix: Prefix, addr: Prefix): boolean {
  if (prefix.family !== addr.family) return false;
  const full = Math.floor(prefix.prefixLen / 8);
  for (let i = 0; i < full; i++) if (prefix.bytes[i] !== addr.bytes[i]) return false;
  const rem = prefix.prefixLen % 8;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (prefix.bytes[full]! & mask) === (addr.bytes[full]! & mask);
}
