/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-integrity rx: what happens to received mbufs after the check.
 * By default they are freed at once, on the receiving lcore. --hold N
 * keeps the last N frames and frees the oldest as new ones come (an
 * application that holds thousands of mbufs); --free-thread frees them on
 * a thread of its own, registered with EAL as another lcore (mbufs freed
 * far from where they were received, as a pipeline does, through that
 * lcore's mempool caches).
 */
#ifndef INTEGRITY_HOLD_H
#define INTEGRITY_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct integ_hold;

/* NULL when it cannot be made, after printing why. With free_thread,
 * the free thread empties its lcore's cache of mp before it ends (the
 * pool of received mbufs: the one with a cache). */
struct integ_hold *integ_hold_create(uint32_t n, bool free_thread,
		struct rte_mempool *mp);

/* The lcore id of the free thread; LCORE_ID_ANY without one. */
unsigned int integ_hold_free_lcore(const struct integ_hold *h);

/* Takes the n mbufs of pkts: keeps them, and lets go of the oldest beyond
 * the number to hold. */
void integ_hold_put(struct integ_hold *h, struct rte_mbuf **pkts, uint16_t n);

/* Lets go of everything, waits until it is all freed, and frees h.
 * Returns the number of mbufs of mp the free thread had in its cache at
 * the end (0 without one), which it put back in the pool. */
unsigned int integ_hold_release(struct integ_hold *h);

#endif /* INTEGRITY_HOLD_H */
