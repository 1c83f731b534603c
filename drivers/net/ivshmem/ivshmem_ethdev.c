/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev operations common to every bus: queues, start/stop, link state
 * from the peer's lifecycle, statistics. The bus glue (ivshmem_vdev.c,
 * ivshmem_pci.c) maps the region and calls ivsh_ethdev_init.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_alarm.h>
#include <rte_malloc.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

RTE_LOG_REGISTER_SUFFIX(ivsh_logtype_init, init, NOTICE);
RTE_LOG_REGISTER_SUFFIX(ivsh_logtype_driver, driver, NOTICE);

static void ivsh_alarm(void *arg);

static int
ivsh_link_update(struct rte_eth_dev *dev, int wait __rte_unused)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_100G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
	};

	if (rte_eal_process_type() == RTE_PROC_PRIMARY && ad->attached) {
		bool up = ivr_poll_peer(&ad->region, ivr_now_ns());

		/* The bus saw this incarnation of the peer go: no need to
		 * wait for its heartbeat to stop. A new incarnation has a new
		 * epoch and clears the flag. */
		if (ad->peer_left && ad->region.pv.epoch != ad->target_epoch)
			ad->peer_left = false;
		link.link_status = up && !ad->peer_left ?
			RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	}
	else
		link.link_status = dev->data->dev_link.link_status;
	return rte_eth_linkstatus_set(dev, &link);
}

/* TX sends no frame the peer would drop: the smaller of both max frames. */
static void
ivsh_peer_limits(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const struct ivr_peer_view *pv = &ad->region.pv;
	uint32_t max = ad->max_frame;

	if (pv->cfg_ok && pv->cfg.max_frame < max)
		max = pv->cfg.max_frame;
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivsh_txq *txq = dev->data->tx_queues[q];

		if (txq != NULL)
			__atomic_store_n(&txq->max_frame, max, __ATOMIC_RELAXED);
	}
}

/*
 * The control loop, on the EAL interrupt thread: bus events, our heartbeat
 * (the peer's liveness check of us), the peer's state (our link), and
 * where our doorbells point. A change of link raises RTE_ETH_EVENT_INTR_LSC.
 * Runs from the alarm every IVSH_ALARM_US, and at once when the peer rings
 * vector 0 or the bus reports a peer leaving.
 */
void
ivsh_control_poll(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int before = dev->data->dev_link.link_status;

	if (ad->notify != NULL)
		ad->notify->poll(dev);
	if (!ivr_heartbeat(&ad->region) && ad->last_why != IVR_DOWN_EVICTED)
		IVSH_LOG(ERR, dev, "another peer took over our slot %u: link stays down until the port is reset",
				ad->region.slot);
	ivsh_link_update(dev, 0);
	if (ad->region.pv.why != ad->last_why) {
		IVSH_LOG(INFO, dev, "link %s (peer %s, epoch %u)",
				ad->peer_left ? "down: peer left the server" :
				ivr_down_name(ad->region.pv.why),
				ivr_state_name(ad->region.pv.state),
				ad->region.pv.epoch);
		ad->last_why = ad->region.pv.why;
	}
	if (dev->data->dev_link.link_status != before) {
		ad->link_changes++;
		if (dev->data->dev_conf.intr_conf.lsc)
			rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
	}
	ivsh_peer_limits(dev);
	ivsh_notify_update(dev);
}

