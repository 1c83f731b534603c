/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-integrity: end-to-end check of a packet path. The tx role sends
 * numbered, checksummed frames (integrity_frame.h) round-robin over its
 * queues, retrying on a full ring so that it never drops a frame itself;
 * the rx role checks every frame on arrival, as DPDK's ring stress test
 * checks its elements, and counts what is lost, reordered or damaged.
 * Both watch the link and print its changes with timestamps, so a script
 * can relate them to a peer being killed.
 *
 * Lcores: the main one; with rx --free-thread, one more that frees
 * (integrity_hold.c). Options: integrity_opts.c; port: integrity_port.c.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "integrity_frame.h"
#include "integrity_hold.h"
#include "integrity_opts.h"
#include "integrity_port.h"

#define MAX_STAMPS	64	/* sender runs remembered by rx */
#define MAX_REPORTS	20	/* detailed lines per kind of problem */
#define COUNT_GRACE_MS	200	/* rx: after --count, wait for extra frames */

static volatile int quit;

static void
on_signal(int sig)
{
	quit = sig;
}

static void
usage_hook(const char *prgname __rte_unused)
{
	printf("\nOptions after \"--\":\n");
	integ_usage(stdout);
}

/* What both roles share: options, port, clocks, human output. */
struct run {
	const struct integ_opts *o;
	struct integ_port port;
	FILE *out;		/* stdout, or stderr with --json */
	uint64_t start_ms;
	uint64_t next_progress_ms;
	const char *stop;	/* why the run ended */
	char *xstats;		/* "xstats":{...}, taken before the port closes */
	unsigned int tx_pool_out; /* --tx-pool: its mbufs out after the close */
	uint8_t buf[INTEG_MAX_FRAME] __rte_aligned(8);
};

/* ---- --link-spin ------------------------------------------------------- */

static struct link_spin {
	pthread_t thread;
	bool on;
	uint16_t port;
	bool stop;
	uint64_t calls;
	uint64_t changes;
} spin;

/* Not an lcore: an application thread that asks for the link as fast as
 * it can, while the data path and the driver's own threads run. */
static void *
link_spin_main(void *arg)
{
	struct link_spin *ls = arg;
	struct rte_eth_link link;
	int last = -1;

	while (!__atomic_load_n(&ls->stop, __ATOMIC_RELAXED)) {
		if (rte_eth_link_get_nowait(ls->port, &link) == 0 &&
				link.link_status != last) {
			ls->changes += last >= 0;
			last = link.link_status;
		}
		ls->calls++;
		rte_pause();
	}
	return NULL;
}

/* Before the port closes: the thread must not outlive it. */
static void
link_spin_stop(FILE *out)
{
	if (!spin.on)
		return;
	__atomic_store_n(&spin.stop, true, __ATOMIC_RELAXED);
	pthread_join(spin.thread, NULL);
	spin.on = false;
	fprintf(out, "link-spin: %" PRIu64 " calls, %" PRIu64 " link changes seen\n",
			spin.calls, spin.changes);
}

/* The port's xstats die with it: keep them for the JSON summary. */
static void
run_close(struct run *r)
{
	size_t len;
	FILE *m = open_memstream(&r->xstats, &len);

	link_spin_stop(r->out);
	if (m != NULL) {
		integ_json_xstats(m, r->o->port);
		fclose(m);
	}
	r->tx_pool_out = integ_port_close(&r->port);
}

static void
json_xstats(const struct run *r)
{
	printf("%s,", r->xstats != NULL ? r->xstats : "\"xstats\":{}");
}

/* Housekeeping between bursts: link, progress, timeout, signals. Returns
 * false when the run must end (r->stop says why). */
static bool
run_tick(struct run *r, uint64_t now, void (*progress)(struct run *, uint64_t))
{
	integ_link_poll(&r->port, now);
	if (r->o->progress_ms != 0 && now >= r->next_progress_ms) {
		r->next_progress_ms = now + r->o->progress_ms;
		progress(r, now);
	}
	if (quit) {
		r->stop = "signal";
		return false;
	}
	if (now - r->start_ms >= r->o->timeout_ms) {
		r->stop = "timeout";
		return false;
	}
	return true;
}

