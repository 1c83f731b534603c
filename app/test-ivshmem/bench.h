/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-bench: throughput, latency and cost of any ethdev port, run as
 * two processes (one per end of the link). Shared types of bench_*.c.
 *
 *	bench.c		main: EAL, lcores, the wait loop of the main lcore
 *	bench_loop.c	the data-path loops of each role
 *	bench_ctl.c	the controller: phases, the window, the end of the run
 *	bench_report.c	human table and the JSON object
 *	bench_c2c.c	--role c2c: the cache-line round trip between two cores
 *	bench_port.c	port setup, link, RX interrupts, xstats by name
 *	bench_opts.c	command line
 *	bench_hist.c	RTT histogram (log-linear buckets of TSC cycles)
 *
 * Calls go down this list, never up: a file calls only files below it
 * (bench_loop.c calls the controller, the controller never calls the
 * loops; bench.c calls both).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "bench_hist.h"

#define BENCH_PROG		"ivshmem-bench"
#define BENCH_MAX_QUEUES	16
#define BENCH_MAX_BURST		512
#define BENCH_MIN_SIZE		64
#define BENCH_MAX_SIZE		9000
/* the largest data room: a buffer (headroom included) of 16 bits, which
 * net_ivshmem's pool rounds up to a cache line */
#define BENCH_MAX_MBUF_SIZE	((UINT16_MAX & ~(RTE_CACHE_LINE_SIZE - 1)) - RTE_PKTMBUF_HEADROOM)
/* On-wire bytes per frame beyond the frame itself: preamble and SFD (8),
 * inter-frame gap (12), FCS (4). "size" is the frame as the PMD sees it
 * (mbuf pkt_len), which has no FCS. */
#define BENCH_WIRE_OVERHEAD	24
#define BENCH_ETHERTYPE		0x88b5	/* IEEE 802 local experimental */
#define BENCH_MAGIC		0x4256534bu	/* "KSVB" */
#define BENCH_CHECK_MS		1	/* lcores look at the phase this often */
#define BENCH_LINK_POLL_MS	100
#define BENCH_EPOLL_MAX_MS	100	/* longest sleep in one epoll_wait */
#define BENCH_STALL_US		250	/* a call or gap this long: preempted */
#define BENCH_LINK_QUIET_MS	200	/* receivers: after link down, stop
					 * once nothing came for this long */

enum bench_role { BENCH_RX, BENCH_TX, BENCH_BIDIR, BENCH_PING, BENCH_PONG, BENCH_C2C };
enum bench_rx_mode { BENCH_POLL, BENCH_INTR };
enum bench_exit { BENCH_EXIT_OK = 0, BENCH_EXIT_FAIL = 1, BENCH_EXIT_USAGE = 2 };

/*
 * Phases of a run, set by the controller and followed by every lcore.
 * WAIT: link is up; tx-side roles go on at once, receivers wait for the
 * first packet. WARMUP: traffic, not measured. MEASURE: the window. DRAIN
 * (receivers only): still receiving, so that every packet sent is counted
 * in the totals, until the peer goes quiet. STOP: leave the loop.
 */
enum bench_phase { PH_WAIT, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_STOP };

struct bench_opts {
	enum bench_role role;
	enum bench_rx_mode rx_mode;
	uint16_t port;
	uint16_t queues;
	uint16_t burst;
	uint32_t size;
	uint32_t pool;		/* mbufs; 0 = computed */
	uint32_t sleep_after;	/* intr: empty poll rounds before sleeping */
	uint64_t count;		/* ping: samples to measure; 0 = by duration;
				 * c2c: round trips */
	uint64_t duration_ms;
	uint64_t warmup_ms;
	uint64_t link_timeout_ms;
	uint64_t idle_ms;	/* receivers: quiet this long = peer is done */
	uint64_t ping_timeout_ms;
	uint64_t timeout_ms;	/* hard limit of the whole run */
	uint64_t linger_ms;	/* after the loop, before closing the port */
	bool json;
	bool progress;
	bool xstats;		/* print every non-zero xstat at the end */
	bool touch;		/* receivers read every byte */
	bool tx_pool;		/* senders build in net_ivshmem's pool TX mempool */
	uint32_t mbuf_size;	/* data room of every mbuf (headroom apart) */
};

/*
 * Counters of one queue, written by its lcore only. Cycle sums leave out
 * calls that took longer than BENCH_STALL_US (the lcore was preempted, on a
 * loaded machine): those are counted as stalls of the lcore instead, and
 * *_timed counts what the cycle sums are over.
 */