static void
ivsh_alarm(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	ivsh_control_poll(dev);
	if (ad->alarm_on && rte_eal_alarm_set(IVSH_ALARM_US, ivsh_alarm, dev) != 0)
		IVSH_LOG(ERR, dev, "cannot re-arm the link alarm: link state will not follow the peer");
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
	if (c->intr_conf.rxq && ad->notify == NULL) {
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
	info->max_rx_pktlen = ad->max_frame;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = ad->max_frame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN - 8;
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

static int
ivsh_dev_start(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

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
	ivr_set_running(&ad->region, true);
	ad->started = true;
	ivsh_peer_limits(dev);
	if (ad->notify != NULL)
		ad->notify->kick_lsc(dev);
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	ivsh_link_update(dev, 0);
	return 0;
}

static int
ivsh_dev_stop(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct rte_eth_link link = { .link_status = RTE_ETH_LINK_DOWN };

	if (ad->attached)
		ivr_set_running(&ad->region, false);
	ad->started = false;
	if (ad->notify != NULL)
		ad->notify->kick_lsc(dev);
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	rte_eth_linkstatus_set(dev, &link);
	return 0;
}

static void
ivsh_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	rte_free(dev->data->rx_queues[qid]);
	dev->data->rx_queues[qid] = NULL;
}

static void
ivsh_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_txq *txq = dev->data->tx_queues[qid];

	if (txq != NULL && ad->notify != NULL)
		ad->notify->txq_release(dev, txq);
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
	ivr_rx_init(&rxq->ring, &ad->region, qid);
	rxq->mp = mp;
	rxq->port_id = dev->data->port_id;
	rxq->queue_id = qid;
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
	ivr_tx_init(&txq->ring, &ad->region, qid);
	txq->port_id = dev->data->port_id;
	txq->queue_id = qid;
	txq->max_frame = ad->max_frame;
	txq->kick_fd = -1;
	if (ad->notify != NULL) {
		ret = ad->notify->txq_setup(dev, txq);
		if (ret != 0) {
			IVSH_LOG(ERR, dev, "TX queue %u: doorbell setup failed: %s",
					qid, strerror(-ret));
			rte_free(txq);
			return ret;
		}
		txq->kick = ad->notify->kick;
		ivr_tx_set_notify(&txq->ring, true);
		/* aim the new queue at the peer on the next control poll */
		ad->target_id = -1;
	}
	dev->data->tx_queues[qid] = txq;
	ivsh_peer_limits(dev);
	return 0;
}

