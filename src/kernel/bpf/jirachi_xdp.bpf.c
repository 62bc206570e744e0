/* Jirachi's XDP program: drops packets from banned sources (exact and CIDR, IPv4/IPv6, with expiry), lets the allowlist win, rate-limits per source, counts per CPU. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jirachi_shared.h"
#include "jirachi_parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JIRACHI_MAX_EXACT);
	__type(key, struct jirachi_addr);
	__type(value, struct jirachi_ban);
} jirachi_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, JIRACHI_MAX_CIDR);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct jirachi_lpm_key);
	__type(value, struct jirachi_ban);
} jirachi_cidr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, JIRACHI_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct jirachi_lpm_key);
	__type(value, struct jirachi_allow_entry);
} jirachi_allow SEC(".maps");

/* Token bucket per source as GCRA: the value is the theoretical arrival time in ns. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, JIRACHI_MAX_RATE);
	__type(key, struct jirachi_addr);
	__type(value, __u64);
} jirachi_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jirachi_config);
} jirachi_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jirachi_stats);
} jirachi_stats SEC(".maps");

/* A ban matches while it has no deadline or its deadline is ahead; *now is read once, lazily. */
static __always_inline int ban_live(const struct jirachi_ban *b, __u64 *now)
{
	if (b->expires_ns == 0)
		return 1;
	if (*now == 0)
		*now = bpf_ktime_get_ns();
	return b->expires_ns > *now;
}

/* GCRA: passes while the source's theoretical arrival time is within the burst tolerance. */
static __always_inline int rate_exceeded(const struct jirachi_config *cfg, struct jirachi_addr *src, __u64 *now)
{
	__u64 *tat;
	__u64 t;

	if (*now == 0)
		*now = bpf_ktime_get_ns();
	tat = bpf_map_lookup_elem(&jirachi_rate, src);
	if (!tat) {
		t = *now + cfg->rate_interval_ns;
		bpf_map_update_elem(&jirachi_rate, src, &t, BPF_ANY);
		return 0;
	}
	t = *tat;
	if (t < *now)
		t = *now;
	if (t - *now > cfg->rate_tolerance_ns)
		return 1;
	*tat = t + cfg->rate_interval_ns; /* racy across CPUs by design: a lost update only lets one more packet through */
	return 0;
}

SEC("xdp")
int jirachi_xdp(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct jirachi_lpm_key key;
	struct jirachi_stats *st;
	struct jirachi_config *cfg;
	struct jirachi_ban *ban;
	__u32 zero = 0;
	__u64 now = 0;
	int banned = 0;
	int r;

	st = bpf_map_lookup_elem(&jirachi_stats, &zero);
	if (!st)
		return XDP_PASS;
	r = jirachi_parse(data, end, key.addr);
	if (r == JIRACHI_PARSE_MALFORMED) {
		st->malformed++;
		return XDP_PASS;
	}
	if (r == JIRACHI_PARSE_OTHER) {
		st->passed++;
		return XDP_PASS;
	}

	ban = bpf_map_lookup_elem(&jirachi_exact, key.addr);
	if (ban && ban_live(ban, &now))
		banned = 1;
	if (!banned) {
		key.prefixlen = 128;
		ban = bpf_map_lookup_elem(&jirachi_cidr, &key);
		if (ban && ban_live(ban, &now))
			banned = 1;
	}
	cfg = bpf_map_lookup_elem(&jirachi_config, &zero);
	if (!banned && !(cfg && (cfg->flags & JIRACHI_F_RATE_LIMIT))) {
		st->passed++;
		return XDP_PASS;
	}
	/* The allowlist wins over every ban and the rate limit. */
	key.prefixlen = 128;
	if (bpf_map_lookup_elem(&jirachi_allow, &key)) {
		st->allowlisted++;
		return XDP_PASS;
	}
	if (banned) {
		st->dropped_ban++;
		return XDP_DROP;
	}
	if (cfg && rate_exceeded(cfg, (struct jirachi_addr *)key.addr, &now)) {
		st->dropped_rate++;
		return XDP_DROP;
	}
	st->passed++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
