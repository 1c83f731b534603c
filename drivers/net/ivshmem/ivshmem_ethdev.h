/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private state of a net_ivshmem port. Shared-memory layout and the ring
 * protocol live in lib/ivshmem_ring; this is only what the ethdev adds.
 */
#ifndef IVSHMEM_ETHDEV_H
#define IVSHMEM_ETHDEV_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "ivr_queue.h"
#include "ivshmem_ring.h"
#include "ivshmem_transport.h"

#define IVSH_DEFAULT_RING	1024
#define IVSH_DEFAULT_BUF	2048
#define IVSH_MAX_MTU		9000
/* Largest frame: MTU 9000 plus Ethernet header, two VLAN tags and CRC room. */
#define IVSH_MAX_FRAME		(IVSH_MAX_MTU + RTE_ETHER_HDR_LEN + 8 + RTE_ETHER_CRC_LEN)
#define IVSH_DRAIN_MS		500
/* Before a queue announces sleep, it watches its ring this long: traffic
 * with gaps shorter than this never costs a doorbell. */
#define IVSH_INTR_SPIN_US	20
/* Zero-copy RX copies frames shorter than this (rx_copy_break). */
#define IVSH_RX_COPY_BREAK	256
/* A counter another thread writes, read once (control, telemetry, logs). */
#define IVSH_LOAD(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
/* Pool TX copies frames shorter than this (tx_copy_break). */
#define IVSH_TX_COPY_BREAK	256
/* A zero-copy RX queue released while the application holds its mbufs
 * waits this long for them before it leaves the region mapped. */
#define IVSH_ZC_WAIT_MS		1000
#define IVSH_ALARM_US		(IVR_HEARTBEAT_MS * 1000 / 2)

#include "ivshmem_devargs.h"

struct ivsh_zc;

struct ivsh_rxq {
	struct ivr_rx ring;		/* hot: first */
	struct rte_mempool *mp;
	struct ivsh_zc *zc;	/* zero_copy=yes: lent buffers */
	uint32_t copy_break;	/* zero-copy: shorter frames are copied */
	uint32_t mbuf_room;	/* bytes a fresh mbuf of mp holds */
	uint64_t bytes;
	uint64_t nombuf;
	uint64_t wakeups;	/* interrupts re-disabled after a sleep */
	int wake_fd;		/* our fd for this queue's vector, or -1 */
	uint16_t port_id;
	uint16_t queue_id;
};

struct ivsh_txq {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t full;		/* bursts cut short: ring or buffers full */
	uint64_t oversize;	/* frames dropped: larger than max frame */
	uint32_t max_frame;	/* ours and the peer's, smaller; control writes */
	uint32_t copy_break;	/* pool TX: shorter frames are copied */
	uint64_t pool_held;	/* pool buffers the consumer holds, as of the
				 * last burst */
	struct ivsh_bell bell;	/* the consumer's vector for this queue */
	uint16_t port_id;
	uint16_t queue_id;
	struct ivr_tx ring;	/* last: it ends in a flexible array */
};

/* A run of mbufs of one mempool (put[0]'s), ready for it. */
static inline void
ivsh_put_run(void **put, uint32_t k)
{
	if (k != 0)
		rte_mempool_put_bulk(((struct rte_mbuf *)put[0])->pool, put, k);
}

/*
 * Frees segment m as rte_pktmbuf_free_seg would, but into the run put[0..k)
 * of at most max: the run goes to its mempool first if m's is another or
 * the run is full (one mempool put per run, as rte_pktmbuf_free_bulk does,
 * inline). The caller puts the last run (ivsh_put_run).
 */
static inline void
ivsh_free_seg(void **put, uint32_t *k, uint32_t max, struct rte_mbuf *m)
{
	/* NULL: another reference keeps it */
	m = rte_pktmbuf_prefree_seg(m);
	if (m == NULL)
		return;
	if (*k == max || (*k != 0 && ((struct rte_mbuf *)put[0])->pool != m->pool)) {
		ivsh_put_run(put, *k);
		*k = 0;
	}
	put[(*k)++] = m;
}

