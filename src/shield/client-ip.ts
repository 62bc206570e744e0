// Client IP: the socket peer, or, behind trusted proxies, the first untrusted X-Forwarded-For hop.

import { canonicalTarget, formatPrefix, parsePrefix, type Allowlist } from '../decisions/index.js';

/**
 * Returns the client address. If the peer is a trusted proxy, walks X-Forwarded-For from the right,
 * skipping trusted hops, and returns the first untrusted one (or the leftmost if all are trusted).
 * Never trusts X-Forwarded-For from an untrusted peer. Strips the IPv4-mapped IPv6 prefix.
 */
export function resolveClientIp(peer: string | undefined, xff: string | undefined, trusted: Allowlist): string {
  const p = unmap(peer ?? '0.0.0.0');
  if (xff === undefined || trusted.empty || !trusted.has(p)) return p;
  const hops = xff.split(',').map((h) => h.trim()).filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = unmap(hops[i]!);
    if (!trusted.has(h)) return h;
  }
  return hops.length ? unmap(hops[0]!) : p;
}

function unmap(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * The rate-limit key of a client address: an IPv4 address itself; an IPv6 address its /64 (one
 * subscriber usually holds a whole /64, so per-address buckets would let it rotate through 2^64
 * fresh buckets and churn the tracked-IP table), except addresses that embed an IPv4 client
 * (IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`: keyed by that IPv4
 * address) and addresses inside `::/64` (loopback and compatibility forms: the address itself).
 */
export function rateKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const p = parsePrefix(ip);
  if (!p.ok) return ip;
  const b = p.value.bytes;
  if (p.value.family === 4) return formatPrefix(p.value);
  const embedded = (b[0] === 0 && b.subarray(1, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    || (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && (b.subarray(4, 12).every((x) => x === 0) || (b[4] === 0 && b[5] === 1)));
  if (embedded) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  if (b.subarray(0, 8).every((x) => x === 0)) return formatPrefix(p.value);
  const c = canonicalTarget(`${ip}/64`);
  return c.ok ? c.value : ip;
}
