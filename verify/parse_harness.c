/* Frama-C entry for the XDP packet parser: the same jirachi_parse.h the kernel loads, with the kernel's integer types from stdint. */
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#define JIRACHI_NO_LINUX_TYPES
#include "jirachi_shared.h"

/*
 * The parser's wide packet reads. In the kernel build JIRACHI_LOAD32(p) / JIRACHI_LOAD16(p) are
 * one 4-byte / 2-byte load of the object at p, i.e. of the bytes p[0..3] / p[0..1] (C11 6.5.3.2,
 * 6.2.6.1). WP's typed memory model cannot express a u8 buffer read through a u32 pointer, so
 * here each is a function whose precondition is \valid_read of exactly those bytes: every wide
 * read in the parser becomes a call-site goal over the bytes it loads (goal names end in
 * _wide_read), and the body (byte reads, each with its own RTE guard) is proved to return the
 * value the load returns on a little-endian machine (JIRACHI_WORD / JIRACHI_HALF in jirachi_parse.h,
 * written here as sums so the provers need no bit-vector reasoning).
 */
/*@ requires wide_read: \valid_read(p + (0 .. 3));
    assigns \nothing;
    ensures \result == p[0] + 256 * p[1] + 65536 * p[2] + 16777216 * p[3];
*/
static __u32 jirachi_load32(const __u8 *p) { return (__u32)p[0] + (__u32)p[1] * 256u + (__u32)p[2] * 65536u + (__u32)p[3] * 16777216u; }

/*@ requires wide_read: \valid_read(p + (0 .. 1));
    assigns \nothing;
    ensures \result == p[0] + 256 * p[1];
*/
static __u32 jirachi_load16(const __u8 *p) { return (__u32)p[0] + (__u32)p[1] * 256u; }

#define JIRACHI_LOAD32(p) jirachi_load32(p)
#define JIRACHI_LOAD16(p) jirachi_load16(p)
/* Non-static here so Frama-C keeps and proves the function; the kernel build inlines it. */
#define JIRACHI_INLINE
/* Found through -I: src/kernel/bpf by default (verify/parser-proof.sh). */
#include "jirachi_parse.h"
