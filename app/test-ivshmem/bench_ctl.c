/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller of ivshmem-bench: the one owner of the run's phases
 * (bench.h). It starts the window, ends it, reads the port's xstats at
 * both edges, and decides when the run is over and why. The main lcore
 * calls bench_control() every BENCH_CHECK_MS: from bench.c's wait loop
 * when workers run the data path, from bench_loop.c's check() when the
 * main lcore runs it too. It calls down into bench_port.c and
 * bench_opts.c, never back into bench.c or bench_loop.c. bench_quit, set
 * by bench.c's signal handler, is read here.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_common.h>

#include "bench.h"

volatile int bench_quit;

static void
set_phase(struct bench_run *r, enum bench_phase ph)
{
	__atomic_store_n(&r->phase, (uint32_t)ph, __ATOMIC_RELEASE);
}

/* Ends the measurement window now, for reason why. */
static void
end_window(struct bench_run *r, const char *why)
{
	bench_xstats_read(&r->port, r->o->queues, r->xs1);
	r->window_done = true;
	r->window_end = why;
}

/* Whether more than cyc cycles passed from t to now (t may be later than
 * now: a worker's stamp read after the controller read the clock). */
static bool
older_than(uint64_t now, uint64_t t, uint64_t cyc)
{
	return now > t && now - t > cyc;
}

static void
set_stop(struct bench_run *r, const char *why, const char *fail)
{
	if (bench_phase_get(r) == PH_MEASURE)
		end_window(r, why);
	r->stop = why;
	if (fail != NULL && r->fail == NULL)
		r->fail = fail;
	set_phase(r, PH_STOP);
}

static void
progress(struct bench_run *r, uint64_t now)
{
	uint64_t rx = 0, tx = 0, samples = 0;
	double dt = (double)(now - r->prog_tsc) / r->hz;
	static const char *const names[] = { "wait", "warmup", "measure", "drain", "stop" };

	for (unsigned int i = 0; i < r->n_lc; i++) {
		rx += __atomic_load_n(&r->lc[i]->pub.rx_pkts, __ATOMIC_RELAXED);
		tx += __atomic_load_n(&r->lc[i]->pub.tx_pkts, __ATOMIC_RELAXED);
		samples += __atomic_load_n(&r->lc[i]->pub.samples, __ATOMIC_RELAXED);
	}
	if (r->prog_tsc != 0 && dt > 0)
		fprintf(stderr, BENCH_PROG ": %6.1f s %-7s rx %8.3f Mpps %7.2f Gbps | tx %8.3f Mpps %7.2f Gbps | rtt samples %" PRIu64 " | link %s\n",
				(double)(now - r->start_tsc) / r->hz,
				names[bench_phase_get(r)],
				(rx - r->prog_rx) / dt / 1e6,
				(rx - r->prog_rx) * 8.0 * r->o->size / dt / 1e9,
				(tx - r->prog_tx) / dt / 1e6,
				(tx - r->prog_tx) * 8.0 * r->o->size / dt / 1e9,
				samples, r->port.up ? "up" : "down");
	r->prog_rx = rx;
	r->prog_tx = tx;
	r->prog_samples = samples;
	r->prog_tsc = now;
	r->next_progress_tsc = now + r->hz;
}