static void
json_link_events(FILE *f, const struct integ_port *p)
{
	unsigned int n = RTE_MIN(p->n_events, (unsigned int)INTEG_MAX_EVENTS);

	fprintf(f, "\"link_changes\":%u,\"link_events\":[", p->n_events);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s{\"up\":%s,\"mono_ms\":%" PRIu64 ",\"real_ms\":%" PRIu64 "}",
				i ? "," : "", p->ev[i].up ? "true" : "false",
				p->ev[i].mono_ms, p->ev[i].real_ms);
	fprintf(f, "]");
}

static void
json_u64_array(FILE *f, const char *name, const uint64_t *v, unsigned int n)
{
	fprintf(f, "\"%s\":[", name);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s%" PRIu64, i ? "," : "", v[i]);
	fprintf(f, "]");
}

/* ---- tx ----------------------------------------------------------------- */

struct tx {
	struct run run;
	uint64_t stamp;
	uint64_t size_state;		/* PRNG of frame sizes */
	uint64_t seq[INTEG_MAX_QUEUES];	/* next per queue = sent per queue */
	uint64_t sent, bytes, retries;
	bool resetup_done;	/* --tx-resetup done */
};

static void
tx_progress(struct run *r, uint64_t now)
{
	struct tx *t = (struct tx *)r;

	fprintf(r->out, "progress: %.1f s: sent %" PRIu64 ", full-ring retries %" PRIu64 "\n",
			(now - r->start_ms) / 1000.0, t->sent, t->retries);
}

/* An mbuf (chain) holding the len bytes at buf; NULL when out of mbufs. */
static struct rte_mbuf *
frame_mbuf(struct integ_port *p, const uint8_t *buf, uint32_t len)
{
	struct rte_mbuf *head = NULL;

	for (uint32_t off = 0; off < len; ) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(p->tx_mp);
		uint32_t n = RTE_MIN(len - off, p->data_room);
		char *dst;

		p->tx_pool_allocs += m != NULL && p->tx_mp != p->mp;
		if (m == NULL || (dst = rte_pktmbuf_append(m, (uint16_t)n)) == NULL) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		memcpy(dst, buf + off, n);
		off += n;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
	}
	return head;
}

/* Builds up to n frames for queue q; returns how many. */
static uint16_t
tx_build(struct tx *t, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	const struct integ_opts *o = t->run.o;
	uint32_t span = o->max_size - o->min_size + 1;
	uint16_t i;

	for (i = 0; i < n; i++) {
		uint32_t len = o->min_size + (uint32_t)(integ_mix64(&t->size_state) % span);

		integ_frame_build(t->run.buf, len, &t->run.port.mac, t->stamp, q,
				t->seq[q]);
		pkts[i] = frame_mbuf(&t->run.port, t->run.buf, len);
		if (pkts[i] == NULL)
			break;
		t->seq[q]++;
		t->bytes += len;
	}
	return i;
}

/* Sends all n, retrying while the ring is full; fewer only if the run
 * ends meanwhile (the rest is freed and not counted). */
static uint16_t
tx_send_all(struct tx *t, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t done = 0;

	while (done < n) {
		done += rte_eth_tx_burst(t->run.o->port, q, pkts + done, n - done);
		if (done == n)
			break;
		t->retries++;
		if (!run_tick(&t->run, integ_mono_ms(), tx_progress))
			break;
		rte_pause();
	}
	for (uint16_t i = done; i < n; i++) {
		/* Not sent: it does not exist, and its seq is taken back. */
		t->bytes -= rte_pktmbuf_pkt_len(pkts[i]);
		rte_pktmbuf_free(pkts[i]);
	}
	t->seq[q] -= n - done;
	return done;
}

/*
 * Everything sent: before the port stops, wait until the receiver has
 * taken every frame of every queue (the newest descriptor's slot DONE, by
 * rte_eth_tx_descriptor_status), however slowly it runs, instead of the
 * PMD's bounded drain at stop. Ends early on a signal, at --timeout, or
 * once the link has stayed down TX_GONE_MS (the receiver is gone: a
 * heartbeat missed under load takes it down for less).
 */
#define TX_GONE_MS	5000

