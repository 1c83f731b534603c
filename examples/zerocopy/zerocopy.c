/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames that are never copied: the sender builds them in mbufs of the
 * port's pool (rte_pmd_ivshmem_pool_create: their data lies in the
 * sender's part of the shared region), the receiver's port has
 * zero_copy=yes and hands it mbufs whose data is that same memory. The
 * receiver checks every frame and counts those that came without a copy.
 *
 *   zerocopy [EAL options] --vdev net_ivshmem0,shm=FILE,size=64M,zero_copy=yes -- recv COUNT
 *   zerocopy [EAL options] --vdev net_ivshmem0,shm=FILE,size=64M -- send COUNT
 *
 * The program links with librte_net_ivshmem.so for the pool API, so it
 * needs no -d.
 */
#define ALLOW_EXPERIMENTAL_API
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pmd_ivshmem.h>

#define PORT		0
#define RING		1024	/* net_ivshmem's default ring_size */
#define BURST		32
#define FRAME		1500	/* bytes, Ethernet header included */
#define ETHER_TYPE	0x88b5	/* IEEE local experimental */
#define TIMEOUT_S	10

static void
die(const char *what, int ret)
{
	rte_exit(EXIT_FAILURE, "%s: %s\n", what, rte_strerror(-ret));
}

/* One queue each way, started, link up. rx_pool gives the receiver's mbuf
 * headers (and the buffers of frames it copies). */
static void
port_init(struct rte_mempool *rx_pool)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_link link;
	uint64_t end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	int ret;

	if (!rte_eth_dev_is_valid_port(PORT))
		rte_exit(EXIT_FAILURE, "no port %u: give --vdev net_ivshmem0,...\n", PORT);
	ret = rte_eth_dev_configure(PORT, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(PORT, 0, RING, rte_socket_id(), NULL, rx_pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(PORT, 0, RING, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(PORT);
	if (ret != 0)
		die("port 0", ret);
	do {
		if (rte_get_timer_cycles() > end)
			rte_exit(EXIT_FAILURE, "link still down after %d s: is the peer running?\n",
					TIMEOUT_S);
		rte_delay_ms(10);
		rte_eth_link_get_nowait(PORT, &link);
	} while (link.link_status != RTE_ETH_LINK_UP);
	printf("link up\n");
	fflush(stdout);
}

/* Frame seq: Ethernet header, seq, then bytes (seq + i) & 0xff. Built
 * where the mbuf's data is: for a pool mbuf, in the shared region. */
static void
fill(struct rte_mbuf *m, uint64_t seq)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, FRAME);
	uint8_t *p = (uint8_t *)(eh + 1);

	if (eh == NULL)
		rte_exit(EXIT_FAILURE, "pool mbufs too small for %d bytes\n", FRAME);
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	rte_eth_macaddr_get(PORT, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(ETHER_TYPE);
	memcpy(p, &seq, sizeof(seq));
	for (uint32_t i = sizeof(seq); i < FRAME - sizeof(*eh); i++)
		p[i] = (uint8_t)(seq + i);
}

/* Whether m is frame seq, byte for byte (one segment: FRAME fits). */
static int
frame_ok(const struct rte_mbuf *m, uint64_t seq)
{
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *,
			sizeof(struct rte_ether_hdr));
	uint64_t got;

	if (m->pkt_len != FRAME || m->nb_segs != 1)
		return 0;
	memcpy(&got, p, sizeof(got));
	if (got != seq)
		return 0;
	for (uint32_t i = sizeof(seq); i < FRAME - sizeof(struct rte_ether_hdr); i++)
		if (p[i] != (uint8_t)(seq + i))
			return 0;
	return 1;
}

