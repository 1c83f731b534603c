/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ping-pong over net_ivshmem with nothing but the ethdev API: one process
 * sends COUNT numbered frames, one at a time, and the other sends each one
 * back. The pinger checks every number and prints the round-trip times.
 *
 *   pingpong [EAL options] --vdev net_ivshmem0,shm=FILE -- pong
 *   pingpong [EAL options] --vdev net_ivshmem0,shm=FILE -- ping COUNT
 *
 * Nothing here is specific to the driver: any port 0 will do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define PORT		0
#define RING		1024	/* net_ivshmem's default ring_size */
#define ETHER_TYPE	0x88b5	/* IEEE local experimental */
#define TIMEOUT_S	10

static struct rte_mempool *pool;

static void
die(const char *what, int ret)
{
	rte_exit(EXIT_FAILURE, "%s: %s\n", what, rte_strerror(-ret));
}

/* One queue each way, started, link up. */
static void
port_init(void)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_link link;
	uint64_t end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	int ret;

	if (!rte_eth_dev_is_valid_port(PORT))
		rte_exit(EXIT_FAILURE, "no port %u: give --vdev net_ivshmem0,...\n", PORT);
	ret = rte_eth_dev_configure(PORT, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(PORT, 0, RING, rte_socket_id(), NULL, pool);
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

/* The number a ping carries, after its Ethernet header: 14 bytes in, not
 * aligned for a uint64_t, so it is copied in and out. */
static uint64_t
seq_of(struct rte_mbuf *m)
{
	uint64_t seq;

	memcpy(&seq, rte_pktmbuf_mtod_offset(m, void *, sizeof(struct rte_ether_hdr)),
			sizeof(seq));
	return seq;
}

static void
set_seq(struct rte_mbuf *m, uint64_t seq)
{
	memcpy(rte_pktmbuf_mtod_offset(m, void *, sizeof(struct rte_ether_hdr)),
			&seq, sizeof(seq));
}

static struct rte_mbuf *
make_ping(uint64_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;

	if (m == NULL)
		rte_exit(EXIT_FAILURE, "out of mbufs\n");
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, RTE_ETHER_MIN_LEN -
			RTE_ETHER_CRC_LEN);
	if (eh == NULL)
		rte_exit(EXIT_FAILURE, "mbuf too small\n");
	memset(eh, 0, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	rte_eth_macaddr_get(PORT, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(ETHER_TYPE);
	set_seq(m, seq);
	return m;
}

/* Waits for one frame; exits after TIMEOUT_S without one. */
static struct rte_mbuf *
receive_one(void)
{
	uint64_t end = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	struct rte_mbuf *m;

	while (rte_eth_rx_burst(PORT, 0, &m, 1) == 0)
		if (rte_get_timer_cycles() > end)
			rte_exit(EXIT_FAILURE, "nothing received for %d s\n", TIMEOUT_S);
	return m;
}

static void
send_one(struct rte_mbuf *m)
{
	while (rte_eth_tx_burst(PORT, 0, &m, 1) == 0)
		;	/* the ring is full: the peer is catching up */
}

static void
ping(uint64_t count)
{
	uint64_t hz = rte_get_timer_hz(), sum = 0, min = UINT64_MAX, max = 0;

	for (uint64_t seq = 1; seq <= count; seq++) {
		uint64_t t0 = rte_get_timer_cycles(), dt;
		struct rte_mbuf *m;

		send_one(make_ping(seq));
		m = receive_one();
		dt = rte_get_timer_cycles() - t0;
		if (seq_of(m) != seq)
			rte_exit(EXIT_FAILURE, "ping %" PRIu64 ": reply %" PRIu64 "\n",
					seq, seq_of(m));
		rte_pktmbuf_free(m);
		sum += dt;
		min = RTE_MIN(min, dt);
		max = RTE_MAX(max, dt);
	}
	printf("%" PRIu64 " pings answered in order, round trip min/avg/max %.1f/%.1f/%.1f us\n",
			count, min * 1e6 / hz, sum * 1e6 / hz / count, max * 1e6 / hz);
}

/* Sends every frame back until the pinger goes (its link goes down). */
static void
pong(void)
{
	struct rte_eth_link link;
	uint64_t n = 0;

	for (;;) {
		struct rte_mbuf *m[32];
		uint16_t got = rte_eth_rx_burst(PORT, 0, m, RTE_DIM(m));

		for (uint16_t i = 0; i < got; i++)
			send_one(m[i]);
		n += got;
		rte_eth_link_get_nowait(PORT, &link);
		if (got == 0 && link.link_status == RTE_ETH_LINK_DOWN)
			break;
	}
	printf("answered %" PRIu64 " pings; the pinger left\n", n);
}

int
main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);

	if (n < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= n;
	argv += n;
	if (!(argc == 2 && strcmp(argv[1], "pong") == 0) &&
			!(argc == 3 && strcmp(argv[1], "ping") == 0 && atoll(argv[2]) > 0))
		rte_exit(EXIT_FAILURE, "usage: pingpong [EAL options] -- pong | ping COUNT\n");
	pool = rte_pktmbuf_pool_create("pingpong", 4095, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL)
		die("mbuf pool", -rte_errno);
	port_init();
	if (argv[1][1] == 'i')
		ping((uint64_t)atoll(argv[2]));
	else
		pong();
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	return 0;
}
