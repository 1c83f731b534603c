/* SPDX-License-Identifier: BSD-3-Clause */
/* RTT histogram of ivshmem-bench: see bench_hist.h. */
#include <math.h>
#include <string.h>

#include "bench_hist.h"

void
bench_hist_reset(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->n == 0)
		return;
	if (dst->n == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->n += src->n;
	dst->sum += src->sum;
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

/* Lowest value of bucket i and its width. */
static void
bucket_range(unsigned int i, uint64_t *low, uint64_t *width)
{
	unsigned int sh;

	if (i < (1u << BENCH_HIST_BITS)) {
		*low = i;
		*width = 1;
		return;
	}
	sh = i / BENCH_HIST_HALF - 1;
	*low = (uint64_t)(i - sh * BENCH_HIST_HALF) << sh;
	*width = 1ull << sh;
}

uint64_t
bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t rank, seen = 0, low, width, v;

	if (h->n == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank == 0)
		rank = 1;
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen < rank)
			continue;
		bucket_range(i, &low, &width);
		v = low + (width - 1) / 2;
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max;
}

double
bench_hist_mean(const struct bench_hist *h)
{
	return h->n == 0 ? 0 : (double)(h->sum / h->n);
}
