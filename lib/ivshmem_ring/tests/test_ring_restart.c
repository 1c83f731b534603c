/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring restarts: a producer process and a consumer process stream
 * self-checking frames (ivr_test.h) over a shared file while one side at
 * a time is restarted, many times, at random points of the stream:
 *
 *   clean   the side detaches and attaches again with the same
 *           configuration (ivr_detach + ivr_attach: a new epoch)
 *   kill    the parent SIGKILLs the side and starts a new process, which
 *           takes the slot over once the heartbeat has been silent for
 *           dead_ms (IVR_DEAD_MS_MIN, 250 ms)
 *   requeue the side sets its queues up again (ivr_tx_init/ivr_rx_init)
 *           while attached, as a PMD's queue setup after a port stop:
 *           same epochs, so the stream must go on with no gap at all
 *
 * Every frame carries the producer's incarnation (its epoch) and a
 * sequence number within it. The consumer, across all its own
 * incarnations, asserts:
 *   - no frame from an incarnation older than one already received
 *     (no stale descriptor delivered after a restart);
 *   - within one producer incarnation and one consumer session, sequence
 *     numbers go up by exactly one after the first frame (gaps only
 *     across restarts, never across a requeue); across consumer restarts
 *     they still go up;
 *   - every payload checksum holds (no torn frame delivered).
 * After each restart the parent waits for frames to flow again, so a
 * session that never comes back fails the test too. The consumer lends
 * (IVR_RXF_LEND) in every other attachment, so that the producer meets
 * both ways of giving buffers back, and changes of way, at restarts.
 *
 * Exit T_EXIT_PASS, T_EXIT_FAIL or T_EXIT_SKIP (t_helpers.h); every child
 * counts its failures into the same verdict.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ivr_test.h"

#define QUEUES		2
#define DEAD_MS		IVR_DEAD_MS_MIN	/* the shortest the library takes */
#define BEAT_NS		(5 * 1000000ULL)
#define PROGRESS	500	/* frames to see after each restart */

enum role { PRODUCER = 0, CONSUMER = 1 };
static const char *const role_name[] = { "producer", "consumer" };

enum kind { CLEAN = 0, KILL = 1, REQUEUE = 2 };
static const char *const kind_name[] = { "re-attached", "killed", "requeued" };

struct opts {
	uint64_t restarts;
	uint64_t seed;
	uint64_t wait_s;	/* for frames to flow again after a restart */
	bool verbose;
};

/* Shared by the parent and all the children, in MAP_SHARED memory. */
struct ctl {
	void *base;
	uint64_t size;
	struct ivr_config cfg;
	uint32_t cons_attaches;		/* consumer attachments so far */
	uint64_t stamp;
	uint64_t seed;
	int cpu[2], ncpu;
	bool verbose;
	/* parent -> child: restart (kind) when cmd != ack; child echoes cmd */
	uint32_t cmd[2], ack[2];
	enum kind kind[2];
	uint32_t stop;
	/* consumer -> everyone: (incarnation << 32) | seq of the last frame
	 * verified on each queue, one atomic word so a kill never tears it */
	uint64_t last[QUEUES];
	uint64_t verified;
	uint64_t incarnations;	/* producer incarnations seen by consumers */
	/* counters folded in by children that end or re-attach cleanly */
	uint64_t stale, torn, bad_desc, bad_index, bad_ret, ret_full;
	uint64_t rx_sessions, tx_sessions, dropped_inflight, sent;
};

static struct ctl *C;

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static bool
stopping(void)
{
	return __atomic_load_n(&C->stop, __ATOMIC_ACQUIRE) != 0;
}

static bool
attach(struct ivr_region *r, enum role role)
{
	struct ivr_attach_opts ao = {
		.slot = (int)role, .dead_ms = DEAD_MS, .claim_ms = 5000,
	};
	struct ivr_config cfg = C->cfg;
	uint64_t t0 = t_now_ns();
	int ret;

	/* a new attachment of the consumer (in its new epoch) flips lending;
	 * the first one copies */
	if (role == CONSUMER)
		cfg.rx_flags = __atomic_fetch_add(&C->cons_attaches, 1, __ATOMIC_RELAXED) & 1 ?
			IVR_RXF_LEND : 0;
	ret = ivr_attach(r, C->base, C->size, &cfg, &ao);

	if (C->verbose)
		t_log("  %s attached in %.1f ms, epoch %u", role_name[role],
				(double)(t_now_ns() - t0) / 1e6, r->epoch);

	if (ret != 0) {
		t_failed("%s attach: %s", role_name[role], r->errmsg);
		return false;
	}
	ivr_set_running(r, true);
	return true;
}

