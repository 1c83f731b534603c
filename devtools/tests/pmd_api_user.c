/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A user of net_ivshmem's private API, as test_install.sh compiles it:
 * against the installed rte_pmd_ivshmem.h and DPDK's pkg-config flags,
 * nothing of the source tree. Programs that use the API load the plugin
 * with -d and look the functions up with dlsym (app/test-ivshmem/txpool.c);
 * the pointer types written out here are what such a program relies on,
 * so a prototype that changes stops this file from compiling. Compiled,
 * never linked: the functions are in the plugin.
 */
#include <stdint.h>

#include <rte_pmd_ivshmem.h>

typedef struct rte_mempool *(*pool_create_fn)(uint16_t port_id, const char *name,
		unsigned int n, unsigned int cache_size, uint16_t priv_size,
		uint16_t data_room_size);
typedef int64_t (*pool_room_fn)(uint16_t port_id);

_Static_assert(__builtin_types_compatible_p(typeof(&rte_pmd_ivshmem_pool_create),
		pool_create_fn), "rte_pmd_ivshmem_pool_create: another prototype");
_Static_assert(__builtin_types_compatible_p(typeof(&rte_pmd_ivshmem_pool_room),
		pool_room_fn), "rte_pmd_ivshmem_pool_room: another prototype");

/* Both taken by address: the object names the symbols that the plugin
 * must define (the test compares them with its dynamic symbols). */
struct api_user {
	pool_create_fn create;
	pool_room_fn room;
};

const struct api_user api_user = {
	.create = rte_pmd_ivshmem_pool_create,
	.room = rte_pmd_ivshmem_pool_room,
};
