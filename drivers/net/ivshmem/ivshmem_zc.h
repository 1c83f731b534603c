/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zero-copy RX: mbufs whose data are the producer's buffers, lent to the
 * application until it frees them.
 *
 * Everything the mbuf API needs lives in private memory: the mbuf headers
 * (the queue's mempool) and one struct rte_mbuf_ext_shared_info per buffer
 * id of the queue (refcount, free callback), here. Nothing of ours is in
 * memory the peer can write.
 *
 * Who writes what: the RX lcore lends (rx_burst) and is the only writer of
 * the return ring; the application frees on any lcore, in any order, and
 * its free callback only puts the id into back, a multi-producer ring that
 * the RX lcore drains into the return ring at its next burst. An id comes
 * back to the producer only within the RX session it was lent in (gen):
 * after a producer restart, what the application still held is not its
 * business any more.
 */
#ifndef IVSHMEM_ZC_H
#define IVSHMEM_ZC_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ivr_queue.h"

struct ivsh_zc;

struct ivsh_zc_slot {
	struct rte_mbuf_ext_shared_info shinfo;	/* fcb_opaque = this slot */
	struct ivsh_zc *zc;
	uint32_t id;
	bool busy;		/* RX lcore: lent and not yet taken back */
	uint64_t gen;		/* RX session the buffer was lent in */
};

struct ivsh_zc {
	/* RX lcore only */
	uint64_t lent;		/* buffers handed to the application */
	uint64_t back;		/* buffers freed and taken back */
	uint64_t held;		/* lent - back, as of the last burst */
	uint64_t held_max;	/* its high-water mark */
	uint64_t stale;		/* freed after their session ended: not returned */
	uint64_t copied;	/* frames copied: short, or a buffer still held */
	struct rte_ring *ring;	/* ids freed by the application: MP/SC */
	uint32_t n;		/* ids 0..n-1: the queue's buffers */
	uint32_t lost;		/* free callbacks that found the ring full */
	struct ivsh_zc_slot slot[];
};

/* For RX queue qid's n buffers, on NUMA node socket. NULL: out of memory
 * (logged by the caller). */
struct ivsh_zc *ivsh_zc_create(const char *port, uint16_t qid, uint32_t n,
		int socket);

/*
 * The queue is going: waits up to wait_ms for the application to free
 * what it holds, returning it through q (NULL: detached, return nothing).
 * Returns how many buffers it still holds: 0, and zc is freed; otherwise
 * zc stays allocated (its free callbacks still run) and the caller must
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
	uint32_t ids[64], n, ret = 0;

	do {
		n = rte_ring_sc_dequeue_burst_elem(zc->ring, ids, sizeof(ids[0]),
				RTE_DIM(ids), NULL);
		for (uint32_t i = 0; i < n; i++) {
			/* ids came from our slots: < zc->n */
			struct ivsh_zc_slot *slot = &zc->slot[ids[i]];

			slot->busy = false;
			if (likely(slot->gen == q->expect_tx_sync && !evicted)) {
				ivr_rx_ret(q, ids[i]);
				ret++;
			} else {
				zc->stale++;
			}
		}
		zc->back += n;
	} while (n == RTE_DIM(ids));
	return ret;
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

		if (id >= zc->n || zc->slot[id].busy)
			return false;
		for (uint32_t t = 0; t < s; t++)
			if (f->seg[t].id == id)
				return false;
	}
	return true;
}

/* m (fresh from the pool) gets segment s of f as its data. */
static inline void
ivsh_zc_lend(struct ivsh_zc *zc, struct rte_mbuf *m, const struct ivr_frame *f,
		uint32_t s, uint64_t gen)
{
	struct ivsh_zc_slot *slot = &zc->slot[f->seg[s].id];

	slot->gen = gen;
	slot->busy = true;
	rte_mbuf_ext_refcnt_set(&slot->shinfo, 1);
	/* The region is not DPDK memory: no IOVA (a copy is needed to hand
	 * it to a device that does DMA). */
	rte_pktmbuf_attach_extbuf(m, (void *)(uintptr_t)f->seg[s].data, RTE_BAD_IOVA,
			(uint16_t)f->seg[s].len, &slot->shinfo);
	m->data_len = (uint16_t)f->seg[s].len;
	zc->lent++;
}

#endif /* IVSHMEM_ZC_H */
