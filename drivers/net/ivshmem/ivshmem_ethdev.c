/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev operations common to every transport: configuration, queues,
 * statistics. Start, stop, reset, close and the link state are the control
 * module's (ivshmem_ctl.c); the bus glue (ivshmem_vdev.c, ivshmem_pci.c)
 * picks the transport and calls ivsh_ethdev_init.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_malloc.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"
#include "ivshmem_zc.h"

/* The control module keeps dev_link current; there is nothing to poll
 * here, and nothing here may write control state (net_null does the same). */
static int
ivsh_link_update(struct rte_eth_dev *dev __rte_unused, int wait __rte_unused)
{
	return 0;
}

static int
ivsh_dev_configure(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const struct rte_eth_conf *c = &dev->data->dev_conf;

	if (c->rxmode.mq_mode != RTE_ETH_MQ_RX_NONE) {
		IVSH_LOG(ERR, dev, "RX multi-queue mode %d not supported: use RTE_ETH_MQ_RX_NONE",
				c->rxmode.mq_mode);
		return -ENOTSUP;
	}
	if (c->intr_conf.rxq && ad->n_vectors == 0) {
		IVSH_LOG(ERR, dev, "RX interrupts need doorbells: use server=<socket> (or the PCI ivshmem-doorbell device), not shm=");
		return -ENOTSUP;
	}
	return 0;
}

static int
ivsh_dev_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint16_t n = (uint16_t)ad->opts.ring_size;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = ad->ctl.max_frame;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = ad->ctl.max_frame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN - 8;
	info->max_rx_queues = (uint16_t)ad->opts.queues;
	info->max_tx_queues = (uint16_t)ad->opts.queues;
	info->min_rx_bufsize = 64;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* The ring size is fixed by the region layout (devarg ring_size). */
	info->rx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = n, .nb_min = n, .nb_align = 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = n;
	info->default_txportconf.ring_size = n;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	info->speed_capa = RTE_ETH_LINK_SPEED_FIXED;
	info->dev_capa &= ~RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP;
	return 0;
}

static void
queue_states(struct rte_eth_dev *dev, uint8_t state)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = state;
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = state;
}

static int
ivsh_dev_start(struct rte_eth_dev *dev)
{
	int ret;

	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		if (dev->data->rx_queues[q] == NULL) {
			IVSH_LOG(ERR, dev, "RX queue %u not set up", q);
			return -EINVAL;
		}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		if (dev->data->tx_queues[q] == NULL) {
			IVSH_LOG(ERR, dev, "TX queue %u not set up", q);
			return -EINVAL;
		}
	ret = ivsh_ctl_start(dev);
	if (ret == 0)
		queue_states(dev, RTE_ETH_QUEUE_STATE_STARTED);
	return ret;
}

/* What we sent is drained before the peer sees us stop. */
static int
ivsh_dev_stop(struct rte_eth_dev *dev)
{
	ivsh_ctl_stop(dev);
	queue_states(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	return 0;
}

/* Lent buffers go back to the producer; those the application still holds
 * after IVSH_ZC_WAIT_MS keep the bookkeeping for the queue's next setup. */
static void
rxq_zc_destroy(struct rte_eth_dev *dev, struct ivsh_rxq *rxq)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	bool ours = ad->ctl.attached &&
		!__atomic_load_n(&ad->region.evicted, __ATOMIC_RELAXED);
	uint64_t held;

	if (rxq->zc == NULL)
		return;
	held = ivsh_zc_destroy(rxq->zc, ours ? &rxq->ring : NULL, IVSH_ZC_WAIT_MS);
	if (held != 0) {
		IVSH_LOG(WARNING, dev, "RX queue %u released while the application holds %" PRIu64 " of its zero-copy mbufs: they stay valid",
				rxq->queue_id, held);
		ad->zc_kept[rxq->queue_id] = rxq->zc;
	}
	rxq->zc = NULL;
}

