/* SPDX-License-Identifier: BSD-3-Clause */
/* ivshmem-integrity: the port it runs on, its link, and the clocks. */
#ifndef INTEGRITY_PORT_H
#define INTEGRITY_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "integrity_opts.h"

#define INTEG_LINK_POLL_MS	10
#define INTEG_MAX_EVENTS	64

struct integ_link_event {
	bool up;
	uint64_t mono_ms;	/* CLOCK_MONOTONIC */
	uint64_t real_ms;	/* CLOCK_REALTIME: to compare with a kill time */
};

struct integ_port {
	uint16_t id;
	struct rte_mempool *mp;
	struct rte_mempool *tx_mp;	/* frames built here: mp, or --tx-pool's */
	unsigned int tx_pool_n;		/* --tx-pool: its mbufs */
	uint64_t tx_pool_allocs;	/* --tx-pool: mbufs taken from it */
	struct rte_ether_addr mac;
	uint32_t data_room;	/* bytes of frame per mbuf */
	FILE *out;		/* where link changes are printed */
	/* link watch */
	bool up;
	uint64_t next_poll_ms;
	unsigned int n_events;	/* all of them; the first INTEG_MAX_EVENTS kept */
	struct integ_link_event ev[INTEG_MAX_EVENTS];
};

uint64_t integ_mono_ms(void);
uint64_t integ_real_ms(void);

/*
 * Configures and starts port o->port with o->queues queue pairs, an MTU
 * and offloads that fit o->max_size, and a mempool for it. Prints why and
 * returns -1 when it cannot.
 */
int integ_port_start(const struct integ_opts *o, struct integ_port *p, FILE *out);

/* Stops and closes the port (a net_ivshmem sender drains on close). With
 * --tx-pool, returns how many of its mbufs were still out after the close
 * (the PMD frees what the peer held at close); else 0. */
unsigned int integ_port_close(struct integ_port *p);

/* Stops the port, sets its TX queues up again and starts it (--tx-resetup).
 * Prints why and returns -1 when it cannot. */
int integ_port_txq_resetup(const struct integ_opts *o, struct integ_port *p);

/*
 * Reads the link at most every INTEG_LINK_POLL_MS; prints and records a
 * change. Returns whether the link is up.
 */
bool integ_link_poll(struct integ_port *p, uint64_t now_ms);

/*
 * RX interrupt mode (--rx-mode intr): arms every queue and sleeps up to
 * timeout_ms for one to be rung. integrity_intr.c.
 */
int integ_intr_setup(const struct integ_opts *o);
bool integ_intr_sleep(const struct integ_opts *o, int timeout_ms);
int64_t integ_rx_sleeps(const struct integ_opts *o);

/* Every xstat of the port as one JSON object member "xstats":{...}. */
void integ_json_xstats(FILE *f, uint16_t port);

/* Waits up to ms for link up; true if it came. */
bool integ_link_wait(struct integ_port *p, uint64_t ms, volatile const int *quit);

#endif /* INTEGRITY_PORT_H */
