/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port of ivshmem-bench, for any ethdev: queue pairs with the PMD's default
 * ring sizes (descriptor count 0), an MTU and offloads that fit --size, RX
 * interrupts for --rx-mode intr, the link, and the driver's doorbell and
 * sleep counters read by xstat name (net_ivshmem has them; other PMDs do
 * not, and the report says null).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "bench.h"
#include "txpool.h"

#define MEMPOOL_CACHE	256
#define MIN_POOL	8192
#define MAX_POOL	(1u << 20)

uint64_t
bench_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Mbufs for every descriptor of every ring both ways, the bursts in
 * flight, and the per-lcore caches; at least MIN_POOL. */
static unsigned int
pool_size(const struct bench_opts *o, const struct rte_eth_dev_info *info,
		uint32_t segs)
{
	uint64_t rxd = info->default_rxportconf.ring_size ?
		info->default_rxportconf.ring_size : RTE_ETH_DEV_FALLBACK_RX_RINGSIZE;
	uint64_t txd = info->default_txportconf.ring_size ?
		info->default_txportconf.ring_size : RTE_ETH_DEV_FALLBACK_TX_RINGSIZE;
	uint64_t n = (uint64_t)o->queues * (rxd + txd + 4ull * o->burst) * segs +
		(uint64_t)(rte_lcore_count() + 1) * MEMPOOL_CACHE * 2;

	if (o->pool != 0)
		return o->pool;
	n = RTE_MIN(2 * n, (uint64_t)MAX_POOL);
	return (unsigned int)RTE_MAX(n, (uint64_t)MIN_POOL);
}

/* Prints why the port cannot be used and keeps it for the JSON report. */
static int __attribute__((format(printf, 2, 3)))
port_err(struct bench_port *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	fprintf(stderr, BENCH_PROG ": %s\n", p->err);
	return -1;
}

static int
fail(struct bench_port *p, const char *what, int ret)
{
	return port_err(p, "port %u (%s): %s failed: %s", p->id, p->driver, what,
			rte_strerror(ret < 0 ? -ret : ret));
}

/* MTU and offloads for frames of o->size; -1 when the port cannot. */
static int
port_conf(const struct bench_opts *o, const struct rte_eth_dev_info *info,
		struct bench_port *p, struct rte_eth_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	if (o->rx_mode == BENCH_INTR)
		conf->intr_conf.rxq = 1;
	if (o->size > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN) {
		uint32_t mtu = o->size - RTE_ETHER_HDR_LEN;

		/* What rte_eth_dev_configure allows: the PMD's max_mtu, and
		 * its largest frame less the overhead ethdev assumes. */
		uint32_t overhead = info->max_mtu != UINT16_MAX &&
			info->max_rx_pktlen > info->max_mtu ?
			info->max_rx_pktlen - info->max_mtu :
			RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
		uint32_t max_mtu = RTE_MIN((uint32_t)info->max_mtu,
				info->max_rx_pktlen - overhead);

		if (mtu > max_mtu)
			return port_err(p, "port %u (%s): --size %u needs MTU %u, but the port allows at most %u",
					p->id, p->driver, o->size, mtu, max_mtu);
		conf->rxmode.mtu = mtu;
	}
	if (o->size <= p->data_room)
		return 0;
	if (!(info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) &&
			bench_role_sends(o->role)) {
		return port_err(p, "port %u (%s): --size %u is more than one mbuf (%u bytes) and the port has no multi-segment TX",
				p->id, p->driver, o->size, p->data_room);
	}
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	return 0;
}

static const struct {
	const char *dir, *name;
} xs_names[BENCH_XS_N] = {
	[XS_DOORBELLS] = { "tx", "doorbells" },
	[XS_SUPPRESSED] = { "tx", "doorbells_suppressed" },
	[XS_SLEEPS] = { "rx", "sleeps" },
	[XS_WAKEUPS] = { "rx", "wakeups" },
};

/* The ids of our xstats for queues 0..nq-1; UINT64_MAX for the others and
 * for those the port does not have. */
static void
xstat_ids(struct bench_port *p, uint16_t nq)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];

	for (unsigned int k = 0; k < BENCH_XS_N; k++)
		for (uint16_t q = 0; q < BENCH_MAX_QUEUES; q++) {
			p->xs_id[k][q] = UINT64_MAX;
			if (q >= nq)
				continue;
			snprintf(name, sizeof(name), "%s_q%u_%s", xs_names[k].dir,
					q, xs_names[k].name);
			if (rte_eth_xstats_get_id_by_name(p->id, name, &p->xs_id[k][q]) != 0)
				p->xs_id[k][q] = UINT64_MAX;
		}
}

