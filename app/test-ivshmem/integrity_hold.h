/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-integrity rx: what happens to received mbufs after the check.
 * By default they are freed at once, on the receiving lcore. --hold N
 * keeps the last N frames and frees the oldest as new ones come (an
 * application that holds thousands of mbufs); --free-thread frees them on
 * another thread, not an lcore (mbufs freed far from where they were
 * received, as a pipeline does).
 */
#ifndef INTEGRITY_HOLD_H
#define INTEGRITY_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct integ_hold;

/* NULL with errno set when it cannot be made (printed by the caller). */
struct integ_hold *integ_hold_create(uint32_t n, bool free_thread);

/* Takes the n mbufs of pkts: keeps them, and lets go of the oldest beyond
 * the number to hold. */
void integ_hold_put(struct integ_hold *h, struct rte_mbuf **pkts, uint16_t n);

/* Lets go of everything, waits until it is all freed, and frees h. */
void integ_hold_release(struct integ_hold *h);

#endif /* INTEGRITY_HOLD_H */
