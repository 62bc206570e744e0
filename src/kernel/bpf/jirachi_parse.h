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

/* The 32-bit value whose bytes in memory are b[0..3] in order (so a key is written with one 4-byte store:
 * byte stores read back as one word stall the CPU's store forwarding, which cost ~5 ns per IPv4 packet). */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define JIRACHI_WORD(b) (((__u32)(b)[0] << 24) | ((__u32)(b)[1] << 16) | ((__u32)(b)[2] << 8) | (__u32)(b)[3])
#else
#define JIRACHI_WORD(b) ((__u32)(b)[0] | ((__u32)(b)[1] << 8) | ((__u32)(b)[2] << 16) | ((__u32)(b)[3] << 24))
#endif

#ifndef JIRACHI_INLINE
#define JIRACHI_INLINE static inline __attribute__((always_inline))
#endif

/*
 * Reads the source address of the frame [data, end) into src as 32-bit words whose bytes in
 * memory are the address in network order: src[0] for IPv4, src[0..3] for IPv6. One bounds check
 * per header (Ethernet, each VLAN tag, the IPv4 fixed header and then its options, the IPv6
 * header), in the `p + n > end` form the kernel verifier tracks; every field is read from inside
 * the checked header. Packet bytes are read one by one (the proof needs no type punning, and BPF
 * has no unaligned packet loads to merge them into anyway) and assembled in registers.
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
	__u32 hlen;
	int i;

	if (p + JIRACHI_ETH_HLEN > end)
		return JIRACHI_PARSE_MALFORMED;
	proto = ((__u32)p[12] << 8) | p[13];
	p += JIRACHI_ETH_HLEN;

	/* Up to two VLAN tags (802.1Q, 802.1ad QinQ); written out twice, no loop for the verifier. */
	if (proto == JIRACHI_ETH_P_8021Q || proto == JIRACHI_ETH_P_8021AD) {
		if (p + JIRACHI_VLAN_HLEN > end)
			return JIRACHI_PARSE_MALFORMED;
		proto = ((__u32)p[2] << 8) | p[3];
		p += JIRACHI_VLAN_HLEN;
	}
	if (proto == JIRACHI_ETH_P_8021Q || proto == JIRACHI_ETH_P_8021AD) {
		if (p + JIRACHI_VLAN_HLEN > end)
			return JIRACHI_PARSE_MALFORMED;
		proto = ((__u32)p[2] << 8) | p[3];
		p += JIRACHI_VLAN_HLEN;
	}

	if (proto == JIRACHI_ETH_P_IP) {
		if (p + JIRACHI_IPV4_MIN_HLEN > end)
			return JIRACHI_PARSE_MALFORMED;
		if ((p[0] >> 4) != 4)
			return JIRACHI_PARSE_MALFORMED;
		hlen = (__u32)(p[0] & 0x0F) * 4;
		/* IHL below 5, options running past the frame, or a total length shorter than the header. */
		if (hlen < JIRACHI_IPV4_MIN_HLEN || p + hlen > end)
			return JIRACHI_PARSE_MALFORMED;
		if ((((__u32)p[2] << 8) | p[3]) < hlen)
			return JIRACHI_PARSE_MALFORMED;
		src[0] = JIRACHI_WORD(p + 12);
		return JIRACHI_PARSE_IPV4;
	}
	if (proto == JIRACHI_ETH_P_IPV6) {
		if (p + JIRACHI_IPV6_HLEN > end)
			return JIRACHI_PARSE_MALFORMED;
		if ((p[0] >> 4) != 6)
			return JIRACHI_PARSE_MALFORMED;
		/*@ loop invariant 0 <= i <= 4;
		    loop assigns i, src[0 .. 3];
		    loop variant 4 - i; */
		for (i = 0; i < 4; i++)
			src[i] = JIRACHI_WORD(p + 8 + 4 * i);
		return JIRACHI_PARSE_IPV6;
	}
	return JIRACHI_PARSE_OTHER;
}

#endif