static void
ivsh_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivsh_rxq *rxq = dev->data->rx_queues[qid];

	if (rxq == NULL)
		return;
	/* out of the control module's view before its zero-copy
	 * bookkeeping goes (ivsh_ctl_view reads it) */
	ivsh_ctl_rxq_remove(dev, rxq);
	rxq_zc_destroy(dev, rxq);
	rte_free(rxq);
	dev->data->rx_queues[qid] = NULL;
}

static void
ivsh_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivsh_txq *txq = dev->data->tx_queues[qid];

	if (txq == NULL)
		return;
	if (!ivsh_ctl_txq_remove(dev, txq))
		ivsh_txq_pool_reclaim(txq);
	rte_free(txq);
	dev->data->tx_queues[qid] = NULL;
}

static int
check_desc(struct rte_eth_dev *dev, const char *dir, uint16_t nb_desc)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	if (nb_desc != 0 && nb_desc != ad->opts.ring_size) {
		IVSH_LOG(ERR, dev, "%s ring of %u descriptors requested, but the region is laid out with ring_size=%u: change the devarg",
				dir, nb_desc, ad->opts.ring_size);
		return -EINVAL;
	}
	return 0;
}

static int
ivsh_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		unsigned int socket, const struct rte_eth_rxconf *conf __rte_unused,
		struct rte_mempool *mp)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_rxq *rxq;
	int ret = check_desc(dev, "RX", nb_desc);

	if (ret != 0)
		return ret;
	if (dev->data->rx_queues[qid] != NULL)
		ivsh_rx_queue_release(dev, qid);
	rxq = rte_zmalloc_socket("ivshmem_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE,
			(int)socket);
	if (rxq == NULL) {
		IVSH_LOG(ERR, dev, "RX queue %u: out of memory on socket %u", qid, socket);
		return -ENOMEM;
	}
	rxq->mp = mp;
	rxq->port_id = dev->data->port_id;
	rxq->queue_id = qid;
	rxq->copy_break = ad->opts.rx_copy_break;
	/* a fresh mbuf's tailroom; a pool of pinned external buffers says
	 * nothing of theirs: 0, and the general path checks each mbuf */
	rxq->mbuf_room = (rte_pktmbuf_priv_flags(mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) ? 0 :
		rte_pktmbuf_data_room_size(mp) -
		RTE_MIN(rte_pktmbuf_data_room_size(mp), RTE_PKTMBUF_HEADROOM);
	if (ad->opts.zero_copy && ad->zc_kept[qid] != NULL) {
		/* its mbufs keep the private size they were made with */
		if (ad->zc_kept[qid]->priv_size != rte_pktmbuf_priv_size(mp)) {
			IVSH_LOG(ERR, dev, "RX queue %u: the application still holds zero-copy mbufs of this queue, with a private area of %u bytes; mempool %s has %u: set the queue up with the same private size",
					qid, ad->zc_kept[qid]->priv_size, mp->name,
					rte_pktmbuf_priv_size(mp));
			rte_free(rxq);
			return -EINVAL;
		}
		rxq->zc = ad->zc_kept[qid];
		ad->zc_kept[qid] = NULL;
	} else if (ad->opts.zero_copy) {
		/* ids 0..2N-1: the producer's copy buffers and its pool
		 * TX buffers (doc/spec.md 5.6) */
		rxq->zc = ivsh_zc_create(2 * ad->opts.ring_size, (int)socket, mp,
				dev->data->port_id, qid);
		if (rxq->zc == NULL) {
			rte_free(rxq);
			return -ENOMEM;
		}
	}
	ret = ivsh_ctl_rxq_add(dev, rxq);
	if (ret != 0) {
		rxq_zc_destroy(dev, rxq);
		rte_free(rxq);
		return ret;
	}
	dev->data->rx_queues[qid] = rxq;
	return 0;
}

