/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-path loops of ivshmem-bench, one per role, chosen once per lcore.
 * Every rx_burst and tx_burst call is bracketed by rte_rdtsc() so that the
 * cycles inside the PMD are told apart from the tool's own (mbuf alloc and
 * fill, free, accounting); the cost of one rte_rdtsc() is measured at start
 * and reported. Every BENCH_CHECK_MS the lcore publishes a few counters,
 * runs the controller if it is the only lcore, and follows the phase.
 *
 * The tool never drops a packet silently: a tx_burst that takes fewer than
 * offered leaves the rest pending, re-offered on the next turn of the loop
 * (counted as short bursts and retries); what is still pending when the
 * run stops is freed and counted as "unsent", never as sent.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench.h"

/* What the tool writes at the start of every frame it sends. */
struct bench_frame {
	struct rte_ether_hdr eth;
	uint32_t magic;
	uint16_t queue;
	uint16_t pad;
	uint64_t seq;
	uint64_t tsc;		/* ping: rte_rdtsc() when sent */
	uint64_t peer_rx_tsc;	/* pong: when its rx_burst returned the frame */
	uint64_t peer_tx_tsc;	/* pong: just before its tx_burst */
} __rte_packed __rte_aligned(2);

_Static_assert(sizeof(struct bench_frame) <= BENCH_MIN_SIZE, "header fits the smallest frame");

/* Loop state that never changes during a run, kept in registers. */
struct loop {
	struct bench_lcore *lc;
	struct bench_run *r;
	const struct bench_opts *o;
	struct rte_mempool *mp;
	uint64_t check_cyc;	/* BENCH_CHECK_MS in TSC cycles */
	uint64_t stall_cyc;	/* BENCH_STALL_US in TSC cycles */
	uint64_t next_check;
	uint64_t ping_timeout_cyc;
	uint64_t seq[BENCH_MAX_QUEUES];
	uint32_t size, segs, data_room;
	uint16_t port, burst;
	bool intr;
	struct rte_ether_hdr eth;
};

/* Counters at the window's start (end false) or end. */
static void
snapshot(struct bench_lcore *lc, uint64_t now, bool end)
{
	if (!end) {
		memcpy(lc->c0, lc->c, sizeof(lc->c0));
		lc->s0 = lc->s;
		lc->t0 = now;
	} else {
		memcpy(lc->c1, lc->c, sizeof(lc->c1));
		lc->s1 = lc->s;
		lc->t1 = now;
		lc->t1_last_pkt = lc->last_pkt_tsc;
	}
}

static void
publish(struct bench_lcore *lc)
{
	uint64_t rx = 0, tx = 0;

	for (uint16_t i = 0; i < lc->nq; i++) {
		rx += lc->c[i].rx_pkts;
		tx += lc->c[i].tx_pkts;
	}
	__atomic_store_n(&lc->pub.rx_pkts, rx, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->pub.tx_pkts, tx, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->pub.samples, lc->window_samples, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->pub.first_pkt_tsc, lc->first_pkt_tsc, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->pub.last_pkt_tsc, lc->last_pkt_tsc, __ATOMIC_RELAXED);
}

/*
 * Every BENCH_CHECK_MS: publish, run the controller when inline, follow the
 * phase (snapshots at the window's edges). False once the phase is STOP.
 */
static bool
check(struct loop *l, uint64_t now)
{
	struct bench_lcore *lc = l->lc;
	enum bench_phase ph;

	l->next_check = now + l->check_cyc;
	publish(lc);
	if (l->r->ctl_inline)
		bench_control(l->r, now);
	ph = (enum bench_phase)bench_phase_get(l->r);
	if (ph == lc->phase)
		return true;
	if (lc->phase < PH_MEASURE && ph >= PH_MEASURE)
		snapshot(lc, now, false);
	if (lc->phase <= PH_MEASURE && ph > PH_MEASURE)
		snapshot(lc, now, true);
	lc->phase = ph;
	__atomic_store_n(&lc->pub.phase_seen, (uint32_t)ph, __ATOMIC_RELEASE);
	return ph != PH_STOP;
}

static inline void
frame_fill(const struct loop *l, struct rte_mbuf *m, uint16_t q, uint64_t seq,
		uint64_t tsc)
{
	struct bench_frame *f = rte_pktmbuf_mtod(m, struct bench_frame *);

	f->eth = l->eth;
	f->magic = BENCH_MAGIC;
	f->queue = q;
	f->pad = 0;
	f->seq = seq;
	f->tsc = tsc;
	f->peer_rx_tsc = 0;
	f->peer_tx_tsc = 0;
}

