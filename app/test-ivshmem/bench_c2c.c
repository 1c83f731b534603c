/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --role c2c: the floor under every shared-memory transport on this
 * machine. The main lcore and the first worker bounce one cache line (each
 * waits for the other's value, then writes its own) and the main lcore
 * times each round trip with the TSC. A packet round trip moves at least
 * two such lines each way (index, then descriptor and data), so ping-pong
 * RTTs are read against this number.
 *
 * On a virtual machine it also tells where the two vCPUs are right now:
 * the host may place them on cores that share a cache or not, and the
 * round trip changes several times over when it moves them.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "bench.h"

#define C2C_ROUNDS	200000

/* The bounced line: odd values from the main lcore, even from the worker. */
struct c2c_line {
	uint64_t v;
} __rte_cache_aligned;

static struct c2c_line c2c_line;

static int
c2c_worker(void *arg)
{
	uint64_t rounds = (uintptr_t)arg;

	for (uint64_t i = 1; i <= rounds; i++) {
		while (__atomic_load_n(&c2c_line.v, __ATOMIC_ACQUIRE) != 2 * i - 1)
			;
		__atomic_store_n(&c2c_line.v, 2 * i, __ATOMIC_RELEASE);
	}
	return 0;
}

int
bench_c2c(const struct bench_opts *o, uint64_t hz)
{
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);
	uint64_t rounds = o->count != 0 ? o->count : C2C_ROUNDS;
	struct bench_hist *h;
	FILE *out = o->json ? stderr : stdout;

	if (worker >= RTE_MAX_LCORE) {
		fprintf(stderr, BENCH_PROG ": --role c2c needs two lcores: the main one and a worker on the other core (-l 0,1 --main-lcore 0)\n");
		return BENCH_EXIT_USAGE;
	}
	h = rte_zmalloc("bench_c2c", sizeof(*h), RTE_CACHE_LINE_SIZE);
	if (h == NULL) {
		fprintf(stderr, BENCH_PROG ": out of memory\n");
		return BENCH_EXIT_USAGE;
	}
	__atomic_store_n(&c2c_line.v, 0, __ATOMIC_RELAXED);
	rte_eal_remote_launch(c2c_worker, (void *)(uintptr_t)rounds, worker);
	for (uint64_t i = 1; i <= rounds; i++) {
		uint64_t t0 = rte_rdtsc();

		__atomic_store_n(&c2c_line.v, 2 * i - 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&c2c_line.v, __ATOMIC_ACQUIRE) != 2 * i)
			;
		bench_hist_add(h, rte_rdtsc() - t0);
	}
	rte_eal_wait_lcore(worker);
#define NS(c)	((double)(c) * 1e9 / hz)
	fprintf(out, BENCH_PROG ": cache-line round trip between lcores %u and %u, %" PRIu64 " rounds: min %.0f ns, p50 %.0f ns, p90 %.0f ns, p99 %.0f ns (TSC %.3f GHz)\n",
			rte_get_main_lcore(), worker, rounds, NS(h->min),
			NS(bench_hist_quantile(h, 0.5)), NS(bench_hist_quantile(h, 0.9)),
			NS(bench_hist_quantile(h, 0.99)), hz / 1e9);
	if (o->json)
		printf("{\"tool\":\"" BENCH_PROG "\",\"role\":\"c2c\",\"lcores\":[%u,%u],\"rounds\":%" PRIu64 ",\"tsc_hz\":%" PRIu64 ",\"c2c_rtt_ns\":{\"min\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f},\"ok\":true,\"error\":null}\n",
				rte_get_main_lcore(), worker, rounds, hz, NS(h->min),
				NS(bench_hist_quantile(h, 0.5)), NS(bench_hist_quantile(h, 0.9)),
				NS(bench_hist_quantile(h, 0.99)), NS(h->max));
#undef NS
	rte_free(h);
	return BENCH_EXIT_OK;
}
