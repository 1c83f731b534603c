/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control module: the only writer of the region attachment, our
 * heartbeat, the peer view, the link status, where doorbells point, the
 * frame limit of each TX queue, and the drain. Everything runs under
 * ctl.lock, entered from:
 *   - the EAL interrupt thread: the alarm (every IVSH_ALARM_US), our
 *     vector 0 (the peer's lifecycle changed) and the bus fd (a server
 *     says a peer joined or left);
 *   - the application thread: open (probe), start, stop, reset, close, and
 *     queue setup and release;
 *   - a data-path lcore: an RX queue about to sleep reads can_sleep and
 *     rx_idle (ivshmem_ctl_rx.c, which also has the control side of it);
 *   - an operator's thread (telemetry, the private dump): ivsh_ctl_view
 *     (ivshmem_ctl_view.c) copies the state and writes nothing.
 * The lock is held for one step at a time, never while waiting: not for
 * the interrupt thread (alarm cancel, callback unregister), nor for the
 * peer (the drain takes it once per check), so the interrupt thread, which
 * serves every device of the process, never waits for more than a step.
 * Application callbacks (link-state events) run on the interrupt thread,
 * after the lock is released: those that start, stop and reset cause are
 * handed to it by an alarm, since the application may hold its own locks
 * around those calls.
 */
#include <errno.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_interrupts.h>
#include <rte_malloc.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"
#include "ivshmem_zc.h"

static void ctl_alarm(void *arg);
static void ctl_lsc_alarm(void *arg);
static void bus_cb(void *arg);

static int
ctl_attach(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const struct ivsh_opts *o = &ad->opts;
	struct ivr_config cfg = {
		.n_queues = (uint16_t)o->queues,
		.ring_size = o->ring_size,
		.buf_size = o->buf_size,
		.max_frame = ad->ctl.max_frame,
		.doorbell_id = ad->n_vectors != 0 ? ad->doorbell_id : IVR_NO_DOORBELL,
		.n_vectors = ad->n_vectors,
		.features = IVR_F_ALL,
		.rx_flags = o->zero_copy ? IVR_RXF_LEND : 0,
	};
	struct ivr_attach_opts ao = {
		.slot = o->id,
		.dead_ms = o->peer_timeout_ms,
	};
	int ret;

	memcpy(cfg.mac, ad->mac.addr_bytes, sizeof(cfg.mac));
	ret = ivr_attach(&ad->region, ad->map, ad->map_len, &cfg, &ao);
	if (ret != 0) {
		IVSH_LOG(ERR, dev, "%s", ad->region.errmsg);
		return ret;
	}
	ad->ctl.attached = true;
	ad->ctl.last_why = IVR_DOWN_NO_PEER;
	ad->ctl.peer_left = false;
	IVSH_LOG(INFO, dev, "joined %s as peer %u (epoch %u), %u queue(s) of %u x %u bytes",
			o->shm[0] ? o->shm : o->server[0] ? o->server : "BAR2",
			ad->region.slot, ad->region.epoch, o->queues, o->ring_size,
			o->buf_size);
	return 0;
}

/* The peer's vector 0: it re-reads our block at once. */
static void
ctl_kick_lsc(struct ivsh_adapter *ad)
{
	if (ad->n_vectors != 0)
		ivsh_bell_ring(&ad->ctl.lsc_bell);
}

/* TX sends no frame the peer would drop: the smaller of both max frames. */
static void
ctl_frame_limits(struct ivsh_adapter *ad)
{
	const struct ivr_peer_view *pv = &ad->region.pv;
	uint32_t max = ad->ctl.max_frame;

	if (pv->cfg_ok && pv->cfg.max_frame < max)
		max = pv->cfg.max_frame;
	for (unsigned int q = 0; q < RTE_DIM(ad->ctl.txq); q++)
		if (ad->ctl.txq[q] != NULL)
			__atomic_store_n(&ad->ctl.txq[q]->max_frame, max,
					__ATOMIC_RELAXED);
}

