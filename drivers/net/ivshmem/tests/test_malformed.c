/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Malformed mbufs handed to rte_eth_tx_burst(): a pkt_len that does not
 * match the segments' data_len. The port sends what the segments hold, at
 * most pkt_len bytes, or drops a frame with no byte (tx_q0_oversize); it
 * never publishes a descriptor for a buffer it did not fill, nor more
 * descriptors than it counted: the receiver sees no bad descriptor, and
 * every good frame around them arrives intact and in order, ring after
 * ring.
 *
 * One net_ivshmem port over a shm file; this process also maps the file
 * and is the receiver through the ring library (it copies: buffers come
 * back by consumption, spec 5.5).
 *
 * Usage: test_malformed PLUGIN.so
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
#define ROUNDS		20	/* of RING / 2 frames: the ring wraps 10 times */

static struct rte_mempool *pool;

/* One segment of len bytes of value v. */
static struct rte_mbuf *
seg(uint16_t len, uint8_t v)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	T_CHECK(m != NULL && rte_pktmbuf_append(m, len) != NULL, "mbuf of %u bytes", len);
	memset(rte_pktmbuf_mtod(m, uint8_t *), v, len);
	return m;
}

/* Segments a (and b, if not NULL) chained, then pkt_len set to len. */
static struct rte_mbuf *
frame(struct rte_mbuf *a, struct rte_mbuf *b, uint32_t len)
{
	if (b != NULL)
		T_CHECK(rte_pktmbuf_chain(a, b) == 0, "chained");
	a->pkt_len = len;
	return a;
}

/* Everything waiting, as (length, first byte, uniform) per frame. */
static uint32_t
receive(struct ivr_rx *q, uint32_t *len, uint8_t *val, uint32_t max)
{
	struct ivr_frame f;
	uint32_t n = 0;

	ivr_rx_begin(q);
	while (n < max && ivr_rx_next(q, &f)) {
		uint8_t v = f.seg[0].data[0];

		for (uint32_t s = 0; s < f.nseg; s++)
			for (uint32_t i = 0; i < f.seg[s].len; i++)
				if (f.seg[s].data[i] != v)
					v = 0xee;
		len[n] = f.len;
		val[n++] = v;
	}
	T_CHECK(ivr_rx_end(q, n), "the burst ended in session");
	return n;
}

int
main(int argc, char **argv)
{
	static const uint32_t want_len[] = { 64, 64, 100, 64, 60 };
	static const uint8_t want_val[] = { 1, 2, 3, 4, 5 };
	char shm[256], vdev[400];
	struct ivr_config cfg = { .n_queues = 1, .ring_size = RING, .buf_size = 2048,
		.max_frame = 1518, .mac = { 2, 0, 0, 0, 0, 9 },
		.doorbell_id = IVR_NO_DOORBELL };
	struct rte_mbuf *pkts[RING];
	uint32_t len[RING], got = 0, bad = 0;
	uint8_t val[RING];
	struct t_peer peer;
	struct ivr_rx rx;
	uint16_t n;

	t_init("test_malformed");
	if (getenv("IVSHMEM_TEST_SKIP") != NULL)
		t_skip("%s", getenv("IVSHMEM_TEST_SKIP"));
	if (argc != 2)
		t_fail("usage: test_malformed PLUGIN.so");
	t_tmppath(shm, sizeof(shm), "malformed.shm");
	/* the heartbeat of this receiver never moves: no timeout meanwhile */
	snprintf(vdev, sizeof(vdev),
		"net_ivshmem0,shm=%s,queues=1,ring_size=%u,peer_timeout_ms=60000", shm, RING);
	t_port_eal(argv[0], argv[1], vdev);
	pool = t_port_start("malformed", 2047);

	/* The receiver: the other slot of the port's file. */
	t_peer_attach(&peer, shm, &cfg);
	ivr_rx_init(&rx, &peer.r, 0);

	/* Sessions: the receiver names the port's epoch, the port answers
	 * at its next burst; a frame through says both are done. */
	for (int i = 0; i < 1000 && got == 0; i++) {
		ivr_rx_begin(&rx);
		pkts[0] = seg(64, 0x77);
		if (rte_eth_tx_burst(0, 0, pkts, 1) != 1)
			rte_pktmbuf_free(pkts[0]);
		got = receive(&rx, len, val, RING);
		usleep(1000);
	}
	T_CHECK(got == 1 && len[0] == 64 && val[0] == 0x77, "a session: a frame through");

	/* good, no byte, good, more bytes than pkt_len, good, fewer */
	pkts[0] = frame(seg(64, 1), NULL, 64);
	pkts[1] = frame(seg(0, 9), seg(0, 9), 100);
	pkts[2] = frame(seg(64, 2), NULL, 64);
	pkts[3] = frame(seg(80, 3), seg(80, 3), 100);
	pkts[4] = frame(seg(64, 4), NULL, 64);
	pkts[5] = frame(seg(60, 5), NULL, 100);
	n = rte_eth_tx_burst(0, 0, pkts, 6);
	T_EXPECT(n == 6, "the burst taken whole (%u of 6)", n);
	got = receive(&rx, len, val, RING);
	T_EXPECT(got == 5, "five frames arrive (%u)", got);
	for (uint32_t i = 0; i < got && i < 5; i++)
		T_EXPECT(len[i] == want_len[i] && val[i] == want_val[i],
			"frame %u: %u bytes of %u (want %u of %u)", i, len[i], val[i],
			want_len[i], want_val[i]);
	T_EXPECT(t_xstat("tx_q0_oversize") == 1, "the frame with no byte dropped (%" PRIu64 ")",
		t_xstat("tx_q0_oversize"));

	/* then the ring wraps, with a malformed chain in every round */
	for (uint32_t r = 0; r < ROUNDS; r++) {
		uint32_t k = RING / 2;

		for (uint32_t i = 0; i < k; i++)
			pkts[i] = i == k / 2 ? frame(seg(0, 9), seg(0, 9), 300) :
				frame(seg(64, (uint8_t)(r + 1)), NULL, 64);
		n = rte_eth_tx_burst(0, 0, pkts, (uint16_t)k);
		T_CHECK(n == k, "round %u: taken whole (%u of %u)", r, n, k);
		got = receive(&rx, len, val, RING);
		for (uint32_t i = 0; i < got; i++)
			bad += len[i] != 64 || val[i] != r + 1;
		T_EXPECT(got == k - 1, "round %u: %u frames of %u", r, got, k - 1);
	}
	T_EXPECT(bad == 0, "every good frame intact (%u not)", bad);
	T_EXPECT(rx.st.bad_desc == 0 && rx.st.bad_index == 0,
		"no bad descriptor or index at the receiver (%" PRIu64 ", %" PRIu64 ")",
		rx.st.bad_desc, rx.st.bad_index);
	T_EXPECT(t_xstat("tx_q0_oversize") == 1 + ROUNDS, "one drop a round (%" PRIu64 ")",
		t_xstat("tx_q0_oversize"));

	T_EXPECT(rte_eth_dev_stop(0) == 0 && rte_eth_dev_close(0) == 0, "port closed");
	t_peer_close(&peer, shm);
	rte_eal_cleanup();
	return t_finish();
}
