// Client IP: the socket peer, or, behind trusted proxies, the first untrusted X-Forwarded-For hop.

import { canonicalTarget, type Allowlist } from '../decisions/index.js';

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
 * The rate-limit key of a client address: an IPv4 address itself, an IPv6 address its /64 (one
 * subscriber usually holds a whole /64, so per-address buckets would let it rotate through 2^64
 * fresh buckets and churn the tracked-IP table).
 */
export function rateKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const c = canonicalTarget(`${ip}/64`);
  return c.ok ? c.value : ip;
}
