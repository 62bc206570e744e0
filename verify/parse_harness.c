/* Frama-C entry for the XDP packet parser: the same jirachi_parse.h the kernel loads, with the kernel's integer types from stdint. */
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#define JIRACHI_NO_LINUX_TYPES
/* Non-static here so Frama-C keeps and proves the function; the kernel build inlines it. */
#define JIRACHI_INLINE
/* Found through -I: src/kernel/bpf by default (verify/parser-proof.sh). */
#include "jirachi_parse.h"
