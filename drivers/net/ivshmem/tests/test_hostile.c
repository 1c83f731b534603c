/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile peer against a port that lends what it receives (zero_copy=yes,
 * rx_copy_break=0: every frame it can lend, it lends) and sends from a pool
 * in its own part (pool TX). Built with ASan in CI, where a read or write
 * outside what the port owns stops the test.
 *
 * One net_ivshmem port over a shm file; this process also maps the file and
 * is the peer, through the ring library and by writing the region itself,
 * so each step happens when it says. Towards the port's RX (we produce):
 *   1. Bad descriptors among good frames: an offset below the producer's
 *      data area and one at its end, a length that crosses the end, a
 *      length of 0, one above the largest frame, a chain with a bad
 *      segment. Each is counted (bad_desc) and its buffers come back; a
 *      good offset under an id that is no buffer of ours is copied, not
 *      lent (zc_copied). The good frames arrive intact and in order.
 *   2. Descriptors and buffers rewritten after the port lent the frames:
 *      the mbufs keep the offset and length read once (the bytes are the
 *      peer's: they read as rewritten), nothing is read again from the
 *      ring, and each buffer comes back once, under its own id.
 *   3. An id published again while the application holds its mbuf: that
 *      frame is copied, the held mbuf is untouched, and the id comes back
 *      twice (the second is the producer's bad_ret, its own doing).
 * Towards the port's pool TX (we consume, and lend):
 *   4. Returns of an id twice, of ids out of range, and of ids never sent:
 *      counted (bad_ret), and each pool mbuf is freed once, when its own id
 *      comes back.
 *   5. A return index far past what was sent: counted (bad_index),
 *      nothing freed.
 *   6. Ids never returned, then the consumer restarts: the port takes them
 *      back (pool_reclaimed) and every pool mbuf is in the pool again.
 * Meanwhile rte_eth_tx_descriptor_status says FULL for descriptors the
 * consumer has not read, DONE for those it has, and DONE for all once it
 * has left.
 * Last, the port closes while the application holds a lent mbuf: the
 * region stays mapped for it (its bytes are read after the close), and its
 * free after the close is harmless. The application's pool (no per-lcore
 * cache) gives out each of its mbufs once at the end: none lost, none
 * twice.
 *
 * Usage: test_hostile PLUGIN.so
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "ivr_queue.h"
#include "ivshmem_ring.h"
#include "rte_pmd_ivshmem.h"
#include "t_helpers.h"
#include "t_peer.h"

#define RING		256
#define POOL		511	/* mbufs of the application's pool */
#define TXPOOL		511	/* mbufs of the port's pool TX pool */
#define BURST		32
#define FRAME		1000	/* bytes: above any copy break */
#define SENT		8	/* pool frames the consumer holds in step 4 */

static struct rte_mempool *pool;

/* A descriptor as the peer may write it: any offset, length, id, flags. */
static uint64_t
word(uint32_t off, uint32_t len, uint32_t idf)
{
	return (uint64_t)(idf & 0xffff) << 48 | (uint64_t)(len & 0xffff) << 32 | off;
}

/* One descriptor more in our ring, published by the caller. */
static void
raw(struct ivr_tx *t, uint64_t w)
{
	ivr_write_once64((uint64_t *)&t->ring[t->prod & t->mask], w);
	t->prod++;
	t->slots--;
}

/* A good frame of FRAME bytes of value v, in one of our buffers; its id. */
static uint32_t
good(struct ivr_tx *t, uint8_t v)
{
	uint32_t id = ivr_tx_buf_get(t);

	memset(ivr_tx_buf(t, id), v, FRAME);
	ivr_tx_push(t, id, FRAME, 0);
	return id;
}

/* Whether frame m is len bytes, each of value v. */
static bool
intact(const struct rte_mbuf *m, uint32_t len, uint8_t v)
{
	uint32_t n = 0;

	if (m->pkt_len != len)
		return false;
	for (; m != NULL; m = m->next)
		for (uint16_t i = 0; i < m->data_len; i++, n++)
			if (rte_pktmbuf_mtod(m, const uint8_t *)[i] != v)
				return false;
	return n == len;
}

/* A burst that delivers nothing, after which the producer looks at what
 * came back: the port takes freed buffers back at each burst. */
static void
take_back(struct ivr_tx *t)
{
	struct rte_mbuf *pkts[BURST];

	T_CHECK(rte_eth_rx_burst(0, 0, pkts, BURST) == 0, "nothing more to receive");
	ivr_tx_refresh(t);
}

/* A pool TX frame of FRAME bytes of value v, given to the port: whether
 * it took it (not before its TX session). */
static bool
pool_send(struct rte_mempool *txpool, uint8_t v)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(txpool);

	T_CHECK(m != NULL && rte_pktmbuf_append(m, FRAME) != NULL, "a pool TX mbuf");
	memset(rte_pktmbuf_mtod(m, uint8_t *), v, FRAME);
	if (rte_eth_tx_burst(0, 0, &m, 1) == 1)
		return true;
	rte_pktmbuf_free(m);
	return false;
}

