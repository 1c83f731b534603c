/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-bench: one end of a packet path, measured. Throughput (tx, rx,
 * bidir), round-trip latency (ping against pong), and what they cost: TSC
 * cycles per packet inside and outside the PMD, and for net_ivshmem the
 * doorbells and sleeps per packet from its xstats. Any ethdev port works,
 * so the same numbers can be taken for net_memif and virtio-user/vhost.
 *
 * Lcores: with only the main lcore (-l N), it runs the data path and, every
 * BENCH_CHECK_MS, the controller. With workers (-l M,W... --main-lcore
 * M), the workers run the data path, each taking queues round-robin, and
 * the main lcore only runs the controller (it sleeps between ticks). On a
 * 2-core machine run one process with -l 0 and the other with -l 1.
 *
 * The controller (bench_ctl.c) owns the phases (bench.h); this file sets
 * up the run, starts the data-path lcores (bench_loop.c) and reports.
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

/* The report stream's line buffer: as ivshmem-integrity's out_buf, a
 * buffer of its own, so that each line is written whole. */
static char out_buf[4096];

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
	bench_control_start(r, rte_rdtsc());
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
	setvbuf(run.out, out_buf, _IOLBF, sizeof(out_buf));
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