/*
 * Keeps every bell aimed at the peer incarnation we are linked with. After
 * a (re)target each vector is rung once: a kick sent while we were aimed
 * nowhere would otherwise leave an armed consumer asleep. force: aim again
 * even if the target did not change (a queue was added).
 */
static void
ctl_aim(struct rte_eth_dev *dev, bool force)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_ctl *c = &ad->ctl;
	const struct ivr_peer_view *pv = &ad->region.pv;
	int id = -1;

	if (ad->n_vectors == 0)
		return;
	if (c->attached && !__atomic_load_n(&ad->region.evicted, __ATOMIC_RELAXED) &&
			pv->cfg_ok && pv->state >= IVR_STATE_READY &&
			!c->peer_left && pv->cfg.doorbell_id != IVR_NO_DOORBELL &&
			ad->tp->reachable(dev, pv->cfg.doorbell_id))
		id = pv->cfg.doorbell_id;
	/* After the bus is lost, the eventfds we hold are those of the
	 * incarnation we were aimed at: a later one (a newcomer of a server
	 * restarted on the same named memory, with the dead peer's ID) is
	 * not reachable through them. */
	if (id >= 0 && c->bus_lost &&
			(id != c->target_id || pv->epoch != c->target_epoch))
		id = -1;
	/* An RX queue may sleep armed only while the peer can ring it. */
	ivsh_ctl_rx_wait(dev, id >= 0);
	if (!force && id == c->target_id && (id < 0 || pv->epoch == c->target_epoch))
		return;
	ad->tp->bell_aim(dev, &c->lsc_bell, id, 0);
	for (uint16_t q = 0; q < RTE_DIM(c->txq); q++) {
		struct ivsh_txq *txq = c->txq[q];
		uint32_t v;

		if (txq == NULL)
			continue;
		v = id >= 0 ? ivr_peer_vector(&ad->region, q, ad->n_vectors) : IVR_NO_VECTOR;
		ad->tp->bell_aim(dev, &txq->bell, v == IVR_NO_VECTOR ? -1 : id,
				v == IVR_NO_VECTOR ? 0 : v);
		if (v != IVR_NO_VECTOR)
			ivsh_bell_ring(&txq->bell);
	}
	if (id >= 0 && id != c->target_id)
		IVSH_LOG(INFO, dev, "doorbells aimed at peer %d (epoch %u)", id, pv->epoch);
	if (id >= 0)
		ctl_kick_lsc(ad);
	c->target_id = id;
	c->target_epoch = pv->epoch;
}

/*
 * One control step: bus news, our heartbeat (the peer's liveness check of
 * us), the peer's state (our link), frame limits, doorbells. Returns true
 * when the link changed and the application asked for LSC events: the
 * caller raises RTE_ETH_EVENT_INTR_LSC once the lock is released.
 */
static bool
ctl_poll(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_ctl *c = &ad->ctl;
	const struct ivr_peer_view *pv = &ad->region.pv;
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_100G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
	};
	bool up = false;

	{
		int fd = ad->tp->bus_news(dev);

		if (fd < 0 && c->bus_fd >= 0)
			c->bus_lost = true;
		c->bus_fd = fd;
	}
	if (c->attached) {
		if (!ivr_heartbeat(&ad->region) && c->last_why != IVR_DOWN_EVICTED)
			IVSH_LOG(ERR, dev, "another peer took over our slot %u: link stays down until the port is reset",
					ad->region.slot);
		up = ivr_poll_peer(&ad->region, ivr_now_ns());
		/* The bus saw this incarnation of the peer go: no need to
		 * wait for its heartbeat to stop. A new incarnation has a
		 * new epoch and clears the flag. */
		/* A bus that went quiet for good (a server that died) says
		 * nothing more of the peer: the heartbeat alone tells, and
		 * only the incarnation aimed at then keeps its doorbells
		 * (ctl_aim). */
		if (c->target_id >= 0 && c->bus_fd >= 0 &&
				!ad->tp->reachable(dev, (uint16_t)c->target_id))
			c->peer_left = true;
		if (c->peer_left && pv->epoch != c->target_epoch)
			c->peer_left = false;
		if (pv->why != c->last_why) {
			IVSH_LOG(INFO, dev, "link %s (peer %s, epoch %u)",
					c->peer_left ? "down: peer left the server" :
					ivr_down_name(pv->why),
					ivr_state_name(pv->state), pv->epoch);
			c->last_why = pv->why;
		}
		ctl_frame_limits(ad);
	}
	ctl_aim(dev, false);
	link.link_status = up && !c->peer_left ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	if (rte_eth_linkstatus_set(dev, &link) != 0)
		return false;	/* unchanged */
	__atomic_fetch_add(&c->link_changes, 1, __ATOMIC_RELAXED);
	return c->intr_lsc;
}

