/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Doorbells and interrupts, common to every bus (struct ivsh_notify_ops
 * hides whether they are server eventfds or the PCI doorbell and VFIO
 * MSI-X): RX queue interrupts through the ethdev API, vector 0 for link
 * changes, and keeping every kick pointed at the current peer.
 */
#include <errno.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_interrupts.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

/* Vector 0 rang: the peer's lifecycle changed. EXT handles are not read
 * by EAL, so we clear the eventfd here. */
static void
lsc_cb(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint64_t n;

	if (read(rte_intr_fd_get(ad->ctl_intr[1]), &n, sizeof(n)) < 0 &&
			errno != EAGAIN)
		IVSH_LOG(DEBUG, dev, "vector 0 read: %s", strerror(errno));
	ivsh_control_poll(dev);
}

/* The bus has something to say (server: a peer joined or left). */
static void
bus_cb(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	/* A hung-up socket would call us forever: stop watching it. */
	if (ad->notify->poll(dev) < 0)
		rte_intr_callback_unregister_pending(ad->ctl_intr[0], bus_cb, dev, NULL);
	ivsh_control_poll(dev);
}

static struct rte_intr_handle *
ext_handle(int fd)
{
	struct rte_intr_handle *h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);

	if (h == NULL)
		return NULL;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_EXT) != 0 ||
			rte_intr_fd_set(h, fd) != 0) {
		rte_intr_instance_free(h);
		return NULL;
	}
	return h;
}

static int
watch(struct rte_eth_dev *dev, unsigned int slot, int fd, rte_intr_callback_fn cb)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	if (fd < 0)
		return 0;
	ad->ctl_intr[slot] = ext_handle(fd);
	if (ad->ctl_intr[slot] == NULL)
		return -ENOMEM;
	ret = rte_intr_callback_register(ad->ctl_intr[slot], cb, dev);
	if (ret != 0) {
		rte_intr_instance_free(ad->ctl_intr[slot]);
		ad->ctl_intr[slot] = NULL;
	}
	return ret;
}

/*
 * RX queue q is vector 1 + q: its own fd goes into a VDEV-type handle so
 * that rte_eth_dev_rx_intr_ctl_q() and rte_epoll_wait() work, and EAL
 * clears the 8-byte eventfd counter after a wakeup.
 */
int
ivsh_intr_vdev_setup(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint16_t nq = (uint16_t)ad->opts.queues;
	struct rte_intr_handle *h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);

	if (h == NULL)
		return -ENOMEM;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
			rte_intr_efd_counter_size_set(h, sizeof(uint64_t)) != 0 ||
			rte_intr_vec_list_alloc(h, NULL, nq) != 0)
		goto fail;
	for (uint16_t q = 0; q < nq; q++)
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0 ||
				rte_intr_efds_index_set(h, q, ad->notify->own_fd(dev, 1 + q)) != 0)
			goto fail;
	if (rte_intr_nb_efd_set(h, nq) != 0 || rte_intr_max_intr_set(h, nq + 1) != 0)
		goto fail;
	dev->intr_handle = h;
	return 0;
fail:
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	return -EINVAL;
}

int
ivsh_intr_setup(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	ad->target_id = -1;
	ret = ad->notify->intr_setup(dev);
	if (ret == 0)
		ret = watch(dev, 1, ad->notify->own_fd(dev, 0), lsc_cb);
	if (ret != 0)
		IVSH_INIT_LOG(ERR, "%s: cannot set up interrupts: %s",
				dev->data->name, strerror(-ret));
	return ret;
}

/* The bus's own event fd (server socket), watched on the interrupt thread. */
int
ivsh_intr_watch_bus(struct rte_eth_dev *dev, int fd)
{
	return watch(dev, 0, fd, bus_cb);
}

static void
unwatch(struct rte_eth_dev *dev, unsigned int slot, rte_intr_callback_fn cb)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	if (ad->ctl_intr[slot] == NULL)
		return;
	/* -EAGAIN: the callback is running right now; try again. */
	while (rte_intr_callback_unregister(ad->ctl_intr[slot], cb, dev) == -EAGAIN)
		rte_delay_us_sleep(1000);
	rte_intr_instance_free(ad->ctl_intr[slot]);
	ad->ctl_intr[slot] = NULL;
}