/* The tool's header of m, or NULL when m is not one of its frames (or the
 * header is not in the first segment). */
static inline struct bench_frame *
frame_of(struct rte_mbuf *m)
{
	struct bench_frame *f = rte_pktmbuf_mtod(m, struct bench_frame *);

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*f) || f->magic != BENCH_MAGIC))
		return NULL;
	return f;
}

/* n frames of --size for queue i; 0 when the pool is empty. */
static uint16_t
build(struct loop *l, uint16_t i, struct rte_mbuf **pkts, uint16_t n, uint64_t tsc)
{
	uint16_t q = l->lc->q[i];

	if (likely(l->segs == 1)) {
		if (unlikely(rte_pktmbuf_alloc_bulk(l->mp, pkts, n) != 0))
			return 0;
		for (uint16_t k = 0; k < n; k++) {
			struct rte_mbuf *m = pkts[k];

			m->data_len = (uint16_t)l->size;
			m->pkt_len = l->size;
			frame_fill(l, m, q, l->seq[i]++, tsc);
		}
		return n;
	}
	/* Multi-segment: segs mbufs per frame, full but for the last. */
	for (uint16_t k = 0; k < n; k++) {
		struct rte_mbuf *seg[BENCH_MAX_SIZE / 1024 + 1]; /* --mbuf-size >= 1024 */
		uint32_t left = l->size;

		if (unlikely(rte_pktmbuf_alloc_bulk(l->mp, seg, l->segs) != 0)) {
			rte_pktmbuf_free_bulk(pkts, k);
			return 0;
		}
		for (uint32_t s = 0; s < l->segs; s++) {
			uint32_t len = RTE_MIN(left, l->data_room);

			seg[s]->data_len = (uint16_t)len;
			seg[s]->next = s + 1 < l->segs ? seg[s + 1] : NULL;
			left -= len;
		}
		seg[0]->nb_segs = (uint16_t)l->segs;
		seg[0]->pkt_len = l->size;
		frame_fill(l, seg[0], q, l->seq[i]++, tsc);
		pkts[k] = seg[0];
	}
	return n;
}

/*
 * Every burst call goes through these two, never inlined, so that a
 * profiler can count what a PMD costs by one function name, whether or not
 * the PMD has symbols (Debian's are stripped): e.g. callgrind
 * --toggle-collect=bench_pmd_tx_burst. One call per burst: noise.
 */
__rte_noinline uint16_t
bench_pmd_rx_burst(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port, q, pkts, n);
}

__rte_noinline uint16_t
bench_pmd_tx_burst(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port, q, pkts, n);
}

/* The receivers' free of what arrived, never inlined either: with
 * zero_copy=yes it runs the PMD's free callbacks, a part of what receiving
 * costs (callgrind --toggle-collect=bench_rx_free). */
