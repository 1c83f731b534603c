/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile peer. The victim (this process) runs its normal TX and RX
 * bursts on every queue, ivr_poll_peer and heartbeats, over a shared file;
 * a forked hostile process (test_ring_hostile_peer.c) writes adversarial
 * values into everything it can legitimately write: its own part (peer
 * block, queue control lines, descriptor rings, return rings) and the
 * region header (slot claims, magic, sizes). It cycles through modes:
 *
 *   garbage   random and boundary values (0, all-ones, ring size +-1,
 *             2^31, offsets just past the data area, ...) into random
 *             fields of its part
 *   smart     plays the protocol (real session words from the victim's
 *             epochs) so the victim's validation is actually reached,
 *             then sends bad descriptors, bad return ids, bad indices,
 *             bad rcons, arm storms, config flips and heartbeat silence
 *   header    smart, plus writes to slot claims, magic and sizes in the
 *             region header (the victim is evicted and attaches again)
 *
 * Queues 2 and 3 send half their frames from the pool area of our part
 * (external ids N..2N-1, ivr_tx_ext_push), each with a cookie of ours: the
 * hostile returns of those ids (garbage, repeated, never sent) must give
 * each cookie back at most once per send, and what is out must always be
 * what the library says it holds.
 *
 * The victim asserts: no crash and no sanitizer report (the ASan+UBSan
 * build runs this test too), no burst that never ends (a watchdog alarm
 * fails the test), every frame it is handed lies in the peer's data area
 * and within its own limits, its own part holds exactly what it wrote
 * (checked against its own record: config and lifecycle lines, queue
 * control lines, descriptor rings), and the error counters show that the
 * checks were reached. The region has PROT_NONE guard pages either side.
 *
 * Exit T_EXIT_PASS, T_EXIT_FAIL or T_EXIT_SKIP (t_helpers.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ivr_test.h"
#include "test_ring_hostile.h"

#define WATCHDOG_S	5	/* longest a loop turn may take (attach: ~1.3 s) */
#define CHECK_NS	(50 * 1000000ULL)
#define BEAT_NS		(10 * 1000000ULL)

struct opts {
	double seconds;
	uint64_t seed;
};

static struct hostile_ctl *C;
static void *base;
static uint64_t size;

/* ---- the victim ---- */

static const char *const why_name[] = {
	"up", "stopped", "no_peer", "peer_stopped", "dead", "bad_config",
	"mismatch", "evicted",
};

/* A buffer lent by ivr_rx_lend and not yet returned. */
struct held {
	const uint8_t *data;
	uint32_t len, id;
};

struct vq {
	struct ivr_tx *tx;
	struct ivr_rx rx;
	struct ivr_desc mirror[RING];	/* what our descriptor ring holds */
	uint32_t exp_cons, exp_rprod;	/* what our rx line holds */
	struct ivr_tx_stats tx_sum;	/* earlier attachments */
	struct ivr_rx_stats rx_sum;
	/* odd queues take frames zero-copy: they hold buffers for a while
	 * and return them in any order, as an application frees mbufs */
	bool lend;
	uint32_t n_held;
	struct held held[RING];
	/* queues 2 and 3 send half their frames from the pool area: the
	 * cookie of external id N + k is &ext_out[k], 1 while it is out */
	bool ext;
	uint8_t ext_out[RING];
};

struct victim {
	struct ivt_rng g;
	struct ivr_region r;
	struct vq q[QUEUES];
	uint8_t line0[IVR_CACHE_LINE], line2[IVR_CACHE_LINE];
	uint8_t *copy;			/* one frame, heap: ASan watches it */
	uint64_t why[8];
	uint64_t evictions, reattach_ok, reattach_fail[4];
	struct ivr_config cfg;		/* ours; each attachment flips lending */
	uint64_t frames, bytes_copied, sent, escapes, own_bad;
	uint64_t lent, returned, dropped_held;	/* odd queues */
	uint64_t ext_sent, ext_back, ext_dropped, ext_bad;	/* queues 2, 3 */
	uint64_t frames_by[2];		/* taken while we [1] lend or [0] copy */
	uint64_t ext_back_by[2];	/* pool ids back by [1] return or [0]
					 * consumption (the hostile lends or not) */
	uint64_t checks;
};

static void
watchdog(int sig)
{
	/* write(2) only: this runs in a signal handler. */
	static const char msg[] = "test_ring_hostile: FAIL: watchdog: one victim "
		"loop turn took over 5 s (an endless loop on hostile input?)\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(T_EXIT_FAIL);
	_exit(T_EXIT_FAIL);
}

static struct ivr_queue_ctl *
own_ctl(struct victim *v, uint16_t q)
{
	return (struct ivr_queue_ctl *)(v->r.part[v->r.slot] +
			sizeof(struct ivr_peer_block)) + q;
}

static void
fold_stats(struct vq *x)
{
	const uint64_t *a;
	uint64_t *s;

	a = (const uint64_t *)&x->tx->st;
	s = (uint64_t *)&x->tx_sum;
	for (size_t i = 0; i < sizeof(x->tx_sum) / 8; i++)
		s[i] += a[i];
	a = (const uint64_t *)&x->rx.st;
	s = (uint64_t *)&x->rx_sum;
	for (size_t i = 0; i < sizeof(x->rx_sum) / 8; i++)
		s[i] += a[i];
}

/* After an attach: bind the queues, record what our part must hold. */
static void
victim_bind(struct victim *v)
{
	ivr_set_running(&v->r, true);
	for (uint16_t q = 0; q < QUEUES; q++) {
		struct vq *x = &v->q[q];

		/* a new attachment: nothing of ours is out any more */
		for (uint32_t k = 0; k < RING; k++)
			v->ext_dropped += x->ext_out[k];
		memset(x->ext_out, 0, sizeof(x->ext_out));
		ivr_tx_init(x->tx, &v->r, q);
		ivr_tx_set_notify(x->tx, true);
		ivr_rx_init(&x->rx, &v->r, q);
		x->ext = q >= 2 && x->tx->ext_hi - x->tx->ext_lo >= (uint64_t)QUEUES * RING * BUF;
		memset(x->mirror, 0, sizeof(x->mirror));
		x->exp_cons = x->exp_rprod = 0;
		/* odd queues lend, when this attachment does */
		x->lend = (q & 1) && (v->r.cfg.rx_flags & IVR_RXF_LEND);
		v->dropped_held += x->n_held;
		x->n_held = 0;
	}
	memcpy(v->line0, v->r.self, IVR_CACHE_LINE);
	memcpy(v->line2, (uint8_t *)v->r.self + 2 * IVR_CACHE_LINE, IVR_CACHE_LINE);
}

/* One descriptor of len bytes from queue q's slice of our pool area;
 * false (the test failed) when the library hands out a bad id. */
static bool
victim_tx_ext(struct victim *v, uint16_t q, uint32_t len, uint16_t flags)
{
	struct vq *x = &v->q[q];
	struct ivr_tx *t = x->tx;
	uint32_t id = ivr_tx_ext_get(t), k = id - RING, slot = t->prod & (RING - 1);
	uint64_t off = t->ext_lo + ((uint64_t)q * RING + k) * BUF;

	if (id < RING || id >= 2 * RING || x->ext_out[k] || !ivr_tx_ext_ok(t, off, len)) {
		t_failed("queue %u: external id %u from the free list (out %u)", q, id,
				id - RING < RING ? x->ext_out[id - RING] : 0);
		v->ext_bad++;
		return false;
	}
	memset(t->part + off, (int)(id & 0xff), len < 64 ? len : 64);
	ivr_tx_ext_push(t, id, (uint32_t)off, len, flags, &x->ext_out[k]);
	x->ext_out[k] = 1;
	x->mirror[slot] = (struct ivr_desc){
		.offset = (uint32_t)off, .len = (uint16_t)len, .id = (uint16_t)(id | flags),
	};
	v->ext_sent++;
	return true;
}

/* The cookies of the external buffers the consumer gave back: each must
 * be one of ours, out, and given back once; then what is still out must
 * be what the library holds. */
static void
victim_ext_reap(struct victim *v, uint16_t q)
{
	struct vq *x = &v->q[q];
	void *c[64];
	uint32_t n, out = 0;

	while ((n = ivr_tx_ext_reap(x->tx, c, 64)) != 0) {
		for (uint32_t i = 0; i < n; i++) {
			uint8_t *o = c[i];

			if (o < x->ext_out || o >= x->ext_out + RING || *o != 1) {
				t_failed("queue %u: cookie %p back: not one of ours out", q, c[i]);
				v->ext_bad++;
				continue;
			}
			*o = 0;
			v->ext_back++;
			v->ext_back_by[x->tx->lend]++;
		}
	}
	for (uint32_t k = 0; k < RING; k++)
		out += x->ext_out[k];
	if (out != ivr_tx_ext_held(x->tx)) {
		t_failed("queue %u: %u external buffers out, the library holds %u",
				q, out, ivr_tx_ext_held(x->tx));
		v->ext_bad++;
	}
}

static void
victim_tx(struct victim *v, uint16_t q)
{
	struct vq *x = &v->q[q];
	struct ivr_tx *t = x->tx;
	uint32_t want = ivt_range(&v->g, 1, 32), n = ivr_tx_space(t, want), pushed = 0;
	uint8_t *lo = v->r.part[v->r.slot] + v->r.lay.data_off + (uint64_t)q * RING * BUF;

	if (n > RING) {
		t_failed("queue %u: ivr_tx_space says %u buffers, ring has %u", q, n, RING);
		return;
	}
	if (n > want)
		n = want;
	while (pushed < n) {
		uint32_t segs = n - pushed >= 2 && ivt_range(&v->g, 0, 3) == 0 ? 2 : 1;

		bool ext = x->ext && ivt_range(&v->g, 0, 1) == 0;

		for (uint32_t s = 0; s < segs; s++) {
			uint32_t len = ivt_range(&v->g, 1, BUF);
			uint16_t flags = s + 1 < segs ? IVR_DESC_NEXT : 0;
			uint32_t slot = t->prod & (RING - 1), id;
			uint8_t *b;

			if (ext) {
				if (!victim_tx_ext(v, q, len, flags))
					return;
				pushed++;
				continue;
			}
			id = ivr_tx_buf_get(t);

			if (id >= RING) {
				t_failed("queue %u: buffer id %u from the free list", q, id);
				return;
			}
			b = ivr_tx_buf(t, id);
			if (b < lo || b + BUF > lo + (uint64_t)RING * BUF) {
				t_failed("queue %u: buffer %u outside our data area", q, id);
				return;
			}
			memset(b, (int)(id & 0xff), len < 64 ? len : 64);
			ivr_tx_push(t, id, len, flags);
			x->mirror[slot] = (struct ivr_desc){
				.offset = (uint32_t)(v->r.lay.data_off +
						((uint64_t)q * RING + id) * BUF),
				.len = (uint16_t)len, .id = (uint16_t)(id | flags),
			};
			pushed++;
		}
	}
	ivr_tx_publish(t, pushed);
	v->sent += pushed;
	victim_ext_reap(v, q);
}

/* One frame the library accepted: it must be what it claims to be. */
static void
victim_frame(struct victim *v, uint16_t q, const struct ivr_frame *f)
{
	const uint8_t *lo = v->r.part[!v->r.slot] + v->r.lay.data_off;
	const uint8_t *hi = v->r.part[!v->r.slot] + v->r.part_size;
	uint32_t total = 0, at = 0;

	if (f->nseg < 1 || f->nseg > IVR_MAX_CHAIN ||
			f->len > hostile_cfg.max_frame) {
		t_failed("queue %u: frame of %u segments, %u bytes", q, f->nseg, f->len);
		v->escapes++;
		return;
	}
	for (uint32_t s = 0; s < f->nseg; s++) {
		const uint8_t *d = f->seg[s].data;

		if (d < lo || d >= hi || f->seg[s].len > (uint64_t)(hi - d) ||
				f->seg[s].len == 0) {
			t_failed("queue %u: segment %u at offset %td, %u bytes: outside the peer's data area",
					q, s, d - v->r.part[!v->r.slot], f->seg[s].len);
			v->escapes++;
			return;
		}
		total += f->seg[s].len;
	}
	if (total != f->len) {
		t_failed("queue %u: frame len %u, segments add up to %u", q, f->len, total);
		v->escapes++;
		return;
	}
	for (uint32_t s = 0; s < f->nseg; s++) {
		memcpy(v->copy + at, f->seg[s].data, f->seg[s].len);
		at += f->seg[s].len;
	}
	v->frames++;
	v->frames_by[(v->r.cfg.rx_flags & IVR_RXF_LEND) != 0]++;
	v->bytes_copied += at;
}

/* Lent segments of frame f join the held ones; past RING of them (the
 * hostile side repeats ids) they go back at once. */
static void
victim_hold(struct victim *v, struct vq *x, const struct ivr_frame *f)
{
	for (uint32_t s = 0; s < f->nseg; s++) {
		if (x->n_held == RING) {
			ivr_rx_ret(&x->rx, f->seg[s].id);
			v->returned++;
			continue;
		}
		x->held[x->n_held++] = (struct held){
			f->seg[s].data, f->seg[s].len, f->seg[s].id };
		v->lent++;
	}
}

/* Returns some held buffers, picked at random: reads each once more (an
 * application looking at its mbuf), then gives it back. */
static void
victim_return(struct victim *v, struct vq *x)
{
	uint32_t n = x->n_held == 0 ? 0 : ivt_range(&v->g, 0, x->n_held);

	while (n-- != 0) {
		uint32_t i = ivt_range(&v->g, 0, x->n_held - 1);
		struct held h = x->held[i];

		memcpy(v->copy, h.data, h.len);
		ivr_rx_ret(&x->rx, h.id);
		v->returned++;
		x->held[i] = x->held[--x->n_held];
	}
	ivr_rx_flush(&x->rx);
}

static void
victim_rx(struct victim *v, uint16_t q)
{
	struct vq *x = &v->q[q];
	struct ivr_rx *rx = &x->rx;
	uint64_t sessions = rx->st.sessions;
	uint32_t avail = ivr_rx_begin(rx), frames = 0;
	struct ivr_frame f;

	if (avail > RING)
		t_failed("queue %u: %u descriptors waiting in a ring of %u", q, avail, RING);
	/* held buffers belong to the session they were lent in */
	if (rx->st.sessions != sessions) {
		v->dropped_held += x->n_held;
		x->n_held = 0;
	}
	while (frames < IVT_MAX_BURST &&
			(x->lend ? ivr_rx_lend(rx, &f) : ivr_rx_next(rx, &f))) {
		victim_frame(v, q, &f);
		if (x->lend)
			victim_hold(v, x, &f);
		frames++;
	}
	if (rx->st.sessions != sessions)
		x->exp_cons = x->exp_rprod = 0;
	if (ivr_rx_end(rx, frames)) {
		if (x->lend)
			victim_return(v, x);
		x->exp_cons = rx->cons;
		x->exp_rprod = rx->rprod;
	} else if (x->lend) {
		/* the producer restarted: what it lent is its own again */
		v->dropped_held += x->n_held;
		x->n_held = 0;
	}
	/* now and then, the sleep handshake */
	if (ivt_range(&v->g, 0, 15) == 0) {
		sessions = rx->st.sessions;
		ivr_rx_arm(rx);
		ivr_rx_disarm(rx);
		if (rx->st.sessions != sessions) {
			x->exp_cons = x->exp_rprod = 0;
			v->dropped_held += x->n_held;
			x->n_held = 0;
		}
	}
}

/* Our part holds exactly what we wrote. */
static void
victim_check_own(struct victim *v)
{
	const uint8_t *self = (const uint8_t *)v->r.self;

	v->checks++;
	if (memcmp(self, v->line0, IVR_CACHE_LINE) != 0) {
		t_failed("our lifecycle line changed: state %u epoch %u",
				v->r.self->state, v->r.self->epoch);
		v->own_bad++;
	}
	if (memcmp(self + 2 * IVR_CACHE_LINE, v->line2, IVR_CACHE_LINE) != 0) {
		t_failed("our config line changed");
		v->own_bad++;
	}
	for (uint16_t q = 0; q < QUEUES; q++) {
		struct vq *x = &v->q[q];
		const struct ivr_queue_ctl *c = own_ctl(v, q);
		uint64_t txs = x->tx->st.sessions ?
			IVR_SYNC(v->r.epoch, x->tx->peer_epoch) : 0;
		uint64_t rxs = x->rx.st.sessions ?
			IVR_SYNC(v->r.epoch, x->rx.peer_epoch) : 0;

		if (c->tx.prod != x->tx->prod || c->tx.rcons != x->tx->rcons ||
				c->tx.sync != txs || c->rx.cons != x->exp_cons ||
				c->rx.rprod != x->exp_rprod || c->rx.sync != rxs ||
				c->notify.armed != x->rx.armed ||
				c->notify.vector != q + 1) {
			t_failed("queue %u: our control lines changed: tx %u/%u %#llx (want %u/%u %#llx), rx %u/%u %#llx (want %u/%u %#llx), armed %u (want %u) vector %u",
					q, c->tx.prod, c->tx.rcons,
					(unsigned long long)c->tx.sync,
					x->tx->prod, x->tx->rcons,
					(unsigned long long)txs, c->rx.cons,
					c->rx.rprod, (unsigned long long)c->rx.sync,
					x->exp_cons, x->exp_rprod,
					(unsigned long long)rxs, c->notify.armed,
					x->rx.armed, c->notify.vector);
			v->own_bad++;
		}
		if (memcmp(x->tx->ring, x->mirror, sizeof(x->mirror)) != 0) {
			t_failed("queue %u: our descriptor ring changed", q);
			v->own_bad++;
		}
	}
}

/* Evicted (the hostile wrote our slot claim): attach again, as a PMD
 * would after a reset. A failed attempt leaves the old, evicted state. */
static void
victim_reattach(struct victim *v)
{
	struct ivr_attach_opts ao = { .slot = 0, .dead_ms = IVR_DEAD_MS_MIN, .claim_ms = 50 };
	struct ivr_region nr;
	int ret;

	v->cfg.rx_flags ^= IVR_RXF_LEND;	/* the other way this time */
	ret = ivr_attach(&nr, base, size, &v->cfg, &ao);
	if (ret != 0) {
		v->reattach_fail[ret == -EPROTO ? 0 : ret == -ETIMEDOUT ? 1 :
			ret == -EBUSY ? 2 : 3]++;
		return;
	}
	v->reattach_ok++;
	for (uint16_t q = 0; q < QUEUES; q++)
		fold_stats(&v->q[q]);
	ivr_detach(&v->r);	/* evicted: touches nothing */
	v->r = nr;
	victim_bind(v);
}

static const struct ivn_spec seconds_spec = IVN_MSEC(100, 3600000);
static const struct ivn_spec seed_spec = IVN_UINT(0, UINT64_MAX);

static int
parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .seconds = 4, .seed = ivt_random_seed() };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t ms;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("usage: %s [--seconds S] [--seed N]\n", argv[0]);
			exit(0);
		}
		i++;
		if (strcmp(a, "--seconds") == 0) {
			if (!ivt_parse(a, val, &seconds_spec, &ms))
				return -1;
			o->seconds = (double)ms / 1000;
		} else if (strcmp(a, "--seed") == 0) {
			if (!ivt_parse(a, val, &seed_spec, &o->seed))
				return -1;
		} else {
			t_log("unknown option '%s' (--help lists them)", a);
			return -1;
		}
	}
	return 0;
}