/*
 * Frees the pool TX segments the consumer gave back, or that a new session
 * or ivr_tx_ext_reclaim took back, one segment each as rte_pktmbuf_free_seg
 * would, then put back into their mempool a batch at a time (the data path
 * after each burst; the control module before the queue binds again;
 * release). The queue's thread, or none running. Returns the frames whose
 * last segment went (segments come back in any order: a frame counts when
 * its last one does).
 */
static inline uint32_t
ivsh_txq_pool_reap(struct ivsh_txq *txq)
{
	void *segs[64];
	uint32_t n, frames = 0;

	while ((n = ivr_tx_ext_reap(&txq->ring, segs, RTE_DIM(segs))) != 0) {
		uint32_t k = 0;

		/* segs[] holds the run too: k <= i */
		for (uint32_t i = 0; i < n; i++) {
			struct rte_mbuf *m = segs[i];

			frames += m->next == NULL;
			ivsh_free_seg(segs, &k, RTE_DIM(segs), m);
		}
		ivsh_put_run(segs, k);
	}
	__atomic_store_n(&txq->pool_held, ivr_tx_ext_held(&txq->ring),
			__ATOMIC_RELAXED);
	return frames;
}

/* Every pool buffer the consumer holds is ours again (it may still read
 * them: they stay mapped while their pool lives). */
static inline void
ivsh_txq_pool_reclaim(struct ivsh_txq *txq)
{
	ivr_tx_ext_reclaim(&txq->ring);
	ivsh_txq_pool_reap(txq);
}

/* Which ids a released TX queue had out, and the pool TX mbufs among them
 * (ivr_tx_export): cookies[N], then ext_at[N], then inflight[2N]. */
struct ivsh_tx_kept {
	uint8_t *inflight;
	uint32_t *ext_at;
	void *cookies[];
};

/*
 * What an RX queue in interrupt mode does when its peer cannot ring it
 * (ctl.can_sleep false), by what the control module last saw of the peer.
 */
enum ivsh_rx_idle {
	IVSH_RX_DETACHED,	/* not in the region (or evicted): nothing can
				 * come; sleep */
	IVSH_RX_IDLE,		/* no running peer (none, stopped, heartbeat
				 * stopped, left): sleep, unless frames wait */
	IVSH_RX_LIVE,		/* a running peer that cannot ring us: poll */
};

/*
 * Control state: written only by the control module, under ctl.lock (see
 * ivshmem_ctl.c for who calls in): ivshmem_ctl.c, and ivshmem_ctl_rx.c for
 * can_sleep and rx_idle, from the module's steps; the port-wide counters
 * are also reset, one word at a time, by ivshmem_ctl_view.c. The data path
 * reads max_frame and bells through the queues, the region's evicted flag,
 * and can_sleep and rx_idle (ivshmem_ctl_rx.c); ivshmem_ethdev.c reads the
 * rest through ivshmem_ctl_view.c, under the lock.
 */
struct ivsh_ctl {
	pthread_mutex_t lock;	/* IVSH_CTL_LOCK */
	bool attached;		/* our slot in the region is claimed */
	bool started;		/* dev_start .. dev_stop */
	bool open;		/* probe .. close: alarm and callbacks run */
	bool peer_left;		/* the bus said our peer incarnation left */
	bool intr_lsc;		/* dev_conf.intr_conf as dev_start saw it: */
	bool intr_rxq;		/* the interrupt thread reads these, never
				 * dev_conf, which dev_configure rewrites */
	bool can_sleep;		/* an RX queue may sleep: the peer can ring us */
	enum ivsh_rx_idle rx_idle;	/* and when it cannot */
	uint32_t max_frame;	/* ours */
	uint64_t link_changes;
	uint64_t rx_idle_wakes;	/* RX queues woken because a peer came or
				 * became able to ring them (ctl_wake_rx,
				 * ivshmem_ctl_rx.c) */
	uint64_t resets;	/* rte_eth_dev_reset calls that re-attached */
	enum ivr_down_reason last_why;
	int bus_fd;		/* the transport's news fd, -1: none (more) */
	bool bus_lost;		/* the bus had news and went quiet for good
				 * (a server that died) */
	bool bus_unwatched;	/* bus_fd went -1 while watched: dropped */
	int target_id;		/* peer doorbell id we ring, or -1 */
	uint32_t target_epoch;	/* of the peer incarnation */
	struct ivsh_bell lsc_bell;	/* the peer's vector 0 */
	struct ivsh_rxq *rxq[IVR_MAX_QUEUES];	/* set up: ours to re-bind */
	struct ivsh_txq *txq[IVR_MAX_QUEUES];	/* at a reset, to aim, to limit */
	/* what a released TX queue had out (ctl_tx_keep): its next setup
	 * resumes with it */
	struct ivsh_tx_kept *tx_kept[IVR_MAX_QUEUES];
	struct rte_intr_handle *watch[2];	/* bus fd, our vector 0 */
};

