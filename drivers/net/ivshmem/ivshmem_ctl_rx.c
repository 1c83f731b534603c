/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How an RX queue in interrupt mode waits, both halves: the control
 * module's (ivsh_ctl_rx_wait, called from its steps under ctl.lock, the
 * only writer of can_sleep and rx_idle) and the data path's
 * (ivsh_ctl_rx_sleep, on the queue's lcore, which reads them). A queue
 * sleeps armed while the peer can ring it; otherwise rx_idle says whether
 * it polls (a peer runs) or sleeps until the control module wakes it.
 */
#include <errno.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_cycles.h>
#include <rte_pause.h>

#include "ivshmem_ethdev.h"

/* What an RX queue whose peer cannot ring it does (enum ivsh_rx_idle). */
static enum ivsh_rx_idle
ctl_rx_idle(const struct ivsh_adapter *ad)
{
	const struct ivr_peer_view *pv = &ad->region.pv;

	if (!ad->ctl.attached || __atomic_load_n(&ad->region.evicted, __ATOMIC_RELAXED))
		return IVSH_RX_DETACHED;
	/* started, its heartbeat not seen to stop, still on the bus: it may
	 * send, even with the link down (a config we refuse, a heartbeat not
	 * yet seen to move) */
	if (!ad->ctl.peer_left && pv->state == IVR_STATE_RUN &&
			pv->why != IVR_DOWN_DEAD)
		return IVSH_RX_LIVE;
	return IVSH_RX_IDLE;
}

/* Every RX queue of an application in interrupt mode returns from its
 * wait, to wait again the way the peer now calls for. */
static void
ctl_wake_rx(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint64_t one = 1;

	if (!ad->ctl.intr_rxq)
		return;
	for (uint16_t q = 0; q < RTE_DIM(ad->ctl.rxq); q++) {
		const struct ivsh_rxq *rxq = ad->ctl.rxq[q];

		if (rxq != NULL && rxq->wake_fd >= 0 &&
				write(rxq->wake_fd, &one, sizeof(one)) == sizeof(one))
			__atomic_fetch_add(&ad->ctl.rx_idle_wakes, 1, __ATOMIC_RELAXED);
	}
}

/*
 * How an RX queue in interrupt mode waits (ivsh_ctl_rx_sleep): armed while
 * the peer can ring it, otherwise by rx_idle. A queue that may be waiting
 * the wrong way for what changed is woken: one that sleeps unarmed when
 * the peer becomes able to ring it, or when a running peer comes (it would
 * sleep until its caller's timeout), and one that sleeps armed when the
 * peer can no longer ring it.
 */
void
ivsh_ctl_rx_wait(struct rte_eth_dev *dev, bool can_sleep)
{
	struct ivsh_ctl *c = &ivsh_adapter(dev)->ctl;
	enum ivsh_rx_idle idle = ctl_rx_idle(ivsh_adapter(dev));
	bool wake = can_sleep != c->can_sleep ||
		(idle == IVSH_RX_LIVE && c->rx_idle != IVSH_RX_LIVE);

	if (idle == c->rx_idle && can_sleep == c->can_sleep)
		return;
	/* release, before the wake: the woken queue reads both
	 * (pairs with the acquire loads in ivsh_ctl_rx_sleep) */
	__atomic_store_n(&c->rx_idle, idle, __ATOMIC_RELEASE);
	__atomic_store_n(&c->can_sleep, can_sleep, __ATOMIC_RELEASE);
	if (wake)
		ctl_wake_rx(dev);
}

/*
 * RX queue about to wait for its interrupt (data-path lcore). A queue that
 * was just busy is likely busy again within microseconds: watch the ring
 * for intr_spin_us before announcing sleep, so saturated traffic with short
 * gaps needs no doorbells at all. Sleep armed only if the producer can ring
 * us and no work arrived while we announced it. A producer that cannot
 * ring us: while it runs, wake ourselves, so the caller's epoll returns at
 * once (interrupt mode degrades to polling instead of sleeping until a
 * timeout); while none runs, sleep, unless frames it left wait: the
 * control module wakes us when one comes (ivsh_ctl_rx_wait).
 */
int
ivsh_ctl_rx_sleep(struct rte_eth_dev *dev, struct ivsh_rxq *rxq)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	/* acquire, pairs with the release stores in ivsh_ctl_rx_wait: a value read
	 * before a change is followed by that change's wake */
	bool can_sleep = __atomic_load_n(&ad->ctl.can_sleep, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	if (!can_sleep) {
		switch (__atomic_load_n(&ad->ctl.rx_idle, __ATOMIC_ACQUIRE)) {
		case IVSH_RX_DETACHED:
			return 0;
		case IVSH_RX_IDLE:
			if (ivr_rx_begin(&rxq->ring) == 0)
				return 0;
			break;
		case IVSH_RX_LIVE:
			break;
		}
		goto wake;
	}
	if (ad->intr_spin_tsc != 0) {
		uint64_t end = rte_get_tsc_cycles() + ad->intr_spin_tsc;

		do {
			if (ivr_rx_begin(&rxq->ring) != 0)
				goto wake;
			rte_pause();
		} while (rte_get_tsc_cycles() < end);
	}
	if (ivr_rx_arm(&rxq->ring))
		return 0;
wake:
	return write(rxq->wake_fd, &one, sizeof(one)) < 0 ? -errno : 0;
}