void
ivsh_intr_vdev_teardown(struct rte_eth_dev *dev)
{
	if (dev->intr_handle != NULL) {
		rte_intr_vec_list_free(dev->intr_handle);
		rte_intr_instance_free(dev->intr_handle);
		dev->intr_handle = NULL;
	}
}

void
ivsh_intr_teardown(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	unwatch(dev, 0, bus_cb);
	unwatch(dev, 1, lsc_cb);
	if (ad->notify != NULL && ad->notify->intr_teardown != NULL)
		ad->notify->intr_teardown(dev);
}

/* Vector the consumer asked us to ring for queue q, read once and checked
 * against what the peer says it can receive (and we can send). */
static unsigned int
peer_vector(struct ivsh_adapter *ad, uint16_t q)
{
	unsigned int nv = RTE_MIN(ad->n_vectors, ad->region.pv.cfg.n_vectors);
	const struct ivr_queue_ctl *ctl = (const struct ivr_queue_ctl *)
		((const uint8_t *)ad->region.peer + sizeof(struct ivr_peer_block)) + q;
	/* vector and its padding form one aligned 32-bit word */
	unsigned int v = ivr_read_once32((const uint32_t *)&ctl->notify.vector) & 0xffff;

	if (v >= 1 && v < nv)
		return v;
	/* No data vector to ring: ring none (vector 0 is for link changes). */
	return 1u + q < nv ? 1u + q : IVSH_NO_VECTOR;
}

/*
 * Keep every kick aimed at the peer incarnation we are linked with. After
 * a (re)target each vector is rung once: a kick sent while we were aimed
 * nowhere would otherwise leave an armed consumer asleep.
 */
void
ivsh_notify_update(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const struct ivr_peer_view *pv = &ad->region.pv;
	int id = -1;

	if (ad->notify == NULL)
		return;
	if (pv->cfg_ok && pv->state >= IVR_STATE_READY && !ad->peer_left &&
			pv->cfg.doorbell_id != IVR_NO_DOORBELL &&
			ad->notify->peer_present(dev, pv->cfg.doorbell_id))
		id = pv->cfg.doorbell_id;
	if (id == ad->target_id && (id < 0 || pv->epoch == ad->target_epoch))
		return;
	ad->notify->target(dev, NULL, id, 0);
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivsh_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL)
			continue;
		unsigned int v = peer_vector(ad, q);

		ad->notify->target(dev, txq, v == IVSH_NO_VECTOR ? -1 : id, v);
		if (id >= 0 && v != IVSH_NO_VECTOR)
			txq->kick(txq);
	}
	if (id >= 0) {
		IVSH_LOG(INFO, dev, "doorbells aimed at peer %d (epoch %u)", id, pv->epoch);
		ad->notify->kick_lsc(dev);
	}
	ad->target_id = id;
	ad->target_epoch = pv->epoch;
}

int
ivsh_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_rxq *rxq = dev->data->rx_queues[qid];
	uint64_t one = 1;

	if (rxq == NULL || ad->notify == NULL)
		return -EINVAL;
	/* A queue that was just busy is likely busy again within
	 * microseconds: watch the ring before announcing sleep, and wake the
	 * caller at once if work comes, so saturated traffic with short gaps
	 * needs no doorbells at all. */
	if (ad->intr_spin_tsc != 0 && ad->target_id >= 0) {
		uint64_t end = rte_get_tsc_cycles() + ad->intr_spin_tsc;

		do {
			if (ivr_rx_begin(&rxq->ring) != 0)
				return write(ad->notify->own_fd(dev, 1 + qid), &one,
						sizeof(one)) < 0 ? -errno : 0;
			rte_pause();
		} while (rte_get_tsc_cycles() < end);
	}
	/* Sleep only if the producer can ring us (it is aimed at us through
	 * a doorbell of its own), and no work arrived while we announced
	 * it. Otherwise wake ourselves, so the caller's epoll returns at
	 * once: with a producer that cannot ring, interrupt mode degrades
	 * to polling instead of sleeping until the caller's timeout. */
	if ((ad->target_id < 0 || !ivr_rx_arm(&rxq->ring)) &&
			write(ad->notify->own_fd(dev, 1 + qid), &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

int
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
