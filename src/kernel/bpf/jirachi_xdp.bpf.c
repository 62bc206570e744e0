/* Jirachi's XDP program: drops packets from banned sources (exact and CIDR, IPv4/IPv6, with expiry), lets the allowlist win, rate-limits per source, counts per CPU. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jirachi_shared.h"
#include "jirachi_parse.h"

/* Declares a map; every family has its own set, so an IPv4 packet hashes and compares 4 bytes. */
#define JIRACHI_MAP(NAME, TYPE, MAX, FLAGS, KEY, VALUE) \
	struct { \
		__uint(type, TYPE); \
		__uint(max_entries, MAX); \
		__uint(map_flags, FLAGS); \
		__type(key, KEY); \
		__type(value, VALUE); \
	} NAME SEC(".maps")

JIRACHI_MAP(jirachi_exact4, BPF_MAP_TYPE_HASH, JIRACHI_MAX_EXACT, 0, struct jirachi_addr4, struct jirachi_ban);
JIRACHI_MAP(jirachi_exact6, BPF_MAP_TYPE_HASH, JIRACHI_MAX_EXACT, 0, struct jirachi_addr6, struct jirachi_ban);
JIRACHI_MAP(jirachi_cidr4, BPF_MAP_TYPE_LPM_TRIE, JIRACHI_MAX_CIDR, BPF_F_NO_PREALLOC, struct jirachi_lpm4_key, struct jirachi_ban);
JIRACHI_MAP(jirachi_cidr6, BPF_MAP_TYPE_LPM_TRIE, JIRACHI_MAX_CIDR, BPF_F_NO_PREALLOC, struct jirachi_lpm6_key, struct jirachi_ban);
JIRACHI_MAP(jirachi_allow4, BPF_MAP_TYPE_LPM_TRIE, JIRACHI_MAX_ALLOW, BPF_F_NO_PREALLOC, struct jirachi_lpm4_key, struct jirachi_allow_entry);
JIRACHI_MAP(jirachi_allow6, BPF_MAP_TYPE_LPM_TRIE, JIRACHI_MAX_ALLOW, BPF_F_NO_PREALLOC, struct jirachi_lpm6_key, struct jirachi_allow_entry);
/* Token bucket per source as GCRA: the value is the theoretical arrival time in ns. */
JIRACHI_MAP(jirachi_rate4, BPF_MAP_TYPE_LRU_HASH, JIRACHI_MAX_RATE, 0, struct jirachi_addr4, __u64);
JIRACHI_MAP(jirachi_rate6, BPF_MAP_TYPE_LRU_HASH, JIRACHI_MAX_RATE, 0, struct jirachi_addr6, __u64);
JIRACHI_MAP(jirachi_config, BPF_MAP_TYPE_ARRAY, 1, 0, __u32, struct jirachi_config);
JIRACHI_MAP(jirachi_stats, BPF_MAP_TYPE_PERCPU_ARRAY, 1, 0, __u32, struct jirachi_stats);

/* CAS attempts per packet on a source's bucket; losing them all means other CPUs charged it meanwhile. */
#define RATE_CAS_TRIES 8

/* A ban matches while it has no deadline or its deadline is ahead; *now is read once, lazily. */
static __always_inline int ban_live(const struct jirachi_ban *b, __u64 *now)
{
	if (b->expires_ns == 0)
		return 1;
	if (*now == 0)
		*now = bpf_ktime_get_ns();
	return b->expires_ns > *now;
}

/*
 * Longest live CIDR ban covering key->addr. When the longest match has lapsed, looks again with
 * the prefix length just below it, at most JIRACHI_LPM_FALLBACKS times (user space sweeps lapsed
 * entries, so deeper chains of lapsed prefixes are transient). Leaves key->prefixlen changed.
 */
static __always_inline int cidr_banned(void *cidr, struct jirachi_lpm6_key *key, __u32 maxlen, __u64 *now)
{
	struct jirachi_ban *b;
	__u32 len = maxlen;
	int i;

	for (i = 0; i <= JIRACHI_LPM_FALLBACKS; i++) {
		key->prefixlen = len;
		b = bpf_map_lookup_elem(cidr, key);
		if (!b)
			return 0;
		if (ban_live(b, now))
			return 1;
		if (b->prefixlen == 0 || b->prefixlen > len)
			return 0;
		len = b->prefixlen - 1;
	}
	return 0;
}

