/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two plain processes exchange text messages over a shared file through
 * the ring library alone: no DPDK, no server, no threads.
 *
 *   ring_messages FILE recv COUNT     prints the messages it receives
 *   ring_messages FILE send COUNT     sends "message 1 of COUNT", ...
 *
 * Both map FILE (created at the size the configuration needs), attach to
 * the region, each in a slot of its own, and beat their heartbeat while
 * they wait for the other. Queue 0 carries the messages from the sender's
 * part to the receiver.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ivr_queue.h>
#include <ivshmem_ring.h>

#define TIMEOUT_NS	(30ULL * 1000000000)

static const struct ivr_config cfg = {
	.n_queues = 1,
	.ring_size = 64,
	.buf_size = 256,
	.max_frame = 256,
	.mac = { 2, 0, 0, 0, 0, 1 },
	.doorbell_id = IVR_NO_DOORBELL,
	.features = IVR_F_ALL,
};

/* Heartbeat and the peer's state, every few ms: the peer's liveness check
 * of us. Returns whether the link is up; exits at the deadline. */
static int
keep_alive(struct ivr_region *r, uint64_t deadline)
{
	uint64_t now = ivr_now_ns();
	static uint64_t next;

	if (now > deadline) {
		fprintf(stderr, "timed out: peer %s\n", ivr_down_name(r->pv.why));
		exit(1);
	}
	if (now < next)
		return r->pv.why == IVR_DOWN_NONE;
	next = now + 10 * 1000000;
	ivr_heartbeat(r);
	return ivr_poll_peer(r, now);
}

static void
send_all(struct ivr_region *r, unsigned long count)
{
	struct ivr_tx *tx = malloc(ivr_tx_size(cfg.ring_size));
	uint64_t deadline = ivr_now_ns() + TIMEOUT_NS;
	unsigned long sent = 0;

	if (tx == NULL)
		exit(1);
	ivr_tx_init(tx, r, 0);
	while (sent < count) {
		uint32_t room, n = 0;

		if (!keep_alive(r, deadline))
			continue;
		room = ivr_tx_space(tx, 1);
		for (; n < room && sent < count; n++) {
			uint32_t id = ivr_tx_buf_get(tx);
			int len = snprintf((char *)ivr_tx_buf(tx, id), cfg.buf_size,
					"message %lu of %lu", ++sent, count);

			ivr_tx_push(tx, id, (uint32_t)len + 1, 0);
		}
		ivr_tx_publish(tx, n);
	}
	/* The receiver takes everything before we leave. */
	while (!ivr_tx_drained(tx))
		keep_alive(r, deadline);
	printf("sent %lu messages\n", sent);
	free(tx);
}

static void
recv_all(struct ivr_region *r, unsigned long count)
{
	struct ivr_rx rx;
	uint64_t deadline = ivr_now_ns() + TIMEOUT_NS;
	unsigned long got = 0;
	char last[256] = "";

	ivr_rx_init(&rx, r, 0);
	while (got < count) {
		struct ivr_frame f;
		uint32_t n = 0;

		keep_alive(r, deadline);
		if (ivr_rx_begin(&rx) == 0)
			continue;
		/* The sender's memory is untrusted: copy, then terminate. */
		while (ivr_rx_next(&rx, &f)) {
			size_t len = f.seg[0].len < sizeof(last) ? f.seg[0].len :
				sizeof(last) - 1;

			memcpy(last, f.seg[0].data, len);
			last[len] = '\0';
			if (got + n < 3)
				printf("received: %s\n", last);
			n++;
		}
		if (ivr_rx_end(&rx, n))
			got += n;
	}
	printf("received %lu messages, the last: %s\n", got, last);
}

int
main(int argc, char **argv)
{
	struct ivr_region r;
	struct ivr_attach_opts ao = { .slot = -1 };
	uint64_t size = ivr_region_size_for(&cfg);
	unsigned long count;
	void *base;
	int fd;

	if (argc != 4 || (strcmp(argv[2], "send") != 0 && strcmp(argv[2], "recv") != 0) ||
			(count = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: %s FILE send|recv COUNT\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED || ivr_attach(&r, base, size, &cfg, &ao) != 0) {
		fprintf(stderr, "%s: %s\n", argv[1],
				base == MAP_FAILED ? strerror(errno) : r.errmsg);
		return 1;
	}
	ivr_set_running(&r, true);
	printf("%s: slot %u, epoch %u, waiting for the peer\n", argv[2], r.slot, r.epoch);
	fflush(stdout);
	if (argv[2][0] == 's')
		send_all(&r, count);
	else
		recv_all(&r, count);
	ivr_detach(&r);
	munmap(base, size);
	return 0;
}