__rte_noinline void
bench_rx_free(struct rte_mbuf **pkts, uint16_t n)
{
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * Whether [t0, t1] is an ordinary interval of work. One longer than
 * BENCH_STALL_US means this lcore was not running (preempted on a loaded
 * machine): it is counted as a stall and left out of the cycle sums.
 */
static inline bool
timed(struct loop *l, uint64_t t0, uint64_t t1)
{
	if (likely(t1 - t0 <= l->stall_cyc))
		return true;
	l->lc->s.stalls++;
	l->lc->s.stall_cyc += t1 - t0;
	return false;
}

/* Accounts one tx_burst call [t0, t1] that took sent of offered packets. */
static inline void
tx_count(struct loop *l, struct bench_ctr *c, uint16_t sent, uint16_t offered,
		uint64_t t0, uint64_t t1, uint64_t bytes, bool retry)
{
	bool ok = timed(l, t0, t1);

	c->tx_calls++;
	c->tx_retries += retry;
	if (likely(sent != 0)) {
		if (ok) {
			c->tx_cyc += t1 - t0;
			c->tx_cyc_pkts += sent;
		}
	} else {
		c->tx_zero++;
		if (ok) {
			c->tx_zero_cyc += t1 - t0;
			c->tx_zero_timed++;
		}
	}
	c->tx_short += sent < offered;
	c->tx_pkts += sent;
	c->tx_bytes += bytes;
}

/* Reads every byte of the n packets (--touch): what an application that
 * looks at the payload pays, on top of the PMD. */
static void
touch(struct rte_mbuf **pkts, uint16_t n)
{
	static volatile uint64_t sink;
	uint64_t sum = 0;

	for (uint16_t k = 0; k < n; k++)
		for (const struct rte_mbuf *m = pkts[k]; m != NULL; m = m->next) {
			const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
			uint32_t i = 0;

			for (; i + 8 <= m->data_len; i += 8) {
				uint64_t w;

				memcpy(&w, p + i, sizeof(w));
				sum += w;
			}
			for (; i < m->data_len; i++)
				sum += p[i];
		}
	sink += sum;
}

/* One rx_burst on queue i; counts, keeps the mbufs for the caller. *now is
 * when the previous call ended: a long gap since then is a stall too. */
static inline uint16_t
rx_one(struct loop *l, uint16_t i, struct rte_mbuf **pkts, uint64_t *now)
{
	struct bench_ctr *c = &l->lc->c[i];
	uint64_t t0 = rte_rdtsc(), t1, bytes = 0;
	uint16_t n = bench_pmd_rx_burst(l->port, l->lc->q[i], pkts, l->burst);

	t1 = rte_rdtsc();
	timed(l, *now, t0);
	*now = t1;
	if (n == 0) {
		c->rx_empty++;
		if (timed(l, t0, t1)) {
			c->rx_empty_cyc += t1 - t0;
			c->rx_empty_timed++;
		}
		return 0;
	}
	c->rx_calls++;
	if (timed(l, t0, t1)) {
		c->rx_cyc += t1 - t0;
		c->rx_cyc_pkts += n;
	}
	c->rx_pkts += n;
	for (uint16_t k = 0; k < n; k++)
		bytes += pkts[k]->pkt_len;
	c->rx_bytes += bytes;
	if (l->o->touch)
		touch(pkts, n);
	if (unlikely(l->lc->first_pkt_tsc == 0))
		l->lc->first_pkt_tsc = t1;
	l->lc->last_pkt_tsc = t1;
	return n;
}

/* One tx_burst on queue i: what was refused last time, else a new burst. */
static inline void
tx_one(struct loop *l, uint16_t i, uint64_t *now)
{
	struct bench_lcore *lc = l->lc;
	struct bench_ctr *c = &lc->c[i];
	struct rte_mbuf **pend = lc->pend + (size_t)i * l->burst;
	uint16_t n = lc->pend_n[i], off = lc->pend_off[i], sent;
	bool retry = n != 0;
	uint64_t t0 = rte_rdtsc(), t1, t2;

	timed(l, *now, t0);
	if (!retry) {
		off = 0;
		n = build(l, i, pend, l->burst, 0);
		if (unlikely(n == 0)) {
			c->nombuf++;
			/* a pool TX mbuf comes back when the port looks */
			rte_eth_tx_done_cleanup(l->port, lc->q[i], 0);
			*now = rte_rdtsc();
			return;
		}
	}
	t1 = rte_rdtsc();
	sent = bench_pmd_tx_burst(l->port, lc->q[i], pend + off, n);
	t2 = rte_rdtsc();
	*now = t2;
	if (!retry && timed(l, t0, t1)) {
		c->build_cyc += t1 - t0;
		c->build_pkts += n;
	}
	tx_count(l, c, sent, n, t1, t2, (uint64_t)sent * l->size, retry);
	lc->pend_n[i] = n - sent;
	lc->pend_off[i] = off + sent;
}

/*
 * RX interrupt mode: arm every queue of this lcore, sleep until a doorbell
 * (or timeout_ms), disarm, and let the caller poll again.
 */
static void
sleep_intr(struct loop *l, int timeout_ms, uint64_t *now)
{
	struct bench_lcore *lc = l->lc;
	struct rte_epoll_event ev[BENCH_MAX_QUEUES];
	uint64_t t0, t1;
	int n;

	for (uint16_t i = 0; i < lc->nq; i++)
		if (rte_eth_dev_rx_intr_enable(l->port, lc->q[i]) != 0) {
			while (i-- > 0)
				rte_eth_dev_rx_intr_disable(l->port, lc->q[i]);
			lc->s.arm_fail++;
			return;
		}
	t0 = rte_rdtsc();
	n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, RTE_DIM(ev), timeout_ms);
	t1 = rte_rdtsc();
	for (uint16_t i = 0; i < lc->nq; i++)
		rte_eth_dev_rx_intr_disable(l->port, lc->q[i]);
	lc->s.sleeps++;
	if (n > 0)
		lc->s.wakeups++;
	else
		lc->s.timeouts++;
	lc->s.sleep_cyc += t1 - t0;
	*now = rte_rdtsc();
}