static void
tx_wait_taken(struct tx *t)
{
	const struct integ_opts *o = t->run.o;
	struct rte_eth_dev_info info;
	uint64_t down_since = 0;
	uint16_t q = 0, last;

	if (rte_eth_dev_info_get(o->port, &info) != 0 || info.default_txportconf.ring_size == 0)
		return;
	last = (uint16_t)(info.default_txportconf.ring_size - 1);
	while (q < o->queues && !quit) {
		uint64_t now = integ_mono_ms();

		if (now - t->run.start_ms >= o->timeout_ms)
			break;
		if (integ_link_poll(&t->run.port, now))
			down_since = 0;
		else if (down_since == 0)
			down_since = now;
		else if (now - down_since >= TX_GONE_MS)
			break;
		/* DONE, or a PMD that cannot tell */
		if (rte_eth_tx_descriptor_status(o->port, q, last) != RTE_ETH_TX_DESC_FULL)
			q++;
		else
			rte_delay_us_sleep(1000);
	}
}

static int
tx_main(struct tx *t)
{
	const struct integ_opts *o = t->run.o;
	struct rte_mbuf *pkts[INTEG_MAX_BURST];
	struct rte_eth_stats st;
	uint16_t q = 0;
	bool pass;

	while (getrandom(&t->stamp, sizeof(t->stamp), 0) != sizeof(t->stamp) ||
			t->stamp == 0)
		;
	t->size_state = o->seed;
	fprintf(t->run.out, "tx: stamp 0x%016" PRIx64 ", seed %" PRIu64 ", %u queue(s), frames %u..%u bytes\n",
			t->stamp, o->seed, o->queues, o->min_size, o->max_size);
	while (run_tick(&t->run, integ_mono_ms(), tx_progress)) {
		uint16_t n = o->burst, built, sent;

		if (o->count != 0) {
			if (t->sent == o->count) {
				t->run.stop = "count";
				break;
			}
			n = (uint16_t)RTE_MIN((uint64_t)n, o->count - t->sent);
		}
		if (o->tx_resetup != 0 && t->sent >= o->tx_resetup && !t->resetup_done) {
			t->resetup_done = true;
			if (integ_port_txq_resetup(o, &t->run.port) != 0) {
				t->run.stop = "a failed TX queue setup";
				break;
			}
		}
		built = tx_build(t, q, pkts, n);
		sent = tx_send_all(t, q, pkts, built);
		t->sent += sent;
		if (sent < built)
			break;
		if (sent != 0 && o->tx_pause_us != 0)
			rte_delay_us_sleep(o->tx_pause_us);
		if (built == 0) {
			/* mbufs all in flight: the PMD frees them (a pool TX
			 * mbuf when its buffer comes back: ask it to look) */
			rte_eth_tx_done_cleanup(o->port, q, 0);
			rte_pause();
		}
		q = (uint16_t)((q + 1) % o->queues);
	}
	if (strcmp(t->run.stop, "count") == 0 && !o->no_wait_taken)
		tx_wait_taken(t);
	rte_eth_stats_get(o->port, &st);
	run_close(&t->run);

	pass = (o->count == 0 || t->sent == o->count) && t->run.tx_pool_out == 0;
	if (o->tx_pool)
		fprintf(t->run.out, "tx pool: %u of %u mbufs still out after the port closed; %" PRIu64 " taken in all\n",
				t->run.tx_pool_out, t->run.port.tx_pool_n,
				t->run.port.tx_pool_allocs);
	fprintf(t->run.out, "tx summary: sent %" PRIu64 " frames (%" PRIu64 " bytes) in %.3f s, %" PRIu64 " full-ring retries; stopped by %s; port opackets %" PRIu64 " oerrors %" PRIu64 "\n",
			t->sent, t->bytes, (integ_mono_ms() - t->run.start_ms) / 1000.0,
			t->retries, t->run.stop, st.opackets, st.oerrors);
	for (uint16_t i = 0; i < o->queues; i++)
		fprintf(t->run.out, "  queue %u: sent %" PRIu64 "\n", i, t->seq[i]);
	fprintf(t->run.out, "RESULT: %s\n", pass ? "PASS" : t->run.tx_pool_out != 0 ?
			"FAIL (pool TX mbufs never came back)" :
			"FAIL (not all frames were sent)");
	if (o->json) {
		printf("{\"role\":\"tx\",\"port\":%u,\"queues\":%u,\"stamp\":\"0x%016" PRIx64 "\",\"seed\":%" PRIu64 ",\"count\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"retries\":%" PRIu64 ",",
				o->port, o->queues, t->stamp, o->seed, o->count,
				t->sent, t->bytes, t->retries);
		json_u64_array(stdout, "queue_sent", t->seq, o->queues);
		printf(",\"port_opackets\":%" PRIu64 ",\"port_oerrors\":%" PRIu64 ",\"stop\":\"%s\",\"elapsed_ms\":%" PRIu64 ",",
				st.opackets, st.oerrors, t->run.stop,
				integ_mono_ms() - t->run.start_ms);
		printf("\"tx_pool\":%s,\"tx_pool_mbufs\":%u,\"tx_pool_allocs\":%" PRIu64 ",\"tx_pool_out\":%u,",
				o->tx_pool ? "true" : "false", t->run.port.tx_pool_n,
				t->run.port.tx_pool_allocs, t->run.tx_pool_out);
		json_xstats(&t->run);
		json_link_events(stdout, &t->run.port);
		printf(",\"pass\":%s}\n", pass ? "true" : "false");
	}
	return pass ? INTEG_EXIT_PASS : INTEG_EXIT_FAIL;
}

