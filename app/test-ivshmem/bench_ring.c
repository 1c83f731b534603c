/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-bench-ring: how many descriptors per second our shared-memory
 * ring moves between two cores, next to DPDK's rte_ring SP/SC, for the
 * same bursts and the same payload work.
 *
 *   ours      ivr_tx_* / ivr_rx_* over a region on the heap, one queue
 *   rte_ring  rte_ring_init() on rte_ring_get_memsize() bytes, SP/SC,
 *             enqueueing pointers (no EAL needed)
 *
 * Per payload size S (0 = descriptor only: len, no copy):
 *   ours      producer memcpy()s S bytes into the shared buffer, pushes;
 *             consumer memcpy()s them out into a private buffer; a burst
 *             at a time (ivr_tx_take, ivr_tx_push_n, ivr_rx_take_n), or
 *             with --api frame one frame per call (ivr_tx_buf_get,
 *             ivr_tx_push, ivr_rx_next)
 *   rte_ring  producer takes a buffer from a free-pool rte_ring, copies S
 *             bytes in and enqueues its pointer; consumer dequeues, copies
 *             out, and returns the buffer through the pool ring
 * Buffers are 2048 bytes on both sides; consumers copy into a rotating set
 * of private buffers, as into mbufs.
 *
 * Producer and consumer are pinned to two cores. Each (size, burst) is
 * measured --repeat times, ours and rte_ring interleaved (A B A B ...), and
 * the median and the best of each are reported with the ratio of medians.
 * Output: a human table (stdout, or stderr when machine output goes to
 * stdout), plus --json and/or --csv to a file or "-".
 *
 * A benchmark, not a test: nothing here passes or fails on timings.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>

#include "ivr_queue.h"
#include "ivshmem_parse.h"
#include "ivshmem_ring.h"

#define BUF_SIZE	2048
#define MAX_BURST	512
#define MAX_LIST	16
#define PRIV_BUFS	512	/* consumer's rotating private buffers */

enum impl { OURS = 0, RTE = 1 };
static const char *const impl_name[] = { "ivshmem_ring", "rte_ring" };

struct opts {
	double seconds;
	unsigned int bursts[MAX_LIST], n_bursts;
	unsigned int sizes[MAX_LIST], n_sizes;
	unsigned int repeat;
	unsigned int ring;
	bool run[2];		/* which implementations (--impl) */
	bool frame_api;		/* --api frame */
	const char *json, *csv;
};