int
bench_port_start(const struct bench_opts *o, struct bench_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	char name[RTE_MEMPOOL_NAMESIZE];
	int socket, ret;

	memset(p, 0, sizeof(*p));
	p->id = o->port;
	snprintf(p->driver, sizeof(p->driver), "?");
	xstat_ids(p, 0);	/* all absent */
	if (!rte_eth_dev_is_valid_port(o->port)) {
		return port_err(p, "no port %u: %u port(s) probed (give the device with --vdev or -a)",
				o->port, rte_eth_dev_count_avail());
	}
	ret = rte_eth_dev_info_get(o->port, &info);
	if (ret != 0)
		return fail(p, "rte_eth_dev_info_get", ret);
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (o->queues > info.max_rx_queues || o->queues > info.max_tx_queues) {
		return port_err(p, "port %u (%s) has at most %u RX and %u TX queues; --queues %u asked",
				o->port, p->driver, info.max_rx_queues,
				info.max_tx_queues, o->queues);
	}
	p->data_room = o->mbuf_size;
	p->segs = (o->size + p->data_room - 1) / p->data_room;
	if (port_conf(o, &info, p, &conf) != 0)
		return -1;
	ret = rte_eth_dev_configure(o->port, o->queues, o->queues, &conf);
	if (ret != 0) {
		if (o->rx_mode == BENCH_INTR)
			return port_err(p, "port %u (%s): rte_eth_dev_configure: %s: --rx-mode intr needs RX interrupts, which the port refused (net_ivshmem: use server=<socket>, not shm=)",
					o->port, p->driver, rte_strerror(-ret));
		return fail(p, "rte_eth_dev_configure", ret);
	}

	socket = rte_eth_dev_socket_id(o->port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	snprintf(name, sizeof(name), "bench_%u", o->port);
	p->mp = rte_pktmbuf_pool_create(name, pool_size(o, &info, p->segs),
			MEMPOOL_CACHE, 0, (uint16_t)(o->mbuf_size + RTE_PKTMBUF_HEADROOM), socket);
	if (p->mp == NULL)
		return fail(p, "rte_pktmbuf_pool_create", rte_errno);
	p->tx_mp = p->mp;
	if (o->tx_pool && bench_role_sends(o->role)) {
		char err[256];
		unsigned int n;

		snprintf(name, sizeof(name), "bench_txpool_%u", o->port);
		p->tx_mp = txpool_create(o->port, name,
				(uint16_t)(o->mbuf_size + RTE_PKTMBUF_HEADROOM),
				pool_size(o, &info, p->segs),
				2u * o->queues * o->burst * p->segs +
				(rte_lcore_count() + 1) * MEMPOOL_CACHE * 2,
				MEMPOOL_CACHE, &n, err, sizeof(err));
		if (p->tx_mp == NULL)
			return port_err(p, "%s", err);
	}
	for (uint16_t q = 0; q < o->queues; q++) {
		ret = rte_eth_rx_queue_setup(o->port, q, 0, (unsigned int)socket,
				NULL, p->mp);
		if (ret != 0)
			return fail(p, "rte_eth_rx_queue_setup", ret);
		ret = rte_eth_tx_queue_setup(o->port, q, 0, (unsigned int)socket, NULL);
		if (ret != 0)
			return fail(p, "rte_eth_tx_queue_setup", ret);
	}
	/* Frames go to broadcast; promiscuous is for PMDs that filter. */
	ret = rte_eth_promiscuous_enable(o->port);
	if (ret != 0 && ret != -ENOTSUP)
		fprintf(stderr, BENCH_PROG ": port %u: promiscuous mode: %s (continuing)\n",
				o->port, rte_strerror(-ret));
	ret = rte_eth_dev_start(o->port);
	if (ret != 0)
		return fail(p, "rte_eth_dev_start", ret);
	rte_eth_macaddr_get(o->port, &p->mac);
	return 0;
}

/* After link up: some PMDs (net_vhost) have no xstats before. */
void
bench_xstats_lookup(struct bench_port *p, uint16_t nq)
{
	xstat_ids(p, nq);
}

void
bench_port_close(struct bench_port *p)
{
	int ret = rte_eth_dev_stop(p->id);

	if (ret != 0)
		fprintf(stderr, BENCH_PROG ": port %u: stop: %s\n", p->id, rte_strerror(-ret));
	ret = rte_eth_dev_close(p->id);
	if (ret != 0)
		fprintf(stderr, BENCH_PROG ": port %u: close: %s\n", p->id, rte_strerror(-ret));
}

bool
bench_link_poll(struct bench_port *p, uint64_t now_ms)
{
	struct rte_eth_link link;

	if (now_ms < p->next_link_poll_ms)
		return p->up;
	p->next_link_poll_ms = now_ms + BENCH_LINK_POLL_MS;
	if (rte_eth_link_get_nowait(p->id, &link) != 0 ||
			(link.link_status == RTE_ETH_LINK_UP) == p->up)
		return p->up;
	p->up = !p->up;
	p->link_changes++;
	return p->up;
}

bool
bench_link_wait(struct bench_port *p, uint64_t ms, volatile const int *quit)
{
	uint64_t end = bench_mono_ms() + ms;

	for (;;) {
		uint64_t now = bench_mono_ms();

		p->next_link_poll_ms = 0;
		if (bench_link_poll(p, now))
			return true;
		if (now >= end || *quit)
			return false;
		usleep(10 * 1000);
	}
}

/*
 * On the lcore that will sleep: add its queues' interrupt fds to this
 * thread's epoll set (RTE_EPOLL_PER_THREAD is per calling thread).
 */
int
bench_intr_attach(const struct bench_opts *o, struct bench_lcore *lc)
{
	for (uint16_t i = 0; i < lc->nq; i++) {
		int ret = rte_eth_dev_rx_intr_ctl_q(o->port, lc->q[i],
				RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD,
				(void *)(uintptr_t)lc->q[i]);

		if (ret != 0) {
			fprintf(stderr, BENCH_PROG ": port %u: rte_eth_dev_rx_intr_ctl_q(queue %u) failed: %s: the port has no RX interrupts for --rx-mode intr\n",
					o->port, lc->q[i], rte_strerror(-ret));
			return -1;
		}
	}
	return 0;
}

/* Current values of our xstats, [kind][queue]; 0 when absent. */
void
bench_xstats_read(const struct bench_port *p, uint16_t nq,
		uint64_t v[BENCH_XS_N][BENCH_MAX_QUEUES])
{
	uint64_t want[BENCH_XS_N * BENCH_MAX_QUEUES], got[BENCH_XS_N * BENCH_MAX_QUEUES];
	unsigned int n = 0, k = 0;

	memset(v, 0, sizeof(uint64_t) * BENCH_XS_N * BENCH_MAX_QUEUES);
	for (unsigned int i = 0; i < BENCH_XS_N; i++)
		for (uint16_t q = 0; q < nq; q++)
			if (p->xs_id[i][q] != UINT64_MAX)
				want[n++] = p->xs_id[i][q];
	if (n == 0 || rte_eth_xstats_get_by_id(p->id, want, got, n) != (int)n)
		return;
	for (unsigned int i = 0; i < BENCH_XS_N; i++)
		for (uint16_t q = 0; q < nq; q++)
			if (p->xs_id[i][q] != UINT64_MAX)
				v[i][q] = got[k++];
}

/* Every non-zero xstat of the port, one per line. */
void
bench_xstats_dump(const struct bench_port *p, FILE *f)
{
	int n = rte_eth_xstats_get_names(p->id, NULL, 0);
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *xs;

	if (n <= 0)
		return;
	names = rte_calloc("bench_xs", (size_t)n, sizeof(*names), 0);
	xs = rte_calloc("bench_xs", (size_t)n, sizeof(*xs), 0);
	if (names != NULL && xs != NULL &&
			rte_eth_xstats_get_names(p->id, names, (unsigned int)n) == n &&
			rte_eth_xstats_get(p->id, xs, (unsigned int)n) == n) {
		fprintf(f, "xstats of port %u (non-zero):\n", p->id);
		for (int i = 0; i < n; i++)
			if (xs[i].value != 0)
				fprintf(f, "  %-40s %" PRIu64 "\n", names[xs[i].id].name,
						xs[i].value);
	}
	rte_free(names);
	rte_free(xs);
}
