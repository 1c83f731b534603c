/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pool TX (rte_pmd_ivshmem.h): a pktmbuf pool whose data buffers are in
 * our part's pool area, so that tx_burst can publish them without a copy
 * (ivshmem_rxtx.c). The mbuf headers, with their shared info, stay in the
 * mempool's private memory on the port's NUMA node.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_string_fns.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"
#include "rte_pmd_ivshmem.h"

/* The plugin hides its symbols; these two are its API. */
#define IVSH_EXPORT	__attribute__((visibility("default")))

/* The pool that each port's pool area holds: one, since a second would
 * lay its buffers over the first's. A pool the application freed (its
 * name no longer finds it) leaves the area free again. */
static struct {
	struct rte_mempool *mp;
	char name[RTE_MEMPOOL_NAMESIZE];
} made[RTE_MAX_ETHPORTS];
static pthread_mutex_t made_lock = PTHREAD_MUTEX_INITIALIZER;

static struct rte_eth_dev *
pool_port(uint16_t port_id)
{
	struct rte_eth_dev *dev;

	if (!rte_eth_dev_is_valid_port(port_id) ||
			rte_eal_process_type() != RTE_PROC_PRIMARY)
		return NULL;
	dev = &rte_eth_devices[port_id];
	return ivsh_ethdev_is_ours(dev) ? dev : NULL;
}

IVSH_EXPORT
int64_t
rte_pmd_ivshmem_pool_room(uint16_t port_id)
{
	struct rte_eth_dev *dev = pool_port(port_id);
	uint8_t *base;
	uint64_t len;

	if (dev == NULL || ivsh_ctl_pool_area(dev, &base, &len) != 0)
		return -ENODEV;
	return (int64_t)len;
}

IVSH_EXPORT
struct rte_mempool *
rte_pmd_ivshmem_pool_create(uint16_t port_id, const char *name, unsigned int n,
		unsigned int cache_size, uint16_t priv_size,
		uint16_t data_room_size)
{
	struct rte_eth_dev *dev = pool_port(port_id);
	struct rte_pktmbuf_extmem ext;
	struct rte_mempool *mp;
	uint32_t elt = RTE_ALIGN_CEIL((uint32_t)data_room_size, RTE_CACHE_LINE_SIZE);
	uint8_t *base;
	uint64_t len;

	if (dev == NULL || ivsh_ctl_pool_area(dev, &base, &len) != 0) {
		rte_errno = ENODEV;
		return NULL;
	}
	if (n == 0 || data_room_size <= RTE_PKTMBUF_HEADROOM || elt > UINT16_MAX) {
		IVSH_LOG(ERR, dev, "pool %s: %u mbufs of data room %u: need n >= 1 and a data room in %u..%u",
				name, n, data_room_size, RTE_PKTMBUF_HEADROOM + 1,
				UINT16_MAX & ~(RTE_CACHE_LINE_SIZE - 1));
		rte_errno = EINVAL;
		return NULL;
	}
	if ((uint64_t)n * elt > len) {
		IVSH_LOG(ERR, dev, "pool %s: %u buffers of %u bytes need %" PRIu64 " bytes, the pool area has %" PRIu64 ": make the region larger (size=)",
				name, n, elt, (uint64_t)n * elt, len);
		rte_errno = ENOSPC;
		return NULL;
	}
	ext = (struct rte_pktmbuf_extmem){
		.buf_ptr = base,
		/* not DPDK memory: no IOVA (a device that does DMA needs a
		 * copy, as for zero-copy RX) */
		.buf_iova = RTE_BAD_IOVA,
		.buf_len = (size_t)n * elt,
		.elt_size = (uint16_t)elt,
	};
	pthread_mutex_lock(&made_lock);
	if (made[port_id].mp != NULL &&
			rte_mempool_lookup(made[port_id].name) == made[port_id].mp) {
		IVSH_LOG(ERR, dev, "pool %s: the pool area already holds pool %s: one pool per port (free it first)",
				name, made[port_id].name);
		pthread_mutex_unlock(&made_lock);
		rte_errno = EBUSY;
		return NULL;
	}
	mp = rte_pktmbuf_pool_create_extbuf(name, n, cache_size, priv_size,
			data_room_size, dev->data->numa_node, &ext, 1);
	if (mp == NULL) {
		IVSH_LOG(ERR, dev, "pool %s: rte_pktmbuf_pool_create_extbuf: %s",
				name, rte_strerror(rte_errno));
	} else {
		made[port_id].mp = mp;
		strlcpy(made[port_id].name, mp->name, sizeof(made[port_id].name));
	}
	pthread_mutex_unlock(&made_lock);
	return mp;
}