/*
 * A control step from the interrupt thread, unless the port is closing;
 * rearm: the alarm's own step, which sets the next one. The application's
 * LSC callback comes last: it may close the port, and nothing of the port
 * is touched after it.
 */
static void
ctl_step(struct rte_eth_dev *dev, bool rearm)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	bool lsc = false;

	IVSH_CTL_LOCK(ad);
	if (ad->ctl.open) {
		lsc = ctl_poll(dev);
		/* close clears open, then cancels: a re-arm it misses is
		 * cancelled */
		if (rearm && rte_eal_alarm_set(IVSH_ALARM_US, ctl_alarm, dev) != 0)
			IVSH_LOG(ERR, dev, "cannot re-arm the link alarm: link state will not follow the peer");
		/* A hung-up socket would call us forever: stop watching it. */
		if (ad->ctl.bus_fd < 0 && ad->ctl.watch[0] != NULL &&
				!ad->ctl.bus_unwatched) {
			rte_intr_callback_unregister_pending(ad->ctl.watch[0], bus_cb,
					dev, NULL);
			ad->ctl.bus_unwatched = true;
		}
	}
	IVSH_CTL_UNLOCK(ad);
	if (lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static void
ctl_alarm(void *arg)
{
	ctl_step(arg, true);
}

/* A link change that start, stop or reset made, told on the interrupt
 * thread. Close cancels it; nothing of the port is touched after it. */
static void
ctl_lsc_alarm(void *arg)
{
	rte_eth_dev_callback_process(arg, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static void
ctl_lsc_later(struct rte_eth_dev *dev)
{
	if (rte_eal_alarm_set(1, ctl_lsc_alarm, dev) != 0)
		IVSH_LOG(ERR, dev, "cannot raise the link-state event: the application is not told of this change");
}

/* Vector 0 rang: the peer's lifecycle changed. EXT handles are not read
 * by EAL, so we clear the eventfd here. */
static void
lsc_cb(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint64_t n;

	if (read(rte_intr_fd_get(ad->ctl.watch[1]), &n, sizeof(n)) < 0 &&
			errno != EAGAIN)
		IVSH_LOG(DEBUG, dev, "vector 0 read: %s", strerror(errno));
	ctl_step(dev, false);
}

/* The bus has news of peers. */
static void
bus_cb(void *arg)
{
	ctl_step(arg, false);
}

static int
watch(struct rte_eth_dev *dev, unsigned int slot, int fd, rte_intr_callback_fn cb)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct rte_intr_handle *h;
	int ret;

	if (fd < 0)
		return 0;
	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL)
		return -ENOMEM;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_EXT) != 0 ||
			rte_intr_fd_set(h, fd) != 0) {
		rte_intr_instance_free(h);
		return -EINVAL;
	}
	/* Before the callback is registered: from then on it may run on the
	 * interrupt thread (lsc_cb reads the handle), and the registration
	 * (EAL's wake-up of that thread) orders this store before it. */
	ad->ctl.watch[slot] = h;
	ret = rte_intr_callback_register(h, cb, dev);
	if (ret != 0) {
		ad->ctl.watch[slot] = NULL;
		rte_intr_instance_free(h);
		return ret;
	}
	return 0;
}

