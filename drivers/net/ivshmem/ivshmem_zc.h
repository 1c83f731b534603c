/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zero-copy RX: mbufs whose data are the producer's buffers, lent to the
 * application until it frees them.
 *
 * Everything the mbuf API needs lives in private memory. Each buffer id of
 * the queue has its own mbuf header, from a mempool of the queue's
 * (pinned external buffers, on the queue's node, with the private size of
 * the queue's mempool), and its own struct rte_mbuf_ext_shared_info, here.
 * Lending buffer id points its mbuf at the frame: no allocation, no
 * attach. Nothing of ours is in memory the peer can write.
 *
 * Who writes what: the RX lcore lends (rx_burst) and is the only writer of
 * the return ring. The application frees on any lcore, in any order: DPDK
 * puts a freed mbuf back into its mempool, whose operations (ivshmem_zc.c)
 * only put the ids into freed[], which the RX lcore drains into the return
 * ring at its next burst. The mempool has no cache, so every put through
 * the default (per-lcore) cache reaches them, and nothing ever gets an
 * mbuf from it. (A DPDK built with RTE_LIBRTE_MEMPOOL_DEBUG would see
 * each put as a double free: its object cookies say "in the pool".)
 * An id comes back to the producer only within the RX session it was lent
 * in (gen): after a producer restart, what the application still held is
 * not its business any more.
 */
#ifndef IVSHMEM_ZC_H
#define IVSHMEM_ZC_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "ivr_queue.h"

struct ivsh_zc;

struct ivsh_zc_slot {
	/* the mbuf's: its free callback runs only when a clone outlives
	 * the mbuf (fcb_opaque = the mbuf) */
	struct rte_mbuf_ext_shared_info shinfo;
	struct rte_mbuf *m;	/* the buffer's mbuf header */
	uint32_t id;
	bool busy;		/* RX lcore: lent and not yet taken back */
	uint64_t gen;		/* RX session the buffer was lent in */
} __rte_aligned(64);

struct ivsh_zc {
	/* RX lcore only */
	uint64_t lent;		/* buffers handed to the application */
	uint64_t back;		/* buffers freed and taken back */
	uint64_t held;		/* lent - back, as of the last burst */
	uint64_t held_max;	/* its high-water mark */
	uint64_t stale;		/* freed after their session ended: not returned */
	uint64_t copied;	/* frames copied: short, or a buffer still held */
	uint32_t n;		/* ids 0..n-1: the queue's buffers; a power of 2 */
	uint32_t fhead;		/* next entry of freed[] to take */
	uint16_t port;		/* the mbufs' port */
	uint16_t priv_size;	/* the mbufs' private area */
	/*
	 * Ids freed by the application, a ring of n entries, each id + 1 or
	 * 0 (empty). A put of k mbufs claims the next k entries with one
	 * fetch-and-add of ftail and stores there with release; the RX lcore
	 * takes entries in order up to the first still 0, and empties them.
	 * An id is in it at most once (it is lent again only once taken), so
	 * the n entries never run out: of any n + 1 entries in a row two
	 * hold the same id, so the entry a put claims was taken and emptied
	 * before that id was lent again, which happened before that id's
	 * put, whose fetch-and-add (acq_rel) precedes this one's or is it.
	 */
	uint32_t *freed;
	struct rte_mempool *mp;	/* the slots' mbufs */
	/* the mempool's puts, on any lcore: n and freed here too, off the
	 * line the RX lcore writes */
	uint32_t ftail __rte_cache_aligned;
	uint32_t fmask;		/* n - 1 */
	uint32_t *fring;	/* freed */
	bool armed;		/* populated: puts are frees */
	struct ivsh_zc_slot slot[] __rte_cache_aligned;
};

/*
 * For an RX queue's n buffers (a power of 2), on NUMA node socket, the
 * mbufs with the private area of app_mp's. NULL: out of memory, or no
 * room for our mempool operations (logged here, naming port and queue).
 */
struct ivsh_zc *ivsh_zc_create(uint32_t n, int socket, const struct rte_mempool *app_mp,
		uint16_t port, uint16_t queue);

/*
 * The queue is going: waits up to wait_ms for the application to free
 * what it holds, returning it through q (NULL: detached, return nothing).
 * Returns how many buffers it still holds: 0, and zc is freed; otherwise
 * zc stays allocated (the application's frees still reach it) and the caller must
 * keep the region mapped.
 */
uint64_t ivsh_zc_destroy(struct ivsh_zc *zc, struct ivr_rx *q, unsigned int wait_ms);

/* Buffers the application holds now (freed ones count until the next
 * burst takes them back). */
static inline uint64_t
ivsh_zc_held(const struct ivsh_zc *zc)
{
	return zc->lent - zc->back;
}

/* The xstats' count of buffers held, and its high-water mark, brought up
 * to date. RX lcore only. */
static inline void
ivsh_zc_note_held(struct ivsh_zc *zc)
{
	uint64_t held = ivsh_zc_held(zc);

	zc->held = held;
	if (held > zc->held_max)
		zc->held_max = held;
}

/* Up to max ids the application freed, as id + 1, into v[]: their
 * entries emptied, their slots free to lend again. RX lcore only. */
static inline uint32_t
ivsh_zc_next_freed(struct ivsh_zc *zc, uint32_t *v, uint32_t max)
{
	uint32_t *freed = zc->freed, mask = zc->n - 1, head = zc->fhead, k;
	struct ivsh_zc_slot *slot = zc->slot;

	for (k = 0; k < max; k++) {
		uint32_t *e = &freed[(head + k) & mask];
		/* pairs with the store-release in zc_mp_put: the
		 * application's last reads of the buffer come before its
		 * return */
		uint32_t x = __atomic_load_n(e, __ATOMIC_ACQUIRE);

		if (x == 0)
			break;
		__atomic_store_n(e, 0, __ATOMIC_RELAXED);
		v[k] = x;
	}
	if (k == 0)
		return 0;
	for (uint32_t i = 0; i < k; i++)
		slot[v[i] - 1].busy = false;	/* ids came from our slots: < n */
	zc->fhead = head + k;
	zc->back += k;
	return k;
}

/*
 * Takes back everything the application freed: each id goes to the return
 * ring if it was lent in the current session (the producer took back all
 * its buffers when a new one began), and its slot may be lent again. After
 * an eviction the part is not ours: nothing is returned. Returns how many
 * went back.
 */
static inline uint32_t
ivsh_zc_take_back(struct ivsh_zc *zc, struct ivr_rx *q)
{
	bool evicted = __atomic_load_n(&q->r->evicted, __ATOMIC_RELAXED);
	const struct ivsh_zc_slot *slot = zc->slot;
	uint64_t gen = q->expect_tx_sync;
	uint32_t v[64], k, ret = 0;

	do {
		uint32_t n = 0;

		k = ivsh_zc_next_freed(zc, v, RTE_DIM(v));
		for (uint32_t i = 0; i < k; i++) {
			uint32_t id = v[i] - 1;

			if (likely(slot[id].gen == gen && !evicted))
				v[n++] = id;
		}
		if (k == 0)
			break;
		zc->stale += k - n;
		ivr_rx_ret_n(q, v, n);
		ret += n;
	} while (k == RTE_DIM(v));
	return ret;
}

/* Whether buffer id can be lent: one of ours, not lent already. */
static inline bool
ivsh_zc_free_id(const struct ivsh_zc *zc, uint32_t id)
{
	return id < zc->n && !zc->slot[id].busy;
}

/*
 * Whether every segment of f can be lent: a known id whose buffer is not
 * lent already, this frame included (a producer that sends an id again
 * before it came back gets a copy, and so does a chain that names one id
 * twice).
 */
static inline bool
ivsh_zc_can_lend(const struct ivsh_zc *zc, const struct ivr_frame *f)
{
	for (uint32_t s = 0; s < f->nseg; s++) {
		uint32_t id = f->seg[s].id;

		if (!ivsh_zc_free_id(zc, id))
			return false;
		for (uint32_t t = 0; t < s; t++)
			if (f->seg[t].id == id)
				return false;
	}
	return true;
}

/*
 * Buffer id (ivsh_zc_free_id) lent: its mbuf, the len bytes at data its
 * data, its fields as rte_pktmbuf_reset leaves them (pkt_len len, one
 * segment, the queue's port). Its buf_iova is RTE_BAD_IOVA: the region is not
 * DPDK memory (a device that does DMA needs a copy).
 */
static inline struct rte_mbuf *
ivsh_zc_lend(struct ivsh_zc *zc, const uint8_t *data, uint32_t len, uint32_t id, uint64_t gen)
{
	struct ivsh_zc_slot *slot = &zc->slot[id];
	struct rte_mbuf *m = slot->m;

	slot->gen = gen;
	slot->busy = true;
	/* the shared info's refcnt is 1 as it came back
	 * (rte_pktmbuf_prefree_seg, zc_clone_free); refcnt too, but not
	 * when two lcores dropped their references at once while a clone
	 * lived (prefree then returns before setting it back) */
	rte_mbuf_refcnt_set(m, 1);
	m->next = NULL;
	m->nb_segs = 1;
	m->buf_addr = (void *)(uintptr_t)data;
	m->buf_len = (uint16_t)len;
	m->data_off = 0;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->ol_flags = RTE_MBUF_F_EXTERNAL;
	m->packet_type = 0;
	m->vlan_tci = 0;
	m->vlan_tci_outer = 0;
	m->tx_offload = 0;
	m->port = zc->port;
	zc->lent++;
	return m;
}

#endif /* IVSHMEM_ZC_H */