static int
ivsh_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		unsigned int socket, const struct rte_eth_txconf *conf __rte_unused)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_txq *txq;
	size_t size = offsetof(struct ivsh_txq, ring) + ivr_tx_size(ad->opts.ring_size);
	int ret = check_desc(dev, "TX", nb_desc);

	if (ret != 0)
		return ret;
	if (dev->data->tx_queues[qid] != NULL)
		ivsh_tx_queue_release(dev, qid);
	txq = rte_zmalloc_socket("ivshmem_txq", size, RTE_CACHE_LINE_SIZE, (int)socket);
	if (txq == NULL) {
		IVSH_LOG(ERR, dev, "TX queue %u: out of memory on socket %u", qid, socket);
		return -ENOMEM;
	}
	txq->port_id = dev->data->port_id;
	txq->copy_break = ivsh_adapter(dev)->opts.tx_copy_break;
	txq->queue_id = qid;
	ret = ivsh_ctl_txq_add(dev, txq);
	if (ret != 0) {
		rte_free(txq);
		return ret;
	}
	dev->data->tx_queues[qid] = txq;
	return 0;
}

static int
ivsh_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint32_t frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 8;

	if (frame > ad->ctl.max_frame) {
		IVSH_LOG(ERR, dev, "MTU %u too large: at most %u with buf_size=%u",
				mtu, ad->ctl.max_frame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN - 8,
				ad->opts.buf_size);
		return -EINVAL;
	}
	return 0;
}

static int
ivsh_mac_set(struct rte_eth_dev *dev, struct rte_ether_addr *mac)
{
	rte_ether_addr_copy(mac, &ivsh_adapter(dev)->mac);
	return 0;
}

static int
ivsh_noop(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
ivsh_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct ivsh_rxq *rxq = dev->data->rx_queues[q];
		const struct ivr_rx_stats *s;

		if (rxq == NULL)
			continue;
		s = &rxq->ring.st;
		st->ipackets += s->frames;
		st->ibytes += rxq->bytes;
		st->ierrors += s->bad_desc + s->stale;
		st->rx_nombuf += rxq->nombuf;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = s->frames;
			st->q_ibytes[q] = rxq->bytes;
			st->q_errors[q] = s->bad_desc + s->stale;
		}
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct ivsh_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL)
			continue;
		st->opackets += txq->pkts;
		st->obytes += txq->bytes;
		st->oerrors += txq->oversize;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_opackets[q] = txq->pkts;
			st->q_obytes[q] = txq->bytes;
		}
	}
	return 0;
}

static int
ivsh_stats_reset(struct rte_eth_dev *dev)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		struct ivsh_rxq *rxq = dev->data->rx_queues[q];

		if (rxq == NULL)
			continue;
		memset(&rxq->ring.st, 0, sizeof(rxq->ring.st));
		rxq->bytes = 0;
		rxq->nombuf = 0;
		rxq->wakeups = 0;
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivsh_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL)
			continue;
		memset(&txq->ring.st, 0, sizeof(txq->ring.st));
		txq->pkts = txq->bytes = txq->full = txq->oversize = 0;
	}
	return 0;
}

/* Per-queue extended statistics: name and where the counter lives. */
struct ivsh_xstat {
	const char *name;
	size_t off;
};

#define RXS(f) offsetof(struct ivsh_rxq, ring.st.f)
#define TXS(f) offsetof(struct ivsh_txq, ring.st.f)

/* Not here: packets, bytes and errors per queue, which ethdev fills in
 * from rte_eth_stats (RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS). */
static const struct ivsh_xstat rx_xstats[] = {
	{ "bad_desc", RXS(bad_desc) },
	{ "bad_index", RXS(bad_index) },
	{ "ret_full", RXS(ret_full) },
	{ "stale", RXS(stale) },
	{ "sessions", RXS(sessions) },
	{ "sleeps", RXS(arms) },
	{ "mbuf_alloc_fail", offsetof(struct ivsh_rxq, nombuf) },
	{ "wakeups", offsetof(struct ivsh_rxq, wakeups) },
};