/* Not under the lock: a running callback waits for it. */
static void
unwatch(struct rte_eth_dev *dev, unsigned int slot, rte_intr_callback_fn cb)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	if (ad->ctl.watch[slot] == NULL)
		return;
	/* On the interrupt thread (the application closes the port from
	 * its LSC callback), the callback that is running would never end:
	 * EAL drops it, and frees nothing of ours, once it returns; the
	 * handle is left to it. Elsewhere, -EAGAIN: the callback is running
	 * right now; try again. A bus callback that unregistered itself
	 * leaves -ENOENT. */
	if (rte_thread_is_intr()) {
		rte_intr_callback_unregister_pending(ad->ctl.watch[slot], cb, dev, NULL);
		ad->ctl.watch[slot] = NULL;
		return;
	}
	while (rte_intr_callback_unregister(ad->ctl.watch[slot], cb, dev) == -EAGAIN)
		rte_delay_us_sleep(1000);
	rte_intr_instance_free(ad->ctl.watch[slot]);
	ad->ctl.watch[slot] = NULL;
}

/*
 * Gives a live consumer up to IVSH_DRAIN_MS to take what we sent, so that
 * a sender that stops loses nothing the receiver could still read (as a
 * NIC drains its TX queue on stop). Runs before we announce the stop: the
 * consumer keeps polling while our link is still up. On the application's
 * thread (which owns the queue registries), without the lock between
 * checks: meanwhile the alarm keeps our heartbeat and the peer view
 * current, and the interrupt thread is not held up.
 */
static void
ctl_drain(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint64_t hz = rte_get_timer_hz();
	uint64_t start = rte_get_timer_cycles();

	/* bounded by time, not by rounds: a loaded machine sleeps longer */
	while (rte_get_timer_cycles() - start < hz / 1000 * IVSH_DRAIN_MS) {
		bool done = true;

		IVSH_CTL_LOCK(ad);
		for (uint16_t q = 0; q < RTE_DIM(ad->ctl.txq) && done; q++) {
			const struct ivsh_txq *txq = ad->ctl.txq[q];

			done = txq == NULL || ivr_tx_drained(&txq->ring);
		}
		/* A consumer that is not running reads nothing now; what it
		 * did not take stays in the ring for its next session. */
		done = done || !ad->ctl.attached || ad->region.pv.why != IVR_DOWN_NONE;
		IVSH_CTL_UNLOCK(ad);
		if (done)
			return;
		rte_delay_us_sleep(1000);
	}
	IVSH_LOG(WARNING, dev, "peer did not take all sent packets within %u ms of stop",
			IVSH_DRAIN_MS);
}

static bool
ctl_stop_locked(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	if (!ad->ctl.started)
		return false;
	if (ad->ctl.attached)
		ivr_set_running(&ad->region, false);
	ad->ctl.started = false;
	ctl_kick_lsc(ad);
	return ctl_poll(dev);
}

static void
ctl_detach(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	if (!ad->ctl.attached)
		return;
	ivr_detach(&ad->region);
	ad->ctl.attached = false;
	ctl_kick_lsc(ad);
	ctl_aim(dev, false);
}

int
ivsh_ctl_open(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_ctl *c = &ad->ctl;
	int ret;

	pthread_mutex_init(&c->lock, NULL);
	c->target_id = -1;
	c->lsc_bell = (struct ivsh_bell)IVSH_BELL_NOWHERE;
	c->max_frame = RTE_MIN((uint32_t)IVSH_MAX_FRAME,
			ad->opts.buf_size * IVR_MAX_CHAIN);
	ret = ad->tp->open(dev);
	if (ret == 0)
		ret = ctl_attach(dev);
	if (ret == 0) {
		c->bus_fd = ad->tp->bus_news(dev);
		ret = watch(dev, 0, c->bus_fd, bus_cb);
	}
	if (ret == 0)
		ret = watch(dev, 1, ad->tp->vector_fd(dev, 0), lsc_cb);
	if (ret == 0) {
		/* Under the lock, as every control step reads it: the
		 * callbacks registered above may already run on the
		 * interrupt thread. */
		IVSH_CTL_LOCK(ad);
		c->open = true;
		IVSH_CTL_UNLOCK(ad);
		ret = rte_eal_alarm_set(IVSH_ALARM_US, ctl_alarm, dev);
		if (ret != 0)
			IVSH_LOG(ERR, dev, "cannot set the link alarm: %s", strerror(-ret));
	}
	if (ret != 0)
		ivsh_ctl_close(dev);
	return ret;
}