/* Returns true when the parent asks this side to re-attach. */
static bool
asked(enum role role)
{
	return __atomic_load_n(&C->cmd[role], __ATOMIC_ACQUIRE) != C->ack[role];
}

static void
acknowledge(enum role role)
{
	__atomic_store_n(&C->ack[role], C->cmd[role], __ATOMIC_RELEASE);
}

/* A clean restart, at a burst boundary (kills cover the rest): detach,
 * maybe pause, attach again with the same configuration (new epoch). */
static void
reattach(struct ivr_region *r, enum role role, struct ivt_rng *g)
{
	ivr_detach(r);
	if (ivt_range(g, 0, 1))
		usleep(ivt_range(g, 0, 2000));
	if (!attach(r, role))
		_exit(2);
	acknowledge(role);
}

static void
beat(struct ivr_region *r, uint64_t *next)
{
	uint64_t now = t_now_ns();

	if (now >= *next) {
		*next = now + BEAT_NS;
		ivr_heartbeat(r);
		ivr_poll_peer(r, now);
	}
}

static void
producer_fold(struct ivr_tx *tx[QUEUES], struct ivt_sender *snd)
{
	for (int q = 0; q < QUEUES; q++) {
		add(&C->bad_ret, tx[q]->st.bad_ret);
		add(&C->bad_index, tx[q]->st.bad_index);
		add(&C->tx_sessions, tx[q]->st.sessions);
		add(&C->dropped_inflight, tx[q]->st.dropped_inflight);
		add(&C->sent, snd[q].frames);
		snd[q].frames = 0;
	}
}

static void
producer_main(uint64_t seed)
{
	struct ivr_tx *tx[QUEUES];
	struct ivt_sender snd[QUEUES];
	struct ivr_region r;
	struct ivt_rng g;
	uint64_t next = 0, turn = 0;

	ivt_rng_seed(&g, seed);
	for (int q = 0; q < QUEUES; q++)
		tx[q] = calloc(1, ivr_tx_size(C->cfg.ring_size));
	if (!attach(&r, PRODUCER))
		_exit(2);
	acknowledge(PRODUCER);
	for (bool fresh = true;;) {
		for (int q = 0; q < QUEUES; q++) {
			ivr_tx_init(tx[q], &r, (uint16_t)q);
			/* a new incarnation numbers its frames from 0; a
			 * requeue goes on where it was */
			if (fresh)
				snd[q] = (struct ivt_sender){
					.tx = tx[q], .stamp = C->stamp,
					.incarnation = r.epoch,
					.min_len = IVT_MIN_FRAME, .max_len = 4200,
				};
		}
		fresh = false;
		while (!stopping() && !asked(PRODUCER)) {
			for (int q = 0; q < QUEUES; q++)
				ivt_send(&snd[q], &g, ivt_range(&g, 1, IVT_MAX_BURST));
			ivt_stall(&g);
			if ((++turn & 63) == 0)
				beat(&r, &next);
		}
		producer_fold(tx, snd);
		if (stopping())
			break;
		if (C->kind[PRODUCER] == REQUEUE) {
			acknowledge(PRODUCER);
			continue;
		}
		reattach(&r, PRODUCER, &g);
		fresh = true;
	}
	ivr_detach(&r);
	_exit(0);
}

/* The consumer's per-process state: the producer incarnation this
 * consumer session already took a frame from, per queue. */
struct seen {
	uint32_t inc[QUEUES];
};