/* zero_copy=yes only, in the queue's struct ivsh_zc. */
#define ZCS(f) offsetof(struct ivsh_zc, f)
static const struct ivsh_xstat zc_xstats[] = {
	{ "zc_lent", ZCS(lent) },
	{ "zc_held", ZCS(held) },
	{ "zc_returned", ZCS(back) },
	{ "zc_held_max", ZCS(held_max) },
	{ "zc_stale", ZCS(stale) },
	{ "zc_copied", ZCS(copied) },
};

static const struct ivsh_xstat tx_xstats[] = {
	{ "descs", TXS(descs) },
	{ "ring_full", offsetof(struct ivsh_txq, full) },
	{ "oversize", offsetof(struct ivsh_txq, oversize) },
	{ "bad_ret", TXS(bad_ret) },
	{ "bad_index", TXS(bad_index) },
	{ "sessions", TXS(sessions) },
	{ "sessions_deferred", TXS(sessions_deferred) },
	{ "dropped_inflight", TXS(dropped_inflight) },
	{ "doorbells", TXS(kicks) },
	{ "doorbells_suppressed", TXS(kicks_suppressed) },
	{ "doorbells_refused", TXS(kicks_refused) },
	{ "pool_descs", TXS(ext_descs) },
	{ "pool_held", offsetof(struct ivsh_txq, pool_held) },
	{ "pool_reclaimed", TXS(ext_reclaimed) },
};

/* Port-wide, in the adapter. */
static const struct ivsh_xstat port_xstats[] = {
	{ "link_changes", offsetof(struct ivsh_adapter, ctl.link_changes) },
	{ "resets", offsetof(struct ivsh_adapter, ctl.resets) },
	{ "rx_idle_wakes", offsetof(struct ivsh_adapter, ctl.rx_idle_wakes) },
};

#define N_PORT_XSTATS RTE_DIM(port_xstats)
#define N_RX_XSTATS RTE_DIM(rx_xstats)
#define N_TX_XSTATS RTE_DIM(tx_xstats)
#define N_ZC_XSTATS RTE_DIM(zc_xstats)

static unsigned int
xstats_count(const struct rte_eth_dev *dev)
{
	return N_PORT_XSTATS + dev->data->nb_rx_queues * N_RX_XSTATS +
		dev->data->nb_tx_queues * N_TX_XSTATS +
		(((const struct ivsh_adapter *)dev->data->dev_private)->opts.zero_copy ?
		 dev->data->nb_rx_queues * N_ZC_XSTATS : 0);
}

/* One table of counters for each of n queues (dir NULL: the port, one
 * object): names or values. */
static unsigned int
xstats_fill(const struct ivsh_xstat *tab, unsigned int ntab, const char *dir,
		void *const *queues, uint16_t n, unsigned int k,
		struct rte_eth_xstat_name *names, struct rte_eth_xstat *xs)
{
	for (uint16_t q = 0; q < n; q++)
		for (unsigned int i = 0; i < ntab; i++, k++) {
			if (names != NULL && dir == NULL) {
				snprintf(names[k].name, RTE_ETH_XSTATS_NAME_SIZE,
						"%s", tab[i].name);
			} else if (names != NULL) {
				snprintf(names[k].name, RTE_ETH_XSTATS_NAME_SIZE,
						"%s_q%u_%s", dir, q, tab[i].name);
			} else {
				xs[k].id = k;
				/* written by another thread (an lcore, the
				 * control module): one relaxed load */
				xs[k].value = queues[q] == NULL ? 0 :
					__atomic_load_n((const uint64_t *)
						((const char *)queues[q] + tab[i].off),
						__ATOMIC_RELAXED);
			}
		}
	return k;
}

