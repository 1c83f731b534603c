/* SPDX-License-Identifier: BSD-3-Clause */
/* Zero-copy RX bookkeeping: see ivshmem_zc.h. */
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "ivshmem_logs.h"
#include "ivshmem_zc.h"

#define ZC_MP_OPS	"ivshmem_zc"

#define ZC_LOG(level, port, queue, fmt, ...) \
	rte_log(RTE_LOG_ ## level, ivsh_logtype_driver, \
		"net_ivshmem port %u RX queue %u: " fmt "\n", port, queue, ## __VA_ARGS__)

/*
 * The slots' mempool operations. A put is the application freeing lent
 * mbufs, on any lcore: only hand their ids to the RX lcore. Nothing gets
 * an mbuf from the pool: the RX lcore takes a buffer's mbuf by its id.
 */
static int
zc_mp_alloc(struct rte_mempool *mp)
{
	mp->pool_data = mp->pool_config;	/* the struct ivsh_zc */
	return 0;
}

static void
zc_mp_free(struct rte_mempool *mp __rte_unused)
{
}

static int
zc_mp_put(struct rte_mempool *mp, void * const *objs, unsigned int n)
{
	struct ivsh_zc *zc = mp->pool_data;
	uint32_t e;

	/* rte_mempool_populate_default puts every object in once */
	if (unlikely(!zc->armed))
		return 0;
	/* acq_rel: see struct ivsh_zc */
	e = __atomic_fetch_add(&zc->ftail, n, __ATOMIC_ACQ_REL);
	for (unsigned int i = 0; i < n; i++) {
		const struct rte_mbuf *m = objs[i];
		const struct ivsh_zc_slot *slot =
			container_of(m->shinfo, struct ivsh_zc_slot, shinfo);

		/* pairs with the load-acquire in ivsh_zc_next_freed */
		__atomic_store_n(&zc->fring[(e + i) & zc->fmask], slot->id + 1,
				__ATOMIC_RELEASE);
	}
	return 0;
}

static int
zc_mp_get(struct rte_mempool *mp __rte_unused, void **objs __rte_unused,
		unsigned int n __rte_unused)
{
	return -ENOBUFS;
}

static unsigned int
zc_mp_count(const struct rte_mempool *mp __rte_unused)
{
	return 0;
}

static const struct rte_mempool_ops zc_mp_ops = {
	.name = ZC_MP_OPS,
	.alloc = zc_mp_alloc,
	.free = zc_mp_free,
	.enqueue = zc_mp_put,
	.dequeue = zc_mp_get,
	.get_count = zc_mp_count,
};

RTE_MEMPOOL_REGISTER_OPS(zc_mp_ops);

/*
 * A clone (rte_pktmbuf_attach) outlived the buffer's mbuf, whose free
 * left it to this, the last reference: what DPDK does for a pinned
 * external buffer (the mbuf back to its pool, as its free would have).
 */
static void
zc_clone_free(void *addr __rte_unused, void *opaque)
{
	struct rte_mbuf *m = opaque;

	rte_mbuf_ext_refcnt_set(m->shinfo, 1);
	rte_mbuf_refcnt_set(m, 1);
	m->ol_flags = RTE_MBUF_F_EXTERNAL;
	m->next = NULL;
	m->nb_segs = 1;
	rte_mbuf_raw_free(m);
}

/* Each object of the mempool, in order: the mbuf of slot i. */
static void
zc_mbuf_init(struct rte_mempool *mp, void *arg, void *obj, unsigned int i)
{
	struct ivsh_zc *zc = arg;
	struct ivsh_zc_slot *slot = &zc->slot[i];
	struct rte_mbuf *m = obj;

	rte_pktmbuf_init(mp, NULL, m, i);
	m->buf_iova = RTE_BAD_IOVA;
	m->buf_len = 0;
	m->ol_flags = RTE_MBUF_F_EXTERNAL;
	m->shinfo = &slot->shinfo;
	slot->m = m;
	slot->id = i;
	slot->shinfo.free_cb = zc_clone_free;
	slot->shinfo.fcb_opaque = m;
	rte_mbuf_ext_refcnt_set(&slot->shinfo, 1);
}

struct ivsh_zc *
ivsh_zc_create(uint32_t n, int socket, const struct rte_mempool *app_mp, uint16_t port,
		uint16_t queue)
{
	static uint32_t serial;
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = 0,
		.mbuf_priv_size = rte_pktmbuf_priv_size((struct rte_mempool *)(uintptr_t)app_mp),
		.flags = RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF,
	};
	char name[RTE_MEMPOOL_NAMESIZE];
	struct ivsh_zc *zc;
	int ret;

	if (!rte_is_power_of_2(n)) {
		ZC_LOG(ERR, port, queue, "%u zero-copy buffers, not a power of 2",
				n);
		return NULL;
	}
	zc = rte_zmalloc_socket("ivshmem_zc", sizeof(*zc) + n * sizeof(zc->slot[0]) +
			n * sizeof(zc->freed[0]), RTE_CACHE_LINE_SIZE, socket);
	if (zc == NULL) {
		ZC_LOG(ERR, port, queue, "out of memory on socket %d for zero-copy bookkeeping",
				socket);
		return NULL;
	}
	zc->n = n;
	zc->port = port;
	zc->priv_size = priv.mbuf_priv_size;
	zc->fmask = n - 1;
	zc->freed = (uint32_t *)&zc->slot[n];
	zc->fring = zc->freed;
	snprintf(name, sizeof(name), "ivzc_%u_%u_%u", port, queue,
			__atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	zc->mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + priv.mbuf_priv_size,
			0, sizeof(priv), socket, 0);
	if (zc->mp == NULL) {
		ZC_LOG(ERR, port, queue, "no mempool of %u mbuf headers on socket %d for zero-copy: %s",
				n, socket, rte_strerror(rte_errno));
		rte_free(zc);
		return NULL;
	}
	rte_pktmbuf_pool_init(zc->mp, &priv);
	ret = rte_mempool_set_ops_byname(zc->mp, ZC_MP_OPS, zc);
	if (ret != 0) {
		ZC_LOG(ERR, port, queue, "mempool operations \"%s\" not registered (DPDK has room for %d): %s",
				ZC_MP_OPS, RTE_MEMPOOL_MAX_OPS_IDX, rte_strerror(-ret));
		goto fail;
	}
	ret = rte_mempool_populate_default(zc->mp);
	if (ret < 0 || (uint32_t)ret != n) {
		ZC_LOG(ERR, port, queue, "out of memory on socket %d for %u zero-copy mbuf headers",
				socket, n);
		goto fail;
	}
	rte_mempool_obj_iter(zc->mp, zc_mbuf_init, zc);
	zc->armed = true;
	return zc;
fail:
	rte_mempool_free(zc->mp);
	rte_free(zc);
	return NULL;
}

uint64_t
ivsh_zc_destroy(struct ivsh_zc *zc, struct ivr_rx *q, unsigned int wait_ms)
{
	uint32_t drop[64];
	uint64_t held;

	for (unsigned int ms = 0; ; ms++) {
		if (q != NULL && ivsh_zc_take_back(zc, q) != 0)
			ivr_rx_flush(q);
		/* detached: the part is not ours to write any more */
		while (q == NULL && ivsh_zc_next_freed(zc, drop, RTE_DIM(drop)) != 0)
			;
		held = ivsh_zc_held(zc);
		if (held == 0 || ms >= wait_ms)
			break;
		rte_delay_us_sleep(1000);
	}
	if (held != 0)
		return held;
	rte_mempool_free(zc->mp);
	rte_free(zc);
	return 0;
}
