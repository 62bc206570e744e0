/* Map layouts, names and flags shared by the XDP program and the TypeScript control plane (layout.ts mirrors this; layout.test.ts checks it). */
#ifndef JIRACHI_SHARED_H
#define JIRACHI_SHARED_H

#ifndef JIRACHI_NO_LINUX_TYPES
#include <linux/types.h>
#endif

/* Capacities of the maps (each family has its own map of this size). */
#define JIRACHI_MAX_EXACT 65536
#define JIRACHI_MAX_CIDR 16384
#define JIRACHI_MAX_ALLOW 4096
#define JIRACHI_MAX_RATE 65536

/* Each family has its own maps: IPv4 keys are the 4 address bytes, IPv6 keys the 16 (network order). */
#define JIRACHI_ADDR4_LEN 4
#define JIRACHI_ADDR6_LEN 16

/* jirachi_config.flags */
#define JIRACHI_F_RATE_LIMIT 1
#define JIRACHI_F_ALLOW4 2 /* jirachi_allow4 may hold entries: set before the first insert, cleared only when seen empty */
#define JIRACHI_F_ALLOW6 4 /* the same for jirachi_allow6 */

/* A lapsed longest CIDR ban: the program looks this many shorter prefixes further before giving up (user space sweeps). */
#define JIRACHI_LPM_FALLBACKS 4

/* jirachi_ban.source */
#define JIRACHI_SRC_MANUAL 0
#define JIRACHI_SRC_AUTO 1
#define JIRACHI_SRC_BRAIN 2
#define JIRACHI_SRC_CONFIG 3

#define JIRACHI_REASON_LEN 64

/* Key of jirachi_exact4 and jirachi_rate4: the IPv4 source address. */
struct jirachi_addr4 {
	__u8 addr[4];
};

/* Key of jirachi_exact6 and jirachi_rate6: the IPv6 source address. */
struct jirachi_addr6 {
	__u8 addr[16];
};

/* Key of the IPv4 LPM tries jirachi_cidr4 and jirachi_allow4. */
struct jirachi_lpm4_key {
	__u32 prefixlen; /* 0..32 */
	__u8 addr[4];
};

/* Key of the IPv6 LPM tries jirachi_cidr6 and jirachi_allow6. */
struct jirachi_lpm6_key {
	__u32 prefixlen; /* 0..128 */
	__u8 addr[16];
};

/* Value of the exact and CIDR maps: one ban. The XDP program reads expires_ns and prefixlen. */
struct jirachi_ban {
	__u64 expires_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) deadline; 0 = permanent */
	__u64 expires_ms; /* the same deadline in epoch ms, for user space; 0 = permanent */
	__u64 created_ms; /* epoch ms */
	__u8 source;      /* JIRACHI_SRC_* */
	__u8 prefixlen;   /* of the ban in its family (32 / 128 for an exact address) */
	__u8 reason_len;  /* bytes used in reason */
	__u8 pad[5];
	char reason[JIRACHI_REASON_LEN]; /* UTF-8, not NUL-terminated */
};

/* Value of jirachi_allow4 and jirachi_allow6. */
struct jirachi_allow_entry {
	__u64 created_ms;
};

/* The single entry (index 0) of jirachi_config. */
struct jirachi_config {
	__u64 rate_interval_ns;  /* 1e9 / packets-per-second */
	__u64 rate_tolerance_ns; /* rate_interval_ns * (burst - 1) */
	__u32 flags;             /* JIRACHI_F_* */
	__u32 pad;
};

/* The single entry (index 0) of the per-CPU array jirachi_stats: packet counts. */
struct jirachi_stats {
	__u64 passed;
	__u64 dropped_ban;
	__u64 dropped_rate;
	__u64 allowlisted;
	__u64 malformed;
};

/* Parser results (jirachi_parse.h). */
#define JIRACHI_PARSE_OTHER 0     /* not IP (ARP, LLDP, ...): pass */
#define JIRACHI_PARSE_IPV4 4
#define JIRACHI_PARSE_IPV6 6
#define JIRACHI_PARSE_MALFORMED -1 /* truncated or inconsistent headers: pass, counted */

#endif