static int
xstats_common(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		struct rte_eth_xstat *xs, unsigned int size)
{
	void *port = dev->data->dev_private;
	unsigned int n = xstats_count(dev), k;

	if ((names == NULL && xs == NULL) || size < n)
		return (int)n;
	k = xstats_fill(port_xstats, N_PORT_XSTATS, NULL, &port, 1, 0, names, xs);
	k = xstats_fill(rx_xstats, N_RX_XSTATS, "rx", dev->data->rx_queues,
			dev->data->nb_rx_queues, k, names, xs);
	k = xstats_fill(tx_xstats, N_TX_XSTATS, "tx", dev->data->tx_queues,
			dev->data->nb_tx_queues, k, names, xs);
	if (ivsh_adapter(dev)->opts.zero_copy) {
		void *zc[RTE_MAX_QUEUES_PER_PORT];

		for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
			const struct ivsh_rxq *rxq = dev->data->rx_queues[q];

			zc[q] = rxq != NULL ? rxq->zc : NULL;
		}
		xstats_fill(zc_xstats, N_ZC_XSTATS, "rx", zc,
				dev->data->nb_rx_queues, k, names, xs);
	}
	return (int)n;
}

static int
ivsh_xstats_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		unsigned int size)
{
	return xstats_common(dev, names, NULL, size);
}

static int
ivsh_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs,
		unsigned int size)
{
	return xstats_common(dev, NULL, xs, size);
}

static int
ivsh_xstats_reset(struct rte_eth_dev *dev)
{
	ivsh_ctl_counters_reset(dev);
	return ivsh_stats_reset(dev);
}


/* What each queue moved, logged at close or removal: for the operator,
 * and for applications that show no xstats (l2fwd). The queues are
 * stopped; buffers freed since the last burst are not counted back yet. */
static void
log_queue_totals(struct rte_eth_dev *dev)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		struct ivsh_rxq *rxq = dev->data->rx_queues[q];

		if (rxq == NULL)
			continue;
		if (rxq->zc == NULL)
			IVSH_LOG(INFO, dev, "RX queue %u at close: %" PRIu64 " frames, copied",
					q, IVSH_LOAD(rxq->ring.st.frames));
		else
			IVSH_LOG(INFO, dev, "RX queue %u at close: %" PRIu64 " frames, %" PRIu64 " buffers lent zero-copy, %" PRIu64 " frames copied, %" PRIu64 " buffers stale",
					q, IVSH_LOAD(rxq->ring.st.frames), IVSH_LOAD(rxq->zc->lent),
					IVSH_LOAD(rxq->zc->copied), IVSH_LOAD(rxq->zc->stale));
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivsh_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL)
			continue;
		IVSH_LOG(INFO, dev, "TX queue %u at close: %" PRIu64 " frames in %" PRIu64 " descriptors, %" PRIu64 " of them pool buffers (no copy); %" PRIu64 " doorbells",
				q, IVSH_LOAD(txq->pkts), IVSH_LOAD(txq->ring.st.descs),
				IVSH_LOAD(txq->ring.st.ext_descs), IVSH_LOAD(txq->ring.st.kicks));
	}
}

/* Undoes ivsh_ethdev_init: safe on a half-made port. Lent buffers go
 * back while we are still attached. */
int
ivsh_ethdev_uninit(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	ivsh_telemetry_remove(dev);
	ivsh_ctl_stop(dev);
	log_queue_totals(dev);
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		ivsh_rx_queue_release(dev, q);
	for (uint16_t q = 0; q < RTE_DIM(ad->zc_kept); q++)
		if (ad->zc_kept[q] != NULL) {
			IVSH_LOG(WARNING, dev, "closed while the application holds zero-copy mbufs of RX queue %u: the region stays mapped until the process exits",
					q);
			ad->map_pinned = true;
		}
	ivsh_ctl_close(dev);
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		ivsh_tx_queue_release(dev, q);
	dev->data->mac_addrs = NULL;	/* points into dev_private */
	return 0;
}

static int
ivsh_dev_close(struct rte_eth_dev *dev)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	return ivsh_ethdev_uninit(dev);
}