/* Milliseconds until the next check, for an epoll timeout (at least 1). */
static int
ms_until(const struct loop *l, uint64_t deadline, uint64_t now)
{
	uint64_t ms = deadline > now ? (deadline - now) * 1000 / l->r->hz + 1 : 1;

	return (int)RTE_MIN(ms, (uint64_t)BENCH_EPOLL_MAX_MS);
}

/* Receivers, at the end: take what is still queued (it counts in the
 * totals, not in the window). Bounded: the peer may still be sending. */
static void
drain_rx(struct loop *l)
{
	struct rte_mbuf *pkts[BENCH_MAX_BURST];
	uint64_t now = rte_rdtsc();

	for (uint16_t i = 0; i < l->lc->nq; i++)
		for (unsigned int k = 0; k < 4096; k++) {
			uint16_t n = rx_one(l, i, pkts, &now);

			if (n == 0)
				break;
			rte_pktmbuf_free_bulk(pkts, n);
		}
}

/* Senders, at the end: what tx_burst never took is freed, as unsent. */
static void
free_pending(struct loop *l)
{
	struct bench_lcore *lc = l->lc;

	for (uint16_t i = 0; i < lc->nq; i++) {
		struct rte_mbuf **pend = lc->pend + (size_t)i * l->burst;

		rte_pktmbuf_free_bulk(pend + lc->pend_off[i], lc->pend_n[i]);
		lc->c[i].unsent += lc->pend_n[i];
		lc->pend_n[i] = 0;
	}
}

/* ---- tx, bidir ----------------------------------------------------------- */

static void
loop_tx(struct loop *l)
{
	uint64_t now = rte_rdtsc();

	for (;;) {
		if (unlikely(now >= l->next_check) && !check(l, now))
			break;
		if (unlikely(l->lc->phase == PH_WAIT)) {
			now = rte_rdtsc();
			continue;
		}
		for (uint16_t i = 0; i < l->lc->nq; i++)
			tx_one(l, i, &now);
	}
	free_pending(l);
}

static void
loop_bidir(struct loop *l)
{
	struct rte_mbuf *pkts[BENCH_MAX_BURST];
	uint64_t now = rte_rdtsc();

	for (;;) {
		if (unlikely(now >= l->next_check) && !check(l, now))
			break;
		for (uint16_t i = 0; i < l->lc->nq; i++) {
			uint16_t n = rx_one(l, i, pkts, &now);

			if (n != 0)
				rte_pktmbuf_free_bulk(pkts, n);
			if (likely(l->lc->phase != PH_WAIT))
				tx_one(l, i, &now);
		}
	}
	free_pending(l);
	drain_rx(l);
}

/* ---- rx, pong ------------------------------------------------------------ */

/* Sends all n back on queue i, retrying; frees the rest only at STOP. */
static void
echo(struct loop *l, uint16_t i, struct rte_mbuf **pkts, uint16_t n, uint64_t *now)
{
	struct bench_ctr *c = &l->lc->c[i];
	uint16_t off = 0;
	bool retry = false;

	/* The ping side splits its round trip with these two stamps (one
	 * TSC on one machine): when the frame came, when it goes back. */
	for (uint16_t k = 0; k < n; k++) {
		struct bench_frame *f = frame_of(pkts[k]);

		if (f != NULL)
			f->peer_rx_tsc = *now;
	}
	while (off < n) {
		uint64_t t1 = rte_rdtsc(), t2, bytes = 0;
		uint16_t sent;

		for (uint16_t k = off; k < n; k++) {
			struct bench_frame *f = frame_of(pkts[k]);

			if (f != NULL)
				f->peer_tx_tsc = t1;
		}
		sent = bench_pmd_tx_burst(l->port, l->lc->q[i], pkts + off, n - off);
		t2 = rte_rdtsc();
		*now = t2;
		for (uint16_t k = off; k < off + sent; k++)
			bytes += pkts[k]->pkt_len;
		tx_count(l, c, sent, n - off, t1, t2, bytes, retry);
		off += sent;
		if (off == n)
			break;
		retry = true;
		if (t2 >= l->next_check && !check(l, t2)) {
			rte_pktmbuf_free_bulk(pkts + off, n - off);
			c->unsent += n - off;
			break;
		}
	}
}