static int
ivsh_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint32_t frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 8;

	if (frame > ad->max_frame) {
		IVSH_LOG(ERR, dev, "MTU %u too large: at most %u with buf_size=%u",
				mtu, ad->max_frame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN - 8,
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

static const struct ivsh_xstat rx_xstats[] = {
	{ "packets", RXS(frames) },
	{ "bytes", offsetof(struct ivsh_rxq, bytes) },
	{ "bad_desc", RXS(bad_desc) },
	{ "bad_index", RXS(bad_index) },
	{ "ret_full", RXS(ret_full) },
	{ "stale", RXS(stale) },
	{ "sessions", RXS(sessions) },
	{ "sleeps", RXS(arms) },
	{ "mbuf_alloc_fail", offsetof(struct ivsh_rxq, nombuf) },
	{ "wakeups", offsetof(struct ivsh_rxq, wakeups) },
};

static const struct ivsh_xstat tx_xstats[] = {
	{ "packets", offsetof(struct ivsh_txq, pkts) },
	{ "bytes", offsetof(struct ivsh_txq, bytes) },
	{ "descs", TXS(descs) },
	{ "ring_full", offsetof(struct ivsh_txq, full) },
	{ "oversize", offsetof(struct ivsh_txq, oversize) },
	{ "bad_ret", TXS(bad_ret) },
	{ "bad_index", TXS(bad_index) },
	{ "sessions", TXS(sessions) },
	{ "dropped_inflight", TXS(dropped_inflight) },
	{ "doorbells", TXS(kicks) },
	{ "doorbells_suppressed", TXS(kicks_suppressed) },
};

#define N_RX_XSTATS RTE_DIM(rx_xstats)
#define N_TX_XSTATS RTE_DIM(tx_xstats)

static unsigned int
xstats_count(const struct rte_eth_dev *dev)
{
	return 1 + dev->data->nb_rx_queues * N_RX_XSTATS +
		dev->data->nb_tx_queues * N_TX_XSTATS;
}

/* One table of counters for each of n queues: names or values. */
static unsigned int
xstats_fill(const struct ivsh_xstat *tab, unsigned int ntab, const char *dir,
		void *const *queues, uint16_t n, unsigned int k,
		struct rte_eth_xstat_name *names, struct rte_eth_xstat *xs)
{
	for (uint16_t q = 0; q < n; q++)
		for (unsigned int i = 0; i < ntab; i++, k++) {
			if (names != NULL) {
				snprintf(names[k].name, RTE_ETH_XSTATS_NAME_SIZE,
						"%s_q%u_%s", dir, q, tab[i].name);
			} else {
				xs[k].id = k;
				xs[k].value = queues[q] == NULL ? 0 :
					*(const uint64_t *)((const char *)queues[q] +
							tab[i].off);
			}
		}
	return k;
}

static int
xstats_common(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		struct rte_eth_xstat *xs, unsigned int size)
{
	unsigned int n = xstats_count(dev), k = 1;

	if ((names == NULL && xs == NULL) || size < n)
		return (int)n;
	if (names != NULL) {
		snprintf(names[0].name, RTE_ETH_XSTATS_NAME_SIZE, "link_changes");
	} else {
		xs[0].id = 0;
		xs[0].value = ivsh_adapter(dev)->link_changes;
	}
	k = xstats_fill(rx_xstats, N_RX_XSTATS, "rx", dev->data->rx_queues,
			dev->data->nb_rx_queues, k, names, xs);
	xstats_fill(tx_xstats, N_TX_XSTATS, "tx", dev->data->tx_queues,
			dev->data->nb_tx_queues, k, names, xs);
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
	ivsh_adapter(dev)->link_changes = 0;
	return ivsh_stats_reset(dev);
}

/*
 * Before leaving, give a live consumer up to IVSH_DRAIN_MS to take what we
 * sent, so that a sender that stops loses nothing the receiver could still
 * read (as a NIC drains its TX queue on stop).
 */
static void
ivsh_drain(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	for (unsigned int ms = 0; ms < IVSH_DRAIN_MS; ms++) {
		bool done = true;

		for (uint16_t q = 0; q < dev->data->nb_tx_queues && done; q++) {
			const struct ivsh_txq *txq = dev->data->tx_queues[q];

			done = txq == NULL || ivr_tx_drained(&txq->ring);
		}
		/* The alarm is off: keep beating, or a peer with a short
		 * timeout declares us dead and may take our slot meanwhile.
		 * Our own port is usually stopped by now: what matters is
		 * whether the peer is there to read. */
		if (ms % 20 == 0)
			ivr_heartbeat(&ad->region);
		ivr_poll_peer(&ad->region, ivr_now_ns());
		if (done || (ad->region.pv.why != IVR_DOWN_NONE &&
				ad->region.pv.why != IVR_DOWN_STOPPED))
			return;
		rte_delay_us_sleep(1000);
	}
	IVSH_LOG(WARNING, dev, "peer did not take all sent packets within %u ms of close",
			IVSH_DRAIN_MS);
}

/* Undo ivsh_ethdev_init and the bus mapping; safe on a half-made port. */
int
ivsh_ethdev_uninit(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	ad->alarm_on = false;
	rte_eal_alarm_cancel(ivsh_alarm, dev);
	if (ad->attached)
		ivsh_drain(dev);
	if (ad->started)
		ivsh_dev_stop(dev);
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		ivsh_rx_queue_release(dev, q);
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		ivsh_tx_queue_release(dev, q);
	if (ad->attached) {
		ivr_detach(&ad->region);
		ad->attached = false;
		if (ad->notify != NULL)
			ad->notify->kick_lsc(dev);
	}
	ivsh_intr_teardown(dev);
	if (ad->bus != NULL && ad->bus->unmap != NULL)
		ad->bus->unmap(dev);
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

static int ivsh_attach(struct rte_eth_dev *dev);

/* A new epoch: the peer sees us restart and both sides resynchronise. */
static int
ivsh_dev_reset(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	if (ad->started)
		ivsh_dev_stop(dev);
	if (ad->attached) {
		ivr_detach(&ad->region);
		ad->attached = false;
	}
	ret = ivsh_attach(dev);
	if (ret != 0)
		return ret;
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		struct ivsh_rxq *rxq = dev->data->rx_queues[q];

		if (rxq != NULL) {
			struct ivr_rx_stats keep = rxq->ring.st;

			ivr_rx_init(&rxq->ring, &ad->region, q);
			rxq->ring.st = keep;
		}
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivsh_txq *txq = dev->data->tx_queues[q];

		if (txq != NULL) {
			struct ivr_tx_stats keep = txq->ring.st;

			ivr_tx_init(&txq->ring, &ad->region, q);
			txq->ring.st = keep;
		}
	}
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

static int
ivsh_attach(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const struct ivsh_opts *o = &ad->opts;
	struct ivr_config cfg = {
		.n_queues = (uint16_t)o->queues,
		.ring_size = o->ring_size,
		.buf_size = o->buf_size,
		.max_frame = ad->max_frame,
		.doorbell_id = ad->notify != NULL ? ad->doorbell_id : IVR_NO_DOORBELL,
		.n_vectors = ad->n_vectors,
		.features = IVR_F_ALL,
	};
	struct ivr_attach_opts ao = {
		.slot = o->id,
		.dead_ms = o->peer_timeout_ms,
	};
	int ret;

	memcpy(cfg.mac, ad->mac.addr_bytes, sizeof(cfg.mac));
	ret = ivr_attach(&ad->region, ad->map, ad->map_len, &cfg, &ao);
	if (ret != 0) {
		IVSH_INIT_LOG(ERR, "%s: %s", dev->data->name, ad->region.errmsg);
		return ret;
	}
	ad->attached = true;
	IVSH_LOG(INFO, dev, "joined %s as peer %u (epoch %u), %u queue(s) of %u x %u bytes",
			o->shm[0] ? o->shm : o->server[0] ? o->server : "BAR2", ad->region.slot,
			ad->region.epoch, o->queues, o->ring_size, o->buf_size);
	return 0;
}

/*
 * Common part of probe, after the bus glue has mapped the region into
 * ad->map / ad->map_len and filled ad->opts.
 */
int
ivsh_ethdev_init(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	ad->max_frame = RTE_MIN((uint32_t)IVSH_MAX_FRAME,
			ad->opts.buf_size * IVR_MAX_CHAIN);
	ad->intr_spin_tsc = rte_get_tsc_hz() / 1000000 * ad->opts.intr_spin_us;
	if (ad->opts.mac_given)
		ad->mac = ad->opts.mac;
	else
		rte_eth_random_addr(ad->mac.addr_bytes);
	ret = ivsh_attach(dev);
	if (ret != 0)
		return ret;
	if (ad->notify != NULL) {
		ret = ivsh_intr_setup(dev);
		if (ret != 0) {
			ivr_detach(&ad->region);
			ad->attached = false;
			return ret;
		}
	}
	dev->dev_ops = &ivsh_ops;
	dev->rx_pkt_burst = ivsh_rx_burst;
	dev->tx_pkt_burst = ivsh_tx_burst;
	dev->data->mac_addrs = &ad->mac;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	ad->last_why = IVR_DOWN_NO_PEER;
	ad->alarm_on = true;
	ret = rte_eal_alarm_set(IVSH_ALARM_US, ivsh_alarm, dev);
	if (ret != 0) {
		IVSH_INIT_LOG(ERR, "%s: cannot set the link alarm: %s",
				dev->data->name, strerror(-ret));
		ivr_detach(&ad->region);
		ad->attached = false;
		return ret;
	}
	return 0;
}
