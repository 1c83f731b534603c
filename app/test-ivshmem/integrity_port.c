/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup for ivshmem-integrity, for any ethdev: queue pairs with the
 * PMD's default ring sizes (descriptor count 0), an MTU that fits the
 * largest frame, multi-segment TX and scattered RX when frames exceed one
 * mbuf. And the link watch: its changes with both clocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "integrity_port.h"
#include "txpool.h"

#define MEMPOOL_CACHE		256
#define MAX_MBUFS		((1u << 20) - 1)

static uint64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
integ_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t
integ_real_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

/* Mbufs for every descriptor of every ring, plus bursts in flight and
 * the mempool caches of the lcores (--free-thread's too). */
static unsigned int
pool_size(const struct integ_opts *o, const struct rte_eth_dev_info *info,
		uint32_t segs)
{
	uint64_t rxd = info->default_rxportconf.ring_size ?
		info->default_rxportconf.ring_size : RTE_ETH_DEV_FALLBACK_RX_RINGSIZE;
	uint64_t txd = info->default_txportconf.ring_size ?
		info->default_txportconf.ring_size : RTE_ETH_DEV_FALLBACK_TX_RINGSIZE;
	uint64_t n = o->queues * (rxd + txd) * segs +
		2ull * o->queues * o->burst * segs + 2 * MEMPOOL_CACHE +
		(o->free_thread ? 2 * MEMPOOL_CACHE : 0) + (uint64_t)o->hold * segs;

	return (unsigned int)RTE_MIN(n, (uint64_t)MAX_MBUFS);
}

/* Port configuration for o: MTU and offloads. -1 when the port cannot. */
static int
port_conf(const struct integ_opts *o, const struct rte_eth_dev_info *info,
		uint32_t data_room, struct rte_eth_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	if (o->max_size > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN) {
		uint32_t mtu = o->max_size - RTE_ETHER_HDR_LEN;

		if (mtu > info->max_mtu) {
			fprintf(stderr, INTEG_PROG ": port %u: --max-size %u needs MTU %u, but the port allows at most %u\n",
					o->port, o->max_size, mtu, info->max_mtu);
			return -1;
		}
		conf->rxmode.mtu = mtu;
	}
	if (o->max_size <= data_room)
		return 0;
	/* Frames longer than one mbuf: chains both ways. */
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	else if (o->role == INTEG_TX) {
		fprintf(stderr, INTEG_PROG ": port %u: --max-size %u exceeds one mbuf (%u bytes) and the port has no multi-segment TX\n",
				o->port, o->max_size, data_room);
		return -1;
	}
	if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	else if (o->role == INTEG_RX)
		fprintf(stderr, INTEG_PROG ": warning: port %u does not announce scattered RX; frames above %u bytes may be dropped\n",
				o->port, data_room);
	return 0;
}

static int
fail(const struct integ_opts *o, const char *what, int ret)
{
	fprintf(stderr, INTEG_PROG ": port %u: %s failed: %s\n", o->port, what,
			rte_strerror(ret < 0 ? -ret : ret));
	return -1;
}

/* --tx-pool: as many mbufs as the pool area holds, at most what every
 * queue's ring and the bursts could want (--tx-pool-fill: no limit, no
 * cache), at least that of the bursts. */
static int
tx_pool_create(const struct integ_opts *o, struct integ_port *p, unsigned int want)
{
	unsigned int least = 2u * o->queues * o->burst *
		((o->max_size + p->data_room - 1) / p->data_room) + 2 * MEMPOOL_CACHE;
	char name[RTE_MEMPOOL_NAMESIZE], err[256];

	snprintf(name, sizeof(name), "integ_txpool_%u", o->port);
	if (o->tx_pool_fill)
		want = UINT_MAX;
	p->tx_mp = txpool_create(o->port, name, RTE_MBUF_DEFAULT_BUF_SIZE, want, least,
			o->tx_pool_fill ? 0 : MEMPOOL_CACHE, &p->tx_pool_n, err, sizeof(err));
	if (p->tx_mp == NULL) {
		fprintf(stderr, INTEG_PROG ": %s\n", err);
		return -1;
	}
	fprintf(p->out, "tx pool: %u mbufs in port %u's pool area\n", p->tx_pool_n, o->port);
	return 0;
}

