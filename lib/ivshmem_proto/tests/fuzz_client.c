/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the server-protocol client (ivshmem_client.c) with
 * the fuzzer as a hostile server. The input is the server's script: the
 * first byte picks the client's vector count, then each message is one
 * op byte (value, fd kind, split) and its arguments. The script goes into
 * one end of a socketpair, which is then shut for writing (so the client
 * sees the end of it instead of waiting), and the client gets the other
 * end through ivc_connect_fd() and runs ivc_process() until it fails.
 *
 * Fds sent: none, an eventfd, a memfd of a chosen size (0 to 1 TiB,
 * sparse), a pipe, or two eventfds in one message. Values: the protocol's
 * boundaries (-1, 0, IDs, 65535, 65536, INT64_MIN/MAX...), a small ID, or
 * any 8 bytes.
 *
 * Oracles: no crash, no endless ivc_process() loop, no fd leaked once
 * ivc_close() returns, every joined peer known with all its vectors,
 * every departed peer forgotten, never more than IVP_MAX_PEERS peers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "ivshmem_client.h"
#include "t_fuzz.h"

#define MAX_MSGS	1024
#define MAX_FDS		256	/* sent per input */

static int
new_memfd(uint8_t pick)
{
	static const uint64_t sizes[] = {
		0, 1, 4095, 4096, 1 << 20, 1ULL << 30, 1ULL << 40,
	};
	int fd = memfd_create("fuzz_client", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (ftruncate(fd, (off_t)sizes[pick % 7]) != 0)
		abort();
	return fd;
}

/* Fills fds[] for a message of kind k; returns how many. */
static int
make_fds(unsigned int k, uint8_t arg, int fds[2])
{
	int p[2];

	switch (k) {
	case 1:
		fds[0] = eventfd(0, EFD_CLOEXEC);
		return 1;
	case 2:
		fds[0] = new_memfd(arg);
		return 1;
	case 3:
		if (pipe2(p, O_CLOEXEC) != 0)
			abort();
		close(p[1]);
		fds[0] = p[0];
		return 1;
	case 4:
		fds[0] = eventfd(0, EFD_CLOEXEC);
		fds[1] = eventfd(0, EFD_CLOEXEC);
		return 2;
	default:
		return 0;
	}
}

/* Sends len bytes of buf with nfds fds attached; false when the socket
 * is full (the script ends there). */
static bool
send_part(int s, const uint8_t *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	n = sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n == (ssize_t)len;
}

static int64_t
pick_value(struct t_fuzz_in *in, unsigned int sel)
{
	static const int64_t table[] = {
		0, -1, 1, 2, 3, 65535, 65536, -2, INT64_MIN, INT64_MAX,
		IVP_MAX_PEERS, 255,
	};

	if (sel < 12)
		return table[sel];
	if (sel == 12)
		return (int64_t)t_fuzz_take(in, 8);
	return (int64_t)t_fuzz_take(in, 1);
}

/* Writes the script into s; returns the number of messages. */
static unsigned int
script(int s, struct t_fuzz_in *in)
{
	unsigned int msgs = 0, fds_sent = 0;

	while (in->n && msgs < MAX_MSGS) {
		uint8_t op = (uint8_t)t_fuzz_take(in, 1);
		int64_t v = pick_value(in, op >> 4);
		unsigned int kind = op & 7;
		int fds[2];
		uint8_t buf[8];
		int nfds;
		bool ok;

		if (kind > 4)
			kind = 0;
		nfds = make_fds(kind, kind == 2 ? (uint8_t)t_fuzz_take(in, 1) : 0, fds);
		for (int i = 0; i < 8; i++)	/* little-endian on the wire */
			buf[i] = (uint8_t)((uint64_t)v >> (8 * i));
		if (op & 8) {
			/* Split: the fd rides on the message's second part. */
			unsigned int cut = (unsigned int)t_fuzz_take(in, 1) % 8;

			ok = send_part(s, buf, cut, NULL, 0) &&
				send_part(s, buf + cut, 8 - cut, fds, nfds);
		} else {
			ok = send_part(s, buf, 8, fds, nfds);
		}
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		fds_sent += (unsigned int)nfds;
		msgs++;
		if (!ok || fds_sent >= MAX_FDS)
			break;
	}
	return msgs;
}

static void
check_event(const struct ivc_client *c, const struct ivc_event *ev)
{
	const struct ivc_peer *p = ivc_peer_find(c, ev->id);
	uint64_t cnt;

	if (ivc_peer_count(c) > IVP_MAX_PEERS)
		abort();
	if (ev->type == IVC_EV_PEER_LEFT) {
		if (p != NULL)
			abort();
		return;
	}
	if (ev->type != IVC_EV_PEER_JOINED || p == NULL ||
			p->nb_vectors != ivc_vectors(c))
		abort();
	for (unsigned int v = 0; v < p->nb_vectors; v++)
		if (p->fds[v] < 0)
			abort();
	if (ivc_notify(c, ev->id, 0) != 0)
		abort();
	ivc_ack(c, 0, &cnt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct t_fuzz_in in = { data, size };
	unsigned int vectors = (unsigned int)t_fuzz_take(&in, 1) % IVP_MAX_VECTORS + 1;
	int low = t_fuzz_lowest_free_fd(), sv[2];
	struct ivc_client *c;
	struct ivc_event ev;
	char err[256];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	script(sv[1], &in);
	shutdown(sv[1], SHUT_WR);
	c = ivc_connect_fd(sv[0], "fuzz", vectors, 5000, err, sizeof(err));
	if (c != NULL) {
		unsigned int calls = 0;
		int rc;

		if (ivc_shm_size(c) == 0 ||
				ivc_shm_fd(c) < 0 || ivc_own_fd(c, 0) < 0)
			abort();
		while ((rc = ivc_process(c, &ev)) >= 0) {
			if (rc == 1)
				check_event(c, &ev);
			/* The script ends in a hang-up: the client must
			 * reach it, MAX_MSGS messages at most. */
			if (++calls > 4 * MAX_MSGS)
				abort();
		}
		for (unsigned int i = 0; i < ivc_peer_count(c); i++)
			if (ivc_peer_at(c, i) == NULL)
				abort();
		ivc_close(c);
	} else if (err[0] == '\0') {
		abort();
	}
	close(sv[1]);
	if (t_fuzz_lowest_free_fd() != low)
		abort();
	return 0;
}