static void
check_frame(struct ivt_receiver *rcv, int q, uint32_t i, struct seen *seen)
{
	struct ivt_hdr h;
	enum ivt_verdict v = ivt_check(ivt_frame(rcv, i), rcv->len[i], C->stamp, &h);
	uint64_t last = __atomic_load_n(&C->last[q], __ATOMIC_RELAXED);
	uint32_t last_inc = (uint32_t)(last >> 32), last_seq = (uint32_t)last;

	if (v != IVT_OK) {
		t_failed("queue %d: corrupt frame (%s): len %u, header len %u inc %u seq %llu",
				q, ivt_verdict_name(v), rcv->len[i], h.len,
				h.incarnation, (unsigned long long)h.seq);
		return;
	}
	if (h.incarnation != rcv->rx->peer_epoch)
		t_failed("queue %d: frame of producer incarnation %u delivered in a session with %u",
				q, h.incarnation, rcv->rx->peer_epoch);
	if (h.incarnation < last_inc) {
		t_failed("queue %d: stale frame: incarnation %u seq %llu after a frame of incarnation %u",
				q, h.incarnation, (unsigned long long)h.seq, last_inc);
		return;
	}
	if (h.incarnation == last_inc) {
		if (seen->inc[q] == h.incarnation && h.seq != (uint64_t)last_seq + 1)
			t_failed("queue %d: incarnation %u: seq %llu after %u in one session (%s)",
					q, h.incarnation, (unsigned long long)h.seq,
					last_seq, h.seq > last_seq ? "gap" :
					"reordered or duplicate");
		else if (seen->inc[q] != h.incarnation && h.seq <= last_seq)
			t_failed("queue %d: incarnation %u: seq %llu after %u, across a consumer restart (redelivered)",
					q, h.incarnation, (unsigned long long)h.seq,
					last_seq);
	} else {
		add(&C->incarnations, 1);
	}
	seen->inc[q] = h.incarnation;
	__atomic_store_n(&C->last[q],
			((uint64_t)h.incarnation << 32) | (uint32_t)h.seq,
			__ATOMIC_RELAXED);
}

static void
consumer_fold(struct ivr_rx *rx, struct ivt_receiver *rcv)
{
	for (int q = 0; q < QUEUES; q++) {
		add(&C->stale, rx[q].st.stale);
		add(&C->bad_desc, rx[q].st.bad_desc);
		add(&C->bad_index, rx[q].st.bad_index);
		add(&C->ret_full, rx[q].st.ret_full);
		add(&C->rx_sessions, rx[q].st.sessions);
		add(&C->torn, rcv[q].torn);
	}
}

static void
consumer_main(uint64_t seed)
{
	struct ivr_rx rx[QUEUES];
	struct ivt_receiver rcv[QUEUES];
	struct ivr_region r;
	struct ivt_rng g;
	uint64_t next = 0, turn = 0;

	ivt_rng_seed(&g, seed);
	if (!attach(&r, CONSUMER))
		_exit(2);
	acknowledge(CONSUMER);
	for (struct seen seen = { { 0 } };;) {
		for (int q = 0; q < QUEUES; q++) {
			ivr_rx_init(&rx[q], &r, (uint16_t)q);
			if (!ivt_receiver_init(&rcv[q], &rx[q], C->cfg.max_frame))
				_exit(2);
		}
		while (!stopping() && !asked(CONSUMER)) {
			for (int q = 0; q < QUEUES; q++) {
				uint32_t n = ivt_recv(&rcv[q], ivt_range(&g, 1, IVT_MAX_BURST));

				for (uint32_t i = 0; i < n; i++)
					check_frame(&rcv[q], q, i, &seen);
				add(&C->verified, n);
			}
			ivt_stall(&g);
			if ((++turn & 63) == 0)
				beat(&r, &next);
		}
		consumer_fold(rx, rcv);
		for (int q = 0; q < QUEUES; q++)
			ivt_receiver_free(&rcv[q]);
		if (stopping())
			break;
		if (C->kind[CONSUMER] == REQUEUE) {
			/* same session: seen stays, no gap allowed */
			acknowledge(CONSUMER);
			continue;
		}
		reattach(&r, CONSUMER, &g);
		seen = (struct seen){ { 0 } };
	}
	ivr_detach(&r);
	_exit(0);
}

static pid_t
spawn(enum role role, uint64_t seed)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		t_child_init(parent);
		if (C->ncpu >= 2)
			ivt_pin(C->cpu[role]);
		if (role == PRODUCER)
			producer_main(seed);
		else
			consumer_main(seed);
	}
	return pid;
}

/* A child that ended on its own is a failure (it only ends when told). */
static bool
children_alive(pid_t pid[2])
{
	for (int i = 0; i < 2; i++) {
		int st;

		if (waitpid(pid[i], &st, WNOHANG) == pid[i]) {
			t_failed("%s process ended unexpectedly (status %#x)",
					role_name[i], st);
			pid[i] = 0;
			return false;
		}
	}
	return true;
}