/*
 * Receivers: rx counts and frees what arrives, pong echoes it. In RX
 * interrupt mode, after --sleep-after empty rounds the lcore sleeps.
 */
static __rte_always_inline void
loop_recv(struct loop *l, bool do_echo)
{
	struct rte_mbuf *pkts[BENCH_MAX_BURST];
	uint64_t now = rte_rdtsc();
	uint32_t idle = 0;

	for (;;) {
		bool got = false;

		if (unlikely(now >= l->next_check) && !check(l, now))
			break;
		for (uint16_t i = 0; i < l->lc->nq; i++) {
			uint16_t n = rx_one(l, i, pkts, &now);

			if (n == 0)
				continue;
			got = true;
			if (do_echo)
				echo(l, i, pkts, n, &now);
			else
				bench_rx_free(pkts, n);
		}
		if (got)
			idle = 0;
		else if (l->intr && ++idle > l->o->sleep_after) {
			sleep_intr(l, BENCH_EPOLL_MAX_MS, &now);
			idle = 0;
		}
	}
	drain_rx(l);
}

static void
loop_rx(struct loop *l)
{
	loop_recv(l, false);
}

static void
loop_pong(struct loop *l)
{
	loop_recv(l, true);
}

/* ---- ping ---------------------------------------------------------------- */

/* Sends a round of up to --burst stamped frames on queue i. */
static void
ping_send(struct loop *l, uint16_t i, uint64_t *now)
{
	struct bench_lcore *lc = l->lc;
	struct bench_ping *p = &lc->ping[i];
	struct bench_ctr *c = &lc->c[i];
	struct rte_mbuf *pkts[BENCH_MAX_BURST];
	bool measured = lc->phase == PH_MEASURE;
	uint16_t n = l->burst, off = 0;
	uint64_t tsc;

	if (measured && l->o->count != 0) {
		uint64_t left = lc->quota - lc->window_sent;

		if (left == 0)
			return;
		n = (uint16_t)RTE_MIN((uint64_t)n, left);
	}
	if (build(l, i, pkts, n, 0) == 0) {
		c->nombuf++;
		rte_eth_tx_done_cleanup(l->port, lc->q[i], 0);
		*now = rte_rdtsc();
		return;
	}
	/* Frames of a round share one seq, and are stamped last thing
	 * before tx_burst so that the RTT does not include building them. */
	p->seq++;
	tsc = rte_rdtsc();
	for (uint16_t k = 0; k < n; k++) {
		struct bench_frame *f = rte_pktmbuf_mtod(pkts[k], struct bench_frame *);

		f->seq = p->seq;
		f->tsc = tsc;
	}
	while (off < n) {
		uint64_t t1 = rte_rdtsc(), t2;
		uint16_t sent = bench_pmd_tx_burst(l->port, lc->q[i], pkts + off, n - off);

		t2 = rte_rdtsc();
		tx_count(l, c, sent, n - off, t1, t2, (uint64_t)sent * l->size, off != 0);
		off += sent;
		if (off < n && t2 - tsc > l->ping_timeout_cyc)
			break;
	}
	if (off < n) {
		rte_pktmbuf_free_bulk(pkts + off, n - off);
		c->unsent += n - off;
	}
	c->ping_sent += off;
	p->sent_tsc = tsc;
	p->want = off;
	p->busy = off != 0;
	p->measured = measured;
	if (measured)
		lc->window_sent += n;
	if (measured && off < n)
		c->ping_lost += n - off;
	*now = rte_rdtsc();
}

