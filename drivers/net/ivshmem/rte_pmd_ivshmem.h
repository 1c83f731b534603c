/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_ivshmem's private API (experimental): pool TX.
 *
 * rte_pmd_ivshmem_pool_create() makes a pktmbuf pool whose data buffers
 * lie in this port's own part of the shared region, in its pool area (the
 * part past the copy-mode buffers: make the region larger with size= to
 * have one). tx_burst sends an mbuf whose every segment lies there without
 * copying it, and frees it when the peer gives the buffer back; any other
 * mbuf is copied as always, and one burst may hold both kinds.
 *
 * Only the data buffers are shared: the mbuf headers and their shared
 * info are in the pool's private memory, on the port's NUMA node.
 *
 * Trust: the peer can read, and (in stock QEMU, where both parts are
 * writable by both sides) write, a pool buffer from the moment it is
 * allocated until it is freed. Build a frame and send it; do not keep
 * anything in a pool buffer that the peer must not see or that the
 * application reads back as trusted. The peer cannot make the driver use
 * memory outside the pool area, free an mbuf twice, or hold more buffers
 * than one ring's worth per queue; what it never gives back is freed when
 * a new session with it starts, or at close or reset. A TX queue set up
 * again while the port is stopped keeps what the peer holds: each buffer
 * is freed when the peer gives it back.
 *
 * One pool per port: its pool area holds one (EBUSY while it exists).
 * The pool belongs to the attachment it was made in. To end: stop the
 * port, free every pool mbuf the application holds, close (or reset) the
 * port, which frees those the receiver still held, then free the pool
 * (rte_mempool_free). After close no pool mbuf may be touched: its data
 * buffer was in the region, which close unmaps.
 */
#ifndef RTE_PMD_IVSHMEM_H
#define RTE_PMD_IVSHMEM_H

#include <stdint.h>

#include <rte_compat.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Creates a pktmbuf pool of n mbufs whose data buffers are in the pool
 * area of net_ivshmem port port_id (a started or stopped port, not
 * closed), laid out data_room_size bytes apart, rounded up to 64.
 *
 * @param port_id
 *   A net_ivshmem port in this (primary) process.
 * @param name
 *   The mempool's name.
 * @param n, cache_size, priv_size, data_room_size
 *   As for rte_pktmbuf_pool_create(); data_room_size includes
 *   RTE_PKTMBUF_HEADROOM.
 * @return
 *   The pool, or NULL with rte_errno: ENODEV (not a net_ivshmem port of
 *   this process, or not attached to a region), ENOSPC (the pool area is
 *   smaller than n buffers: the log says how large), EINVAL (bad sizes),
 *   or what rte_pktmbuf_pool_create_extbuf() sets.
 */
__rte_experimental
struct rte_mempool *
rte_pmd_ivshmem_pool_create(uint16_t port_id, const char *name, unsigned int n,
		unsigned int cache_size, uint16_t priv_size,
		uint16_t data_room_size);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Bytes of port port_id's pool area (0: none), or a negative errno
 * (-ENODEV) when port_id is not an attached net_ivshmem port.
 */
__rte_experimental
int64_t
rte_pmd_ivshmem_pool_room(uint16_t port_id);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_IVSHMEM_H */