/* Earlier attachments' counters plus the live ones. */
static uint64_t
sum_tx(struct victim *v, size_t off)
{
	uint64_t t = ivt_sum_u64(&v->q[0].tx_sum, sizeof(struct vq), QUEUES, off);

	for (int q = 0; q < QUEUES; q++)
		t += ivt_sum_u64(&v->q[q].tx->st, 0, 1, off);
	return t;
}

static uint64_t
sum_rx(struct victim *v, size_t off)
{
	return ivt_sum_u64(&v->q[0].rx_sum, sizeof(struct vq), QUEUES, off) +
		ivt_sum_u64(&v->q[0].rx.st, sizeof(struct vq), QUEUES, off);
}

#define TX(f)	sum_tx(v, IVR_OFFSETOF(struct ivr_tx_stats, f))
#define RX(f)	sum_rx(v, IVR_OFFSETOF(struct ivr_rx_stats, f))

/* Every check the hostile side aims at, and whether it was reached. */
static const char *const goal_name[] = {
	"rx bad_desc", "rx bad_index", "rx ret_full", "tx bad_ret",
	"tx bad_index", "link bad_config", "frames taken", "pool ids back",
	"frames taken copying", "frames taken lending",
	"pool ids back by consumption", "pool ids back by return",
};
#define GOALS	(sizeof(goal_name) / sizeof(goal_name[0]))