void
bench_control(struct bench_run *r, uint64_t now)
{
	const struct bench_opts *o = r->o;
	enum bench_phase ph = (enum bench_phase)bench_phase_get(r);
	bool recv = bench_role_receives(o->role), up, all_done = true;
	uint64_t first = 0, last = 0, idle_cyc = r->hz * o->idle_ms / 1000;
	uint64_t quiet_cyc = r->hz * BENCH_LINK_QUIET_MS / 1000;

	if (o->progress && now >= r->next_progress_tsc)
		progress(r, now);
	if (ph == PH_STOP)
		return;
	up = bench_link_poll(&r->port, bench_mono_ms());
	for (unsigned int i = 0; i < r->n_lc; i++) {
		const struct bench_lcore *lc = r->lc[i];
		uint64_t f = __atomic_load_n(&lc->pub.first_pkt_tsc, __ATOMIC_RELAXED);
		uint64_t l = __atomic_load_n(&lc->pub.last_pkt_tsc, __ATOMIC_RELAXED);

		if (f != 0 && (first == 0 || f < first))
			first = f;
		last = RTE_MAX(last, l);
		all_done &= __atomic_load_n(&lc->pub.done, __ATOMIC_ACQUIRE) != 0;
		if (__atomic_load_n(&lc->pub.phase_seen, __ATOMIC_ACQUIRE) == PH_STOP &&
				lc->err != NULL)
			return set_stop(r, "error", lc->err);
	}
	if (bench_quit)
		return set_stop(r, "signal", NULL);
	if (now >= r->deadline_tsc)
		return set_stop(r, "timeout", ph == PH_WAIT ?
				"no packet arrived before --timeout" : NULL);
	if (!up && !recv) {
		/* A sender's peer left: the end if the window mostly ran. */
		if (ph == PH_MEASURE && now - r->window_start_tsc >=
				r->hz * o->duration_ms / 2000)
			return set_stop(r, "link down", NULL);
		return set_stop(r, "link down", "link went down before or early in the measurement window");
	}
	if (!up && first == 0)
		return set_stop(r, "link down", "link went down before any packet came");
	if (!up && r->link_down_tsc == 0) {
		/*
		 * A receiver's peer is done. Some PMDs (net_ivshmem) signal
		 * link down when the sender stops its port and drain what it
		 * sent only after that: keep receiving until it goes quiet.
		 * A window still open ends at the last packet.
		 */
		r->link_down_tsc = now;
		r->stop = "link down";
		if (ph < PH_MEASURE && r->fail == NULL)
			r->fail = "the peer left before the measurement window";
		if (ph == PH_MEASURE) {
			end_window(r, "link down");
			r->window_idle_end = true;
		}
		if (ph < PH_DRAIN)
			set_phase(r, PH_DRAIN);
		return;
	}
	switch (ph) {
	case PH_WAIT:
		if (first == 0)
			break;
		r->warmup_end_tsc = first + r->hz * o->warmup_ms / 1000;
		set_phase(r, PH_WARMUP);
		break;
	case PH_WARMUP:
		if (now < r->warmup_end_tsc)
			break;
		bench_xstats_read(&r->port, o->queues, r->xs0);
		r->window_start_tsc = now;
		r->window_end_tsc = now + r->hz * o->duration_ms / 1000;
		set_phase(r, PH_MEASURE);
		break;
	case PH_MEASURE:
		if (now >= r->window_end_tsc) {
			end_window(r, "duration");
		} else if (recv && older_than(now, last, idle_cyc)) {
			end_window(r, "idle");	/* the sender stopped early */
			r->window_idle_end = true;
		} else if (o->role == BENCH_PING && o->count != 0 && all_done) {
			end_window(r, "count");
		} else {
			break;
		}
		r->stop = r->window_end;
		set_phase(r, recv ? PH_DRAIN : PH_STOP);
		break;
	case PH_DRAIN:
		if (older_than(now, last, idle_cyc) || (!up &&
				older_than(now, RTE_MAX(last, r->link_down_tsc), quiet_cyc)))
			set_phase(r, PH_STOP);
		break;
	case PH_STOP:
		break;
	}
}

/* Once the link is up: the run's clocks and its first phase (receivers
 * wait for the first packet, senders start their warmup now). */
void
bench_control_start(struct bench_run *r, uint64_t now)
{
	const struct bench_opts *o = r->o;

	r->start_tsc = now;
	r->deadline_tsc = now + r->hz * o->timeout_ms / 1000;
	r->next_progress_tsc = now;
	if (bench_role_receives(o->role)) {
		set_phase(r, PH_WAIT);
	} else {
		r->warmup_end_tsc = now + r->hz * o->warmup_ms / 1000;
		set_phase(r, PH_WARMUP);
	}
}
