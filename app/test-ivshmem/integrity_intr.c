/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-integrity: RX interrupt mode and the port's xstats. A receiver
 * that sleeps whenever its queues are empty is what exercises a driver's
 * "doorbell only when the peer sleeps" path, and the xstats say how often
 * it slept and was rung.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_interrupts.h>

#include "integrity_port.h"

int
integ_intr_setup(const struct integ_opts *o)
{
	for (uint16_t q = 0; q < o->queues; q++) {
		int ret = rte_eth_dev_rx_intr_ctl_q(o->port, q, RTE_EPOLL_PER_THREAD,
				RTE_INTR_EVENT_ADD, NULL);

		if (ret != 0) {
			fprintf(stderr, INTEG_PROG ": port %u queue %u: RX interrupts: %s (--rx-mode intr needs a PMD with RX interrupts; net_ivshmem: server= or ivshmem-doorbell)\n",
					o->port, q, rte_strerror(-ret));
			return -1;
		}
	}
	return 0;
}

/*
 * Arm all queues, sleep, disarm. Arming reports work that came meanwhile by
 * waking us at once, so nothing is missed between the last empty poll and
 * the sleep; the timeout only bounds how long link changes and --timeout
 * wait. A signal ends the sleep too (SIGINT stops the run). Returns whether
 * an interrupt (a doorbell, or the PMD's own wake) ended the sleep, not the
 * timeout or a signal.
 */
bool
integ_intr_sleep(const struct integ_opts *o, int timeout_ms)
{
	struct rte_epoll_event ev[INTEG_MAX_QUEUES];
	int n;

	for (uint16_t q = 0; q < o->queues; q++)
		rte_eth_dev_rx_intr_enable(o->port, q);
	n = rte_epoll_wait_interruptible(RTE_EPOLL_PER_THREAD, ev, o->queues, timeout_ms);
	for (uint16_t q = 0; q < o->queues; q++)
		rte_eth_dev_rx_intr_disable(o->port, q);
	return n > 0;
}

void
integ_json_xstats(FILE *f, uint16_t port)
{
	int n = rte_eth_xstats_get(port, NULL, 0);
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *xs;

	fprintf(f, "\"xstats\":{");
	if (n > 0) {
		names = calloc((size_t)n, sizeof(*names));
		xs = calloc((size_t)n, sizeof(*xs));
		if (names != NULL && xs != NULL &&
				rte_eth_xstats_get_names(port, names, (unsigned int)n) == n &&
				rte_eth_xstats_get(port, xs, (unsigned int)n) == n)
			for (int i = 0; i < n; i++)
				fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "",
						names[xs[i].id].name, xs[i].value);
		free(names);
		free(xs);
	}
	fprintf(f, "}");
}

/*
 * The sleeps the port's RX queues announced (net_ivshmem's rx_qN_sleeps),
 * summed; -1 when the port has no such xstats. A queue announces a sleep
 * only when its peer can ring it: a wait without one (woken at once, or
 * sleeping while no peer runs) does not count.
 */
int64_t
integ_rx_sleeps(const struct integ_opts *o)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];
	uint64_t id, v;
	int64_t sum = 0;

	for (uint16_t q = 0; q < o->queues; q++) {
		snprintf(name, sizeof(name), "rx_q%u_sleeps", q);
		if (rte_eth_xstats_get_id_by_name(o->port, name, &id) != 0 ||
				rte_eth_xstats_get_by_id(o->port, &id, &v, 1) != 1)
			return -1;
		sum += (int64_t)v;
	}
	return sum;
}
