/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the control module shows and nothing more: the operator's copy of
 * the port (telemetry, the private dump), the reset of its port-wide
 * counters, and where our pool area is. Each reads the control state
 * under ctl.lock, or one word at a time, and writes nothing of it but
 * those counters.
 */
#include <errno.h>
#include <string.h>

#include <ethdev_driver.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_zc.h"

void
ivsh_ctl_counters_reset(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	/* No lock: a secondary process may ask; the counters are one word. */
	__atomic_store_n(&ad->ctl.link_changes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ad->ctl.resets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ad->ctl.rx_idle_wakes, 0, __ATOMIC_RELAXED);
}

/*
 * The operator's copy of the port (telemetry thread, or the application
 * thread in rte_eth_dev_priv_dump). Under the lock, the queues cannot go
 * (queue release removes them here first); their counters, which the
 * lcores write, are read once each.
 */
void
ivsh_ctl_view(struct rte_eth_dev *dev, struct ivsh_view *v)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const struct ivsh_ctl *c = &ad->ctl;
	const struct ivr_region *r = &ad->region;
	struct rte_eth_link link;

	memset(v, 0, sizeof(*v));
	IVSH_CTL_LOCK(ad);
	v->transport = ad->tp->name;
	v->open = c->open;
	v->attached = c->attached;
	v->started = c->started;
	v->evicted = IVSH_LOAD(r->evicted) != 0;
	rte_eth_linkstatus_get(dev, &link);
	v->link_up = link.link_status == RTE_ETH_LINK_UP;
	v->slot = r->slot;
	v->epoch = r->epoch;
	v->region_size = r->size;
	v->part_size = r->part_size;
	v->lay = r->lay;
	v->cfg = r->cfg;
	v->peer_state = r->pv.state;
	v->peer_epoch = r->pv.epoch;
	v->peer_alive = r->pv.alive;
	v->peer_cfg_ok = r->pv.cfg_ok;
	v->peer_left = c->peer_left;
	v->why = r->pv.why;
	v->max_frame = c->max_frame;
	if (r->pv.cfg_ok && r->pv.cfg.max_frame < v->max_frame)
		v->max_frame = r->pv.cfg.max_frame;
	v->doorbell_id = ad->n_vectors != 0 ? ad->doorbell_id : IVR_NO_DOORBELL;
	v->n_vectors = ad->n_vectors;
	v->target_id = c->target_id;
	v->target_epoch = c->target_epoch;
	v->can_sleep = __atomic_load_n(&c->can_sleep, __ATOMIC_RELAXED);
	v->rx_idle = __atomic_load_n(&c->rx_idle, __ATOMIC_RELAXED);
	v->rx_idle_wakes = IVSH_LOAD(c->rx_idle_wakes);
	v->link_changes = IVSH_LOAD(c->link_changes);
	v->resets = IVSH_LOAD(c->resets);
	for (unsigned int q = 0; q < IVR_MAX_QUEUES; q++) {
		const struct ivsh_rxq *rxq = c->rxq[q];
		const struct ivsh_txq *txq = c->txq[q];

		if (rxq != NULL) {
			v->rxq_on |= 1u << q;
			v->rxq[q].sessions = IVSH_LOAD(rxq->ring.st.sessions);
			v->rxq[q].sleeps = IVSH_LOAD(rxq->ring.st.arms);
			v->rxq[q].wakeups = IVSH_LOAD(rxq->wakeups);
			v->rxq[q].zc = rxq->zc != NULL;
			if (rxq->zc != NULL) {
				v->rxq[q].zc_held = IVSH_LOAD(rxq->zc->held);
				v->rxq[q].zc_held_max = IVSH_LOAD(rxq->zc->held_max);
			}
		}
		if (txq != NULL) {
			v->txq_on |= 1u << q;
			v->txq[q].sessions = IVSH_LOAD(txq->ring.st.sessions);
			v->txq[q].doorbells = IVSH_LOAD(txq->ring.st.kicks);
			v->txq[q].doorbells_suppressed =
				IVSH_LOAD(txq->ring.st.kicks_suppressed);
			v->txq[q].aimed = txq->bell.fd >= 0 || txq->bell.reg != NULL;
			v->txq[q].vector = txq->bell.val & 0xffff;
		}
	}
	IVSH_CTL_UNLOCK(ad);
}

/* Our pool area, in this process: *base NULL (and -ENODEV) when detached. */
int
ivsh_ctl_pool_area(struct rte_eth_dev *dev, uint8_t **base, uint64_t *len)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint64_t off = 0;
	int ret = -ENODEV;

	*base = NULL;
	*len = 0;
	IVSH_CTL_LOCK(ad);
	if (ad->ctl.attached &&
			!__atomic_load_n(&ad->region.evicted, __ATOMIC_RELAXED)) {
		ivr_pool_area(&ad->region, &off, len);
		*base = ad->region.part[ad->region.slot] + off;
		ret = 0;
	}
	IVSH_CTL_UNLOCK(ad);
	return ret;
}