/* What both parts say about themselves and each queue, for a stuck run. */
static void
dump_region(const char *why)
{
	const uint8_t *base = C->base;
	const struct ivr_region_hdr *h = (const void *)base;
	uint64_t psize = h->part_size;

	t_log("region after %s: slot owners %#llx %#llx", why,
			(unsigned long long)h->slot[0].owner,
			(unsigned long long)h->slot[1].owner);
	for (int s = 0; s < IVR_SLOTS; s++) {
		const struct ivr_peer_block *b = (const void *)(base + IVR_HDR_SIZE + s * psize);
		const struct ivr_queue_ctl *ctl = (const void *)(b + 1);

		t_log("  slot %d (%s): state %s epoch %u heartbeat %llu",
				s, role_name[s], ivr_state_name(b->state), b->epoch,
				(unsigned long long)b->heartbeat);
		for (int q = 0; q < QUEUES; q++)
			t_log("    q%d tx prod %u rcons %u sync %#llx | rx cons %u rprod %u sync %#llx | armed %u",
					q, ctl[q].tx.prod, ctl[q].tx.rcons,
					(unsigned long long)ctl[q].tx.sync,
					ctl[q].rx.cons, ctl[q].rx.rprod,
					(unsigned long long)ctl[q].rx.sync,
					ctl[q].notify.armed);
	}
}

/* Waits until PROGRESS more frames are verified. */
static bool
wait_progress(pid_t pid[2], uint64_t wait_s, const char *after)
{
	uint64_t base = __atomic_load_n(&C->verified, __ATOMIC_RELAXED);
	uint64_t t0 = t_now_ns();

	while (__atomic_load_n(&C->verified, __ATOMIC_RELAXED) < base + PROGRESS) {
		if (!children_alive(pid) || t_failures() != 0)
			return false;
		if (t_now_ns() - t0 > wait_s * 1000000000ULL) {
			dump_region(after);
			t_failed("no frames for %llu s after %s: the session did not come back",
					(unsigned long long)wait_s, after);
			return false;
		}
		usleep(500);
	}
	return true;
}

static bool
wait_ack(pid_t pid[2], enum role role, uint64_t wait_s)
{
	uint64_t t0 = t_now_ns();

	while (__atomic_load_n(&C->ack[role], __ATOMIC_ACQUIRE) != C->cmd[role]) {
		if (!children_alive(pid))
			return false;
		if (t_now_ns() - t0 > wait_s * 1000000000ULL) {
			t_failed("%s did not re-attach within %llu s", role_name[role],
					(unsigned long long)wait_s);
			return false;
		}
		usleep(200);
	}
	return true;
}

static const struct ivn_spec restarts_spec = IVN_UINT(1, 100000);
static const struct ivn_spec seed_spec = IVN_UINT(0, UINT64_MAX);
static const struct ivn_spec wait_spec = IVN_UINT(1, 600);

