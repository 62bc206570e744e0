// Latency of one BPF_MAP_UPDATE_ELEM from C (raw bpf(2), attr built once), the floor beside the TypeScript numbers.
// Usage: mapupd-tail PINNED_MAP N   (hash map with a 4-byte key; fresh keys 198.21.x.y; value of the map's size, zeroed)
// Prints one JSON line in microseconds: p50, p99, p99.9, max, and how many samples exceeded 10 us.
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3) { fprintf(stderr, "usage: mapupd-tail PINNED_MAP N\n"); return 2; }
	int n = atoi(argv[2]);
	if (n < 1000 || n > 1000000) { fprintf(stderr, "N: 1000..1000000\n"); return 2; }
	int fd = bpf_obj_get(argv[1]);
	if (fd < 0) { perror("bpf_obj_get"); return 1; }
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size != 4) { fprintf(stderr, "need a map with a 4-byte key\n"); return 1; }
	uint64_t *lat = calloc((size_t)n, sizeof(*lat));
	uint8_t *val = calloc(1, info.value_size);
	uint8_t key[4] = {198, 21, 0, 0};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)fd; a.key = (uintptr_t)key; a.value = (uintptr_t)val; a.flags = BPF_ANY;
	for (int i = -2000; i < n; i++) { /* 2000 warm-up updates on keys outside the timed range */
		int k = i < 0 ? n + 2000 + i : i;
		key[2] = (uint8_t)((k >> 8) & 0x7f); key[3] = (uint8_t)k;
		uint64_t t0 = now_ns();
		if (syscall(__NR_bpf, BPF_MAP_UPDATE_ELEM, &a, 32)) { perror("update"); return 1; }
		if (i >= 0) lat[i] = now_ns() - t0;
	}
	int over = 0;
	for (int i = 0; i < n; i++) over += lat[i] > 10000;
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("{\"n\":%d,\"value_size\":%u,\"p50\":%.2f,\"p99\":%.2f,\"p999\":%.2f,\"max\":%.2f,\"over10us\":%d}\n", n, info.value_size,
	       lat[n / 2] / 1e3, lat[(size_t)n * 99 / 100] / 1e3, lat[(size_t)n * 999 / 1000] / 1e3, lat[n - 1] / 1e3, over);
	return 0;
}
