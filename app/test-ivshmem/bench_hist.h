/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram over TSC cycles, log-linear like HdrHistogram: values
 * below 2^BENCH_HIST_BITS cycles have a bucket each; above, every power of
 * two is cut into 2^(BENCH_HIST_BITS - 1) equal buckets, so a bucket is at
 * most 1/128 of its value wide (0.8 %: 8 ns at 1 us). Min, max and the sum
 * are kept exactly. Recording is a few instructions and no allocation.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_BITS		8
#define BENCH_HIST_HALF		(1u << (BENCH_HIST_BITS - 1))
#define BENCH_HIST_BUCKETS	((64 - BENCH_HIST_BITS + 2) * BENCH_HIST_HALF)

struct bench_hist {
	uint64_t n;
	uint64_t min, max;
	long double sum;
	uint64_t b[BENCH_HIST_BUCKETS];
};

static inline unsigned int
bench_hist_index(uint64_t v)
{
	unsigned int sh;

	if (v < (1u << BENCH_HIST_BITS))
		return (unsigned int)v;
	/* v >> sh lands in [2^(BITS-1), 2^BITS) */
	sh = 63u - (unsigned int)__builtin_clzll(v) - (BENCH_HIST_BITS - 1);
	return sh * BENCH_HIST_HALF + (unsigned int)(v >> sh);
}

static inline void
bench_hist_add(struct bench_hist *h, uint64_t v)
{
	h->b[bench_hist_index(v)]++;
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->sum += v;
	h->n++;
}

void bench_hist_reset(struct bench_hist *h);
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/* The value at quantile q (0..1): the smallest bucket holding the
 * ceil(q * n)-th sample, as its midpoint clamped to [min, max]. */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);
double bench_hist_mean(const struct bench_hist *h);

#endif /* BENCH_HIST_H */
