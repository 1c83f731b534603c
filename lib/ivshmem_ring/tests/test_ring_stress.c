/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring stress: a producer and a consumer, each pinned to its own core,
 * move --packets self-checking frames (ivr_test.h) of random length
 * (60..9000 bytes over 2048-byte buffers, so chains are common) in random
 * bursts with random stalls on both sides. The consumer checks every frame
 * on arrival: run stamp, the producer's epoch, sequence (no loss, no
 * reorder), length and payload checksum (no corruption); every error
 * counter of the library must stay 0 with an honest peer.
 *
 *   --threads   two threads of one process over a page-aligned heap region
 *               (the mode the TSan build runs)
 *   --procs     two processes over a file in /dev/shm mapped MAP_SHARED
 *   --lend      the consumer lends (IVR_RXF_LEND): buffers go back through
 *               its return ring rather than by consumption
 *
 * Exit T_EXIT_PASS, T_EXIT_FAIL or T_EXIT_SKIP (t_helpers.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ivr_test.h"

#define MAX_REPORTS	10	/* mismatches printed in full */
#define HEARTBEAT_NS	(10 * 1000000ULL)

struct opts {
	bool procs;
	bool lend;
	uint64_t packets;
	uint16_t queues;
	uint32_t ring;
	uint32_t max_len;	/* frames are IVT_MIN_FRAME..max_len bytes */
	uint64_t seed;
	uint64_t stall_s;	/* no progress for this long: fail */
};

/* What each side reports back; lives in memory shared by both sides. */
struct side {
	uint64_t frames, bytes;
	uint64_t loss, reorder, corrupt, wrong_epoch, torn;
	uint64_t kicks, beats;
	struct ivr_tx_stats tx[IVR_MAX_QUEUES];
	struct ivr_rx_stats rx[IVR_MAX_QUEUES];
	int pinned;		/* CPU, or -1 */
	int failed;		/* setup failed: see err */
	char err[256];
};

struct shared {
	struct opts o;
	void *base;
	uint64_t size;
	struct ivr_config cfg;
	uint64_t stamp;
	int cpu[2], ncpu;
	/* written with atomics by the sides, read by the watchdog */
	uint64_t received;	/* consumer progress */
	int consumer_done;	/* producer may detach */
	int abort;
	struct side prod, cons;
};

static bool
aborted(struct shared *sh)
{
	return __atomic_load_n(&sh->abort, __ATOMIC_RELAXED) != 0;
}

static void
side_fail(struct shared *sh, struct side *s, const char *what, const char *why)
{
	snprintf(s->err, sizeof(s->err), "%s: %.200s", what, why);
	s->failed = 1;
	__atomic_store_n(&sh->abort, 1, __ATOMIC_RELAXED);
}

static void
side_pin(struct shared *sh, struct side *s, int which)
{
	s->pinned = -1;
	if (sh->ncpu >= 2) {
		int ret = ivt_pin(sh->cpu[which]);

		if (ret == 0)
			s->pinned = sh->cpu[which];
		else
			t_log("pinning to CPU %d: %s: running unpinned",
					sh->cpu[which], strerror(-ret));
	}
}

/* Heartbeat every HEARTBEAT_NS; checked every 256 loop turns. */
static void
maybe_beat(struct ivr_region *r, struct side *s, uint64_t turn, uint64_t *next)
{
	uint64_t now;

	if ((turn & 255) != 0)
		return;
	now = t_now_ns();
	if (now < *next)
		return;
	*next = now + HEARTBEAT_NS;
	ivr_heartbeat(r);
	ivr_poll_peer(r, now);
	s->beats++;
}

static void
run_producer(struct shared *sh)
{
	struct side *s = &sh->prod;
	struct ivr_attach_opts ao = { .slot = 0 };
	struct ivt_sender snd[IVR_MAX_QUEUES];
	struct ivr_tx *tx[IVR_MAX_QUEUES] = { NULL };
	uint64_t left[IVR_MAX_QUEUES], total = 0, turn = 0, next_beat = 0;
	uint16_t nq = sh->o.queues;
	struct ivt_rng g;
	struct ivr_region r;

	side_pin(sh, s, 0);
	ivt_rng_seed(&g, sh->o.seed);
	if (ivr_attach(&r, sh->base, sh->size, &sh->cfg, &ao) != 0)
		{
		side_fail(sh, s, "producer attach", r.errmsg);
		return;
	}
	for (uint16_t q = 0; q < nq; q++) {
		tx[q] = calloc(1, ivr_tx_size(sh->cfg.ring_size));
		if (tx[q] == NULL)
			{
		side_fail(sh, s, "producer", "out of memory");
		return;
	}
		ivr_tx_init(tx[q], &r, q);
		ivr_tx_set_notify(tx[q], true);
		snd[q] = (struct ivt_sender){
			.tx = tx[q], .stamp = sh->stamp, .incarnation = r.epoch,
			.min_len = IVT_MIN_FRAME, .max_len = sh->o.max_len,
		};
		left[q] = sh->o.packets / nq + (q == 0 ? sh->o.packets % nq : 0);
	}
	ivr_set_running(&r, true);

	while (total < sh->o.packets && !aborted(sh)) {
		for (uint16_t q = 0; q < nq; q++) {
			uint32_t burst = ivt_range(&g, 1, IVT_MAX_BURST), n;

			if (left[q] == 0)
				continue;
			if (burst > left[q])
				burst = (uint32_t)left[q];
			n = ivt_send(&snd[q], &g, burst);
			left[q] -= n;
			total += n;
		}
		ivt_stall(&g);
		maybe_beat(&r, s, ++turn, &next_beat);
	}
	/* Stay attached until the consumer has everything: detaching ends
	 * the session, and frames still in the ring would be lost. */
	while (!__atomic_load_n(&sh->consumer_done, __ATOMIC_ACQUIRE) && !aborted(sh)) {
		usleep(1000);
		maybe_beat(&r, s, 0, &next_beat);
	}
	for (uint16_t q = 0; q < nq; q++) {
		s->frames += snd[q].frames;
		s->bytes += snd[q].bytes;
		s->kicks += snd[q].kicks;
		s->tx[q] = tx[q]->st;
		free(tx[q]);
	}
	ivr_detach(&r);
}

static void
report(uint64_t *reports, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
report(uint64_t *reports, const char *fmt, ...)
{
	va_list ap;

	char msg[512];

	if ((*reports)++ >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t_log("consumer: %s", msg);
}

static void
check_frames(struct shared *sh, struct side *s, struct ivt_receiver *rcv,
		uint16_t q, uint32_t n, uint64_t *expect, uint64_t *reports)
{
	for (uint32_t i = 0; i < n; i++) {
		struct ivt_hdr h;
		enum ivt_verdict v = ivt_check(ivt_frame(rcv, i), rcv->len[i],
				sh->stamp, &h);

		s->frames++;
		s->bytes += rcv->len[i];
		if (v != IVT_OK) {
			s->corrupt++;
			report(reports, "queue %u frame %llu: %s (len %u, header len %u seq %llu)",
					q, (unsigned long long)s->frames,
					ivt_verdict_name(v), rcv->len[i], h.len,
					(unsigned long long)h.seq);
			continue;
		}
		if (h.incarnation != rcv->rx->peer_epoch) {
			s->wrong_epoch++;
			report(reports, "queue %u seq %llu: from producer epoch %u, in session with %u",
					q, (unsigned long long)h.seq, h.incarnation,
					rcv->rx->peer_epoch);
		}
		if (h.seq == *expect) {
			(*expect)++;
		} else if (h.seq > *expect) {
			report(reports, "queue %u: seq %llu, expected %llu: %llu lost",
					q, (unsigned long long)h.seq,
					(unsigned long long)*expect,
					(unsigned long long)(h.seq - *expect));
			s->loss += h.seq - *expect;
			*expect = h.seq + 1;
		} else {
			report(reports, "queue %u: seq %llu, expected %llu: reordered or duplicate",
					q, (unsigned long long)h.seq,
					(unsigned long long)*expect);
			s->reorder++;
		}
	}
}

static void
run_consumer(struct shared *sh)
{
	struct side *s = &sh->cons;
	struct ivr_attach_opts ao = { .slot = 1 };
	struct ivr_rx rx[IVR_MAX_QUEUES];
	struct ivt_receiver rcv[IVR_MAX_QUEUES];
	uint64_t expect[IVR_MAX_QUEUES] = { 0 }, turn = 0, next_beat = 0;
	uint64_t reports = 0;
	uint16_t nq = sh->o.queues;
	struct ivt_rng g;
	struct ivr_region r;

	side_pin(sh, s, 1);
	ivt_rng_seed(&g, ivt_mix(sh->o.seed));
	if (ivr_attach(&r, sh->base, sh->size, &sh->cfg, &ao) != 0)
		{
		side_fail(sh, s, "consumer attach", r.errmsg);
		return;
	}
	for (uint16_t q = 0; q < nq; q++) {
		ivr_rx_init(&rx[q], &r, q);
		if (!ivt_receiver_init(&rcv[q], &rx[q], sh->cfg.max_frame))
			{
		side_fail(sh, s, "consumer", "out of memory");
		return;
	}
	}
	ivr_set_running(&r, true);

	while (s->frames < sh->o.packets && !aborted(sh)) {
		for (uint16_t q = 0; q < nq; q++) {
			uint32_t n = ivt_recv(&rcv[q], ivt_range(&g, 1, IVT_MAX_BURST));

			check_frames(sh, s, &rcv[q], q, n, &expect[q], &reports);
		}
		__atomic_store_n(&sh->received, s->frames, __ATOMIC_RELAXED);
		ivt_stall(&g);
		maybe_beat(&r, s, ++turn, &next_beat);
	}
	__atomic_store_n(&sh->consumer_done, 1, __ATOMIC_RELEASE);
	for (uint16_t q = 0; q < nq; q++) {
		s->torn += rcv[q].torn;
		s->rx[q] = rx[q].st;
		ivt_receiver_free(&rcv[q]);
	}
	ivr_detach(&r);
}

static void *
producer_thread(void *arg)
{
	run_producer(arg);
	return NULL;
}

static void *
consumer_thread(void *arg)
{
	run_consumer(arg);
	return NULL;
}

/*
 * Waits for the sides, failing the run when the consumer makes no
 * progress for stall_s seconds. done() says whether they finished.
 */
static bool
watch(struct shared *sh, bool (*done)(void *), void *arg)
{
	uint64_t last = 0, last_ns = t_now_ns();

	while (!done(arg)) {
		uint64_t now = t_now_ns(), got;

		usleep(20000);
		got = __atomic_load_n(&sh->received, __ATOMIC_RELAXED);
		if (got != last) {
			last = got;
			last_ns = now;
		} else if (now - last_ns > sh->o.stall_s * 1000000000ULL &&
				!aborted(sh)) {
			t_failed("no progress for %llu s: consumer stuck at %llu of %llu frames",
					(unsigned long long)sh->o.stall_s,
					(unsigned long long)got,
					(unsigned long long)sh->o.packets);
			__atomic_store_n(&sh->abort, 1, __ATOMIC_RELAXED);
			return false;
		}
	}
	return true;
}

struct threads {
	pthread_t th[2];
	bool joined[2];
};

static bool
threads_done(void *arg)
{
	struct threads *t = arg;

	for (int i = 0; i < 2; i++)
		if (!t->joined[i] && pthread_tryjoin_np(t->th[i], NULL) == 0)
			t->joined[i] = true;
	return t->joined[0] && t->joined[1];
}

static int
run_threads(struct shared *sh)
{
	struct threads t = { .joined = { false, false } };

	if (pthread_create(&t.th[0], NULL, producer_thread, sh) != 0) {
		t_failed("pthread_create of the producer failed");
		return -1;
	}
	if (pthread_create(&t.th[1], NULL, consumer_thread, sh) != 0) {
		t_failed("pthread_create of the consumer failed");
		__atomic_store_n(&sh->abort, 1, __ATOMIC_RELAXED);
		pthread_join(t.th[0], NULL);
		return -1;
	}
	if (watch(sh, threads_done, &t))
		return 0;
	/* abort is set: both sides leave their loops */
	for (int i = 0; i < 2; i++)
		if (!t.joined[i])
			pthread_join(t.th[i], NULL);
	return -1;
}

struct procs {
	pid_t pid[2];
	int status[2];
};

static bool
procs_done(void *arg)
{
	struct procs *p = arg;
	bool all = true;

	for (int i = 0; i < 2; i++) {
		if (p->pid[i] == 0)
			continue;
		if (waitpid(p->pid[i], &p->status[i], WNOHANG) == p->pid[i])
			p->pid[i] = 0;
		else
			all = false;
	}
	return all;
}

static int
run_procs(struct shared *sh)
{
	struct procs p = { { 0, 0 }, { 0, 0 } };
	pid_t parent = getpid();
	int ok = 0;

	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			t_failed("fork: %s", strerror(errno));
			__atomic_store_n(&sh->abort, 1, __ATOMIC_RELAXED);
			ok = -1;
			break;
		}
		if (pid == 0) {
			t_child_init(parent);
			if (i == 0)
				run_producer(sh);
			else
				run_consumer(sh);
			_exit(0);
		}
		p.pid[i] = pid;
	}
	if (!watch(sh, procs_done, &p)) {
		sleep(1);
		for (int i = 0; i < 2; i++)
			if (p.pid[i] != 0)
				kill(p.pid[i], SIGKILL);
		ok = -1;
	}
	for (int i = 0; i < 2; i++) {
		if (p.pid[i] != 0 && waitpid(p.pid[i], &p.status[i], 0) < 0)
			p.status[i] = -1;
		if (!WIFEXITED(p.status[i]) || WEXITSTATUS(p.status[i]) != 0) {
			t_failed("%s process ended with status %#x",
					i == 0 ? "producer" : "consumer", p.status[i]);
			ok = -1;
		}
	}
	return ok;
}

/* The ranges of the numeric options, for parse() and usage(). */
static const struct ivn_spec packets_spec = IVN_UINT(1, 1ULL << 40);
static const struct ivn_spec queues_spec = IVN_UINT(1, IVR_MAX_QUEUES);
static const struct ivn_spec ring_spec = IVN_UINT_POW2(IVR_MIN_RING, IVR_MAX_RING);
static const struct ivn_spec max_len_spec = IVN_UINT(IVT_MIN_FRAME, IVT_MAX_FRAME);
static const struct ivn_spec seed_spec = IVN_UINT(0, UINT64_MAX);
static const struct ivn_spec stall_spec = IVN_UINT(1, 3600);

static void
usage(const char *prog)
{
	char packets[64], queues[64], ring[64], max_len[64], stall[64];

	ivn_allowed(&packets_spec, packets, sizeof(packets));
	ivn_allowed(&queues_spec, queues, sizeof(queues));
	ivn_allowed(&ring_spec, ring, sizeof(ring));
	ivn_allowed(&max_len_spec, max_len, sizeof(max_len));
	ivn_allowed(&stall_spec, stall, sizeof(stall));
	fprintf(stderr,
		"usage: %s --threads|--procs [--lend] [--packets N] [--queues Q]\n"
		"          [--ring N] [--max-len L] [--seed S] [--stall-timeout S]\n"
		"  --threads         two threads over a heap region (TSan runs this)\n"
		"  --procs           two processes over a shared file in /dev/shm\n"
		"  --lend            the consumer returns buffers through its return\n"
		"                    ring (default: they come back as it consumes)\n"
		"  --packets N       frames to move (default 10000000): %s\n"
		"  --queues Q        queue pairs, served round robin (default 1):\n"
		"                    %s\n"
		"  --ring N          ring size (default 1024): %s\n"
		"  --max-len L       longest frame (default %u; over 2048: chains):\n"
		"                    %s\n"
		"  --seed S          PRNG seed (default random; printed)\n"
		"  --stall-timeout S fail after S seconds without progress (default 60):\n"
		"                    %s\n",
		prog, packets, queues, ring, IVT_MAX_FRAME, max_len, stall);
}

static int
parse(int argc, char **argv, struct opts *o)
{
	int mode = 0;
	uint64_t v;

	*o = (struct opts){ .packets = 10000000, .queues = 1, .ring = 1024,
		.max_len = IVT_MAX_FRAME,
		.seed = ivt_random_seed(), .stall_s = 60 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--threads") == 0) {
			o->procs = false;
			mode++;
			continue;
		}
		if (strcmp(a, "--procs") == 0) {
			o->procs = true;
			mode++;
			continue;
		}
		if (strcmp(a, "--lend") == 0) {
			o->lend = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(argv[0]);
			exit(0);
		}
		i++;
		if (strcmp(a, "--packets") == 0) {
			if (!ivt_parse(a, val, &packets_spec, &o->packets))
				return -1;
		} else if (strcmp(a, "--queues") == 0) {
			if (!ivt_parse(a, val, &queues_spec, &v))
				return -1;
			o->queues = (uint16_t)v;
		} else if (strcmp(a, "--ring") == 0) {
			if (!ivt_parse(a, val, &ring_spec, &v))
				return -1;
			o->ring = (uint32_t)v;
		} else if (strcmp(a, "--max-len") == 0) {
			if (!ivt_parse(a, val, &max_len_spec, &v))
				return -1;
			o->max_len = (uint32_t)v;
		} else if (strcmp(a, "--seed") == 0) {
			if (!ivt_parse(a, val, &seed_spec, &o->seed))
				return -1;
		} else if (strcmp(a, "--stall-timeout") == 0) {
			if (!ivt_parse(a, val, &stall_spec, &o->stall_s))
				return -1;
		} else {
			usage(argv[0]);
			t_log("unknown option '%s'", a);
			return -1;
		}
	}
	if (mode != 1) {
		usage(argv[0]);
		t_log("give exactly one of --threads and --procs");
		return -1;
	}
	return 0;
}

