/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --tx-pool of ivshmem-integrity and ivshmem-bench: a pktmbuf pool in a
 * net_ivshmem port's pool area (rte_pmd_ivshmem_pool_create), whose mbufs
 * the port sends without a copy. The apps load the plugin with -d, so its
 * API is looked up in the loaded object by name.
 */
#ifndef TXPOOL_H
#define TXPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

/*
 * Up to want mbufs of buf_size bytes (headroom included) in port's pool
 * area (as many as fit), at least least; *n says how many. NULL with
 * why in err (no plugin, not a net_ivshmem port, too small a pool area).
 */
struct rte_mempool *txpool_create(uint16_t port, const char *name,
		uint16_t buf_size, unsigned int want, unsigned int least,
		unsigned int cache, unsigned int *n, char *err, size_t errlen);

#endif /* TXPOOL_H */