/* ethdev stopped the port first; the application sets it up again. */
static int
ivsh_dev_reset(struct rte_eth_dev *dev)
{
	return ivsh_ctl_reset(dev);
}

static int
ivsh_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivsh_rxq *rxq = dev->data->rx_queues[qid];

	if (rxq == NULL || ivsh_adapter(dev)->n_vectors == 0)
		return -EINVAL;
	return ivsh_ctl_rx_sleep(dev, rxq);
}

static int
ivsh_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivsh_rxq *rxq = dev->data->rx_queues[qid];

	if (rxq == NULL)
		return -EINVAL;
	if (rxq->ring.armed & 1)
		rxq->wakeups++;
	ivr_rx_disarm(&rxq->ring);
	return 0;
}

static const struct eth_dev_ops ivsh_ops = {
	.dev_configure = ivsh_dev_configure,
	.dev_infos_get = ivsh_dev_info,
	.dev_start = ivsh_dev_start,
	.dev_stop = ivsh_dev_stop,
	.dev_close = ivsh_dev_close,
	.dev_reset = ivsh_dev_reset,
	.link_update = ivsh_link_update,
	.rx_queue_setup = ivsh_rx_queue_setup,
	.rx_queue_release = ivsh_rx_queue_release,
	.tx_queue_setup = ivsh_tx_queue_setup,
	.tx_queue_release = ivsh_tx_queue_release,
	.tx_done_cleanup = ivsh_tx_done_cleanup,
	.mtu_set = ivsh_mtu_set,
	.mac_addr_set = ivsh_mac_set,
	.promiscuous_enable = ivsh_noop,
	.promiscuous_disable = ivsh_noop,
	.allmulticast_enable = ivsh_noop,
	.allmulticast_disable = ivsh_noop,
	.stats_get = ivsh_stats_get,
	.stats_reset = ivsh_stats_reset,
	.xstats_get = ivsh_xstats_get,
	.xstats_get_names = ivsh_xstats_names,
	.xstats_reset = ivsh_xstats_reset,
	.rx_queue_intr_enable = ivsh_rx_intr_enable,
	.rx_queue_intr_disable = ivsh_rx_intr_disable,
	.eth_dev_priv_dump = ivsh_priv_dump,
};

/* A secondary process (dpdk-proc-info, dpdk-dumpcap) reads statistics,
 * which live in DPDK shared memory; it never touches the region. */
const struct eth_dev_ops ivsh_secondary_ops = {
	.dev_infos_get = ivsh_dev_info,
	.link_update = ivsh_link_update,
	.stats_get = ivsh_stats_get,
	.stats_reset = ivsh_stats_reset,
	.xstats_get = ivsh_xstats_get,
	.xstats_get_names = ivsh_xstats_names,
	.xstats_reset = ivsh_xstats_reset,
};

bool
ivsh_ethdev_is_ours(const struct rte_eth_dev *dev)
{
	return dev->dev_ops == &ivsh_ops;
}

/*
 * Common part of probe, once the bus glue has filled ad->opts and ad->tp:
 * the control module opens the transport and attaches.
 */
int
ivsh_ethdev_init(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	ad->intr_spin_tsc = rte_get_tsc_hz() / 1000000 * ad->opts.intr_spin_us;
	if (ad->opts.mac_given)
		ad->mac = ad->opts.mac;
	else
		rte_eth_random_addr(ad->mac.addr_bytes);
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	ret = ivsh_ctl_open(dev);
	if (ret != 0)
		return ret;
	dev->dev_ops = &ivsh_ops;
	dev->rx_pkt_burst = ad->opts.zero_copy ? ivsh_rx_burst_zc : ivsh_rx_burst;
	dev->tx_pkt_burst = ivsh_tx_burst;
	dev->tx_descriptor_status = ivsh_tx_descriptor_status;
	dev->data->mac_addrs = &ad->mac;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	ivsh_telemetry_add(dev);
	return 0;
}
