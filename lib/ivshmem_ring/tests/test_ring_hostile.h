/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ring_hostile: what the victim (test_ring_hostile.c) and the hostile
 * peer process (test_ring_hostile_peer.c) share: the shape of the region
 * and a control block in MAP_SHARED memory.
 */
#ifndef TEST_RING_HOSTILE_H
#define TEST_RING_HOSTILE_H

#include <stdint.h>

#include "ivshmem_ring.h"

#define QUEUES		4
#define RING		256
#define BUF		2048

/* Both sides' configuration (a copy in each file: the two files share
 * data through this header, never through each other). */
static const struct ivr_config hostile_cfg = {
	.n_queues = QUEUES, .ring_size = RING, .buf_size = BUF,
	.max_frame = 9018, .mac = { 2, 0, 0, 0, 0, 3 },
	.doorbell_id = IVR_NO_DOORBELL, .features = IVR_F_ALL,
};

struct hostile_ctl {
	uint32_t stop;		/* victim -> hostile */
	uint64_t writes[3];	/* hostile writes: garbage, smart, smart+churn */
	uint64_t header_writes;
};

/*
 * The hostile peer: attaches to slot 1 of the region at base and attacks
 * until ctl->stop, cycling through its modes; exits the process.
 */
void hostile_main(void *base, uint64_t size, struct hostile_ctl *ctl,
		uint64_t seed) __attribute__((noreturn));

#endif /* TEST_RING_HOSTILE_H */
