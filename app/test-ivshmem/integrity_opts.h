/* SPDX-License-Identifier: BSD-3-Clause */
/* ivshmem-integrity: the options after "--", with their defaults. */
#ifndef INTEGRITY_OPTS_H
#define INTEGRITY_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define INTEG_PROG		"ivshmem-integrity"
#define INTEG_MAX_QUEUES	64
#define INTEG_MAX_BURST		256
#define INTEG_MAX_HOLD		65536

/* Exit statuses. */
#define INTEG_EXIT_PASS		0
#define INTEG_EXIT_FAIL		1	/* a check failed */
#define INTEG_EXIT_USAGE	2	/* bad options, or the port would not start */

enum integ_role { INTEG_TX, INTEG_RX };

struct integ_opts {
	enum integ_role role;
	uint16_t port;
	uint16_t queues;
	uint16_t burst;
	uint64_t count;		/* tx: to send, 0 = until stopped; rx: expected, 0 = any */
	uint32_t min_size;	/* whole frames, Ethernet header included */
	uint32_t max_size;
	uint64_t seed;		/* frame sizes; random when not given */
	uint64_t timeout_ms;	/* whole run */
	uint64_t idle_ms;	/* rx: stop this long after the last frame; 0 = never */
	uint64_t wait_link_ms;	/* before the first frame; 0 = do not wait */
	uint64_t progress_ms;	/* a progress line this often; 0 = never */
	bool restart_ok;	/* rx: the sender may restart (new stamp) */
	bool rx_intr;		/* rx: sleep on RX interrupts when idle */
	uint64_t intr_timeout_ms;	/* rx --rx-mode intr: longest sleep */
	bool link_spin;		/* a thread polls the link without pause */
	uint32_t hold;		/* rx: keep the last N frames' mbufs */
	bool free_thread;	/* rx: free mbufs on an lcore of their own */
	bool until_link_down;	/* rx: stop when the link goes down */
	bool no_wait_taken;	/* tx: stop without waiting for the last
				 * frames to be taken (the PMD's drain) */
	bool tx_pool;		/* tx: frames in the port's pool TX mempool */
	bool tx_pool_fill;	/* tx: that pool fills the area, no cache */
	uint32_t rx_pause_us;	/* rx: sleep this long after each burst */
	uint32_t tx_pause_us;	/* tx: sleep this long after each burst */
	uint64_t tx_resetup;	/* tx: TX queues set up again after N; 0 never */
	bool json;		/* one JSON object on stdout; the rest on stderr */
};

/* The text of --help, which EAL's --help prints too. */
void integ_usage(FILE *f);

/*
 * Parses argv (what follows the EAL options). Returns 0, or -1 after
 * printing what is wrong; 1 when --help was asked (usage printed).
 */
int integ_opts_parse(int argc, char **argv, struct integ_opts *o);

#endif /* INTEGRITY_OPTS_H */