struct bench_ctr {
	uint64_t rx_pkts, rx_bytes;
	uint64_t rx_calls;	/* rx_burst calls that returned packets */
	uint64_t rx_empty;	/* rx_burst calls that returned 0 */
	uint64_t rx_cyc;	/* TSC cycles inside the productive calls */
	uint64_t rx_cyc_pkts;	/* ... the packets of those calls */
	uint64_t rx_empty_cyc;	/* cycles inside the empty ones */
	uint64_t rx_empty_timed;
	uint64_t tx_pkts, tx_bytes;
	uint64_t tx_calls;	/* tx_burst calls */
	uint64_t tx_short;	/* calls that took fewer than offered */
	uint64_t tx_zero;	/* calls that took none */
	uint64_t tx_retries;	/* calls re-offering what an earlier refused */
	uint64_t tx_cyc;	/* cycles inside the calls that took some */
	uint64_t tx_cyc_pkts;
	uint64_t tx_zero_cyc;	/* ... and inside those that took none */
	uint64_t tx_zero_timed;
	uint64_t build_cyc;	/* cycles allocating and filling mbufs */
	uint64_t build_pkts;
	uint64_t nombuf;	/* mbuf allocations that failed */
	uint64_t unsent;	/* refused by tx_burst until the run ended */
	uint64_t ping_sent, ping_back, ping_lost, ping_stray;
};

/* Per-lcore counters: RX interrupt mode, and stalls. */
struct bench_lctr {
	uint64_t sleeps;	/* rte_epoll_wait calls */
	uint64_t wakeups;	/* ... that returned an event */
	uint64_t timeouts;	/* ... that timed out */
	uint64_t arm_fail;	/* rx_intr_enable failed: polled instead */
	uint64_t sleep_cyc;	/* cycles spent in rte_epoll_wait */
	uint64_t stalls;	/* calls or gaps longer than BENCH_STALL_US */
	uint64_t stall_cyc;
};

/* Ping state of one queue: one round (burst) outstanding at a time. */
struct bench_ping {
	uint64_t seq;		/* of the round outstanding (or the last) */
	uint64_t sent_tsc;
	uint16_t want;		/* packets of the round not back yet */
	bool busy;		/* a round is outstanding */
	bool measured;		/* it was sent inside the window */
};

/*
 * Ping histograms: the round trip, and its split by the pong's stamps
 * (meaningful when both processes read one TSC, i.e. on one machine).
 */
enum bench_rtt_hist {
	BENCH_RTT,		/* ping's tx_burst .. its rx_burst returning */
	BENCH_RTT_TO_PEER,	/* .. the pong's rx_burst returning */
	BENCH_RTT_AT_PEER,	/* .. the pong calling tx_burst */
	BENCH_RTT_BACK,		/* .. the ping's rx_burst returning */
	BENCH_N_HIST
};

struct bench_run;

/* One data-path lcore and the queues it drives. */
struct bench_lcore {
	struct bench_run *run;
	unsigned int lcore_id;
	uint16_t nq;
	uint16_t q[BENCH_MAX_QUEUES];
	uint64_t quota;		/* ping --count: samples this lcore takes */
	struct bench_ctr c[BENCH_MAX_QUEUES];	/* live, by local index */
	struct bench_ctr c0[BENCH_MAX_QUEUES];	/* at window start */
	struct bench_ctr c1[BENCH_MAX_QUEUES];	/* at window end */
	struct bench_lctr s, s0, s1;
	uint64_t t0, t1;	/* TSC of the snapshots */
	uint64_t t1_last_pkt;	/* last_pkt_tsc at the end snapshot */
	uint64_t first_pkt_tsc, last_pkt_tsc;
	uint64_t window_samples; /* ping: recorded */
	uint64_t window_sent;	/* ping: sent inside the window */
	struct bench_ping ping[BENCH_MAX_QUEUES];
	uint16_t pend_n[BENCH_MAX_QUEUES];	/* tx: refused, to re-offer */
	uint16_t pend_off[BENCH_MAX_QUEUES];
	struct rte_mbuf **pend;	/* [BENCH_MAX_QUEUES][burst] */
	struct bench_hist *hist; /* ping: [BENCH_N_HIST] */
	enum bench_phase phase;	/* as this lcore last saw it */
	const char *err;	/* set when the lcore gave up */
	/* Read by the controller, written with relaxed stores at checks. */
	struct {
		uint64_t rx_pkts, tx_pkts, samples, first_pkt_tsc, last_pkt_tsc;
		uint32_t phase_seen;
		uint32_t done;
	} pub __rte_cache_aligned;
};

