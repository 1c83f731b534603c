/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-bench: one end of a packet path, measured. Throughput (tx, rx,
 * bidir), round-trip latency (ping against pong), and what they cost: TSC
 * cycles per packet inside and outside the PMD, and for net_ivshmem the
 * doorbells and sleeps per packet from its xstats. Any ethdev port works,
 * so the same numbers can be taken for net_memif and virtio-user/vhost.
 *
 * Lcores: with only the main lcore (-l N), it runs the data path and, every
 * BENCH_CHECK_MS, the controller below. With workers (-l M,W... --main-lcore
 * M), the workers run the data path, each taking queues round-robin, and
 * the main lcore only runs the controller (it sleeps between ticks). On a
 * 2-core machine run one process with -l 0 and the other with -l 1.
 *
 * The controller owns the phases (bench.h): it starts the window, ends it,
 * reads the port's xstats at both edges, and decides when the run is over.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>

#include "bench.h"

static void
on_signal(int sig)
{
	bench_quit = sig;
}

static void
usage_hook(const char *prgname __rte_unused)
{
	printf("\nOptions after \"--\":\n");
	bench_usage(stdout);
}

static bool
is_receiver(enum bench_role r)
{
	return r == BENCH_RX || r == BENCH_PONG;
}

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
	bool recv = is_receiver(o->role), up, all_done = true;
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

/* Cycles of one rte_rdtsc(), as the loops pay it. */
static uint64_t
tsc_read_cost(void)
{
	volatile uint64_t sink;
	uint64_t t0 = rte_rdtsc();

	for (unsigned int i = 0; i < 1000; i++)
		sink = rte_rdtsc();
	RTE_SET_USED(sink);
	return (rte_rdtsc() - t0) / 1001;
}

/* Data-path lcores: the workers, or the main lcore alone; queues
 * round-robin over them. */
static int
lcores_setup(struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	unsigned int ids[RTE_MAX_LCORE], n = 0, id;

	RTE_LCORE_FOREACH_WORKER(id)
		ids[n++] = id;
	r->ctl_inline = n == 0;
	if (n == 0)
		ids[n++] = rte_get_main_lcore();
	if (n > o->queues) {
		fprintf(stderr, BENCH_PROG ": note: %u data-path lcores for %u queue(s): %u stay idle\n",
				n, o->queues, n - o->queues);
		n = o->queues;
	}
	r->n_lc = n;
	for (unsigned int i = 0; i < n; i++) {
		int socket = (int)rte_lcore_to_socket_id(ids[i]);
		struct bench_lcore *lc = rte_zmalloc_socket("bench_lcore", sizeof(*lc),
				RTE_CACHE_LINE_SIZE, socket);

		if (lc == NULL)
			goto nomem;
		r->lc[i] = lc;
		lc->run = r;
		lc->lcore_id = ids[i];
		for (uint16_t q = (uint16_t)i; q < o->queues; q = (uint16_t)(q + n))
			lc->q[lc->nq++] = q;
		lc->pend = rte_zmalloc_socket("bench_pend", sizeof(*lc->pend) *
				lc->nq * o->burst, RTE_CACHE_LINE_SIZE, socket);
		if (lc->pend == NULL)
			goto nomem;
		if (o->role == BENCH_PING) {
			lc->hist = rte_zmalloc_socket("bench_hist",
					sizeof(*lc->hist) * BENCH_N_HIST,
					RTE_CACHE_LINE_SIZE, socket);
			if (lc->hist == NULL)
				goto nomem;
		}
	}
	if (o->role == BENCH_PING && o->count != 0) {
		/* --count split by queue share; what integer division
		 * leaves goes to lcore 0. */
		uint64_t sum = 0;

		for (unsigned int i = 0; i < n; i++) {
			r->lc[i]->quota = o->count * r->lc[i]->nq / o->queues;
			sum += r->lc[i]->quota;
		}
		r->lc[0]->quota += o->count - sum;
	}
	return 0;
nomem:
	fprintf(stderr, BENCH_PROG ": out of memory for lcore state\n");
	return -1;
}

static void
lcores_free(struct bench_run *r)
{
	for (unsigned int i = 0; i < r->n_lc; i++) {
		rte_free(r->lc[i]->hist);
		rte_free(r->lc[i]->pend);
		rte_free(r->lc[i]);
	}
}

