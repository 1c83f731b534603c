/* SPDX-License-Identifier: BSD-3-Clause */
/* Zero-copy RX bookkeeping: see ivshmem_zc.h. */
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "ivshmem_zc.h"

/* The application freed the last reference to a lent buffer, on any
 * lcore: only hand the id to the RX lcore. */
static void
zc_free_cb(void *addr __rte_unused, void *opaque)
{
	struct ivsh_zc_slot *slot = opaque;
	struct ivsh_zc *zc = slot->zc;

	/* Cannot fail while the producer sends each id once (the ring holds
	 * every id); a producer that repeats ids may fill it: its loss. */
	if (rte_ring_mp_enqueue_elem(zc->ring, &slot->id, sizeof(slot->id)) != 0)
		__atomic_fetch_add(&zc->lost, 1, __ATOMIC_RELAXED);
}

struct ivsh_zc *
ivsh_zc_create(const char *port, uint16_t qid, uint32_t n, int socket)
{
	static uint32_t seq;	/* ring names are global: every one new */
	char name[RTE_RING_NAMESIZE];
	struct ivsh_zc *zc;

	zc = rte_zmalloc_socket("ivshmem_zc", sizeof(*zc) + n * sizeof(zc->slot[0]),
			RTE_CACHE_LINE_SIZE, socket);
	if (zc == NULL)
		return NULL;
	snprintf(name, sizeof(name), "ivzc%u_q%u_%.12s",
			__atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED), qid, port);
	zc->ring = rte_ring_create_elem(name, sizeof(uint32_t), 2 * n, socket,
			RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (zc->ring == NULL) {
		rte_free(zc);
		return NULL;
	}
	zc->n = n;
	for (uint32_t id = 0; id < n; id++) {
		zc->slot[id].zc = zc;
		zc->slot[id].id = id;
		zc->slot[id].shinfo.free_cb = zc_free_cb;
		zc->slot[id].shinfo.fcb_opaque = &zc->slot[id];
	}
	return zc;
}

uint64_t
ivsh_zc_destroy(struct ivsh_zc *zc, struct ivr_rx *q, unsigned int wait_ms)
{
	uint64_t held;

	for (unsigned int ms = 0; ; ms++) {
		uint32_t id;

		if (q != NULL && ivsh_zc_take_back(zc, q) != 0)
			ivr_rx_flush(q);
		/* detached: the part is not ours to write any more */
		while (q == NULL && rte_ring_sc_dequeue_elem(zc->ring, &id, sizeof(id)) == 0) {
			zc->slot[id].busy = false;
			zc->back++;
		}
		held = ivsh_zc_held(zc);
		if (held == 0 || ms >= wait_ms)
			break;
		rte_delay_us_sleep(1000);
	}
	if (held != 0)
		return held;
	rte_ring_free(zc->ring);
	rte_free(zc);
	return 0;
}