/* ---- rx ----------------------------------------------------------------- */

struct rx_queue {
	bool seen;		/* a frame of the current stamp came */
	uint64_t next;		/* seq expected next */
	uint64_t frames;	/* of all stamps */
};

struct rx_stamp {
	uint64_t stamp;
	uint64_t frames;
	uint64_t first_mono_ms;
};

struct rx {
	struct run run;
	struct rx_queue q[INTEG_MAX_QUEUES];	/* by the frame's queue field */
	uint64_t arrived[INTEG_MAX_QUEUES];	/* by the queue it came on */
	struct rx_stamp stamps[MAX_STAMPS];
	unsigned int n_stamps;			/* all; the first MAX_STAMPS kept */
	bool join_any;		/* the first seq of a queue may be > 0 */
	uint64_t received, bytes, lost, reordered, corrupt, foreign, stale,
		extra, wrong_queue;
	uint64_t last_frame_ms, count_reached_ms;
	unsigned int reports;
	struct integ_hold *hold;	/* --hold, --free-thread; NULL: free here */
	unsigned int lcore;		/* the receiving one */
	unsigned int free_lcore;	/* --free-thread's; LCORE_ID_ANY: none */
	unsigned int pool_in_use[2];	/* mbufs in use: at start, at the end */
	/* --rx-mode intr: how sleeps ended, with the link up and down */
	uint64_t intr_wakes, intr_timeouts, intr_down_wakes, intr_down_timeouts;
};

/*
 * The buffer of the stream the run reports on, line-buffered: scripts read
 * it as it comes, a line at a time. A buffer of its own, because glibc
 * keeps the 1-byte buffer of a stream that was unbuffered (stderr, which
 * EAL already wrote) and then writes each piece of a line on its own, so
 * a process killed mid-line would leave half a line.
 */
static char out_buf[4096];

static void
rx_progress(struct run *r, uint64_t now)
{
	struct rx *x = (struct rx *)r;

	fprintf(r->out, "progress: %.1f s: received %" PRIu64 ", lost %" PRIu64 ", reordered %" PRIu64 ", corrupt %" PRIu64 ", stale %" PRIu64 ", foreign %" PRIu64 ", stamps %u",
			(now - r->start_ms) / 1000.0, x->received, x->lost,
			x->reordered, x->corrupt, x->stale, x->foreign, x->n_stamps);
	if (r->o->rx_intr)
		fprintf(r->out, ", woken %" PRIu64 ", timed out %" PRIu64 ", down-woken %" PRIu64 ", down-timeouts %" PRIu64 ", sleeps announced %" PRId64,
				x->intr_wakes, x->intr_timeouts, x->intr_down_wakes,
				x->intr_down_timeouts, integ_rx_sleeps(r->o));
	fputc('\n', r->out);
}

static void __attribute__((format(printf, 2, 3)))
rx_report(struct rx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->reports++ >= MAX_REPORTS) {
		if (x->reports == MAX_REPORTS + 1)
			fprintf(x->run.out, "(more problems: counted, not printed)\n");
		return;
	}
	va_start(ap, fmt);
	vfprintf(x->run.out, fmt, ap);
	va_end(ap);
}