/*
 * GCRA: a packet conforms while the source's theoretical arrival time (TAT) is within the burst
 * tolerance; a conforming packet advances the TAT by one interval with compare-and-swap, so racing
 * CPUs never let more than the burst through. A packet whose CAS loses RATE_CAS_TRIES times in a
 * row (other CPUs charged the same bucket each time) is treated as over the rate.
 */
static __always_inline int rate_exceeded(const struct jirachi_config *cfg, void *rate, const void *src, __u64 *now)
{
	__u64 *tat;
	__u64 old, t;
	int i;

	if (*now == 0)
		*now = bpf_ktime_get_ns();
	tat = bpf_map_lookup_elem(rate, src);
	if (!tat) {
		t = *now + cfg->rate_interval_ns;
		if (bpf_map_update_elem(rate, src, &t, BPF_NOEXIST) == 0)
			return 0;
		tat = bpf_map_lookup_elem(rate, src); /* another CPU created it first */
		if (!tat)
			return 1;
	}
	for (i = 0; i < RATE_CAS_TRIES; i++) {
		old = *(volatile __u64 *)tat;
		t = old < *now ? *now : old;
		if (t - *now > cfg->rate_tolerance_ns)
			return 1;
		if (__sync_val_compare_and_swap(tat, old, t + cfg->rate_interval_ns) == old)
			return 0;
	}
	return 1;
}

/* The verdict for a parsed source address, with one family's maps. */
static __always_inline int decide(void *exact, void *cidr, void *allow, void *rate, __u32 maxlen, __u32 allow_flag,
				  struct jirachi_lpm6_key *key, const struct jirachi_config *cfg, struct jirachi_stats *st)
{
	struct jirachi_ban *ban;
	__u64 now = 0;
	int banned;

	ban = bpf_map_lookup_elem(exact, key->addr);
	/* The flood case, straight through: a permanent exact ban and no allowlist to consult. */
	if (ban && ban->expires_ns == 0 && !(cfg->flags & allow_flag)) {
		st->dropped_ban++;
		return XDP_DROP;
	}
	banned = ban && ban_live(ban, &now);
	if (!banned)
		banned = cidr_banned(cidr, key, maxlen, &now);
	if (!banned && !(cfg->flags & JIRACHI_F_RATE_LIMIT)) {
		st->passed++;
		return XDP_PASS;
	}
	/* The allowlist wins over every ban and the rate limit; skipped while the family's allowlist is empty. */
	if (cfg->flags & allow_flag) {
		key->prefixlen = maxlen;
		if (bpf_map_lookup_elem(allow, key)) {
			st->allowlisted++;
			return XDP_PASS;
		}
	}
	if (banned) {
		st->dropped_ban++;
		return XDP_DROP;
	}
	if (rate_exceeded(cfg, rate, key->addr, &now)) {
		st->dropped_rate++;
		return XDP_DROP;
	}
	st->passed++;
	return XDP_PASS;
}

SEC("xdp")
int jirachi_xdp(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct jirachi_lpm6_key key; /* addr: 4 bytes for IPv4 (then also a jirachi_lpm4_key), 16 for IPv6 */
	struct jirachi_stats *st;
	struct jirachi_config *cfg;
	__u32 zero = 0;
	int r;

	st = bpf_map_lookup_elem(&jirachi_stats, &zero);
	if (!st)
		return XDP_PASS;
	r = jirachi_parse(data, end, (__u32 *)key.addr); /* addr is at offset 4: word-aligned */
	if (r == JIRACHI_PARSE_MALFORMED) {
		st->malformed++;
		return XDP_PASS;
	}
	cfg = bpf_map_lookup_elem(&jirachi_config, &zero);
	if (r == JIRACHI_PARSE_OTHER || !cfg) {
		st->passed++;
		return XDP_PASS;
	}
	if (r == JIRACHI_PARSE_IPV4)
		return decide(&jirachi_exact4, &jirachi_cidr4, &jirachi_allow4, &jirachi_rate4, 32, JIRACHI_F_ALLOW4, &key, cfg, st);
	return decide(&jirachi_exact6, &jirachi_cidr6, &jirachi_allow6, &jirachi_rate6, 128, JIRACHI_F_ALLOW6, &key, cfg, st);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
