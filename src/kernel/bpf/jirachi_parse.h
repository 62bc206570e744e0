/* The packet parser of the XDP program: Ethernet, up to two VLAN tags, IPv4 (with options) or IPv6, source address out (4 or 16 bytes). Proved free of out-of-bounds reads by verify/parser-proof.sh. */
#ifndef JIRACHI_PARSE_H
#define JIRACHI_PARSE_H

#include "jirachi_shared.h"

#define JIRACHI_ETH_HLEN 14
#define JIRACHI_VLAN_HLEN 4
#define JIRACHI_IPV4_MIN_HLEN 20
#define JIRACHI_IPV6_HLEN 40
#define JIRACHI_ETH_P_IP 0x0800
#define JIRACHI_ETH_P_IPV6 0x86DD
#define JIRACHI_ETH_P_8021Q 0x8100
#define JIRACHI_ETH_P_8021AD 0x88A8

/* The 32-bit value whose bytes in memory are b[0..3] in order: what JIRACHI_LOAD32(b) loads. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define JIRACHI_WORD(b) (((__u32)(b)[0] << 24) | ((__u32)(b)[1] << 16) | ((__u32)(b)[2] << 8) | (__u32)(b)[3])
#define JIRACHI_HALF(b) ((__u32)(((__u32)(b)[0] << 8) | (__u32)(b)[1]))
/* A 16-bit constant in network order as JIRACHI_LOAD16 returns it, and back (x is evaluated twice). */
#define JIRACHI_NET16(x) ((__u32)(x))
#else
#define JIRACHI_WORD(b) ((__u32)(b)[0] | ((__u32)(b)[1] << 8) | ((__u32)(b)[2] << 16) | ((__u32)(b)[3] << 24))
#define JIRACHI_HALF(b) ((__u32)((__u32)(b)[0] | ((__u32)(b)[1] << 8)))
#define JIRACHI_NET16(x) ((__u32)((((__u32)(x) & 0xFF) << 8) | (((__u32)(x) >> 8) & 0xFF)))
#endif

/*
 * One 4-byte (2-byte) load of the packet bytes p[0..3] (p[0..1]), value JIRACHI_WORD(p)
 * (JIRACHI_HALF(p)). Every such load in the parser is at an even offset that the kernel verifier
 * counts as aligned (it assumes NET_IP_ALIGN = 2 before the Ethernet header), and the x86-64 and
 * arm64 JITs load unaligned packet data anyway. The proof harness (verify/parse_harness.c)
 * defines both as functions whose precondition is \valid_read of all 4 (2) bytes, so every wide
 * read is a proof goal over exactly the bytes it loads.
 */
#ifndef JIRACHI_LOAD32
#define JIRACHI_LOAD32(p) (*(const __u32 *)(const void *)(p))
#endif
#ifndef JIRACHI_LOAD16
#define JIRACHI_LOAD16(p) ((__u32)*(const __u16 *)(const void *)(p))
#endif

#ifndef JIRACHI_INLINE
#define JIRACHI_INLINE static inline __attribute__((always_inline))
#endif

/*
 * Reads the source address of the frame [data, end) into src as 32-bit words whose bytes in
 * memory are the address in network order: src[0] for IPv4, src[0..3] for IPv6. One bounds check
 * per header (Ethernet, each VLAN tag, the IPv4 fixed header and then its options, the IPv6
 * header), in the `p + n > end` form the kernel verifier tracks; every field is read from inside
 * the checked header. Ethertypes, the IPv4 total length and address words are read with one 2- or
 * 4-byte load each (JIRACHI_LOAD16/32) and compared in network order; an untagged IPv4 frame
 * takes one ethertype compare, and a header without options skips the options check.
 * Returns JIRACHI_PARSE_IPV4 / _IPV6 (src filled), _OTHER (not IP, src untouched) or
 * _MALFORMED (truncated or inconsistent, src untouched).
 */
/*@ requires data <= end;
    requires \base_addr(end) == \base_addr(data);
    requires \valid_read(data + (0 .. end - data - 1));
    requires \valid(src + (0 .. 3));
    requires \separated(src + (0 .. 3), data + (0 .. end - data - 1));
    assigns src[0 .. 3];
    ensures \result == JIRACHI_PARSE_MALFORMED || \result == JIRACHI_PARSE_OTHER
         || \result == JIRACHI_PARSE_IPV4 || \result == JIRACHI_PARSE_IPV6;
*/
JIRACHI_INLINE int jirachi_parse(const __u8 *data, const __u8 *end, __u32 *src)
{
	const __u8 *p = data;
	__u32 proto;
	__u32 vihl;
	__u32 hlen;
	__u32 tot;
	int i;

	if (p + JIRACHI_ETH_HLEN > end)
		return JIRACHI_PARSE_MALFORMED;
	proto = JIRACHI_LOAD16(p + 12);
	p += JIRACHI_ETH_HLEN;

	if (proto != JIRACHI_NET16(JIRACHI_ETH_P_IP)) {
		/* Up to two VLAN tags (802.1Q, 802.1ad QinQ); written out twice, no loop for the verifier. */
		if (proto == JIRACHI_NET16(JIRACHI_ETH_P_8021Q) || proto == JIRACHI_NET16(JIRACHI_ETH_P_8021AD)) {
			if (p + JIRACHI_VLAN_HLEN > end)
				return JIRACHI_PARSE_MALFORMED;
			proto = JIRACHI_LOAD16(p + 2);
			p += JIRACHI_VLAN_HLEN;
		}
		if (proto == JIRACHI_NET16(JIRACHI_ETH_P_8021Q) || proto == JIRACHI_NET16(JIRACHI_ETH_P_8021AD)) {
			if (p + JIRACHI_VLAN_HLEN > end)
				return JIRACHI_PARSE_MALFORMED;
			proto = JIRACHI_LOAD16(p + 2);
			p += JIRACHI_VLAN_HLEN;
		}
		if (proto == JIRACHI_NET16(JIRACHI_ETH_P_IPV6)) {
			if (p + JIRACHI_IPV6_HLEN > end)
				return JIRACHI_PARSE_MALFORMED;
			if ((p[0] >> 4) != 6)
				return JIRACHI_PARSE_MALFORMED;
			/*@ loop invariant 0 <= i <= 4;
			    loop assigns i, src[0 .. 3];
			    loop variant 4 - i; */
			for (i = 0; i < 4; i++)
				src[i] = JIRACHI_LOAD32(p + 8 + 4 * i);
			return JIRACHI_PARSE_IPV6;
		}
		if (proto != JIRACHI_NET16(JIRACHI_ETH_P_IP))
			return JIRACHI_PARSE_OTHER;
	}

	if (p + JIRACHI_IPV4_MIN_HLEN > end)
		return JIRACHI_PARSE_MALFORMED;
	vihl = p[0];
	hlen = JIRACHI_IPV4_MIN_HLEN;
	if (vihl != 0x45) {
		if ((vihl >> 4) != 4)
			return JIRACHI_PARSE_MALFORMED;
		hlen = (vihl & 0x0F) * 4;
		/* IHL below 5, or options running past the frame. */
		if (hlen < JIRACHI_IPV4_MIN_HLEN || p + hlen > end)
			return JIRACHI_PARSE_MALFORMED;
	}
	/* A total length shorter than the header. */
	tot = JIRACHI_LOAD16(p + 2);
	if (JIRACHI_NET16(tot) < hlen)
		return JIRACHI_PARSE_MALFORMED;
	src[0] = JIRACHI_LOAD32(p + 12);
	return JIRACHI_PARSE_IPV4;
}

#endif