static struct rx_stamp *
rx_find_stamp(struct rx *x, uint64_t stamp)
{
	for (unsigned int i = 0; i < RTE_MIN(x->n_stamps, (unsigned int)MAX_STAMPS); i++)
		if (x->stamps[i].stamp == stamp)
			return &x->stamps[i];
	return NULL;
}

/* Frame of a stamp not current. Returns the stamp's record, or NULL when
 * the frame is from a sender run that an other one already replaced. */
static struct rx_stamp *
rx_stamp_change(struct rx *x, const struct integ_seen *s, uint64_t now)
{
	struct rx_stamp *st;

	if (rx_find_stamp(x, s->stamp) != NULL) {
		x->stale++;
		rx_report(x, "stale: frame of replaced stamp 0x%016" PRIx64 " (queue %u seq %" PRIu64 ") after a newer one\n",
				s->stamp, s->queue, s->seq);
		return NULL;
	}
	if (x->n_stamps > 0 && !x->run.o->restart_ok)
		rx_report(x, "sender restarted: stamp 0x%016" PRIx64 " after 0x%016" PRIx64 " (give --restart-ok if expected)\n",
				s->stamp, x->stamps[RTE_MIN(x->n_stamps, (unsigned int)MAX_STAMPS) - 1].stamp);
	/* A receiver that joins a running sender may see any seq first;
	 * a sender's new run starts every queue at 0. */
	x->join_any = x->n_stamps == 0 && x->run.o->restart_ok;
	for (unsigned int i = 0; i < INTEG_MAX_QUEUES; i++)
		x->q[i].seen = false;
	fprintf(x->run.out, "stamp 0x%016" PRIx64 ": first frame at %" PRIu64 " ms CLOCK_MONOTONIC (queue %u seq %" PRIu64 ")\n",
			s->stamp, now, s->queue, s->seq);
	st = &x->stamps[RTE_MIN(x->n_stamps, (unsigned int)MAX_STAMPS - 1)];
	x->n_stamps++;
	*st = (struct rx_stamp){ .stamp = s->stamp, .first_mono_ms = now };
	return st;
}

static void
rx_check_seq(struct rx *x, const struct integ_seen *s)
{
	struct rx_queue *q = &x->q[s->queue];
	uint64_t want = q->seen ? q->next : 0;

	if (!q->seen && x->join_any)
		want = s->seq;
	q->seen = true;
	if (s->seq >= want) {
		if (s->seq > want) {
			x->lost += s->seq - want;
			rx_report(x, "lost: queue %u: seq %" PRIu64 " after %" PRIu64 " (%" PRIu64 " missing)\n",
					s->queue, s->seq, want, s->seq - want);
		}
		q->next = s->seq + 1;
	} else {
		x->reordered++;
		rx_report(x, "reordered: queue %u: seq %" PRIu64 " after %" PRIu64 "\n",
				s->queue, s->seq, q->next - 1);
	}
}

static void
rx_frame(struct rx *x, struct rte_mbuf *m, uint16_t rxq, uint64_t now)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p = rte_pktmbuf_read(m, 0, RTE_MIN(len, (uint32_t)INTEG_MAX_FRAME),
			x->run.buf);
	struct rx_stamp *st;
	struct integ_seen s;

	if (p != x->run.buf && ((uintptr_t)p & 7) != 0) {
		memcpy(x->run.buf, p, RTE_MIN(len, (uint32_t)INTEG_MAX_FRAME));
		p = x->run.buf;
	}
	switch (integ_frame_check(p, len, &s)) {
	case INTEG_FOREIGN:
		x->foreign++;
		rx_report(x, "foreign frame on queue %u: %s\n", rxq, s.why);
		return;
	case INTEG_CORRUPT:
		x->corrupt++;
		rx_report(x, "corrupt frame on queue %u (stamp 0x%016" PRIx64 " queue %u seq %" PRIu64 "): %s\n",
				rxq, s.stamp, s.queue, s.seq, s.why);
		return;
	case INTEG_OK:
		break;
	}
	if (s.queue >= INTEG_MAX_QUEUES) {
		x->corrupt++;
		rx_report(x, "corrupt: queue field %u\n", s.queue);
		return;
	}
	st = x->n_stamps > 0 ? &x->stamps[RTE_MIN(x->n_stamps, (unsigned int)MAX_STAMPS) - 1] : NULL;
	if (st == NULL || st->stamp != s.stamp)
		st = rx_stamp_change(x, &s, now);
	if (st == NULL)
		return;
	rx_check_seq(x, &s);
	if (s.queue != rxq)
		x->wrong_queue++;
	st->frames++;
	x->q[s.queue].frames++;
	x->arrived[rxq]++;
	x->received++;
	x->bytes += len;
	x->last_frame_ms = now;
	if (x->run.o->count != 0 && x->received > x->run.o->count && !x->run.o->restart_ok)
		x->extra++;
}