static int
parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .restarts = 100, .seed = ivt_random_seed(), .wait_s = 20 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("usage: %s [--restarts N] [--seed S] [--wait S] [--verbose]\n"
				"  --restarts N  restarts, alternating sides and clean/kill (default 100)\n"
				"  --seed S      PRNG seed (default random; printed)\n"
				"  --wait S      how long frames may stop after a restart (default 20)\n"
				"  --verbose     time every attach and every recovery\n",
				argv[0]);
			exit(0);
		}
		if (strcmp(a, "--verbose") == 0) {
			o->verbose = true;
			continue;
		}
		i++;
		if (strcmp(a, "--restarts") == 0) {
			if (!ivt_parse(a, val, &restarts_spec, &o->restarts))
				return -1;
		} else if (strcmp(a, "--seed") == 0) {
			if (!ivt_parse(a, val, &seed_spec, &o->seed))
				return -1;
		} else if (strcmp(a, "--wait") == 0) {
			if (!ivt_parse(a, val, &wait_spec, &o->wait_s))
				return -1;
		} else {
			t_log("unknown option '%s' (--help lists them)", a);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct ivt_rng g;
	pid_t pid[2];
	uint64_t done[2][3] = { { 0 } }, total = 0, t0, t1, seq = 1;
	char err[256];
	double s;
	bool ok = true;

	t_init("test_ring_restart");
	if (parse(argc, argv, &o) != 0)
		t_fail("bad command line (above)");
	C = t_shared_anon(sizeof(*C));
	C->cfg = (struct ivr_config){
		.n_queues = QUEUES, .ring_size = 256, .buf_size = 2048,
		.max_frame = 9018, .mac = { 2, 0, 0, 0, 0, 2 },
		.doorbell_id = IVR_NO_DOORBELL, .features = IVR_F_ALL,
	};
	C->size = ivr_region_size_for(&C->cfg);
	C->base = ivt_shm_region(C->size, err, sizeof(err));
	if (C->base == NULL)
		t_skip("needs a shared file: %s", err);
	C->seed = o.seed;
	C->stamp = ivt_mix(o.seed ^ 0x5245535441525400ULL);
	C->ncpu = ivt_cpus(C->cpu);
	C->verbose = o.verbose;
	ivt_rng_seed(&g, o.seed);
	t_log("ring restart: %llu restarts, %d queues, dead_ms %d, seed %llu",
			(unsigned long long)o.restarts, QUEUES, DEAD_MS,
			(unsigned long long)o.seed);

	t0 = t_now_ns();
	pid[PRODUCER] = spawn(PRODUCER, ivt_rand(&g));
	pid[CONSUMER] = spawn(CONSUMER, ivt_rand(&g));
	ok = wait_progress(pid, o.wait_s, "the start");
	for (uint64_t i = 0; ok && i < o.restarts; i++) {
		/* Every combination of side and kind, in a shuffled order. */
		enum role role = (i & 1) ? CONSUMER : PRODUCER;
		enum kind kind = (enum kind)(((i >> 1) + ivt_range(&g, 0, 2)) % 3);
		char what[64];

		usleep(ivt_range(&g, 0, 20000));
		snprintf(what, sizeof(what), "restart %llu (%s %s)",
				(unsigned long long)i + 1, role_name[role],
				kind_name[kind]);
		if (kind == KILL) {
			int st;

			kill(pid[role], SIGKILL);
			waitpid(pid[role], &st, 0);
			/* The new process takes the slot over after DEAD_MS. */
			C->ack[role] = C->cmd[role];
			pid[role] = spawn(role, ivt_rand(&g));
		} else {
			C->kind[role] = kind;
			__atomic_store_n(&C->cmd[role], (uint32_t)++seq, __ATOMIC_RELEASE);
			ok = wait_ack(pid, role, o.wait_s);
		}
		done[role][kind]++;
		total++;
		t1 = t_now_ns();
		ok = ok && wait_progress(pid, o.wait_s, what);
		if (o.verbose)
			t_log("%s: %d frames again after %.1f ms", what,
					PROGRESS, (double)(t_now_ns() - t1) / 1e6);
	}
	__atomic_store_n(&C->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++) {
		int st;

		if (pid[i] == 0)
			continue;
		if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) ||
				WEXITSTATUS(st) != 0) {
			t_failed("%s process ended with status %#x", role_name[i], st);
		}
	}
	s = (double)(t_now_ns() - t0) / 1e9;

	t_log("  restarts: producer re-attach %llu, kill %llu, requeue %llu; consumer re-attach %llu, kill %llu, requeue %llu",
			(unsigned long long)done[PRODUCER][CLEAN],
			(unsigned long long)done[PRODUCER][KILL],
			(unsigned long long)done[PRODUCER][REQUEUE],
			(unsigned long long)done[CONSUMER][CLEAN],
			(unsigned long long)done[CONSUMER][KILL],
			(unsigned long long)done[CONSUMER][REQUEUE]);
	t_log("  clean-ending sides: sent %llu, tx sessions %llu, dropped in flight %llu, rx sessions %llu, stale %llu, torn bursts %llu",
			(unsigned long long)C->sent,
			(unsigned long long)C->tx_sessions,
			(unsigned long long)C->dropped_inflight,
			(unsigned long long)C->rx_sessions,
			(unsigned long long)C->stale,
			(unsigned long long)C->torn);
	/* Reads torn by a producer re-initialising its part under a burst
	 * (zeroed descriptors, zeroed rcons) may count as bad_desc or
	 * ret_full; rx_end then discards the whole burst. */
	t_log("  counters (may count torn reads): bad_desc %llu, bad_index %llu, bad_ret %llu, ret_full %llu",
			(unsigned long long)C->bad_desc,
			(unsigned long long)C->bad_index,
			(unsigned long long)C->bad_ret,
			(unsigned long long)C->ret_full);
	T_EXPECT(ok && total == o.restarts, "ring restart: %llu of %llu restarts, frames "
			"verified %llu, producer incarnations seen %llu, elapsed %.1f s",
			(unsigned long long)total, (unsigned long long)o.restarts,
			(unsigned long long)C->verified,
			(unsigned long long)C->incarnations, s);
	return t_finish();
}