#define RX(f)	ivt_sum_u64(sh->cons.rx, sizeof(struct ivr_rx_stats), nq, \
		IVR_OFFSETOF(struct ivr_rx_stats, f))
#define TX(f)	ivt_sum_u64(sh->prod.tx, sizeof(struct ivr_tx_stats), nq, \
		IVR_OFFSETOF(struct ivr_tx_stats, f))

int
main(int argc, char **argv)
{
	struct shared *sh;
	struct opts o;
	uint64_t t0, ns, bad;
	uint16_t nq;
	char err[256];
	int ret;
	double s;

	t_init("test_ring_stress");
	if (parse(argc, argv, &o) != 0)
		t_fail("bad command line (above)");
	/* Shared with the children in --procs mode; plain memory would do
	 * for --threads, but one path is simpler. */
	sh = t_shared_anon(sizeof(*sh));
	sh->o = o;
	nq = o.queues;
	sh->cfg = (struct ivr_config){
		.n_queues = nq, .ring_size = o.ring, .buf_size = 2048,
		.max_frame = 9018, .mac = { 2, 0, 0, 0, 0, 1 },
		.doorbell_id = IVR_NO_DOORBELL, .features = IVR_F_ALL,
		.rx_flags = o.lend ? IVR_RXF_LEND : 0,
	};
	sh->size = ivr_region_size_for(&sh->cfg);
	sh->stamp = ivt_mix(o.seed ^ 0x5354524553530000ULL);
	if (o.procs) {
		sh->base = ivt_shm_region(sh->size, err, sizeof(err));
		if (sh->base == NULL)
			t_skip("--procs needs a shared file: %s", err);
	} else if (posix_memalign(&sh->base, IVR_PART_ALIGN, sh->size) != 0) {
		t_fail("cannot allocate a %llu-byte region",
				(unsigned long long)sh->size);
	} else {
		memset(sh->base, 0, sh->size);
	}
	sh->ncpu = ivt_cpus(sh->cpu);
	t_log("ring stress (%s, a consumer that %s): %llu packets, %u queue(s), ring %u, buffers %u, frames %u..%u bytes, seed %llu",
			o.procs ? "procs" : "threads", o.lend ? "lends" : "copies",
			(unsigned long long)o.packets, nq, o.ring,
			sh->cfg.buf_size, IVT_MIN_FRAME, o.max_len,
			(unsigned long long)o.seed);

	t0 = t_now_ns();
	ret = o.procs ? run_procs(sh) : run_threads(sh);
	ns = t_now_ns() - t0;
	s = (double)ns / 1e9;

	if (sh->prod.failed)
		t_failed("%s", sh->prod.err);
	if (sh->cons.failed)
		t_failed("%s", sh->cons.err);
	if (ret != 0 && t_failures() == 0)
		t_failed("the two sides did not end cleanly");
	t_log("  producer: CPU %d, %llu frames, %llu kicks, %llu beats, sessions %llu, dropped in flight %llu",
			sh->prod.pinned, (unsigned long long)sh->prod.frames,
			(unsigned long long)sh->prod.kicks,
			(unsigned long long)sh->prod.beats,
			(unsigned long long)TX(sessions),
			(unsigned long long)TX(dropped_inflight));
	t_log("  consumer: CPU %d, %llu frames, sessions %llu, stale %llu, torn bursts %llu, wrong epoch %llu",
			sh->cons.pinned, (unsigned long long)sh->cons.frames,
			(unsigned long long)RX(sessions),
			(unsigned long long)RX(stale),
			(unsigned long long)sh->cons.torn,
			(unsigned long long)sh->cons.wrong_epoch);
	bad = sh->cons.loss + sh->cons.reorder + sh->cons.corrupt +
		sh->cons.wrong_epoch + sh->cons.torn + RX(bad_desc) +
		RX(bad_index) + RX(ret_full) + RX(stale) + TX(bad_ret) +
		TX(bad_index) + TX(dropped_inflight);
	T_EXPECT(sh->cons.frames == o.packets && sh->prod.frames == o.packets,
			"all %llu frames sent (%llu) and received (%llu)",
			(unsigned long long)o.packets,
			(unsigned long long)sh->prod.frames,
			(unsigned long long)sh->cons.frames);
	T_EXPECT(bad == 0, "ring stress (%s): packets %llu, bytes %llu, loss %llu, reorder %llu, corrupt %llu, bad_desc %llu, bad_ret %llu, bad_index %llu, ret_full %llu, elapsed %.2f s, %.3f Mpps, %.2f Gbit/s",
			o.procs ? "procs" : "threads",
			(unsigned long long)sh->cons.frames,
			(unsigned long long)sh->cons.bytes,
			(unsigned long long)sh->cons.loss,
			(unsigned long long)sh->cons.reorder,
			(unsigned long long)sh->cons.corrupt,
			(unsigned long long)RX(bad_desc),
			(unsigned long long)TX(bad_ret),
			(unsigned long long)(RX(bad_index) + TX(bad_index)),
			(unsigned long long)RX(ret_full), s,
			(double)sh->cons.frames / s / 1e6,
			(double)sh->cons.bytes * 8 / s / 1e9);
	if (o.procs)
		ivt_unmap_region(sh->base, sh->size);
	else
		free(sh->base);
	return t_finish();
}