/* Whether rx is done by --count or --idle (sets run.stop). */
static bool
rx_done(struct rx *x, uint64_t now)
{
	const struct integ_opts *o = x->run.o;

	if (o->count != 0 && x->received >= o->count && !o->restart_ok) {
		if (x->count_reached_ms == 0)
			x->count_reached_ms = now;
		if (now - x->count_reached_ms >= COUNT_GRACE_MS) {
			x->run.stop = "count";
			return true;
		}
	}
	if (o->idle_ms != 0 && x->received > 0 && now - x->last_frame_ms >= o->idle_ms) {
		x->run.stop = "idle";
		return true;
	}
	/* the link was up and went down: a receiver that stops polling then */
	if (o->until_link_down && x->run.port.n_events >= 2 && !x->run.port.up) {
		x->run.stop = "link down";
		return true;
	}
	return false;
}

/* Reasons to fail, as one string ("" when none). */
static void
rx_verdict(const struct rx *x, char *why, size_t n)
{
	const struct integ_opts *o = x->run.o;
	size_t k = 0;

#define WHY(cond, ...) do { if ((cond) && k < n) \
	k += (size_t)snprintf(why + k, n - k, __VA_ARGS__); } while (0)
	why[0] = '\0';
	WHY(x->lost, "%" PRIu64 " lost; ", x->lost);
	WHY(x->reordered, "%" PRIu64 " reordered; ", x->reordered);
	WHY(x->corrupt, "%" PRIu64 " corrupt; ", x->corrupt);
	WHY(x->stale, "%" PRIu64 " of a replaced stamp; ", x->stale);
	WHY(x->extra, "%" PRIu64 " more than --count; ", x->extra);
	WHY(x->n_stamps > 1 && !o->restart_ok, "sender restarted %u time(s) without --restart-ok; ",
			x->n_stamps - 1);
	WHY(x->received == 0, "no frame received; ");
	WHY(o->count != 0 && !o->restart_ok && x->received < o->count,
			"%" PRIu64 " of %" PRIu64 " frames received; ", x->received, o->count);
	WHY(o->count != 0 && o->restart_ok && x->received < o->count,
			"%" PRIu64 " frames received, at least %" PRIu64 " expected; ",
			x->received, o->count);
#undef WHY
}