static void
send_frames(uint64_t count)
{
	struct rte_mempool *tx_pool;
	uint64_t seq = 0, end;

	printf("pool area: %" PRId64 " bytes\n", rte_pmd_ivshmem_pool_room(PORT));
	tx_pool = rte_pmd_ivshmem_pool_create(PORT, "zc_tx", 4095, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE);
	if (tx_pool == NULL)
		die("rte_pmd_ivshmem_pool_create", -rte_errno);
	end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	while (seq < count) {
		struct rte_mbuf *m[BURST];
		unsigned int n = (unsigned int)RTE_MIN((uint64_t)BURST, count - seq);
		uint16_t sent;

		if (rte_get_timer_cycles() > end)
			rte_exit(EXIT_FAILURE, "%" PRIu64 " of %" PRIu64 " frames sent; nothing more for %d s: is the receiver still there?\n",
					seq, count, TIMEOUT_S);
		if (rte_pktmbuf_alloc_bulk(tx_pool, m, n) != 0) {
			/* every buffer is out: the receiver holds them or
			 * has not returned them yet */
			rte_eth_tx_done_cleanup(PORT, 0, 0);
			continue;
		}
		for (unsigned int i = 0; i < n; i++)
			fill(m[i], seq + i);
		sent = rte_eth_tx_burst(PORT, 0, m, (uint16_t)n);
		/* the ring was full: those not taken are built again */
		rte_pktmbuf_free_bulk(m + sent, n - sent);
		seq += sent;
		if (sent != 0)
			end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	}
	printf("sent %" PRIu64 " frames built in shared memory\n", count);
	/* Each buffer comes back once the receiver has freed its mbuf: when
	 * all are back, every frame was taken. */
	end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	while (rte_mempool_in_use_count(tx_pool) != 0) {
		rte_eth_tx_done_cleanup(PORT, 0, 0);
		if (rte_get_timer_cycles() > end)
			rte_exit(EXIT_FAILURE, "%u buffers not back after %d s\n",
					rte_mempool_in_use_count(tx_pool), TIMEOUT_S);
	}
	printf("every buffer back from the receiver\n");
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_mempool_free(tx_pool);
}

static void
recv_frames(uint64_t count)
{
	uint64_t seq = 0, external = 0;
	uint64_t end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	struct rte_eth_link link;

	while (seq < count) {
		struct rte_mbuf *m[BURST];
		uint16_t got = rte_eth_rx_burst(PORT, 0, m, BURST);

		if (got == 0 && rte_get_timer_cycles() > end)
			rte_exit(EXIT_FAILURE, "%" PRIu64 " of %" PRIu64 " frames in %d s\n",
					seq, count, TIMEOUT_S);
		for (uint16_t i = 0; i < got; i++, seq++) {
			if (!frame_ok(m[i], seq))
				rte_exit(EXIT_FAILURE, "frame %" PRIu64 " is not what was sent\n", seq);
			/* data in the sender's memory, not a copy in ours */
			external += RTE_MBUF_HAS_EXTBUF(m[i]) != 0;
			rte_pktmbuf_free(m[i]);	/* gives the buffer back */
		}
		if (got != 0)
			end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	}
	printf("received %" PRIu64 " frames intact, %" PRIu64 " of them without a copy\n",
			count, external);
	/* The freed buffers go back to the sender at the next rx_burst: poll
	 * until the sender, with all of them back, leaves. */
	do {
		struct rte_mbuf *m[BURST];
		uint16_t got = rte_eth_rx_burst(PORT, 0, m, BURST);

		rte_pktmbuf_free_bulk(m, got);
		rte_eth_link_get_nowait(PORT, &link);
	} while (link.link_status == RTE_ETH_LINK_UP);
	printf("the sender left\n");
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
}

int
main(int argc, char **argv)
{
	struct rte_mempool *rx_pool;
	int n = rte_eal_init(argc, argv);
	long long count;

	if (n < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= n;
	argv += n;
	count = argc == 3 ? atoll(argv[2]) : 0;
	if (count <= 0 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "recv") != 0))
		rte_exit(EXIT_FAILURE, "usage: zerocopy [EAL options] -- send COUNT | recv COUNT\n");
	rx_pool = rte_pktmbuf_pool_create("zc_rx", 4095, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (rx_pool == NULL)
		die("mbuf pool", -rte_errno);
	port_init(rx_pool);
	if (argv[1][0] == 's')
		send_frames((uint64_t)count);
	else
		recv_frames((uint64_t)count);
	rte_eal_cleanup();
	return 0;
}