/* Everything the port sent us, lent: ids appended to ids[*n], each
 * frame checked. Whether the burst ended in session (not before it). */
static bool
pool_receive(struct ivr_rx *q, uint32_t *ids, uint32_t *n)
{
	struct ivr_frame f;
	uint32_t got = 0;

	ivr_rx_begin(q);
	while (ivr_rx_lend(q, &f)) {
		T_CHECK(f.nseg == 1 && f.len == FRAME && f.seg[0].data[FRAME - 1] ==
			f.seg[0].data[0], "a pool frame of %u bytes", FRAME);
		ids[(*n)++] = f.seg[0].id;
		got++;
	}
	return ivr_rx_end(q, got);
}

/* Whether id is one of ids[0..n). */
static bool
among(const uint32_t *ids, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The consumer writes return entries as it pleases. */
static void
ret_raw(struct ivr_rx *q, uint32_t id)
{
	ivr_write_once32(&q->ret[q->rprod & q->mask], id);
	q->rprod++;
}

/* rte_pmd_ivshmem_pool_create, from the plugin EAL loaded. */
static struct rte_mempool *
make_txpool(const char *plugin)
{
	typeof(&rte_pmd_ivshmem_pool_create) create;
	void *h = dlopen(plugin, RTLD_NOW | RTLD_NOLOAD);

	T_CHECK(h != NULL, "the plugin is loaded: %s", plugin);
	create = (typeof(create))dlsym(h, "rte_pmd_ivshmem_pool_create");
	T_CHECK(create != NULL, "rte_pmd_ivshmem_pool_create found");
	return create(0, "hostile_tx", TXPOOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
}

int
main(int argc, char **argv)
{
	char shm[256], vdev[400];
	struct rte_mbuf *pkts[BURST], *kept;
	struct ivr_config cfg = { .n_queues = 1, .ring_size = RING, .buf_size = 2048,
		.max_frame = 1518, .mac = { 2, 0, 0, 0, 0, 9 },
		.doorbell_id = IVR_NO_DOORBELL, .rx_flags = IVR_RXF_LEND };
	uint32_t n2 = 2 * RING, lo, hi, held[RING], n_held = 0;
	struct rte_mempool *txpool;
	struct t_peer peer;
	struct ivr_tx *ht;
	struct ivr_rx rx;
	uint16_t n;

	t_init("test_hostile");
	if (getenv("IVSHMEM_TEST_SKIP") != NULL)
		t_skip("%s", getenv("IVSHMEM_TEST_SKIP"));
	if (argc != 2)
		t_fail("usage: test_hostile PLUGIN.so");
	t_tmppath(shm, sizeof(shm), "hostile.shm");
	/* the heartbeat of this peer never moves: no timeout meanwhile */
	snprintf(vdev, sizeof(vdev),
		"net_ivshmem0,shm=%s,queues=1,ring_size=%u,size=16M,peer_timeout_ms=60000,zero_copy=yes,rx_copy_break=0",
		shm, RING);
	t_port_eal(argv[0], argv[1], vdev);
	pool = t_port_start("hostile", POOL);
	txpool = make_txpool(argv[1]);
	T_CHECK(txpool != NULL, "pool TX pool of %u (%s)", TXPOOL,
		txpool == NULL ? rte_strerror(rte_errno) : "made");

	/* The peer: the other slot of the port's file. */
	t_peer_attach(&peer, shm, &cfg);
	ht = calloc(1, ivr_tx_size(RING));
	T_CHECK(ht != NULL, "producer queue");
	ivr_tx_init(ht, &peer.r, 0);
	ivr_rx_init(&rx, &peer.r, 0);
	/* our data area as the port checks it */
	lo = (uint32_t)peer.r.lay.data_off;
	hi = (uint32_t)RTE_MIN(peer.r.part_size, (uint64_t)IVR_MAX_PART);

	/* Sessions both ways: each side names the other's epoch at its
	 * next burst, and answers at the one after. A pool frame through
	 * says the port's TX side is done. */
	for (int i = 0, sent = 0; i < 1000 && (ivr_tx_space(ht, 1) == 0 || n_held == 0); i++) {
		T_CHECK(rte_eth_rx_burst(0, 0, pkts, BURST) == 0, "nothing to receive yet");
		if (!sent)
			sent = pool_send(txpool, 0x11);
		pool_receive(&rx, held, &n_held);
		usleep(1000);
	}
	T_CHECK(ivr_tx_space(ht, 1) != 0 && n_held == 1, "sessions both ways (%u pool frame)",
		n_held);
	T_EXPECT(t_xstat("tx_q0_pool_descs") == 1, "the pool frame went by reference (%" PRIu64 ")",
		t_xstat("tx_q0_pool_descs"));

	/* ---- 1. bad descriptors among good frames ---- */
	{
		static const uint8_t want[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		uint32_t bogus = n2 + 3;
		uint64_t bad_ret = ht->st.bad_ret;
		uint32_t id, k = 0;

		T_CHECK(ivr_tx_space(ht, 24) >= 24, "room for the step");
		good(ht, want[k++]);
		raw(ht, word(0, 64, ivr_tx_buf_get(ht)));			/* header */
		good(ht, want[k++]);
		raw(ht, word(hi, 64, ivr_tx_buf_get(ht)));			/* at the end */
		good(ht, want[k++]);
		raw(ht, word(hi - 32, 64, ivr_tx_buf_get(ht)));			/* crosses it */
		good(ht, want[k++]);
		raw(ht, word(lo, 0, ivr_tx_buf_get(ht)));			/* empty */
		good(ht, want[k++]);
		raw(ht, word(lo, 65535, ivr_tx_buf_get(ht)));			/* too long */
		good(ht, want[k++]);
		/* a chain whose middle segment points at the header */
		id = ivr_tx_buf_get(ht);
		raw(ht, word((uint32_t)(ivr_tx_buf(ht, id) - ht->part), 64, id | IVR_DESC_NEXT));
		raw(ht, word(0, 64, ivr_tx_buf_get(ht) | IVR_DESC_NEXT));
		raw(ht, word(lo, 64, ivr_tx_buf_get(ht)));
		good(ht, want[k++]);
		/* a good buffer under an id that is none of ours: copied */
		id = ivr_tx_buf_get(ht);
		memset(ivr_tx_buf(ht, id), want[k], FRAME);
		raw(ht, word((uint32_t)(ivr_tx_buf(ht, id) - ht->part), FRAME, bogus));
		k++;
		/* 7 good, 5 bad, a chain of 3, the foreign id */
		ivr_tx_publish(ht, 7 + 5 + 3 + 1);
		n = rte_eth_rx_burst(0, 0, pkts, BURST);
		T_EXPECT(n == k, "the %u good frames arrive (%u)", k, n);
		for (uint16_t i = 0; i < n && i < k; i++)
			T_EXPECT(intact(pkts[i], FRAME, want[i]), "frame %u: %u bytes of %u", i,
				FRAME, want[i]);
		T_EXPECT(t_xstat("rx_q0_bad_desc") == 6, "6 bad frames counted (%" PRIu64 ")",
			t_xstat("rx_q0_bad_desc"));
		T_EXPECT(t_xstat("rx_q0_zc_copied") == 1 && n == k && pkts[k - 1]->pool == pool &&
			RTE_MBUF_DIRECT(pkts[k - 1]),
			"the frame under a foreign id copied into an mbuf of the pool (%" PRIu64 ")",
			t_xstat("rx_q0_zc_copied"));
		for (uint16_t i = 0; i + 1 < n; i++)
			T_EXPECT(RTE_MBUF_HAS_EXTBUF(pkts[i]) && pkts[i]->pool != pool,
				"frame %u lent", i);
		rte_pktmbuf_free_bulk(pkts, n);
		take_back(ht);
		T_EXPECT(ivr_tx_out(ht) == 0,
			"a return for every descriptor, the bad frames' too (%u not returned)",
			ivr_tx_out(ht));
		T_EXPECT(ht->st.bad_ret == bad_ret + 1,
			"the foreign id came back as such: one bad return (%" PRIu64 ")",
			ht->st.bad_ret - bad_ret);
	}

	/* ---- 2. descriptors and buffers rewritten after the lend ---- */
	{
		uint32_t ids[4], lens[4], slot = ht->prod;
		uint64_t bad_ret = ht->st.bad_ret, bad = t_xstat("rx_q0_bad_desc");
		void *addr[4];

		T_CHECK(ivr_tx_space(ht, 4) >= 4, "room for 4 frames");
		for (int i = 0; i < 4; i++)
			ids[i] = good(ht, (uint8_t)(0x40 + i));
		ivr_tx_publish(ht, 4);
		n = rte_eth_rx_burst(0, 0, pkts, BURST);
		T_CHECK(n == 4, "4 frames lent (%u)", n);
		for (int i = 0; i < 4; i++) {
			addr[i] = rte_pktmbuf_mtod(pkts[i], void *);
			lens[i] = pkts[i]->data_len;
			ivr_write_once64((uint64_t *)&ht->ring[(slot + i) & ht->mask],
				word(0, 65535, 0x7fff | IVR_DESC_NEXT));
			memset(ivr_tx_buf(ht, ids[i]), 0xee, 2048);
		}
		for (int i = 0; i < 4; i++)
			T_EXPECT(rte_pktmbuf_mtod(pkts[i], void *) == addr[i] && lens[i] == FRAME &&
				pkts[i]->pkt_len == FRAME && intact(pkts[i], FRAME, 0xee),
				"frame %d: where and how long as read once; its bytes the peer's", i);
		T_CHECK(rte_eth_rx_burst(0, 0, pkts + 4, BURST - 4) == 0, "the ring is not read again");
		T_EXPECT(t_xstat("rx_q0_bad_desc") == bad, "no bad descriptor more");
		rte_pktmbuf_free_bulk(pkts, 4);
		take_back(ht);
		T_EXPECT(ivr_tx_out(ht) == 0 && ht->st.bad_ret == bad_ret,
			"each buffer back once under its own id (%u out, %" PRIu64 " bad returns)",
			ivr_tx_out(ht), ht->st.bad_ret - bad_ret);
	}

	/* ---- 3. an id again while its mbuf is held ---- */
	{
		uint64_t bad_ret = ht->st.bad_ret, copied = t_xstat("rx_q0_zc_copied");
		struct rte_mbuf *m1;
		uint32_t id, off;
		void *addr;

		T_CHECK(ivr_tx_space(ht, 2) >= 2, "room for 2 frames");
		id = good(ht, 0x61);
		ivr_tx_publish(ht, 1);
		T_CHECK(rte_eth_rx_burst(0, 0, &m1, 1) == 1, "a frame lent");
		addr = rte_pktmbuf_mtod(m1, void *);
		off = (uint32_t)(ivr_tx_buf(ht, id) - ht->part);
		raw(ht, word(off, FRAME / 2, id));
		ivr_tx_publish(ht, 1);
		n = rte_eth_rx_burst(0, 0, pkts, BURST);
		T_EXPECT(n == 1 && pkts[0] != m1 && pkts[0]->pool == pool &&
			pkts[0]->pkt_len == FRAME / 2 && intact(pkts[0], FRAME / 2, 0x61),
			"the frame naming a held id copied into an mbuf of the pool (%u)", n);
		T_EXPECT(t_xstat("rx_q0_zc_copied") == copied + 1, "counted as copied");
		T_EXPECT(rte_pktmbuf_mtod(m1, void *) == addr && m1->pkt_len == FRAME &&
			m1->nb_segs == 1 && m1->next == NULL && intact(m1, FRAME, 0x61),
			"the held mbuf untouched");
		rte_pktmbuf_free_bulk(pkts, n);
		rte_pktmbuf_free(m1);
		take_back(ht);
		T_EXPECT(ivr_tx_out(ht) == 0 && ht->st.bad_ret == bad_ret + 1,
			"the id came back twice: once at the copy, once at the free, the second a bad return (%u out, %" PRIu64 ")",
			ivr_tx_out(ht), ht->st.bad_ret - bad_ret);
		T_EXPECT(t_xstat("rx_q0_zc_held") == 0, "nothing held (%" PRIu64 ")",
			t_xstat("rx_q0_zc_held"));
	}
	t_pool_whole(pool, POOL, "after the hostile producer");

	/* one lent frame, held to the end: the port closes under it */
	T_CHECK(ivr_tx_space(ht, 1) >= 1, "room for a frame");
	good(ht, 0x77);
	ivr_tx_publish(ht, 1);
	T_CHECK(rte_eth_rx_burst(0, 0, &kept, 1) == 1 && RTE_MBUF_HAS_EXTBUF(kept),
		"a frame lent, held to the end");

	/* ---- 4. returns twice, out of range, never sent ---- */
	{
		uint32_t spare_ext = RING, copy_id = 5;
		uint64_t avail;

		for (int i = 1; i < SENT; i++)
			T_CHECK(pool_send(txpool, (uint8_t)(0x20 + i)), "pool frame %d sent", i);
		/* descriptor status: the SENT - 1 not read yet FULL, the one
		 * before DONE; all DONE once read */
		T_EXPECT(rte_eth_tx_descriptor_status(0, 0, RING - 1) == RTE_ETH_TX_DESC_FULL &&
			rte_eth_tx_descriptor_status(0, 0, RING - (SENT - 1)) ==
				RTE_ETH_TX_DESC_FULL &&
			rte_eth_tx_descriptor_status(0, 0, RING - SENT) == RTE_ETH_TX_DESC_DONE,
			"TX descriptor status: the %u unread FULL, the one before DONE", SENT - 1);
		T_CHECK(pool_receive(&rx, held, &n_held), "the consumer's burst in session");
		T_EXPECT(rte_eth_tx_descriptor_status(0, 0, RING - 1) == RTE_ETH_TX_DESC_DONE,
			"TX descriptor status: DONE once the consumer read them");
		T_CHECK(n_held == SENT, "%u pool frames held by the consumer", SENT);
		for (uint32_t i = 0; i < n_held; i++)
			T_CHECK(held[i] >= RING && held[i] < n2, "pool id %u in the pool range",
				held[i]);
		/* an id of the pool range that is not out */
		while (among(held, n_held, spare_ext))
			spare_ext++;
		avail = rte_mempool_avail_count(txpool);
		T_EXPECT(avail == TXPOOL - SENT, "%u pool mbufs out (%" PRIu64 " in the pool)",
			SENT, avail);
		ret_raw(&rx, held[0]);
		ret_raw(&rx, held[0]);
		ret_raw(&rx, n2 + 5);
		ret_raw(&rx, UINT32_MAX);
		ret_raw(&rx, spare_ext);
		ret_raw(&rx, copy_id);
		ivr_rx_flush(&rx);
		held[0] = held[--n_held];
		rte_eth_tx_done_cleanup(0, 0, 0);
		T_EXPECT(t_xstat("tx_q0_bad_ret") == 5,
			"the second return, two ids out of range and two never sent: 5 bad returns (%" PRIu64 ")",
			t_xstat("tx_q0_bad_ret"));
		avail = rte_mempool_avail_count(txpool);
		T_EXPECT(avail == TXPOOL - n_held && t_xstat("tx_q0_pool_held") == n_held,
			"one pool mbuf freed, once (%" PRIu64 " in the pool, %" PRIu64 " held)",
			avail, t_xstat("tx_q0_pool_held"));
	}

	/* ---- 5. a return index far ahead ---- */
	{
		uint64_t bad_index = t_xstat("tx_q0_bad_index");

		ivr_store_release32(&rx.ctl->rx.rprod, rx.rprod + 4 * RING);
		rte_eth_tx_done_cleanup(0, 0, 0);
		T_EXPECT(t_xstat("tx_q0_bad_index") > bad_index &&
			rte_mempool_avail_count(txpool) == TXPOOL - n_held,
			"a return index %u ahead: counted, nothing freed (%" PRIu64 " in the pool)",
			4 * RING, (uint64_t)rte_mempool_avail_count(txpool));
		ivr_store_release32(&rx.ctl->rx.rprod, rx.rprod);
	}

	/* ---- 6. never returned; the consumer restarts ---- */
	{
		uint64_t deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

		T_EXPECT(t_xstat("tx_q0_pool_held") == n_held, "%u pool buffers held (%" PRIu64 ")",
			n_held, t_xstat("tx_q0_pool_held"));
		/* and one frame the consumer never reads: out too */
		T_CHECK(pool_send(txpool, 0x66), "a pool frame sent, never read");
		T_EXPECT(rte_eth_tx_descriptor_status(0, 0, RING - 1) == RTE_ETH_TX_DESC_FULL,
			"TX descriptor status: that one FULL");
		n_held++;
		ivr_detach(&peer.r);
		T_EXPECT(rte_eth_tx_descriptor_status(0, 0, RING - 1) == RTE_ETH_TX_DESC_DONE,
			"TX descriptor status: DONE once the consumer has left, before any burst");
		T_CHECK(ivr_attach(&peer.r, peer.base, peer.size, &cfg, NULL) == 0,
			"peer attached again: %s", peer.r.errmsg);
		ivr_set_running(&peer.r, true);
		ivr_rx_init(&rx, &peer.r, 0);
		/* until the port's TX sees the new consumer (its refresh) */
		while (rte_mempool_avail_count(txpool) != TXPOOL &&
				rte_get_timer_cycles() < deadline) {
			ivr_rx_begin(&rx);
			ivr_rx_end(&rx, 0);
			rte_eth_tx_done_cleanup(0, 0, 0);
			usleep(1000);
		}
		T_EXPECT(rte_mempool_avail_count(txpool) == TXPOOL &&
			t_xstat("tx_q0_pool_reclaimed") == n_held && t_xstat("tx_q0_pool_held") == 0,
			"the port took back the %u never returned (%" PRIu64 " reclaimed, %u in the pool)",
			n_held, t_xstat("tx_q0_pool_reclaimed"), rte_mempool_avail_count(txpool));
	}

	/* ---- the port closes while the application holds a lent mbuf ---- */
	T_EXPECT(rte_eth_dev_stop(0) == 0 && rte_eth_dev_close(0) == 0, "port closed");
	/* (our restart rewrote our part's control lines and rings, not its
	 * buffers) */
	T_EXPECT(intact(kept, FRAME, 0x77), "the held mbuf's bytes still there after the close");
	rte_pktmbuf_free(kept);
	rte_mempool_free(txpool);
	t_pool_whole(pool, POOL, "at the end");

	free(ht);
	t_peer_close(&peer, shm);
	rte_eal_cleanup();
	return t_finish();
}