static void
rx_json(const struct rx *x, const struct rte_eth_stats *st, const char *why)
{
	const struct integ_opts *o = x->run.o;
	uint64_t per_queue[INTEG_MAX_QUEUES];

	printf("{\"role\":\"rx\",\"port\":%u,\"queues\":%u,\"count\":%" PRIu64 ",\"received\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"corrupt\":%" PRIu64 ",\"foreign\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"extra\":%" PRIu64 ",\"wrong_queue\":%" PRIu64 ",",
			o->port, o->queues, o->count, x->received, x->bytes, x->lost,
			x->reordered, x->corrupt, x->foreign, x->stale, x->extra,
			x->wrong_queue);
	for (unsigned int i = 0; i < o->queues; i++)
		per_queue[i] = x->q[i].frames;
	json_u64_array(stdout, "queue_frames", per_queue, o->queues);
	printf(",");
	json_u64_array(stdout, "rx_queue_frames", x->arrived, o->queues);
	printf(",\"n_stamps\":%u,\"stamps\":[", x->n_stamps);
	for (unsigned int i = 0; i < RTE_MIN(x->n_stamps, (unsigned int)MAX_STAMPS); i++)
		printf("%s{\"stamp\":\"0x%016" PRIx64 "\",\"frames\":%" PRIu64 ",\"first_mono_ms\":%" PRIu64 "}",
				i ? "," : "", x->stamps[i].stamp, x->stamps[i].frames,
				x->stamps[i].first_mono_ms);
	printf("],\"port_ipackets\":%" PRIu64 ",\"port_ierrors\":%" PRIu64 ",\"port_rx_nombuf\":%" PRIu64 ",\"stop\":\"%s\",\"elapsed_ms\":%" PRIu64 ",\"mbufs_in_use_start\":%u,\"mbufs_in_use_end\":%u,\"intr_wakes\":%" PRIu64 ",\"intr_timeouts\":%" PRIu64 ",\"intr_down_wakes\":%" PRIu64 ",\"intr_down_timeouts\":%" PRIu64 ",",
			st->ipackets, st->ierrors, st->rx_nombuf, x->run.stop,
			integ_mono_ms() - x->run.start_ms, x->pool_in_use[0],
			x->pool_in_use[1], x->intr_wakes, x->intr_timeouts,
			x->intr_down_wakes, x->intr_down_timeouts);
	printf("\"rx_lcore\":%u,\"free_lcore\":", x->lcore);
	if (x->free_lcore == LCORE_ID_ANY)
		printf("null,");
	else
		printf("%u,", x->free_lcore);
	json_xstats(&x->run);
	json_link_events(stdout, &x->run.port);
	printf(",\"pass\":%s,\"why\":\"%s\"}\n", why[0] ? "false" : "true", why);
}

/* How long an empty pass may sleep: --intr-timeout, cut short where the
 * run would meanwhile end (--timeout, --idle, the wait for extra frames
 * after --count) or print progress. */
static int
rx_sleep_ms(const struct rx *x, uint64_t now)
{
	const struct integ_opts *o = x->run.o;
	uint64_t at = now + o->intr_timeout_ms;	/* the sleep's end */

	at = RTE_MIN(at, x->run.start_ms + o->timeout_ms);
	if (x->count_reached_ms != 0)
		at = RTE_MIN(at, x->count_reached_ms + COUNT_GRACE_MS);
	if (o->idle_ms != 0 && x->received > 0)
		at = RTE_MIN(at, x->last_frame_ms + o->idle_ms);
	if (o->progress_ms != 0)
		at = RTE_MIN(at, x->run.next_progress_ms);
	return at > now ? (int)(at - now) : 1;
}

