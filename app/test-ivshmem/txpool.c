/* SPDX-License-Identifier: BSD-3-Clause */
#include <dlfcn.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "rte_pmd_ivshmem.h"
#include "txpool.h"

/* dl_iterate_phdr: the path of the loaded net_ivshmem plugin. */
static int
find_pmd(struct dl_phdr_info *info, size_t size __rte_unused, void *arg)
{
	if (strstr(info->dlpi_name, "librte_net_ivshmem") == NULL)
		return 0;
	*(const char **)arg = info->dlpi_name;
	return 1;
}

struct rte_mempool *
txpool_create(uint16_t port, const char *name, uint16_t buf_size,
		unsigned int want, unsigned int least, unsigned int cache,
		unsigned int *n, char *err, size_t errlen)
{
	typeof(&rte_pmd_ivshmem_pool_create) create = NULL;
	typeof(&rte_pmd_ivshmem_pool_room) room = NULL;
	const char *path = NULL;
	struct rte_mempool *mp;
	int64_t bytes;
	void *h;

	*n = 0;
	dl_iterate_phdr(find_pmd, &path);
	h = path != NULL ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
	if (h != NULL) {
		create = (typeof(create))dlsym(h, "rte_pmd_ivshmem_pool_create");
		room = (typeof(room))dlsym(h, "rte_pmd_ivshmem_pool_room");
	}
	if (create == NULL || room == NULL) {
		snprintf(err, errlen, "--tx-pool needs the net_ivshmem plugin loaded (-d librte_net_ivshmem.so)");
		return NULL;
	}
	bytes = room(port);
	if (bytes < 0) {
		snprintf(err, errlen, "--tx-pool: port %u is not a net_ivshmem port", port);
		return NULL;
	}
	*n = (unsigned int)RTE_MIN((uint64_t)bytes /
			RTE_ALIGN_CEIL((uint32_t)buf_size, 64), (uint64_t)want);
	if (*n < least) {
		snprintf(err, errlen, "--tx-pool: port %u's pool area (%" PRId64 " bytes) holds %u mbufs, fewer than the %u needed: give the port a larger region (size=)",
				port, bytes, *n, least);
		return NULL;
	}
	mp = create(port, name, *n, cache, 0, buf_size);
	if (mp == NULL)
		snprintf(err, errlen, "rte_pmd_ivshmem_pool_create: %s", rte_strerror(rte_errno));
	return mp;
}
