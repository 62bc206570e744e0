// Crafted Ethernet frames (IPv4 with options/fragments, IPv6, VLAN, ARP, truncated) for BPF_PROG_TEST_RUN tests and benchmarks.

import { parsePrefix } from '../../decisions/index.js';

const MAC_DST = [0x02, 0, 0, 0, 0, 0x02], MAC_SRC = [0x02, 0, 0, 0, 0, 0x01];

/** Options of a crafted frame. */
export interface FrameOptions {
  /** VLAN tags to insert, outermost first (TPID 0x8100 or 0x88a8). */
  readonly vlans?: readonly number[];
  /** IPv4 option bytes (padded to 4). */
  readonly ipv4Options?: number;
  /** IPv4 flags+fragment offset field (e.g. 0x2000 = more fragments, 0x0010 = offset 128). */
  readonly fragment?: number;
  /** Override of the IPv4 version/IHL byte. */
  readonly versionIhl?: number;
  /** Cut the frame to this many bytes. */
  readonly truncate?: number;
}

function addrBytes(text: string): Uint8Array {
  const p = parsePrefix(text);
  if (!p.ok) throw new Error(p.error);
  return p.value.bytes;
}

function ether(type: number, vlans: readonly number[]): number[] {
  const out = [...MAC_DST, ...MAC_SRC];
  vlans.forEach((tpid, i) => out.push(tpid >> 8, tpid & 0xff, 0, 10 + i));
  out.push(type >> 8, type & 0xff);
  return out;
}

/** A UDP datagram from `src` to `dst` (IPv4 or IPv6 by the address family). Throws on bad addresses (test input). */
export function udpFrame(src: string, dst: string, o: FrameOptions = {}): Buffer {
  const s = addrBytes(src), d = addrBytes(dst);
  const udp = [0x27, 0x10, 0x00, 0x09, 0, 12, 0, 0, 0x6a, 0x69, 0x72, 0x61];
  let bytes: number[];
  if (s.length === 4) {
    const opt = o.ipv4Options ?? 0;
    const hlen = 20 + Math.ceil(opt / 4) * 4;
    const total = hlen + udp.length;
    const ip = [o.versionIhl ?? (0x40 | (hlen / 4)), 0, total >> 8, total & 0xff, 0, 1,
      (o.fragment ?? 0) >> 8, (o.fragment ?? 0) & 0xff, 64, 17, 0, 0, ...s, ...d];
    for (let i = 20; i < hlen; i++) ip.push(i === 20 ? 0x94 : 1); // router alert, then NOPs
    bytes = [...ether(0x0800, o.vlans ?? []), ...ip, ...udp];
  } else {
    const ip = [0x60, 0, 0, 0, 0, udp.length, 17, 64, ...s, ...d];
    bytes = [...ether(0x86dd, o.vlans ?? []), ...ip, ...udp];
  }
  const buf = Buffer.from(bytes);
  return o.truncate === undefined ? buf : buf.subarray(0, o.truncate);
}

/** An ARP request frame (not IP). */
export function arpFrame(): Buffer {
  return Buffer.from([...ether(0x0806, []), 0, 1, 8, 0, 6, 4, 0, 1, ...MAC_SRC, 198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 198, 18, 0, 2]);
}
