/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A producer that changes its session word while our RX queue still has
 * frames of that session to read: the burst that reads them finds the
 * word changed at its end and drops every frame (stale), and each mbuf of
 * the burst goes back to its pool exactly once.
 *
 * One net_ivshmem port (copy mode, or zero_copy=yes lending every frame)
 * over a shm file; this process also maps the file and is the producer
 * through the ring library, so the order of events is ours to choose:
 *   1. the producer publishes 64 frames;
 *   2. rte_eth_rx_burst(32) reads the producer's index (64) and takes 32;
 *   3. the producer rewrites tx.sync, as a restarting or hostile one does;
 *   4. rte_eth_rx_burst(32) takes the other 32 without reading the index
 *      again, finds tx.sync changed and returns none: rx_q0_stale 32.
 * Between 2 and 3, a burst of 0 must take nothing (and not look at the
 * caller's array). Before 1, the pool runs dry while chained frames wait
 * (copy mode copies each into one mbuf; zero-copy lends them without
 * taking any mbuf of the pool, and loses and counts a frame it must copy
 * then), and, with zero-copy, clones of lent mbufs
 * outlive them or not: a buffer goes back when the last of the two goes.
 * At the end, with zero-copy, the queue is set up again while the
 * application holds one of its mbufs: with another private area size it
 * is refused, with the same it takes the held buffer back.
 * The application holds other mbufs of the pool meanwhile, as a
 * forwarding one does: a full pool would refuse an mbuf put back twice.
 * Then every mbuf of the pool (no per-lcore cache) is taken: exactly its
 * size, each once. An mbuf freed twice would be in the pool twice.
 *
 * Usage: test_stale PLUGIN.so copy|zc
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "ivr_queue.h"
#include "ivshmem_ring.h"
#include "t_helpers.h"
#include "t_peer.h"

#define RING		256
#define POOL		511	/* mbufs */
#define BURST		32
#define FRAME		64
#define HELD		64	/* mbufs the application holds meanwhile */
#define CHAIN		3	/* descriptors per frame of the dry-pool step */
#define SEG		500
#define DRY		4	/* frames, and mbufs left in the pool, there */

static struct rte_mempool *pool;

/* The producer publishes n frames of FRAME bytes. */
static void
produce(struct ivr_tx *t, uint32_t n)
{
	T_CHECK(ivr_tx_space(t, n) >= n, "room for %u frames", n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = ivr_tx_buf_get(t);

		memset(ivr_tx_buf(t, id), 0x5a, FRAME);
		ivr_tx_push(t, id, FRAME, 0);
	}
	ivr_tx_publish(t, n);
}

/* The producer publishes n chains of CHAIN descriptors of SEG bytes. */
static void
produce_chains(struct ivr_tx *t, uint32_t n)
{
	T_CHECK(ivr_tx_space(t, n * CHAIN) >= n * CHAIN, "room for %u chains", n);
	for (uint32_t i = 0; i < n * CHAIN; i++) {
		uint32_t id = ivr_tx_buf_get(t);

		memset(ivr_tx_buf(t, id), 0x5b, SEG);
		ivr_tx_push(t, id, SEG, (i + 1) % CHAIN != 0 ? IVR_DESC_NEXT : 0);
	}
	ivr_tx_publish(t, n * CHAIN);
}

/* Sessions: the consumer names the producer's epoch (an RX burst), the
 * producer answers (its first ivr_tx_space), the consumer takes the
 * answer (the next burst). Each step waits for the other's. */
static void
session(struct ivr_tx *t)
{
	struct rte_mbuf *pkts[BURST];

	for (int i = 0; i < 1000 && ivr_tx_space(t, 1) == 0; i++) {
		T_CHECK(rte_eth_rx_burst(0, 0, pkts, BURST) == 0, "nothing to receive yet");
		usleep(1000);
	}
	T_CHECK(ivr_tx_space(t, 1) != 0, "producer session");
}

/* Every mbuf the pool holds, taken at once: POOL of them, none twice. */
static void
check_pool(const char *when)
{
	t_pool_whole(pool, POOL, when);
}

int
main(int argc, char **argv)
{
	char shm[256], vdev[400];
	struct rte_mbuf *pkts[BURST], *held[HELD], *kept;
	struct ivr_config cfg = { .n_queues = 1, .ring_size = RING, .buf_size = 2048,
		.max_frame = 1518, .mac = { 2, 0, 0, 0, 0, 9 },
		.doorbell_id = IVR_NO_DOORBELL };
	struct t_peer peer;
	struct ivr_tx *ht;
	uint16_t n = 0;
	bool zc;

	t_init("test_stale");
	if (getenv("IVSHMEM_TEST_SKIP") != NULL)
		t_skip("%s", getenv("IVSHMEM_TEST_SKIP"));
	if (argc != 3 || (strcmp(argv[2], "copy") != 0 && strcmp(argv[2], "zc") != 0))
		t_fail("usage: test_stale PLUGIN.so copy|zc");
	zc = strcmp(argv[2], "zc") == 0;
	t_tmppath(shm, sizeof(shm), "stale.shm");
	/* the heartbeat of this producer never moves: no timeout meanwhile */
	snprintf(vdev, sizeof(vdev),
		"net_ivshmem0,shm=%s,queues=1,ring_size=%u,peer_timeout_ms=60000%s",
		shm, RING, zc ? ",zero_copy=yes,rx_copy_break=0" : "");
	t_port_eal(argv[0], argv[1], vdev);
	pool = t_port_start("stale", POOL);
	T_EXPECT(rte_eth_tx_descriptor_status(0, 0, RING - 1) == RTE_ETH_TX_DESC_DONE,
		"TX descriptor status: nothing sent, the newest slot done");
	T_EXPECT(rte_eth_tx_descriptor_status(0, 0, RING) == -EINVAL,
		"TX descriptor status: an offset past the ring refused");

	/* The producer: the other slot of the port's file. */
	t_peer_attach(&peer, shm, &cfg);
	ht = calloc(1, ivr_tx_size(RING));
	T_CHECK(ht != NULL, "producer queue");
	ivr_tx_init(ht, &peer.r, 0);

	session(ht);

	/* The pool runs dry: DRY frames of CHAIN descriptors. Copy mode, the
	 * pool down to DRY mbufs, copies each frame into one mbuf. Zero-copy,
	 * the pool down to none, lends them all: each buffer has its own
	 * mbuf header, none comes from the pool. */
	{
		static struct rte_mbuf *dry[POOL];
		unsigned int hold = zc ? POOL : POOL - DRY;

		T_CHECK(rte_pktmbuf_alloc_bulk(pool, dry, hold) == 0,
			"the application holds %u of the pool's %u mbufs", hold, POOL);
		produce_chains(ht, DRY);
		n = rte_eth_rx_burst(0, 0, pkts, DRY);
		T_EXPECT(n == DRY && pkts[0]->pkt_len == CHAIN * SEG &&
			pkts[0]->nb_segs == (zc ? CHAIN : 1) &&
			*rte_pktmbuf_mtod_offset(rte_pktmbuf_lastseg(pkts[0]), uint8_t *,
				rte_pktmbuf_lastseg(pkts[0])->data_len - 1) == 0x5b,
			"%u frames of %u bytes, each in %u mbufs (%u)",
			DRY, CHAIN * SEG, zc ? CHAIN : 1, n);
		T_EXPECT(t_xstat("rx_q0_mbuf_alloc_fail") == 0, "no allocation failure (%" PRIu64 ")",
			t_xstat("rx_q0_mbuf_alloc_fail"));
		if (zc)
			T_EXPECT(t_xstat("rx_q0_zc_held") == DRY * CHAIN, "%u buffers lent (%" PRIu64 ")",
				DRY * CHAIN, t_xstat("rx_q0_zc_held"));
		rte_pktmbuf_free_bulk(pkts, n);
		/* zero-copy: the next burst takes the freed buffers back */
		T_CHECK(rte_eth_rx_burst(0, 0, pkts, BURST) == 0, "nothing more");
		ivr_tx_refresh(ht);
		T_EXPECT(ivr_tx_out(ht) == 0, "the producer has every buffer back (%u out)",
			ivr_tx_out(ht));
		/* Zero-copy, the pool still empty: a chain that names one
		 * buffer twice cannot be lent, and there is no mbuf to copy it
		 * into: lost and counted, both descriptors returned (the
		 * second return of the id is the producer's bad_ret). */
		if (zc) {
			uint64_t bad = ht->st.bad_ret;
			uint32_t id;

			T_CHECK(ivr_tx_space(ht, 2) >= 2, "room for a chain");
			id = ivr_tx_buf_get(ht);
			memset(ivr_tx_buf(ht, id), 0x5b, SEG);
			ivr_tx_push(ht, id, SEG, IVR_DESC_NEXT);
			ivr_tx_push(ht, id, SEG, 0);
			ivr_tx_publish(ht, 2);
			n = rte_eth_rx_burst(0, 0, pkts, BURST);
			T_EXPECT(n == 0 && t_xstat("rx_q0_mbuf_alloc_fail") == 1,
				"a chain naming one buffer twice, no mbuf: lost, one allocation failure (%u frames, %" PRIu64 ")",
				n, t_xstat("rx_q0_mbuf_alloc_fail"));
			ivr_tx_refresh(ht);
			T_EXPECT(ivr_tx_out(ht) == 0 && ht->st.bad_ret == bad + 1,
				"both descriptors returned (%u out, %" PRIu64 " bad returns)",
				ivr_tx_out(ht), ht->st.bad_ret - bad);
		}
		rte_pktmbuf_free_bulk(dry, hold);
		check_pool("after the dry pool");
	}

	/* Zero-copy: frame 0's clone outlives it, frame 1's does not; each
	 * buffer goes back once the last of the two is freed (the original,
	 * whose header is the buffer's own, and the clone, whose header is
	 * the application's). */
	if (zc) {
		struct rte_mbuf *c[2];

		produce(ht, 2);
		n = rte_eth_rx_burst(0, 0, pkts, 2);
		T_CHECK(n == 2, "two frames (%u)", n);
		for (int i = 0; i < 2; i++) {
			c[i] = rte_pktmbuf_clone(pkts[i], pool);
			T_CHECK(c[i] != NULL, "frame %d cloned", i);
		}
		rte_pktmbuf_free(pkts[0]);
		rte_pktmbuf_free(c[1]);
		T_CHECK(rte_eth_rx_burst(0, 0, pkts + 2, BURST) == 0, "nothing more");
		ivr_tx_refresh(ht);
		T_EXPECT(ivr_tx_out(ht) == 2 && t_xstat("rx_q0_zc_held") == 2 &&
			*rte_pktmbuf_mtod(c[0], uint8_t *) == 0x5a &&
			*rte_pktmbuf_mtod(pkts[1], uint8_t *) == 0x5a,
			"one reference each left: both buffers held (%u out)", ivr_tx_out(ht));
		rte_pktmbuf_free(c[0]);
		rte_pktmbuf_free(pkts[1]);
		T_CHECK(rte_eth_rx_burst(0, 0, pkts, BURST) == 0, "nothing more");
		ivr_tx_refresh(ht);
		T_EXPECT(ivr_tx_out(ht) == 0 && t_xstat("rx_q0_zc_held") == 0,
			"both back once the last references are freed (%u out)", ivr_tx_out(ht));
		check_pool("after the clones");
	}

	produce(ht, 2 * BURST);
	n = rte_eth_rx_burst(0, 0, pkts, BURST);
	T_CHECK(n == BURST, "first burst: %u of %u frames", n, 2 * BURST);
	for (uint16_t i = 0; i < n; i++)
		T_EXPECT(pkts[i]->pkt_len == FRAME &&
			*rte_pktmbuf_mtod(pkts[i], uint8_t *) == 0x5a, "frame %u intact", i);
	/* zero-copy: frame 0 held to the end (its header is not the pool's) */
	kept = zc ? pkts[0] : NULL;
	rte_pktmbuf_free_bulk(pkts + zc, n - zc);
	check_pool("before");
	/* A burst of 0 while frames wait takes nothing and allocates
	 * nothing, and never reads pkts[] (the caller's, unset). */
	pkts[0] = (struct rte_mbuf *)(uintptr_t)0x10;
	T_EXPECT(rte_eth_rx_burst(0, 0, pkts, 0) == 0, "a burst of 0 delivers nothing");
	check_pool("after a burst of 0");

	T_CHECK(rte_pktmbuf_alloc_bulk(pool, held, HELD) == 0, "the application holds %u mbufs",
		HELD);
	/* A new session word under the consumer's feet. */
	ivr_write_once64(&ht->ctl->tx.sync, ivr_read_once64(&ht->ctl->tx.sync) + 1);
	n = rte_eth_rx_burst(0, 0, pkts, BURST);
	T_EXPECT(n == 0, "the burst read after the change delivers nothing (%u)", n);
	T_EXPECT(t_xstat("rx_q0_stale") == BURST, "its %u frames counted stale (%" PRIu64 ")",
		BURST, t_xstat("rx_q0_stale"));
	rte_pktmbuf_free_bulk(held, HELD);
	check_pool("after the stale burst");

	/* Zero-copy: the queue set up again while the application holds
	 * one of its mbufs (kept after a 1 s wait), with a mempool whose
	 * private area differs: refused; with the first mempool: the held
	 * buffer is taken back when freed (returned, or stale if its
	 * session is over). */
	if (zc) {
		struct rte_mempool *other = rte_pktmbuf_pool_create("stale_priv", 63, 0, 64,
				RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
		T_CHECK(other != NULL, "a pool with a private area of 64 bytes");
		T_CHECK(rte_eth_dev_stop(0) == 0, "port stopped");
		T_EXPECT(rte_eth_rx_queue_setup(0, 0, 0, rte_socket_id(), NULL, other) == -EINVAL,
			"set up again with another private size: refused");
		T_CHECK(rte_eth_rx_queue_setup(0, 0, 0, rte_socket_id(), NULL, pool) == 0,
			"set up again with the first pool");
		T_CHECK(rte_eth_dev_start(0) == 0, "port started again");
		T_EXPECT(*rte_pktmbuf_mtod(kept, uint8_t *) == 0x5a, "the held frame intact");
		rte_pktmbuf_free(kept);
		/* taken back at the next burst */
		T_CHECK(rte_eth_rx_burst(0, 0, pkts, BURST) == 0, "nothing more");
		T_EXPECT(t_xstat("rx_q0_zc_held") == 0 && t_xstat("rx_q0_zc_returned") +
			t_xstat("rx_q0_zc_stale") == t_xstat("rx_q0_zc_lent"),
			"the held buffer taken back (%" PRIu64 " returned, %" PRIu64 " stale, of %" PRIu64 ")",
			t_xstat("rx_q0_zc_returned"), t_xstat("rx_q0_zc_stale"),
			t_xstat("rx_q0_zc_lent"));
		rte_mempool_free(other);
	}

	T_EXPECT(rte_eth_dev_stop(0) == 0 && rte_eth_dev_close(0) == 0, "port closed");
	free(ht);
	t_peer_close(&peer, shm);
	rte_eal_cleanup();
	return t_finish();
}
