/* SPDX-License-Identifier: BSD-3-Clause */
/* Holding and freeing received mbufs: see integrity_hold.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <rte_pause.h>
#include <rte_ring.h>

#include "integrity_hold.h"

struct integ_hold {
	uint32_t n;		/* to hold */
	uint32_t head, count;	/* fifo[] is a ring of count from head */
	struct rte_ring *to_free;	/* --free-thread: SP/SC */
	pthread_t thread;
	bool stop;
	struct rte_mbuf **fifo;
};

static void *
free_main(void *arg)
{
	struct integ_hold *h = arg;
	void *m[64];

	for (;;) {
		/* stop is read first: what was enqueued before it is seen by
		 * the dequeue that follows */
		bool last = __atomic_load_n(&h->stop, __ATOMIC_ACQUIRE);
		unsigned int n = rte_ring_sc_dequeue_burst(h->to_free, m, RTE_DIM(m), NULL);

		if (n != 0)
			rte_pktmbuf_free_bulk((struct rte_mbuf **)m, n);
		else if (last)
			return NULL;
		else
			rte_pause();
	}
}

/* Frees m here, or hands it to the free thread (waiting for room). */
static void
let_go(struct integ_hold *h, struct rte_mbuf *m)
{
	if (h->to_free == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	while (rte_ring_sp_enqueue(h->to_free, m) != 0)
		rte_pause();
}

struct integ_hold *
integ_hold_create(uint32_t n, bool free_thread)
{
	struct integ_hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->n = n;
	h->fifo = calloc(n + 1, sizeof(h->fifo[0]));
	if (h->fifo == NULL)
		goto fail;
	if (free_thread) {
		h->to_free = rte_ring_create("integ_free", 4096, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (h->to_free == NULL)
			goto fail;
		if (pthread_create(&h->thread, NULL, free_main, h) != 0) {
			rte_ring_free(h->to_free);
			errno = EAGAIN;
			goto fail;
		}
	}
	return h;
fail:
	free(h->fifo);
	free(h);
	return NULL;
}

void
integ_hold_put(struct integ_hold *h, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		h->fifo[(h->head + h->count++) % (h->n + 1)] = pkts[i];
		if (h->count > h->n) {
			let_go(h, h->fifo[h->head]);
			h->head = (h->head + 1) % (h->n + 1);
			h->count--;
		}
	}
}

void
integ_hold_release(struct integ_hold *h)
{
	for (; h->count != 0; h->count--) {
		let_go(h, h->fifo[h->head]);
		h->head = (h->head + 1) % (h->n + 1);
	}
	if (h->to_free != NULL) {
		__atomic_store_n(&h->stop, true, __ATOMIC_RELEASE);
		pthread_join(h->thread, NULL);
		rte_ring_free(h->to_free);
	}
	free(h->fifo);
	free(h);
}