static void
banner(const struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	char lcores[256] = "";
	size_t k = 0;

	for (unsigned int i = 0; i < r->n_lc && k < sizeof(lcores); i++)
		k += (size_t)snprintf(lcores + k, sizeof(lcores) - k, "%s%u",
				i ? "," : "", r->lc[i]->lcore_id);
	fprintf(r->out, BENCH_PROG ": %s on port %u (%s), %u queue(s) on lcore(s) %s%s, %u-byte frames, burst %u, rx-mode %s, TSC %.3f GHz\n",
			bench_role_name(o->role), o->port, r->port.driver, o->queues,
			lcores, r->ctl_inline ? " (controller inline)" : "",
			o->size, o->burst, o->rx_mode == BENCH_INTR ? "intr" : "poll",
			r->hz / 1e9);
	switch (o->role) {
	case BENCH_RX:
		fprintf(r->out, "measures: packets received, the receive cost per packet; window of %.1f s from %.1f s after the first packet; ends %.1f s after traffic stops or at link down\n",
				o->duration_ms / 1e3, o->warmup_ms / 1e3, o->idle_ms / 1e3);
		break;
	case BENCH_TX:
		fprintf(r->out, "measures: packets the port accepted (refusals retried, never dropped), the send cost per packet; window of %.1f s from %.1f s after link up\n",
				o->duration_ms / 1e3, o->warmup_ms / 1e3);
		break;
	case BENCH_BIDIR:
		fprintf(r->out, "measures: packets sent and received on every queue; window of %.1f s from %.1f s after link up\n",
				o->duration_ms / 1e3, o->warmup_ms / 1e3);
		break;
	case BENCH_PING:
		fprintf(r->out, "measures: round-trip time of %u-packet rounds against a pong peer, one round outstanding per queue; window of %.1f s%s from %.1f s after link up\n",
				o->burst, o->duration_ms / 1e3,
				o->count ? " or --count samples" : "", o->warmup_ms / 1e3);
		break;
	case BENCH_PONG:
		fprintf(r->out, "measures: packets echoed back as they came, the cost per packet; ends %.1f s after traffic stops or at link down\n",
				o->idle_ms / 1e3);
		break;
	case BENCH_C2C:		/* no port: bench_c2c() */
		break;
	}
}

static int
run_main(struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	uint64_t now;

	r->hz = rte_get_tsc_hz();
	r->tsc_read_cyc = tsc_read_cost();
	if (lcores_setup(r) != 0)
		return BENCH_EXIT_USAGE;
	banner(r);
	if (!bench_link_wait(&r->port, o->link_timeout_ms, &bench_quit)) {
		fprintf(stderr, BENCH_PROG ": port %u (%s): link still down after %.1f s (--link-timeout): is the peer running?\n",
				o->port, r->port.driver, o->link_timeout_ms / 1e3);
		r->stop = "link timeout";
		r->fail = "link did not come up";
		return BENCH_EXIT_USAGE;
	}
	bench_xstats_lookup(&r->port, o->queues);
	now = rte_rdtsc();
	r->start_tsc = now;
	r->deadline_tsc = now + r->hz * o->timeout_ms / 1000;
	r->next_progress_tsc = now;
	if (is_receiver(o->role)) {
		set_phase(r, PH_WAIT);
	} else {
		r->warmup_end_tsc = now + r->hz * o->warmup_ms / 1000;
		set_phase(r, PH_WARMUP);
	}
	if (r->ctl_inline) {
		bench_lcore_main(r->lc[0]);
	} else {
		for (unsigned int i = 0; i < r->n_lc; i++)
			rte_eal_remote_launch(bench_lcore_main, r->lc[i], r->lc[i]->lcore_id);
		while (bench_phase_get(r) != PH_STOP) {
			bench_control(r, rte_rdtsc());
			rte_delay_us_sleep(BENCH_CHECK_MS * 1000);
		}
		rte_eal_mp_wait_lcore();
	}
	for (unsigned int i = 0; i < r->n_lc; i++)
		if (r->lc[i]->err != NULL && r->fail == NULL)
			r->fail = r->lc[i]->err;
	rte_eth_stats_get(o->port, &r->st);
	if (o->xstats)
		bench_xstats_dump(&r->port, r->out);
	return r->fail != NULL ? BENCH_EXIT_FAIL : BENCH_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static struct bench_run run;
	struct bench_opts o;
	int ret;

	rte_set_application_usage_hook(usage_hook);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, BENCH_PROG ": EAL init failed: %s\n", rte_strerror(rte_errno));
		return BENCH_EXIT_USAGE;
	}
	ret = bench_opts_parse(argc - ret, argv + ret, &o);
	if (ret != 0) {
		rte_eal_cleanup();
		return ret > 0 ? BENCH_EXIT_OK : BENCH_EXIT_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* virtio-user writes to the vhost-user socket: a vhost peer that
	 * left must be an error return, not the end of this process. */
	signal(SIGPIPE, SIG_IGN);
	if (o.role == BENCH_C2C) {
		ret = bench_c2c(&o, rte_get_tsc_hz());
		rte_eal_cleanup();
		return ret;
	}
	run.o = &o;
	run.out = o.json ? stderr : stdout;
	setvbuf(run.out, NULL, _IOLBF, 0);
	run.stop = "?";
	if (bench_port_start(&o, &run.port) != 0) {
		if (o.json) {
			run.stop = "port setup";
			run.fail = run.port.err;
			bench_report_json(&run);
		}
		rte_eal_cleanup();
		return BENCH_EXIT_USAGE;
	}
	ret = run_main(&run);
	if (o.linger_ms != 0)
		rte_delay_us_sleep(o.linger_ms * 1000);
	/* Close before reporting: a net_ivshmem sender drains on close,
	 * and the receiver's totals count on it. */
	bench_port_close(&run.port);
	if (run.n_lc != 0 && ret != BENCH_EXIT_USAGE) {
		bench_report_human(&run);
		if (o.json)
			bench_report_json(&run);
	} else if (o.json) {
		bench_report_json(&run);
	}
	lcores_free(&run);
	rte_eal_cleanup();
	return ret;
}