/* One run: two threads, one (impl, size, burst). */
struct run {
	enum impl impl;
	unsigned int size, burst, ring;
	bool frame_api;
	int cpu[2], ncpu;
	/* ours */
	struct ivr_tx *tx;
	struct ivr_rx *rx;
	/* rte_ring */
	struct rte_ring *data, *pool;
	/* both */
	const uint8_t *src;		/* producer's payload */
	uint8_t *priv;			/* consumer's PRIV_BUFS buffers */
	volatile int ready, stop;
	uint64_t received;
	double elapsed;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
pin(const struct run *rn, int which)
{
	cpu_set_t set;

	if (rn->ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(rn->cpu[which], &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fprintf(stderr, "pinning to CPU %d: %s\n", rn->cpu[which], strerror(errno));
}

/* Both threads and the timer start together. */
static void
start_line(struct run *rn)
{
	__atomic_fetch_add(&rn->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&rn->ready, __ATOMIC_ACQUIRE) < 3)
		;
}

static bool
stopped(struct run *rn)
{
	return __atomic_load_n(&rn->stop, __ATOMIC_RELAXED) != 0;
}

/* ---- ours ---- */

/* Buffers for this burst: what the ring has, at most burst. */
static uint32_t
ours_room(struct ivr_tx *t, uint32_t burst)
{
	uint32_t n = ivr_tx_space(t, burst);

	return n < burst ? n : burst;
}

/* A burst at a time: ivr_tx_take, copies, ivr_tx_push_n. */
static void
ours_produce_n(struct run *rn)
{
	struct ivr_tx *t = rn->tx;
	uint32_t size = rn->size, burst = rn->burst;
	uint32_t ids[MAX_BURST], lens[MAX_BURST];

	for (uint32_t i = 0; i < burst; i++)
		lens[i] = size ? size : 64;
	while (!stopped(rn)) {
		uint32_t n = ours_room(t, burst);

		if (n == 0)
			continue;
		ivr_tx_take(t, ids, n);
		for (uint32_t i = 0; size && i < n; i++)
			memcpy(ivr_tx_buf(t, ids[i]), rn->src, size);
		ivr_tx_push_n(t, ids, lens, n);
		ivr_tx_publish(t, n);
	}
}

/* A frame per call (--api frame): ivr_tx_buf_get, copy, ivr_tx_push. */
static void
ours_produce_1(struct run *rn)
{
	struct ivr_tx *t = rn->tx;
	uint32_t size = rn->size, len = size ? size : 64, burst = rn->burst;

	while (!stopped(rn)) {
		uint32_t n = ours_room(t, burst);

		if (n == 0)
			continue;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t id = ivr_tx_buf_get(t);

			if (size)
				memcpy(ivr_tx_buf(t, id), rn->src, size);
			ivr_tx_push(t, id, len, 0);
		}
		ivr_tx_publish(t, n);
	}
}

static void *
ours_producer(void *arg)
{
	struct run *rn = arg;

	pin(rn, 0);
	start_line(rn);
	if (rn->frame_api)
		ours_produce_1(rn);
	else
		ours_produce_n(rn);
	return NULL;
}

/* A burst at a time: ivr_rx_take_n, then ivr_rx_next for what it leaves
 * (nothing here: every frame is one buffer). */
static uint64_t
ours_consume_n(struct run *rn)
{
	struct ivr_rx *q = rn->rx;
	struct ivr_frame f;
	const uint8_t *data[MAX_BURST];
	uint32_t lens[MAX_BURST];
	uint32_t size = rn->size, burst = rn->burst, slot = 0;
	uint64_t got = 0;

	while (!stopped(rn)) {
		uint32_t n;

		n = ivr_rx_begin(q);
		if (n == 0)
			continue;
		ivr_rx_prefetch(q, n < burst ? n : burst);
		n = ivr_rx_take_n(q, data, lens, burst);
		for (uint32_t i = 0; size && i < n; i++) {
			memcpy(rn->priv + (size_t)slot * BUF_SIZE, data[i], lens[i]);
			slot = (slot + 1) & (PRIV_BUFS - 1);
		}
		while (n < burst && ivr_rx_next(q, &f))
			n++;
		if (ivr_rx_end(q, n))
			got += n;
	}
	return got;
}

/* A frame per call (--api frame): ivr_rx_next. */
static uint64_t
ours_consume_1(struct run *rn)
{
	struct ivr_rx *q = rn->rx;
	struct ivr_frame f;
	uint32_t size = rn->size, burst = rn->burst, slot = 0;
	uint64_t got = 0;

	while (!stopped(rn)) {
		uint32_t n = 0;

		if (ivr_rx_begin(q) == 0)
			continue;
		while (n < burst && ivr_rx_next(q, &f)) {
			if (size) {
				memcpy(rn->priv + (size_t)slot * BUF_SIZE,
						f.seg[0].data, f.len);
				slot = (slot + 1) & (PRIV_BUFS - 1);
			}
			n++;
		}
		if (ivr_rx_end(q, n))
			got += n;
	}
	return got;
}

static void *
ours_consumer(void *arg)
{
	struct run *rn = arg;
	uint64_t t0;

	pin(rn, 1);
	start_line(rn);
	t0 = now_ns();
	rn->received = rn->frame_api ? ours_consume_1(rn) : ours_consume_n(rn);
	rn->elapsed = (double)(now_ns() - t0) / 1e9;
	return NULL;
}

/* ---- rte_ring ---- */

static void *
rte_producer(void *arg)
{
	struct run *rn = arg;
	void *bufs[MAX_BURST];
	uint32_t size = rn->size, burst = rn->burst;

	for (uint32_t i = 0; i < burst; i++)
		bufs[i] = (void *)(uintptr_t)(i + 1);
	pin(rn, 0);
	start_line(rn);
	while (!stopped(rn)) {
		uint32_t n = burst;

		if (size) {
			n = rte_ring_sc_dequeue_burst(rn->pool, bufs, burst, NULL);
			if (n == 0)
				continue;
			for (uint32_t i = 0; i < n; i++)
				memcpy(bufs[i], rn->src, size);
		}
		/* the pool holds no more buffers than the ring has room: with
		 * a payload, all n fit */
		rte_ring_sp_enqueue_burst(rn->data, bufs, n, NULL);
	}
	return NULL;
}

static void *
rte_consumer(void *arg)
{
	struct run *rn = arg;
	void *bufs[MAX_BURST];
	uint32_t size = rn->size, burst = rn->burst, slot = 0;
	uint64_t got = 0, t0;

	pin(rn, 1);
	start_line(rn);
	t0 = now_ns();
	while (!stopped(rn)) {
		uint32_t n = rte_ring_sc_dequeue_burst(rn->data, bufs, burst, NULL);

		if (n == 0)
			continue;
		if (size) {
			for (uint32_t i = 0; i < n; i++) {
				memcpy(rn->priv + (size_t)slot * BUF_SIZE, bufs[i], size);
				slot = (slot + 1) & (PRIV_BUFS - 1);
			}
			rte_ring_sp_enqueue_burst(rn->pool, bufs, n, NULL);
		}
		got += n;
	}
	rn->elapsed = (double)(now_ns() - t0) / 1e9;
	rn->received = got;
	return NULL;
}

/* ---- setup ---- */

static struct rte_ring *
rte_ring_new(const char *name, unsigned int count)
{
	ssize_t sz = rte_ring_get_memsize(count);
	struct rte_ring *r = NULL;

	if (sz < 0 || posix_memalign((void **)&r, 64, (size_t)sz) != 0)
		return NULL;
	if (rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

struct bench {
	struct opts o;
	int cpu[2], ncpu;
	uint8_t *src, *priv;
	/* ours */
	void *base;
	uint64_t size;
	struct ivr_region a, b;
	struct ivr_tx *tx;
	struct ivr_rx rx;
	/* rte_ring */
	struct rte_ring *data, *pool;
	uint8_t *pool_mem;
};

/* A fresh pair for every run: no state carries over between runs. */
static int
ours_setup(struct bench *B)
{
	struct ivr_config cfg = {
		.n_queues = 1, .ring_size = B->o.ring, .buf_size = BUF_SIZE,
		.max_frame = BUF_SIZE, .doorbell_id = IVR_NO_DOORBELL,
		.features = IVR_F_ALL,
	};
	struct ivr_attach_opts oa = { .slot = 0 }, ob = { .slot = 1 };

	memset(B->base, 0, B->size);
	if (ivr_attach(&B->a, B->base, B->size, &cfg, &oa) != 0) {
		fprintf(stderr, "attach: %s\n", B->a.errmsg);
		return -1;
	}
	if (ivr_attach(&B->b, B->base, B->size, &cfg, &ob) != 0) {
		fprintf(stderr, "attach: %s\n", B->b.errmsg);
		return -1;
	}
	ivr_set_running(&B->a, true);
	ivr_set_running(&B->b, true);
	ivr_tx_init(B->tx, &B->a, 0);
	ivr_rx_init(&B->rx, &B->b, 0);
	/* sessions before the clock starts */
	ivr_rx_begin(&B->rx);
	ivr_tx_space(B->tx, 1);
	ivr_rx_begin(&B->rx);
	return 0;
}

static int
rte_setup(struct bench *B)
{
	unsigned int pool_n = B->o.ring - 1;	/* what a ring of N holds */

	if (rte_ring_init(B->data, "bench_data", B->o.ring,
				RING_F_SP_ENQ | RING_F_SC_DEQ) != 0 ||
			rte_ring_init(B->pool, "bench_pool", B->o.ring,
				RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
		return -1;
	for (unsigned int i = 0; i < pool_n; i++) {
		void *p = B->pool_mem + (size_t)i * BUF_SIZE;

		rte_ring_sp_enqueue(B->pool, p);
	}
	return 0;
}

static double
run_one(struct bench *B, enum impl impl, unsigned int size, unsigned int burst)
{
	struct run rn = {
		.impl = impl, .size = size, .burst = burst, .ring = B->o.ring,
		.frame_api = B->o.frame_api,
		.cpu = { B->cpu[0], B->cpu[1] }, .ncpu = B->ncpu,
		.tx = B->tx, .rx = &B->rx, .data = B->data, .pool = B->pool,
		.src = B->src, .priv = B->priv,
	};
	pthread_t th[2];
	struct timespec ts;

	if ((impl == OURS ? ours_setup(B) : rte_setup(B)) != 0) {
		fprintf(stderr, "%s: setup failed\n", impl_name[impl]);
		exit(1);
	}
	if (pthread_create(&th[0], NULL, impl == OURS ? ours_producer : rte_producer, &rn) != 0 ||
			pthread_create(&th[1], NULL, impl == OURS ? ours_consumer : rte_consumer, &rn) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		exit(1);
	}
	start_line(&rn);
	ts.tv_sec = (time_t)B->o.seconds;
	ts.tv_nsec = (long)((B->o.seconds - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	__atomic_store_n(&rn.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	if (impl == OURS) {
		ivr_detach(&B->a);
		ivr_detach(&B->b);
		if (B->rx.st.bad_desc || B->tx->st.bad_ret || B->rx.st.bad_index ||
				B->tx->st.bad_index)
			fprintf(stderr, "warning: ring errors during a run (bad_desc %llu bad_ret %llu)\n",
					(unsigned long long)B->rx.st.bad_desc,
					(unsigned long long)B->tx->st.bad_ret);
	}
	return (double)rn.received / rn.elapsed / 1e6;
}

/* ---- options ---- */

/* The ranges of the numeric options, for the parser and for usage(). */
static const struct ivn_spec seconds_spec = IVN_MSEC(50, 60000);
static const struct ivn_spec burst_spec = IVN_UINT(1, MAX_BURST);
static const struct ivn_spec size_spec = IVN_UINT(0, BUF_SIZE);
static const struct ivn_spec repeat_spec = IVN_UINT(1, 99);
static const struct ivn_spec ring_spec = IVN_UINT_POW2(IVR_MIN_RING, IVR_MAX_RING);

static void
usage(FILE *f, const char *prog)
{
	char sec[64], burst[64], size[64], repeat[64], ring[64];

	ivn_allowed(&seconds_spec, sec, sizeof(sec));
	ivn_allowed(&burst_spec, burst, sizeof(burst));
	ivn_allowed(&size_spec, size, sizeof(size));
	ivn_allowed(&repeat_spec, repeat, sizeof(repeat));
	ivn_allowed(&ring_spec, ring, sizeof(ring));
	fprintf(f,
		"usage: %s [--seconds S] [--bursts 1,8,32,64] [--sizes 0,64,1500]\n"
		"          [--repeat R] [--ring N] [--impl both|ours|rte] [--api burst|frame]\n"
		"          [--json FILE|-] [--csv FILE|-]\n"
		"  --seconds S   length of each run (default 1):\n"
		"                %s\n"
		"  --bursts L    burst sizes, comma-separated, each %s\n"
		"  --sizes L     payload bytes copied per packet, comma-separated\n"
		"                (0 = descriptor only), each %s\n"
		"  --repeat R    runs of each, interleaved ours/rte_ring (default 3):\n"
		"                %s\n"
		"  --ring N      ring size of both (default 1024): %s\n"
		"  --impl I      run both (default), or only ours or rte (for profiling)\n"
		"  --api A       ours a burst per call (burst, the default: ivr_tx_take,\n"
		"                ivr_tx_push_n, ivr_rx_take_n) or a frame per call (frame)\n"
		"  --json F      results as JSON to file F, or - for stdout\n"
		"  --csv F       results as CSV to file F, or - for stdout\n",
		prog, sec, burst, size, repeat, ring);
}

/* val as sp says, into *out; false after saying what is wrong. */
static bool
parse_num(const char *opt, const char *val, const struct ivn_spec *sp,
		uint64_t *out)
{
	char err[IVN_ERR_LEN];

	if (ivn_parse(opt, val, sp, out, err, sizeof(err)) == 0)
		return true;
	fprintf(stderr, "%s\n", err);
	return false;
}

static bool
parse_list(const char *opt, const char *s, const struct ivn_spec *sp,
		unsigned int *list, unsigned int *n)
{
	char buf[256], *rest = buf, *tok;

	if (s == NULL || strlen(s) >= sizeof(buf)) {
		fprintf(stderr, "%s: missing or too long a list\n", opt);
		return false;
	}
	strcpy(buf, s);
	*n = 0;
	/* strsep keeps empty elements ("1,,8"): each must parse. */
	while ((tok = strsep(&rest, ",")) != NULL) {
		uint64_t v;

		if (*n == MAX_LIST) {
			fprintf(stderr, "%s: more than %d values\n", opt, MAX_LIST);
			return false;
		}
		if (!parse_num(opt, tok, sp, &v))
			return false;
		list[(*n)++] = (unsigned int)v;
	}
	if (*n == 0) {
		fprintf(stderr, "%s: empty list\n", opt);
		return false;
	}
	return true;
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const unsigned int bursts[] = { 1, 8, 32, 64 }, sizes[] = { 0, 64, 1500 };

	*o = (struct opts){ .seconds = 1.0, .repeat = 3, .ring = 1024,
		.n_bursts = 4, .n_sizes = 3, .run = { true, true } };
	memcpy(o->bursts, bursts, sizeof(bursts));
	memcpy(o->sizes, sizes, sizeof(sizes));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t v;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout, argv[0]);
			exit(0);
		}
		i++;
		if (strcmp(a, "--seconds") == 0) {
			if (!parse_num(a, val, &seconds_spec, &v))
				return -1;
			o->seconds = (double)v / 1000;
		} else if (strcmp(a, "--bursts") == 0) {
			if (!parse_list(a, val, &burst_spec, o->bursts, &o->n_bursts))
				return -1;
		} else if (strcmp(a, "--sizes") == 0) {
			if (!parse_list(a, val, &size_spec, o->sizes, &o->n_sizes))
				return -1;
		} else if (strcmp(a, "--repeat") == 0) {
			if (!parse_num(a, val, &repeat_spec, &v))
				return -1;
			o->repeat = (unsigned int)v;
		} else if (strcmp(a, "--ring") == 0) {
			if (!parse_num(a, val, &ring_spec, &v))
				return -1;
			o->ring = (unsigned int)v;
		} else if (strcmp(a, "--impl") == 0 && val != NULL) {
			if (strcmp(val, "both") != 0 && strcmp(val, "ours") != 0 &&
					strcmp(val, "rte") != 0) {
				fprintf(stderr, "--impl: invalid value '%s'; allowed: both, ours, rte\n",
						val);
				return -1;
			}
			o->run[OURS] = strcmp(val, "rte") != 0;
			o->run[RTE] = strcmp(val, "ours") != 0;
		} else if (strcmp(a, "--api") == 0 && val != NULL) {
			if (strcmp(val, "burst") != 0 && strcmp(val, "frame") != 0) {
				fprintf(stderr, "--api: invalid value '%s'; allowed: burst, frame\n",
						val);
				return -1;
			}
			o->frame_api = strcmp(val, "frame") == 0;
		} else if (strcmp(a, "--json") == 0 && val != NULL) {
			o->json = val;
		} else if (strcmp(a, "--csv") == 0 && val != NULL) {
			o->csv = val;
		} else {
			fprintf(stderr, "unknown option or missing value: '%s'\n", a);
			usage(stderr, argv[0]);
			return -1;
		}
	}
	for (unsigned int i = 0; i < o->n_bursts; i++)
		if (o->bursts[i] >= o->ring) {
			fprintf(stderr, "--bursts: %u does not fit a ring of %u\n",
					o->bursts[i], o->ring);
			return -1;
		}
	if (o->json && o->csv && strcmp(o->json, "-") == 0 && strcmp(o->csv, "-") == 0) {
		fprintf(stderr, "--json and --csv cannot both go to stdout\n");
		return -1;
	}
	return 0;
}

/* ---- results ---- */

struct result {
	unsigned int size, burst;
	double mpps[2][99];
	double median[2], best[2];
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
summarise(struct result *res, unsigned int repeat)
{
	for (int k = 0; k < 2; k++) {
		double v[99];

		memcpy(v, res->mpps[k], repeat * sizeof(double));
		qsort(v, repeat, sizeof(double), cmp_double);
		res->median[k] = repeat % 2 ? v[repeat / 2] :
			(v[repeat / 2 - 1] + v[repeat / 2]) / 2;
		res->best[k] = v[repeat - 1];
	}
}

static const char *
size_name(unsigned int size, char *buf, size_t len)
{
	if (size == 0)
		snprintf(buf, len, "desc");
	else
		snprintf(buf, len, "%u", size);
	return buf;
}

static void
print_table(FILE *f, const struct bench *B, const struct result *res, unsigned int n)
{
	char sz[16];

	fprintf(f, "ring %u, buffers %u, %.2f s per run, %u runs each (median / best Mpps), ours a %s per call, %s\n",
			B->o.ring, BUF_SIZE, B->o.seconds, B->o.repeat,
			B->o.frame_api ? "frame" : "burst",
			B->ncpu >= 2 ? "producer and consumer pinned to two cores" :
			"one CPU: not pinned");
	fprintf(f, "%7s %5s | %19s | %19s | %6s\n", "payload", "burst",
			"ivshmem_ring", "rte_ring SP/SC", "ratio");
	for (unsigned int i = 0; i < n; i++) {
		char cell[2][24], ratio[16] = "-";

		for (int k = 0; k < 2; k++)
			if (B->o.run[k])
				snprintf(cell[k], sizeof(cell[k]), "%8.2f / %8.2f",
						res[i].median[k], res[i].best[k]);
			else
				snprintf(cell[k], sizeof(cell[k]), "%19s", "-");
		if (B->o.run[OURS] && B->o.run[RTE])
			snprintf(ratio, sizeof(ratio), "%6.2f",
					res[i].median[OURS] / res[i].median[RTE]);
		fprintf(f, "%7s %5u | %s | %s | %6s\n",
				size_name(res[i].size, sz, sizeof(sz)), res[i].burst,
				cell[OURS], cell[RTE], ratio);
	}
}

static FILE *
open_out(const char *path)
{
	FILE *f;

	if (strcmp(path, "-") == 0)
		return stdout;
	f = fopen(path, "w");
	if (f == NULL)
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static void
close_out(FILE *f)
{
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
}

static void
print_json(FILE *f, const struct bench *B, const struct result *res, unsigned int n)
{
	fprintf(f, "{\"bench\": \"ring\", \"ring\": %u, \"buf_size\": %u, \"seconds\": %.3f, \"repeat\": %u, \"api\": \"%s\", \"pinned\": %s, \"unit\": \"Mpps\",\n \"results\": [",
			B->o.ring, BUF_SIZE, B->o.seconds, B->o.repeat,
			B->o.frame_api ? "frame" : "burst",
			B->ncpu >= 2 ? "true" : "false");
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f, "%s\n  {\"payload\": %u, \"burst\": %u", i ? "," : "",
				res[i].size, res[i].burst);
		for (int k = 0; k < 2; k++) {
			if (!B->o.run[k]) {
				fprintf(f, ", \"%s\": null", impl_name[k]);
				continue;
			}
			fprintf(f, ", \"%s\": {\"median\": %.4f, \"best\": %.4f, \"runs\": [",
					impl_name[k], res[i].median[k], res[i].best[k]);
			for (unsigned int r = 0; r < B->o.repeat; r++)
				fprintf(f, "%s%.4f", r ? ", " : "", res[i].mpps[k][r]);
			fprintf(f, "]}");
		}
		if (B->o.run[OURS] && B->o.run[RTE])
			fprintf(f, ", \"ratio\": %.4f}",
					res[i].median[OURS] / res[i].median[RTE]);
		else
			fprintf(f, ", \"ratio\": null}");
	}
	fprintf(f, "\n ]}\n");
}

static void
print_csv(FILE *f, const struct bench *B, const struct result *res, unsigned int n)
{
	fprintf(f, "payload,burst,impl,median_mpps,best_mpps,runs\n");
	for (unsigned int i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			if (!B->o.run[k])
				continue;
			fprintf(f, "%u,%u,%s,%.4f,%.4f,", res[i].size, res[i].burst,
					impl_name[k], res[i].median[k], res[i].best[k]);
			for (unsigned int r = 0; r < B->o.repeat; r++)
				fprintf(f, "%s%.4f", r ? ";" : "", res[i].mpps[k][r]);
			fputc('\n', f);
		}
}

static void
find_cpus(struct bench *B)
{
	cpu_set_t set;

	B->ncpu = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	for (int c = 0; c < CPU_SETSIZE && B->ncpu < 2; c++)
		if (CPU_ISSET(c, &set))
			B->cpu[B->ncpu++] = c;
}

int
main(int argc, char **argv)
{
	static struct bench B;
	struct ivr_config cfg;
	struct result *res;
	unsigned int n = 0;
	FILE *human;

	if (parse(argc, argv, &B.o) != 0)
		return 1;
	human = (B.o.json && strcmp(B.o.json, "-") == 0) ||
		(B.o.csv && strcmp(B.o.csv, "-") == 0) ? stderr : stdout;
	find_cpus(&B);
	if (B.ncpu < 2)
		fprintf(human, "only one CPU available: producer and consumer share it (not pinned)\n");

	cfg = (struct ivr_config){ .n_queues = 1, .ring_size = B.o.ring,
		.buf_size = BUF_SIZE, .max_frame = BUF_SIZE };
	B.size = ivr_region_size_for(&cfg);
	B.tx = malloc(ivr_tx_size(B.o.ring));
	B.data = rte_ring_new("bench_data", B.o.ring);
	B.pool = rte_ring_new("bench_pool", B.o.ring);
	if (posix_memalign(&B.base, IVR_PART_ALIGN, B.size) != 0 ||
			posix_memalign((void **)&B.pool_mem, 64, (size_t)B.o.ring * BUF_SIZE) != 0 ||
			posix_memalign((void **)&B.priv, 64, (size_t)PRIV_BUFS * BUF_SIZE) != 0 ||
			posix_memalign((void **)&B.src, 64, BUF_SIZE) != 0 ||
			B.tx == NULL || B.data == NULL || B.pool == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	/* touch everything once, so that no run pays for page faults */
	memset(B.pool_mem, 1, (size_t)B.o.ring * BUF_SIZE);
	memset(B.priv, 2, (size_t)PRIV_BUFS * BUF_SIZE);
	for (unsigned int i = 0; i < BUF_SIZE; i++)
		B.src[i] = (uint8_t)i;

	res = calloc((size_t)B.o.n_sizes * B.o.n_bursts, sizeof(*res));
	for (unsigned int s = 0; s < B.o.n_sizes; s++)
		for (unsigned int b = 0; b < B.o.n_bursts; b++, n++) {
			struct result *r = &res[n];

			r->size = B.o.sizes[s];
			r->burst = B.o.bursts[b];
			for (unsigned int k = 0; k < B.o.repeat; k++)
				for (int m = OURS; m <= RTE; m++)
					r->mpps[m][k] = B.o.run[m] ?
						run_one(&B, (enum impl)m, r->size, r->burst) : 0;
			summarise(r, B.o.repeat);
		}
	print_table(human, &B, res, n);
	if (B.o.json) {
		FILE *f = open_out(B.o.json);

		if (f == NULL)
			return 1;
		print_json(f, &B, res, n);
		close_out(f);
	}
	if (B.o.csv) {
		FILE *f = open_out(B.o.csv);

		if (f == NULL)
			return 1;
		print_csv(f, &B, res, n);
		close_out(f);
	}
	free(res);
	return 0;
}
