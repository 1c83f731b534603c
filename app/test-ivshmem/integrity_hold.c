/* SPDX-License-Identifier: BSD-3-Clause */
/* Holding and freeing received mbufs: see integrity_hold.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "integrity_hold.h"
#include "integrity_opts.h"

struct integ_hold {
	uint32_t n;		/* to hold */
	uint32_t head, count;	/* fifo[] is a ring of count from head */
	struct rte_ring *to_free;	/* --free-thread: SP/SC */
	struct rte_mempool *mp;	/* its cache on the free lcore emptied at the end */
	pthread_t thread;
	int started;		/* free thread: 1 an lcore, -1 not (reg_err) */
	int reg_err;		/* rte_errno of rte_thread_register */
	unsigned int lcore;	/* the free thread's lcore; LCORE_ID_ANY: none */
	unsigned int cached;	/* mbufs of mp in its cache when it ended */
	bool stop;
	struct rte_mbuf **fifo;
};

static void *
free_main(void *arg)
{
	struct integ_hold *h = arg;
	struct rte_mempool_cache *c;
	void *m[64];

	/* An lcore id of its own: puts into a pool with a cache (mp) go
	 * through this lcore's cache, not straight to the pool. */
	if (rte_thread_register() != 0) {
		h->reg_err = rte_errno;
		rte_thread_unregister();
		__atomic_store_n(&h->started, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	h->lcore = rte_lcore_id();
	/* pairs with the acquire in free_thread_start */
	__atomic_store_n(&h->started, 1, __ATOMIC_RELEASE);
	for (;;) {
		/* stop is read first: what was enqueued before it is seen by
		 * the dequeue that follows */
		bool last = __atomic_load_n(&h->stop, __ATOMIC_ACQUIRE);
		unsigned int n = rte_ring_sc_dequeue_burst(h->to_free, m, RTE_DIM(m), NULL);

		if (n != 0)
			rte_pktmbuf_free_bulk((struct rte_mbuf **)m, n);
		else if (last)
			break;
		else
			rte_pause();
	}
	/* rte_mempool_in_use_count() counts what sits in a cache as free,
	 * but the lcore id is given back below and a cache left to an id no
	 * thread has keeps its mbufs from everyone: empty it first. */
	c = rte_mempool_default_cache(h->mp, h->lcore);
	if (c != NULL) {
		h->cached = c->len;
		rte_mempool_cache_flush(c, h->mp);
	}
	rte_thread_unregister();
	return NULL;
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

/* Starts the free thread and waits until it is an lcore; -1 after
 * printing why it is not. */
static int
free_thread_start(struct integ_hold *h)
{
	int ret, started;

	h->to_free = rte_ring_create("integ_free", 4096, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (h->to_free == NULL) {
		fprintf(stderr, INTEG_PROG ": --free-thread: rte_ring_create: %s\n",
				rte_strerror(rte_errno));
		return -1;
	}
	ret = pthread_create(&h->thread, NULL, free_main, h);
	if (ret != 0) {
		fprintf(stderr, INTEG_PROG ": --free-thread: pthread_create: %s\n", strerror(ret));
		rte_ring_free(h->to_free);
		return -1;
	}
	/* pairs with the releases in free_main */
	while ((started = __atomic_load_n(&h->started, __ATOMIC_ACQUIRE)) == 0)
		rte_pause();
	if (started < 0) {
		pthread_join(h->thread, NULL);
		fprintf(stderr, INTEG_PROG ": --free-thread: rte_thread_register: %s: %s\n",
				rte_strerror(h->reg_err), h->reg_err == ENOMEM ?
				"every lcore id is taken (by -l or --lcores)" :
				"EAL gives non-EAL threads no lcore id here (its log says why)");
		rte_ring_free(h->to_free);
		return -1;
	}
	return 0;
}

struct integ_hold *
integ_hold_create(uint32_t n, bool free_thread, struct rte_mempool *mp)
{
	struct integ_hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		goto nomem;
	h->n = n;
	h->mp = mp;
	h->lcore = LCORE_ID_ANY;
	h->fifo = calloc(n + 1, sizeof(h->fifo[0]));
	if (h->fifo == NULL)
		goto nomem;
	if (free_thread && free_thread_start(h) != 0)
		goto fail;
	return h;
nomem:
	fprintf(stderr, INTEG_PROG ": --hold %u: out of memory\n", n);
fail:
	if (h != NULL)
		free(h->fifo);
	free(h);
	return NULL;
}

unsigned int
integ_hold_free_lcore(const struct integ_hold *h)
{
	return h != NULL ? h->lcore : LCORE_ID_ANY;
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

unsigned int
integ_hold_release(struct integ_hold *h)
{
	unsigned int cached = 0;

	for (; h->count != 0; h->count--) {
		let_go(h, h->fifo[h->head]);
		h->head = (h->head + 1) % (h->n + 1);
	}
	if (h->to_free != NULL) {
		__atomic_store_n(&h->stop, true, __ATOMIC_RELEASE);
		pthread_join(h->thread, NULL);
		rte_ring_free(h->to_free);
		cached = h->cached;
	}
	free(h->fifo);
	free(h);
	return cached;
}
