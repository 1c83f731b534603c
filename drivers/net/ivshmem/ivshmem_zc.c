/* SPDX-License-Identifier: BSD-3-Clause */
/* Zero-copy RX bookkeeping: see ivshmem_zc.h. */
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
	/* acq_rel: see struct ivsh_zc */
	uint32_t e = __atomic_fetch_add(&zc->ftail, 1, __ATOMIC_ACQ_REL) & (zc->n - 1);

	/* pairs with the load-acquire in ivsh_zc_take_back */
	__atomic_store_n(&zc->freed[e], slot->id + 1, __ATOMIC_RELEASE);
}

struct ivsh_zc *
ivsh_zc_create(uint32_t n, int socket)
{
	struct ivsh_zc *zc;

	if (!rte_is_power_of_2(n))
		return NULL;
	zc = rte_zmalloc_socket("ivshmem_zc", sizeof(*zc) + n * sizeof(zc->slot[0]) +
			n * sizeof(zc->freed[0]), RTE_CACHE_LINE_SIZE, socket);
	if (zc == NULL)
		return NULL;
	zc->n = n;
	zc->freed = (uint32_t *)&zc->slot[n];
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
		if (q != NULL && ivsh_zc_take_back(zc, q) != 0)
			ivr_rx_flush(q);
		/* detached: the part is not ours to write any more */
		while (q == NULL && ivsh_zc_next_freed(zc) != 0)
			;
		held = ivsh_zc_held(zc);
		if (held == 0 || ms >= wait_ms)
			break;
		rte_delay_us_sleep(1000);
	}
	if (held != 0)
		return held;
	rte_free(zc);
	return 0;
}