int
integ_port_start(const struct integ_opts *o, struct integ_port *p, FILE *out)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	char name[RTE_MEMPOOL_NAMESIZE];
	int socket, ret;
	uint32_t segs;

	memset(p, 0, sizeof(*p));
	p->id = o->port;
	p->out = out;
	p->data_room = RTE_MBUF_DEFAULT_DATAROOM;
	if (!rte_eth_dev_is_valid_port(o->port)) {
		fprintf(stderr, INTEG_PROG ": no port %u: %u port(s) probed (give the device with --vdev or -a)\n",
				o->port, rte_eth_dev_count_avail());
		return -1;
	}
	ret = rte_eth_dev_info_get(o->port, &info);
	if (ret != 0)
		return fail(o, "rte_eth_dev_info_get", ret);
	if (o->queues > info.max_rx_queues || o->queues > info.max_tx_queues) {
		fprintf(stderr, INTEG_PROG ": port %u (%s) has at most %u RX and %u TX queues; --queues %u asked\n",
				o->port, info.driver_name, info.max_rx_queues,
				info.max_tx_queues, o->queues);
		return -1;
	}
	if (port_conf(o, &info, p->data_room, &conf) != 0)
		return -1;
	conf.intr_conf.rxq = o->rx_intr;
	ret = rte_eth_dev_configure(o->port, o->queues, o->queues, &conf);
	if (ret != 0)
		return fail(o, "rte_eth_dev_configure", ret);

	socket = rte_eth_dev_socket_id(o->port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	segs = (o->max_size + p->data_room - 1) / p->data_room;
	snprintf(name, sizeof(name), "integ_%u", o->port);
	p->mp = rte_pktmbuf_pool_create(name, pool_size(o, &info, segs),
			MEMPOOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (p->mp == NULL)
		return fail(o, "rte_pktmbuf_pool_create", rte_errno);
	p->tx_mp = p->mp;
	if (o->tx_pool && o->role == INTEG_TX &&
			tx_pool_create(o, p, pool_size(o, &info, segs)) != 0)
		return -1;
	for (uint16_t q = 0; q < o->queues; q++) {
		ret = rte_eth_rx_queue_setup(o->port, q, 0, (unsigned int)socket,
				NULL, p->mp);
		if (ret != 0)
			return fail(o, "rte_eth_rx_queue_setup", ret);
		ret = rte_eth_tx_queue_setup(o->port, q, 0, (unsigned int)socket, NULL);
		if (ret != 0)
			return fail(o, "rte_eth_tx_queue_setup", ret);
	}
	/* Frames go to broadcast; promiscuous is for PMDs that filter. */
	ret = rte_eth_promiscuous_enable(o->port);
	if (ret != 0 && ret != -ENOTSUP)
		fprintf(stderr, INTEG_PROG ": port %u: promiscuous mode: %s (continuing)\n",
				o->port, rte_strerror(-ret));
	ret = rte_eth_dev_start(o->port);
	if (ret != 0)
		return fail(o, "rte_eth_dev_start", ret);
	if (o->rx_intr && integ_intr_setup(o) != 0)
		return -1;
	rte_eth_macaddr_get(o->port, &p->mac);
	return 0;
}

int
integ_port_txq_resetup(const struct integ_opts *o, struct integ_port *p)
{
	int socket = rte_eth_dev_socket_id(o->port);
	int ret = rte_eth_dev_stop(o->port);

	if (ret != 0)
		return fail(o, "rte_eth_dev_stop", ret);
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (uint16_t q = 0; q < o->queues; q++) {
		ret = rte_eth_tx_queue_setup(o->port, q, 0, (unsigned int)socket, NULL);
		if (ret != 0)
			return fail(o, "rte_eth_tx_queue_setup", ret);
	}
	ret = rte_eth_dev_start(o->port);
	if (ret != 0)
		return fail(o, "rte_eth_dev_start", ret);
	fprintf(p->out, "tx: port stopped, %u TX queue(s) set up again, started\n",
			o->queues);
	return 0;
}

unsigned int
integ_port_close(struct integ_port *p)
{
	int ret = rte_eth_dev_stop(p->id);
	unsigned int out = 0;

	if (ret != 0)
		fprintf(stderr, INTEG_PROG ": port %u: stop: %s\n", p->id, rte_strerror(-ret));
	ret = rte_eth_dev_close(p->id);
	if (ret != 0)
		fprintf(stderr, INTEG_PROG ": port %u: close: %s\n", p->id, rte_strerror(-ret));
	if (p->tx_mp != NULL && p->tx_mp != p->mp) {
		/* in use: not freed, and the pool's memory went with the port */
		out = rte_mempool_in_use_count(p->tx_mp);
		if (out == 0)
			rte_mempool_free(p->tx_mp);
		p->tx_mp = NULL;
	}
	return out;
}

bool
integ_link_poll(struct integ_port *p, uint64_t now_ms)
{
	struct rte_eth_link link;
	struct integ_link_event e;

	if (now_ms < p->next_poll_ms)
		return p->up;
	p->next_poll_ms = now_ms + INTEG_LINK_POLL_MS;
	if (rte_eth_link_get_nowait(p->id, &link) != 0 ||
			(link.link_status == RTE_ETH_LINK_UP) == p->up)
		return p->up;
	p->up = !p->up;
	e.up = p->up;
	e.mono_ms = integ_mono_ms();
	e.real_ms = integ_real_ms();
	if (p->n_events < INTEG_MAX_EVENTS)
		p->ev[p->n_events] = e;
	p->n_events++;
	fprintf(p->out, "link %s at %" PRIu64 " ms CLOCK_MONOTONIC, %" PRIu64 " ms CLOCK_REALTIME\n",
			e.up ? "up" : "down", e.mono_ms, e.real_ms);
	return p->up;
}

bool
integ_link_wait(struct integ_port *p, uint64_t ms, volatile const int *quit)
{
	uint64_t end = integ_mono_ms() + ms;

	for (;;) {
		uint64_t now = integ_mono_ms();

		if (integ_link_poll(p, now))
			return true;
		if (now >= end || *quit)
			return false;
		usleep(INTEG_LINK_POLL_MS * 1000);
	}
}