struct ivsh_adapter {
	struct ivr_region region;
	struct ivsh_opts opts;
	struct rte_ether_addr mac;
	const struct ivsh_transport *tp;
	void *tp_priv;			/* the transport's own state */
	void *map;			/* the region, in this process */
	uint64_t map_len;
	uint16_t n_vectors;		/* ours; 0: no doorbells */
	uint16_t doorbell_id;		/* ours, or IVR_NO_DOORBELL */
	uint64_t intr_spin_tsc;		/* opts.intr_spin_us in TSC cycles */
	bool map_pinned;		/* lent buffers outlived the port: keep the
					 * region mapped until the process exits */
	/* zero-copy bookkeeping of released RX queues whose buffers the
	 * application still holds: the queue's next setup takes it back */
	struct ivsh_zc *zc_kept[IVR_MAX_QUEUES];
	struct ivsh_ctl ctl;
};

/*
 * A consistent copy of what an operator asks about a port (telemetry, the
 * private dump), taken under ctl.lock by ivsh_ctl_view: the caller formats
 * it without touching the port again.
 */
struct ivsh_view {
	const char *transport;		/* the transport's name */
	bool open, attached, started, evicted;
	bool link_up;
	uint32_t slot;			/* ours */
	uint32_t epoch;			/* ours */
	uint64_t region_size;
	uint64_t part_size;
	struct ivr_layout lay;		/* of each part */
	struct ivr_config cfg;		/* ours */
	/* the peer, as the control module last read it */
	uint32_t peer_state;
	uint32_t peer_epoch;
	bool peer_alive;
	bool peer_cfg_ok;
	bool peer_left;
	enum ivr_down_reason why;
	uint32_t max_frame;		/* ours and the peer's, smaller */
	/* doorbells */
	uint16_t doorbell_id;		/* ours, or IVR_NO_DOORBELL */
	uint16_t n_vectors;
	int target_id;			/* the peer we ring, or -1 */
	uint32_t target_epoch;
	bool can_sleep;
	enum ivsh_rx_idle rx_idle;
	uint64_t rx_idle_wakes;
	uint64_t link_changes;
	uint64_t resets;
	/* queues set up: bit q of rxq_on / txq_on */
	uint32_t rxq_on, txq_on;
	struct {
		uint64_t sessions;
		uint64_t sleeps;
		uint64_t wakeups;
		bool zc;		/* zero_copy=yes */
		uint64_t zc_held;	/* buffers the application holds,
					 * as of the queue's last burst */
		uint64_t zc_held_max;
	} rxq[IVR_MAX_QUEUES];
	struct {
		uint64_t sessions;
		uint64_t doorbells;
		uint64_t doorbells_suppressed;
		bool aimed;		/* the bell rings the peer */
		uint32_t vector;	/* the peer's vector it rings */
	} txq[IVR_MAX_QUEUES];
};