/* Drops what was kept of TX queue q (not to be resumed): its pool mbufs
 * go back to the pool, counted as reclaimed on ring t if given. */
static void
ctl_tx_drop_kept(struct ivsh_adapter *ad, uint16_t q, struct ivr_tx *t)
{
	struct ivsh_tx_kept *k = ad->ctl.tx_kept[q];

	if (k == NULL)
		return;
	for (uint32_t i = 0; i < ad->opts.ring_size; i++)
		if (k->cookies[i] != NULL) {
			rte_pktmbuf_free_seg(k->cookies[i]);
			if (t != NULL)
				t->st.ext_reclaimed++;
		}
	rte_free(k);
	ad->ctl.tx_kept[q] = NULL;
}

/*
 * A TX queue released mid-session with ids out. The consumer may still
 * read the pool buffers among them, so they must not go back to the pool;
 * and which ids are out is written nowhere in the region (spec 6.7), so a
 * new queue would have to wait for every one of them before it sends. So
 * the record is kept here, and the queue's next setup resumes with it
 * (ivsh_ctl_txq_add): each pool mbuf goes back when the consumer returns
 * its id. Returns whether it kept them; false: the caller reclaims.
 */
static bool
ctl_tx_keep(struct rte_eth_dev *dev, struct ivsh_txq *txq)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint32_t n = ad->opts.ring_size;
	uint16_t q = txq->queue_id;
	struct ivsh_tx_kept *k;

	ivsh_txq_pool_reap(txq);
	if (ivr_tx_out(&txq->ring) == 0 || !ad->ctl.attached ||
			__atomic_load_n(&ad->region.evicted, __ATOMIC_RELAXED))
		return false;
	ctl_tx_drop_kept(ad, q, NULL);	/* none: the queue was set up */
	k = rte_malloc_socket("ivshmem_tx_kept",
			sizeof(*k) + n * (sizeof(k->cookies[0]) + sizeof(k->ext_at[0])) + 2 * n, 0,
			dev->data->numa_node);
	if (k == NULL) {
		IVSH_LOG(WARNING, dev, "TX queue %u: out of memory to keep the ids the peer holds: its %u pool buffers go back to the pool now (a receiver may still read them), and with a receiver that lends the queue's next setup waits for every id",
				q, ivr_tx_ext_held(&txq->ring));
		return false;
	}
	k->ext_at = (uint32_t *)&k->cookies[n];
	k->inflight = (uint8_t *)&k->ext_at[n];
	ivr_tx_export(&txq->ring, k->inflight, k->cookies, k->ext_at);
	ad->ctl.tx_kept[q] = k;
	return true;
}

/* Undoes ivsh_ctl_open, also a partial one: stop (with its drain), no
 * more control steps, detach, transport closed. */
void
ivsh_ctl_close(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_ctl *c = &ad->ctl;

	/* also when stopped before, with a consumer that was slow */
	ctl_drain(dev);
	IVSH_CTL_LOCK(ad);
	ctl_stop_locked(dev);
	c->open = false;
	IVSH_CTL_UNLOCK(ad);
	/* The port goes: the application hears RTE_ETH_EVENT_DESTROY, no
	 * link change. Cancelling from the LSC callback itself (the
	 * application closes the port there) does not wait for it. */
	rte_eal_alarm_cancel(ctl_lsc_alarm, dev);
	rte_eal_alarm_cancel(ctl_alarm, dev);
	unwatch(dev, 0, bus_cb);
	unwatch(dev, 1, lsc_cb);
	IVSH_CTL_LOCK(ad);
	ctl_detach(dev);
	for (uint16_t q = 0; q < RTE_DIM(c->tx_kept); q++)
		ctl_tx_drop_kept(ad, q, NULL);
	for (unsigned int q = 0; q < RTE_DIM(c->txq); q++)
		if (c->txq[q] != NULL) {
			if (c->txq[q]->bell.fd >= 0)
				close(c->txq[q]->bell.fd);
			c->txq[q]->bell.fd = -1;
			c->txq[q] = NULL;
		}
	memset(c->rxq, 0, sizeof(c->rxq));
	if (c->lsc_bell.fd >= 0)
		close(c->lsc_bell.fd);
	c->lsc_bell = (struct ivsh_bell)IVSH_BELL_NOWHERE;
	ad->tp->close(dev);
	IVSH_CTL_UNLOCK(ad);
}

