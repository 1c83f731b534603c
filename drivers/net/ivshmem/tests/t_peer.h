/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the driver's C tests share: one net_ivshmem port over a shm file in
 * this process, and this process as the port's peer through the ring
 * library (the other slot of the same file), so that each step of the
 * peer happens when the test says.
 */
#ifndef T_PEER_H
#define T_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "ivshmem_ring.h"

/* EAL for one port: -l 0, no hugepages, the plugin, the port's devargs
 * (copied), a file prefix of the test's name and pid. Fails the test if
 * rte_eal_init does or no port is made. */
void t_port_eal(const char *prog, const char *plugin, const char *vdev);

/* Port 0 started with one queue pair, its RX queue filled from a new
 * pktmbuf pool of n mbufs without per-lcore cache (so that its count is
 * exact), which it returns. */
struct rte_mempool *t_port_start(const char *pool_name, unsigned int n);

/* Port 0's extended statistic name (the test fails if it has none). */
uint64_t t_xstat(const char *name);

/* Takes every mbuf of mp (a pool without per-lcore cache, whose count is
 * exact) at once and gives them back: each of its size mbufs must come
 * out, and none twice (an mbuf freed twice is in the pool twice). */
void t_pool_whole(struct rte_mempool *mp, unsigned int size, const char *when);

/* The peer: the region file, mapped, attached in the other slot. */
struct t_peer {
	int fd;
	void *base;
	size_t size;
	struct ivr_region r;
};

/* Maps the region the port made at shm and attaches to it with cfg,
 * running. */
void t_peer_attach(struct t_peer *p, const char *shm, const struct ivr_config *cfg);

/* Detaches, unmaps and removes the file. */
void t_peer_close(struct t_peer *p, const char *shm);

#endif