static inline struct ivsh_adapter *
ivsh_adapter(struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* The control module's lock: one step at a time (ivshmem_ctl.c). */
#define IVSH_CTL_LOCK(ad)	pthread_mutex_lock(&(ad)->ctl.lock)
#define IVSH_CTL_UNLOCK(ad)	pthread_mutex_unlock(&(ad)->ctl.lock)

/*
 * Who calls whom, one way only:
 *   bus glue (ivshmem_vdev.c, ivshmem_pci.c)
 *     -> ethdev ops (ivshmem_ethdev.c)
 *       -> control (ivshmem_ctl.c)
 *         -> RX waits (ivshmem_ctl_rx.c), which ethdev ops call too
 *         -> transports (ivshmem_shm.c, ivshmem_server.c, ivshmem_bar.c)
 *           -> lib/ivshmem_ring, lib/ivshmem_proto, lib/ivshmem_parse
 *   pool TX API (ivshmem_pool.c) -> ethdev ops, control's view
 *   (the PCI glue also asks ivshmem_bar.c whether BAR2 stays mapped;
 *   ivshmem_ethdev.c creates and destroys ivshmem_zc.c's bookkeeping)
 *   ivshmem_ethdev.c also -> control's view (ivshmem_ctl_view.c: the
 *   operator's copy, under the control lock, and the counter reset), and
 *   -> telemetry (ivshmem_telemetry.c) -> control's view
 *   burst functions (ivshmem_rxtx.c, ivshmem_zc.h) -> lib/ivshmem_ring
 */

/* ivshmem_devargs.c */
void ivsh_opts_default(struct ivsh_opts *o);
int ivsh_opts_parse(const char *name, const char *args, struct ivsh_opts *o);
int ivsh_opts_parse_pci(const char *name, const char *args, struct ivsh_opts *o);

/* ivshmem_ethdev.c: called by the bus glue once it chose a transport */
int ivsh_ethdev_init(struct rte_eth_dev *dev);
int ivsh_ethdev_uninit(struct rte_eth_dev *dev);
/* Whether dev is a net_ivshmem port of this (primary) process. */
bool ivsh_ethdev_is_ours(const struct rte_eth_dev *dev);
extern const struct eth_dev_ops ivsh_secondary_ops;

/* ivshmem_ctl.c: the control module, the only writer of the region and,
 * with ivshmem_ctl_rx.c, of struct ivsh_ctl */
int ivsh_ctl_open(struct rte_eth_dev *dev);
void ivsh_ctl_close(struct rte_eth_dev *dev);
int ivsh_ctl_start(struct rte_eth_dev *dev);
void ivsh_ctl_stop(struct rte_eth_dev *dev);
int ivsh_ctl_reset(struct rte_eth_dev *dev);
int ivsh_ctl_txq_add(struct rte_eth_dev *dev, struct ivsh_txq *txq);
bool ivsh_ctl_txq_remove(struct rte_eth_dev *dev, struct ivsh_txq *txq);
int ivsh_ctl_rxq_add(struct rte_eth_dev *dev, struct ivsh_rxq *rxq);
void ivsh_ctl_rxq_remove(struct rte_eth_dev *dev, struct ivsh_rxq *rxq);

/* ivshmem_ctl_rx.c: how RX queues in interrupt mode wait; rx_wait from
 * the control module's steps, rx_sleep from the queue's lcore */
void ivsh_ctl_rx_wait(struct rte_eth_dev *dev, bool can_sleep);
int ivsh_ctl_rx_sleep(struct rte_eth_dev *dev, struct ivsh_rxq *rxq);

/* ivshmem_ctl_view.c: what the control module shows */
void ivsh_ctl_counters_reset(struct rte_eth_dev *dev);
int ivsh_ctl_pool_area(struct rte_eth_dev *dev, uint8_t **base, uint64_t *len);
void ivsh_ctl_view(struct rte_eth_dev *dev, struct ivsh_view *v);

/* ivshmem_telemetry.c: the primary's ports that telemetry may read, from
 * ivsh_ethdev_init until the start of ivsh_ethdev_uninit */
void ivsh_telemetry_add(struct rte_eth_dev *dev);
void ivsh_telemetry_remove(struct rte_eth_dev *dev);
int ivsh_priv_dump(struct rte_eth_dev *dev, FILE *f);

/* ivshmem_rxtx.c */
uint16_t ivsh_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t ivsh_rx_burst_zc(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t ivsh_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t ivsh_dummy_burst(void *q, struct rte_mbuf **pkts, uint16_t n);
int ivsh_tx_done_cleanup(void *q, uint32_t free_cnt);
int ivsh_tx_descriptor_status(void *q, uint16_t offset);

#endif /* IVSHMEM_ETHDEV_H */