static int
rx_main(struct rx *x)
{
	const struct integ_opts *o = x->run.o;
	struct rte_mbuf *pkts[INTEG_MAX_BURST];
	struct rte_eth_stats st;
	char why[512];

	x->pool_in_use[0] = rte_mempool_in_use_count(x->run.port.mp);
	x->lcore = rte_lcore_id();
	if (o->hold != 0 || o->free_thread) {
		x->hold = integ_hold_create(o->hold, o->free_thread, x->run.port.mp);
		if (x->hold == NULL) {
			run_close(&x->run);
			return INTEG_EXIT_FAIL;
		}
	}
	x->free_lcore = integ_hold_free_lcore(x->hold);
	if (x->free_lcore != LCORE_ID_ANY)
		fprintf(x->run.out, "free thread: lcore %u (receiving lcore %u)\n",
				x->free_lcore, x->lcore);
	for (;;) {
		uint64_t now = integ_mono_ms();
		bool got = false;

		if (!run_tick(&x->run, now, rx_progress) || rx_done(x, now))
			break;
		for (uint16_t q = 0; q < o->queues; q++) {
			uint16_t n = rte_eth_rx_burst(o->port, q, pkts, o->burst);

			for (uint16_t i = 0; i < n; i++)
				rx_frame(x, pkts[i], q, now);
			if (x->hold != NULL)
				integ_hold_put(x->hold, pkts, n);
			else
				rte_pktmbuf_free_bulk(pkts, n);
			got |= n != 0;
			if (n != 0 && o->rx_pause_us != 0)
				rte_delay_us_sleep(o->rx_pause_us);
		}
		/* Nothing on any queue: sleep until rung (bounded, so link
		 * changes, --idle and --timeout are still seen). Counted apart
		 * with the link down: no peer to ring us then. */
		if (!got && o->rx_intr) {
			bool up = x->run.port.up;
			bool woken = integ_intr_sleep(o, rx_sleep_ms(x, integ_mono_ms()));

			if (up && woken)
				x->intr_wakes++;
			else if (up)
				x->intr_timeouts++;
			else if (woken)
				x->intr_down_wakes++;
			else
				x->intr_down_timeouts++;
		}
	}
	if (x->hold != NULL) {
		unsigned int cached = integ_hold_release(x->hold);

		if (x->free_lcore != LCORE_ID_ANY)
			fprintf(x->run.out, "free thread: lcore %u ended, %u mbufs of its cache back in the pool\n",
					x->free_lcore, cached);
	}
	/* Every mbuf the port handed us is back in the pool: zero-copy
	 * buffers included, whatever happened to their sender. */
	x->pool_in_use[1] = rte_mempool_in_use_count(x->run.port.mp);
	fprintf(x->run.out, "mbufs in use: %u at start, %u at the end\n",
			x->pool_in_use[0], x->pool_in_use[1]);
	rte_eth_stats_get(o->port, &st);
	run_close(&x->run);

	rx_verdict(x, why, sizeof(why));
	fprintf(x->run.out, "rx summary: received %" PRIu64 " frames (%" PRIu64 " bytes) in %.3f s from %u sender run(s); lost %" PRIu64 ", reordered %" PRIu64 ", corrupt %" PRIu64 ", stale %" PRIu64 ", extra %" PRIu64 ", foreign %" PRIu64 ", wrong queue %" PRIu64 "; stopped by %s; port ipackets %" PRIu64 " ierrors %" PRIu64 "\n",
			x->received, x->bytes, (integ_mono_ms() - x->run.start_ms) / 1000.0,
			x->n_stamps, x->lost, x->reordered, x->corrupt, x->stale,
			x->extra, x->foreign, x->wrong_queue, x->run.stop, st.ipackets,
			st.ierrors);
	for (uint16_t i = 0; i < o->queues; i++)
		fprintf(x->run.out, "  queue %u: %" PRIu64 " frames sent on it, %" PRIu64 " arrived on it\n",
				i, x->q[i].frames, x->arrived[i]);
	fprintf(x->run.out, "RESULT: %s%s%s\n", why[0] ? "FAIL (" : "PASS", why,
			why[0] ? ")" : "");
	if (o->json)
		rx_json(x, &st, why);
	return why[0] ? INTEG_EXIT_FAIL : INTEG_EXIT_PASS;
}

/* ---- main --------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	static union { struct tx tx; struct rx rx; } state;
	struct run *r = &state.tx.run;	/* first member of both */
	struct integ_opts o;
	int ret;

	rte_set_application_usage_hook(usage_hook);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, INTEG_PROG ": EAL init failed: %s\n", rte_strerror(rte_errno));
		return INTEG_EXIT_USAGE;
	}
	ret = integ_opts_parse(argc - ret, argv + ret, &o);
	if (ret != 0) {
		rte_eal_cleanup();
		return ret > 0 ? INTEG_EXIT_PASS : INTEG_EXIT_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	r->o = &o;
	r->out = o.json ? stderr : stdout;
	setvbuf(r->out, out_buf, _IOLBF, sizeof(out_buf));
	if (integ_port_start(&o, &r->port, r->out) != 0) {
		rte_eal_cleanup();
		return INTEG_EXIT_USAGE;
	}
	if (o.wait_link_ms != 0 && !integ_link_wait(&r->port, o.wait_link_ms, &quit)) {
		fprintf(stderr, INTEG_PROG ": port %u: link still down after %.1f s (--wait-link)\n",
				o.port, o.wait_link_ms / 1000.0);
		integ_port_close(&r->port);
		rte_eal_cleanup();
		return INTEG_EXIT_FAIL;
	}
	r->start_ms = integ_mono_ms();
	r->stop = "?";
	if (o.link_spin) {
		spin.port = o.port;
		spin.on = true;
		if (pthread_create(&spin.thread, NULL, link_spin_main, &spin) != 0) {
			fprintf(stderr, INTEG_PROG ": --link-spin: cannot start a thread\n");
			integ_port_close(&r->port);
			rte_eal_cleanup();
			return INTEG_EXIT_FAIL;
		}
	}
	ret = o.role == INTEG_TX ? tx_main(&state.tx) : rx_main(&state.rx);
	free(r->xstats);
	rte_eal_cleanup();
	return ret;
}