int
ivsh_ctl_start(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret = 0;
	bool lsc = false;

	IVSH_CTL_LOCK(ad);
	if (!ad->ctl.attached) {
		IVSH_LOG(ERR, dev, "not attached to the region (a reset failed): reset the port again");
		ret = -EIO;
	} else if (__atomic_load_n(&ad->region.evicted, __ATOMIC_RELAXED)) {
		IVSH_LOG(ERR, dev, "another peer took over our slot %u: reset the port to join again",
				ad->region.slot);
		ret = -EIO;
	} else {
		/* a queue released and not set up again (dev_configure took
		 * it away): nothing will read its returns, so what it had out
		 * is the pool's again */
		for (uint16_t q = 0; q < RTE_DIM(ad->ctl.tx_kept); q++)
			if (ad->ctl.tx_kept[q] != NULL) {
				IVSH_LOG(INFO, dev, "TX queue %u was released with ids out and not set up again: its pool buffers go back to the pool",
						q);
				ctl_tx_drop_kept(ad, q, NULL);
			}
		ad->ctl.intr_lsc = dev->data->dev_conf.intr_conf.lsc != 0;
		ad->ctl.intr_rxq = dev->data->dev_conf.intr_conf.rxq != 0;
		ivr_set_running(&ad->region, true);
		ad->ctl.started = true;
		ctl_kick_lsc(ad);
		lsc = ctl_poll(dev);
	}
	IVSH_CTL_UNLOCK(ad);
	if (lsc)
		ctl_lsc_later(dev);
	return ret;
}

/* Drains what we sent, then tells the peer we stopped. */
void
ivsh_ctl_stop(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	bool lsc;

	ctl_drain(dev);
	IVSH_CTL_LOCK(ad);
	lsc = ctl_stop_locked(dev);
	IVSH_CTL_UNLOCK(ad);
	if (lsc)
		ctl_lsc_later(dev);
}

/*
 * A new incarnation: detach and attach again with a new epoch (which also
 * ends an eviction), and bind every queue to it, keeping its counters. The
 * peer sees us restart and both sides resynchronise.
 */
int
ivsh_ctl_reset(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_ctl *c = &ad->ctl;
	bool lsc;
	int ret;

	ctl_drain(dev);
	IVSH_CTL_LOCK(ad);
	lsc = ctl_stop_locked(dev);
	ctl_detach(dev);
	/* a new epoch ends every session: nothing kept can resume */
	for (uint16_t q = 0; q < RTE_DIM(c->tx_kept); q++)
		ctl_tx_drop_kept(ad, q, NULL);
	ret = ctl_attach(dev);
	if (ret == 0) {
		for (uint16_t q = 0; q < RTE_DIM(c->rxq); q++) {
			struct ivsh_rxq *rxq = c->rxq[q];

			if (rxq != NULL) {
				struct ivr_rx_stats keep = rxq->ring.st;

				ivr_rx_init(&rxq->ring, &ad->region, q);
				rxq->ring.st = keep;
			}
		}
		for (uint16_t q = 0; q < RTE_DIM(c->txq); q++) {
			struct ivsh_txq *txq = c->txq[q];

			if (txq != NULL) {
				struct ivr_tx_stats keep;

				ivsh_txq_pool_reclaim(txq);
				keep = txq->ring.st;
				ivr_tx_init(&txq->ring, &ad->region, q);
				ivr_tx_set_notify(&txq->ring, ad->n_vectors != 0);
				txq->ring.st = keep;
			}
		}
		__atomic_fetch_add(&c->resets, 1, __ATOMIC_RELAXED);
		lsc |= ctl_poll(dev);
	}
	IVSH_CTL_UNLOCK(ad);
	if (lsc)
		ctl_lsc_later(dev);
	return ret;
}