/* Echoes back on queue i: samples for the round outstanding. */
static void
ping_recv(struct loop *l, uint16_t i, struct rte_mbuf **pkts, uint16_t n,
		uint64_t now)
{
	struct bench_lcore *lc = l->lc;
	struct bench_ping *p = &lc->ping[i];
	struct bench_ctr *c = &lc->c[i];

	for (uint16_t k = 0; k < n; k++) {
		const struct bench_frame *f = frame_of(pkts[k]);

		if (f == NULL || f->queue != lc->q[i] || !p->busy ||
				f->seq != p->seq || p->want == 0) {
			c->ping_stray++;
			continue;
		}
		c->ping_back++;
		p->want--;
		if (!p->measured)
			continue;
		bench_hist_add(&lc->hist[BENCH_RTT], now - f->tsc);
		lc->window_samples++;
		/* The pong's stamps, when they make sense on our clock. */
		if (f->tsc <= f->peer_rx_tsc && f->peer_rx_tsc <= f->peer_tx_tsc &&
				f->peer_tx_tsc <= now) {
			bench_hist_add(&lc->hist[BENCH_RTT_TO_PEER], f->peer_rx_tsc - f->tsc);
			bench_hist_add(&lc->hist[BENCH_RTT_AT_PEER], f->peer_tx_tsc - f->peer_rx_tsc);
			bench_hist_add(&lc->hist[BENCH_RTT_BACK], now - f->peer_tx_tsc);
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
	if (p->want == 0)
		p->busy = false;
}

static void
loop_ping(struct loop *l)
{
	struct bench_lcore *lc = l->lc;
	struct rte_mbuf *pkts[BENCH_MAX_BURST];
	uint64_t now = rte_rdtsc();
	uint32_t idle = 0;

	for (;;) {
		bool got = false, busy = false;
		uint64_t first_deadline = UINT64_MAX;

		if (unlikely(now >= l->next_check) && !check(l, now))
			break;
		for (uint16_t i = 0; i < lc->nq; i++) {
			struct bench_ping *p = &lc->ping[i];
			uint16_t n;

			if (!p->busy && (lc->phase == PH_WARMUP || lc->phase == PH_MEASURE))
				ping_send(l, i, &now);
			n = rx_one(l, i, pkts, &now);
			if (n != 0) {
				ping_recv(l, i, pkts, n, now);
				got = true;
			}
			if (p->busy && now - p->sent_tsc > l->ping_timeout_cyc) {
				if (p->measured)
					lc->c[i].ping_lost += p->want;
				p->busy = false;
			}
			if (p->busy) {
				busy = true;
				first_deadline = RTE_MIN(first_deadline,
						p->sent_tsc + l->ping_timeout_cyc);
			}
		}
		if (!busy && l->o->count != 0 && lc->phase == PH_MEASURE &&
				lc->window_sent >= lc->quota &&
				!__atomic_load_n(&lc->pub.done, __ATOMIC_RELAXED))
			__atomic_store_n(&lc->pub.done, 1, __ATOMIC_RELEASE);
		if (got)
			idle = 0;
		else if (l->intr && busy && ++idle > l->o->sleep_after) {
			sleep_intr(l, ms_until(l, first_deadline, now), &now);
			idle = 0;
		}
	}
	drain_rx(l);
}

/* ---- entry --------------------------------------------------------------- */

int
bench_lcore_main(void *arg)
{
	struct bench_lcore *lc = arg;
	struct loop l = {
		.lc = lc,
		.r = lc->run,
		.o = lc->run->o,
		.mp = lc->run->port.tx_mp,
		.size = lc->run->o->size,
		.segs = lc->run->port.segs,
		.data_room = lc->run->port.data_room,
		.port = lc->run->o->port,
		.burst = lc->run->o->burst,
		.intr = lc->run->o->rx_mode == BENCH_INTR &&
			lc->run->o->role != BENCH_TX && lc->run->o->role != BENCH_BIDIR,
	};

	l.check_cyc = l.r->hz * BENCH_CHECK_MS / 1000;
	l.stall_cyc = l.r->hz * BENCH_STALL_US / 1000000;
	l.ping_timeout_cyc = l.r->hz * l.o->ping_timeout_ms / 1000;
	memset(&l.eth.dst_addr, 0xff, sizeof(l.eth.dst_addr));
	rte_ether_addr_copy(&l.r->port.mac, &l.eth.src_addr);
	l.eth.ether_type = rte_cpu_to_be_16(BENCH_ETHERTYPE);
	if (l.intr && bench_intr_attach(l.o, lc) != 0) {
		lc->err = "RX interrupts could not be set up";
		__atomic_store_n(&lc->pub.phase_seen, PH_STOP, __ATOMIC_RELEASE);
		return -1;
	}
	lc->phase = PH_WAIT;
	switch (l.o->role) {
	case BENCH_RX:
		loop_rx(&l);
		break;
	case BENCH_TX:
		loop_tx(&l);
		break;
	case BENCH_BIDIR:
		loop_bidir(&l);
		break;
	case BENCH_PING:
		loop_ping(&l);
		break;
	case BENCH_PONG:
		loop_pong(&l);
		break;
	case BENCH_C2C:		/* no port: bench_c2c() */
		break;
	}
	publish(lc);
	return 0;
}