static unsigned int
goals(struct victim *v, uint64_t got[GOALS])
{
	unsigned int missing = 0;

	got[0] = RX(bad_desc);
	got[1] = RX(bad_index);
	got[2] = RX(ret_full);
	got[3] = TX(bad_ret);
	got[4] = TX(bad_index);
	got[5] = v->why[IVR_DOWN_BAD_CONFIG];
	got[6] = v->frames;
	got[7] = v->ext_back;
	got[8] = v->frames_by[0];
	got[9] = v->frames_by[1];
	got[10] = v->ext_back_by[0];
	got[11] = v->ext_back_by[1];
	for (size_t i = 0; i < GOALS; i++)
		missing += got[i] == 0;
	return missing;
}

int
main(int argc, char **argv)
{
	static struct victim vs;
	struct victim *v = &vs;
	struct ivr_attach_opts ao = { .slot = 0, .dead_ms = IVR_DEAD_MS_MIN };
	uint64_t t0, end, hard_end, next_check = 0, next_beat = 0, got[GOALS];
	struct sigaction sa;
	struct opts o;
	char err[256];
	double elapsed;
	pid_t parent, pid;
	int st;

	t_init("test_ring_hostile");
	if (parse(argc, argv, &o) != 0)
		t_fail("bad command line (above)");
	C = t_shared_anon(sizeof(*C));
	/* twice the least: a pool area past the copy buffers for queues 2, 3 */
	size = 2 * ivr_region_size_for(&hostile_cfg);
	base = ivt_shm_region(size, err, sizeof(err));
	if (base == NULL)
		t_skip("needs a shared file: %s", err);
	t_log("ring hostile: at least %.1f s, %d queues of %d, region %llu bytes, seed %llu",
			o.seconds, QUEUES, RING, (unsigned long long)size,
			(unsigned long long)o.seed);
	ivt_rng_seed(&v->g, o.seed);
	v->copy = malloc(hostile_cfg.max_frame);
	for (int q = 0; q < QUEUES; q++)
		v->q[q].tx = malloc(ivr_tx_size(RING));
	v->cfg = hostile_cfg;
	v->cfg.rx_flags = o.seed & 1 ? IVR_RXF_LEND : 0;
	if (ivr_attach(&v->r, base, size, &v->cfg, &ao) != 0)
		t_fail("victim attach: %s", v->r.errmsg);
	victim_bind(v);
	parent = getpid();
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		t_child_init(parent);
		hostile_main(base, size, C, ivt_mix(o.seed));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog;
	sigaction(SIGALRM, &sa, NULL);
	t0 = t_now_ns();
	end = t0 + (uint64_t)(o.seconds * 1e9);
	hard_end = t0 + (uint64_t)(5 * o.seconds * 1e9);
	/* At least --seconds; longer (up to 5x) while some check has not
	 * been reached yet, as on a loaded machine. */
	for (uint64_t now = t0; now < end || (now < hard_end && goals(v, got) > 0);
			now = t_now_ns()) {
		alarm(WATCHDOG_S);
		for (uint16_t q = 0; q < QUEUES; q++) {
			victim_tx(v, q);
			victim_rx(v, q);
		}
		ivr_poll_peer(&v->r, now);
		v->why[v->r.pv.why < 8 ? v->r.pv.why : 7]++;
		if (now >= next_beat) {
			next_beat = now + BEAT_NS;
			if (!ivr_heartbeat(&v->r)) {
				v->evictions++;
				victim_reattach(v);
			}
		}
		if (now >= next_check) {
			next_check = now + CHECK_NS;
			victim_check_own(v);
		}
	}
	alarm(0);
	__atomic_store_n(&C->stop, 1, __ATOMIC_RELEASE);
	T_EXPECT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"the hostile process ended with status 0 (%#x)", st);
	victim_check_own(v);
	elapsed = (double)(t_now_ns() - t0) / 1e9;

	t_log("  hostile writes: garbage %llu, smart %llu, smart+churn %llu, header %llu",
			(unsigned long long)C->writes[0],
			(unsigned long long)C->writes[1],
			(unsigned long long)C->writes[2],
			(unsigned long long)C->header_writes);
	t_log("  victim: sent %llu descriptors, took %llu frames (%llu bytes copied), evicted %llu times, attached again %llu, attach refused: proto %llu timeout %llu busy %llu other %llu",
			(unsigned long long)v->sent, (unsigned long long)v->frames,
			(unsigned long long)v->bytes_copied,
			(unsigned long long)v->evictions,
			(unsigned long long)v->reattach_ok,
			(unsigned long long)v->reattach_fail[0],
			(unsigned long long)v->reattach_fail[1],
			(unsigned long long)v->reattach_fail[2],
			(unsigned long long)v->reattach_fail[3]);
	t_log("  zero-copy queues: lent %llu buffers, returned %llu (in any order), dropped %llu held across a producer restart",
			(unsigned long long)v->lent, (unsigned long long)v->returned,
			(unsigned long long)v->dropped_held);
	t_log("  pool queues: sent %llu external buffers, %llu back (each once), %llu dropped at a new attachment",
			(unsigned long long)v->ext_sent, (unsigned long long)v->ext_back,
			(unsigned long long)v->ext_dropped);
	t_log("  rx: bad_desc %llu, bad_index %llu, ret_full %llu, stale %llu, sessions %llu, arms %llu",
			(unsigned long long)RX(bad_desc), (unsigned long long)RX(bad_index),
			(unsigned long long)RX(ret_full), (unsigned long long)RX(stale),
			(unsigned long long)RX(sessions), (unsigned long long)RX(arms));
	t_log("  tx: bad_ret %llu, bad_index %llu, dropped in flight %llu, sessions %llu, kicks %llu",
			(unsigned long long)TX(bad_ret), (unsigned long long)TX(bad_index),
			(unsigned long long)TX(dropped_inflight),
			(unsigned long long)TX(sessions), (unsigned long long)TX(kicks));
	{
		char polls[512];
		size_t k = 0;

		for (int i = 0; i < 8 && k < sizeof(polls); i++)
			k += (size_t)snprintf(polls + k, sizeof(polls) - k, " %s %llu",
					why_name[i], (unsigned long long)v->why[i]);
		t_log("  link (polls):%s", polls);
	}
	t_log("  own part checks: %llu, changed %llu; frames outside the peer's data area %llu",
			(unsigned long long)v->checks, (unsigned long long)v->own_bad,
			(unsigned long long)v->escapes);

	/* The hostile side must have reached every check it aims at. */
	goals(v, got);
	for (size_t i = 0; i < GOALS; i++)
		T_EXPECT(got[i] > 0, "the hostile side reached %s: %llu in %.1f s",
				goal_name[i], (unsigned long long)got[i], elapsed);
	T_EXPECT(v->lent > 0 && v->returned > 0,
			"zero-copy queues lent %llu and returned %llu buffers: both happened",
			(unsigned long long)v->lent, (unsigned long long)v->returned);
	T_EXPECT(v->ext_sent > 0 && v->ext_back > 0 && v->ext_bad == 0,
			"pool queues sent %llu external buffers, %llu came back, none twice or unknown (%llu bad)",
			(unsigned long long)v->ext_sent, (unsigned long long)v->ext_back,
			(unsigned long long)v->ext_bad);
	T_EXPECT(v->own_bad == 0 && v->escapes == 0,
			"ring hostile: bad_desc %llu, bad_index %llu, bad_ret %llu, ret_full %llu, bad_config polls %llu, own part changed %llu, escapes %llu",
			(unsigned long long)RX(bad_desc),
			(unsigned long long)(RX(bad_index) + TX(bad_index)),
			(unsigned long long)TX(bad_ret),
			(unsigned long long)RX(ret_full),
			(unsigned long long)v->why[IVR_DOWN_BAD_CONFIG],
			(unsigned long long)v->own_bad,
			(unsigned long long)v->escapes);
	for (uint16_t q = 0; q < QUEUES; q++)
		free(v->q[q].tx);
	free(v->copy);
	ivr_detach(&v->r);
	ivt_unmap_region(base, size);
	return t_finish();
}