/* Queues bind to the region: not while a failed reset left us out. */
static int
ctl_can_bind(struct rte_eth_dev *dev, const char *dir, uint16_t qid)
{
	if (ivsh_adapter(dev)->ctl.attached)
		return 0;
	IVSH_LOG(ERR, dev, "%s queue %u: not attached to the region (a reset failed): reset the port again",
			dir, qid);
	return -EIO;
}

int
ivsh_ctl_txq_add(struct rte_eth_dev *dev, struct ivsh_txq *txq)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	IVSH_CTL_LOCK(ad);
	ret = ctl_can_bind(dev, "TX", txq->queue_id);
	if (ret == 0) {
		struct ivsh_tx_kept *k = ad->ctl.tx_kept[txq->queue_id];

		ivr_tx_init(&txq->ring, &ad->region, txq->queue_id);
		ivr_tx_set_notify(&txq->ring, ad->n_vectors != 0);
		if (k != NULL && ivr_tx_import(&txq->ring, k->inflight, k->cookies, k->ext_at)) {
			IVSH_LOG(INFO, dev, "TX queue %u resumes with %u buffers out, %u of them pool buffers",
					txq->queue_id, ivr_tx_out(&txq->ring),
					ivr_tx_ext_held(&txq->ring));
			rte_free(k);
			ad->ctl.tx_kept[txq->queue_id] = NULL;
		} else {
			ctl_tx_drop_kept(ad, txq->queue_id, &txq->ring);
		}
		txq->pool_held = ivr_tx_ext_held(&txq->ring);
		txq->bell = (struct ivsh_bell)IVSH_BELL_NOWHERE;
		ad->ctl.txq[txq->queue_id] = txq;
		ctl_frame_limits(ad);
		ctl_aim(dev, true);
	}
	IVSH_CTL_UNLOCK(ad);
	return ret;
}

/* Returns true when what the queue had out was kept for its next setup
 * (ctl_tx_keep); false: the caller reclaims its pool buffers. */
bool
ivsh_ctl_txq_remove(struct rte_eth_dev *dev, struct ivsh_txq *txq)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	bool kept = false;

	IVSH_CTL_LOCK(ad);
	if (ad->ctl.txq[txq->queue_id] == txq) {
		ad->ctl.txq[txq->queue_id] = NULL;
		if (txq->bell.fd >= 0)
			close(txq->bell.fd);
		txq->bell.fd = -1;
		kept = ctl_tx_keep(dev, txq);
	}
	IVSH_CTL_UNLOCK(ad);
	return kept;
}

int
ivsh_ctl_rxq_add(struct rte_eth_dev *dev, struct ivsh_rxq *rxq)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	IVSH_CTL_LOCK(ad);
	ret = ctl_can_bind(dev, "RX", rxq->queue_id);
	if (ret == 0) {
		ivr_rx_init(&rxq->ring, &ad->region, rxq->queue_id);
		rxq->wake_fd = ad->tp->vector_fd(dev, 1u + rxq->queue_id);
		ad->ctl.rxq[rxq->queue_id] = rxq;
	}
	IVSH_CTL_UNLOCK(ad);
	return ret;
}

void
ivsh_ctl_rxq_remove(struct rte_eth_dev *dev, struct ivsh_rxq *rxq)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	IVSH_CTL_LOCK(ad);
	if (ad->ctl.rxq[rxq->queue_id] == rxq)
		ad->ctl.rxq[rxq->queue_id] = NULL;
	IVSH_CTL_UNLOCK(ad);
}