/*
 * Per-queue xstats read by name ("<dir>_q<N>_<name>", net_ivshmem's); other
 * PMDs have none of them and the report says null.
 */
enum bench_xs {
	XS_DOORBELLS,		/* tx: the peer was asleep, rung */
	XS_SUPPRESSED,		/* tx: published to a peer awake */
	XS_SLEEPS,		/* rx: sleep announced */
	XS_WAKEUPS,		/* rx: woken after a sleep */
	BENCH_XS_N
};

/* The port and what the tool learned about it. */
struct bench_port {
	uint16_t id;
	char driver[64];
	struct rte_mempool *mp;
	struct rte_mempool *tx_mp;	/* frames built here: mp, or --tx-pool's */
	struct rte_ether_addr mac;
	uint32_t data_room;	/* frame bytes per mbuf */
	uint32_t segs;		/* mbufs per frame of --size */
	bool up;
	uint64_t next_link_poll_ms;
	unsigned int link_changes;
	char err[256];		/* why the port could not be set up */
	/* ids of the xstats read by name, per queue; UINT64_MAX = absent */
	uint64_t xs_id[BENCH_XS_N][BENCH_MAX_QUEUES];
};

struct bench_run {
	const struct bench_opts *o;
	struct bench_port port;
	uint64_t hz;			/* TSC */
	uint64_t tsc_read_cyc;		/* cost of one rte_rdtsc() */
	uint32_t phase;			/* enum bench_phase, __atomic */
	struct bench_lcore *lc[RTE_MAX_LCORE];
	unsigned int n_lc;
	bool ctl_inline;		/* the main lcore also runs the data path */
	/* controller */
	uint64_t start_tsc, warmup_end_tsc, deadline_tsc;
	uint64_t window_start_tsc, window_end_tsc;
	uint64_t next_progress_tsc;
	uint64_t link_down_tsc;		/* receivers: when the peer left */
	uint64_t prog_rx, prog_tx, prog_samples, prog_tsc;
	const char *stop;		/* why the run ended */
	const char *window_end;		/* why the window ended */
	const char *fail;		/* why it failed, NULL when it did not */
	bool window_done;
	bool window_idle_end;		/* ended because the sender stopped */
	uint64_t xs0[BENCH_XS_N][BENCH_MAX_QUEUES];	/* at window start */
	uint64_t xs1[BENCH_XS_N][BENCH_MAX_QUEUES];	/* at window end */
	struct rte_eth_stats st;	/* port statistics at the end */
	FILE *out;			/* human output: stdout, stderr with --json */
};

static inline uint32_t
bench_phase_get(const struct bench_run *r)
{
	return __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
}

/* bench_opts.c */
int bench_opts_parse(int argc, char **argv, struct bench_opts *o);
void bench_usage(FILE *f);
const char *bench_role_name(enum bench_role r);
bool bench_role_sends(enum bench_role r);	/* tx, bidir, ping */
bool bench_role_receives(enum bench_role r);	/* rx, pong */

/* bench_port.c */
int bench_port_start(const struct bench_opts *o, struct bench_port *p);
void bench_port_close(struct bench_port *p);
bool bench_link_poll(struct bench_port *p, uint64_t now_ms);
bool bench_link_wait(struct bench_port *p, uint64_t ms, volatile const int *quit);
int bench_intr_attach(const struct bench_opts *o, struct bench_lcore *lc);
void bench_xstats_lookup(struct bench_port *p, uint16_t nq);
void bench_xstats_dump(const struct bench_port *p, FILE *f);
void bench_xstats_read(const struct bench_port *p, uint16_t nq,
		uint64_t v[BENCH_XS_N][BENCH_MAX_QUEUES]);
uint64_t bench_mono_ms(void);

/* bench_loop.c: a data-path lcore's entry (rte_eal_remote_launch) */
int bench_lcore_main(void *arg);
uint16_t bench_pmd_rx_burst(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
uint16_t bench_pmd_tx_burst(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
void bench_rx_free(struct rte_mbuf **pkts, uint16_t n);

/* bench_ctl.c: the controller, run by the main lcore only. start sets the
 * clocks and the first phase once the link is up; control is every tick. */
void bench_control_start(struct bench_run *r, uint64_t now);
void bench_control(struct bench_run *r, uint64_t now);
extern volatile int bench_quit;	/* a signal's number: stop the run */

/* bench_c2c.c: no port; an exit status */
int bench_c2c(const struct bench_opts *o, uint64_t hz);

/* bench_report.c */
void bench_report_human(const struct bench_run *r);
void bench_report_json(const struct bench_run *r);

#endif /* BENCH_H */
