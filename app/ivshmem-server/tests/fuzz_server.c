/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the ivshmem server's event loop (server.c, peers.c)
 * with the fuzzer as its clients. The input is a script: the server's
 * vectors, peer and ID limits, then client actions between server turns
 * (ivsrv_server_step with no wait): connect through the listener (an
 * abstract UNIX socket) or be handed in as one end of a socketpair
 * (ivsrv_server_adopt), send bytes (the protocol is server-to-client: the
 * server must drop the sender), half-close, close, shrink the receive
 * buffer, read what the server sent.
 *
 * Every client checks what it reads as the protocol says: version 0, its
 * ID (below the ID count), the shared memory with an fd; then eventfds of
 * peers or its own, each with an fd; a departure only of a peer it was
 * told of, never its own. At the end the server is torn down, and no fd
 * may be left open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "server.h"
#include "t_fuzz.h"

#define MAX_CLIENTS	8
#define MAX_IDS		16

struct client {
	int sock;		/* -1: slot free */
	int stage;		/* messages of the handshake seen: 0..3 */
	int id;
	uint8_t msg[8];
	size_t have;
	int msg_fd;		/* fd that came with the message's bytes */
	bool known[MAX_IDS];
};

static struct client cl[MAX_CLIENTS];
static struct sockaddr_un addr;
static socklen_t addr_len;
static unsigned int id_count;
static int shm_fd = -1;

/* One whole message: the protocol's checks. */
static void
client_msg(struct client *c, int64_t v, int fd)
{
	switch (c->stage) {
	case 0:
		if (v != IVP_PROTOCOL_VERSION || fd >= 0)
			abort();
		break;
	case 1:
		if (v < 0 || v >= id_count || fd >= 0)
			abort();
		c->id = (int)v;
		break;
	case 2:
		if (v != IVP_SHM || fd < 0)
			abort();
		break;
	default:
		if (v < 0 || v >= id_count)
			abort();
		if (fd >= 0) {
			if (v != c->id)
				c->known[v] = true;
		} else {
			/* A departure: of a peer we were told of. */
			if (v == c->id || !c->known[v])
				abort();
			c->known[v] = false;
		}
		break;
	}
	if (c->stage < 3)
		c->stage++;
}

/* Reads all that is pending; false when the server has closed. */
static bool
client_read(struct client *c)
{
	for (;;) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(4 * sizeof(int))];
		} ctl;
		struct iovec iov = { c->msg + c->have, sizeof(c->msg) - c->have };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		struct cmsghdr *cm;
		ssize_t n = recvmsg(c->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0 && errno == ECONNRESET)
			return false;
		if (n < 0)
			abort();
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			/* One fd per message, on its first byte. */
			if (cm->cmsg_type != SCM_RIGHTS || nfds != 1 ||
					c->have != 0 || c->msg_fd >= 0)
				abort();
			memcpy(&c->msg_fd, CMSG_DATA(cm), sizeof(int));
		}
		if (mh.msg_flags & MSG_CTRUNC)
			abort();
		if (n == 0)
			return false;
		c->have += (size_t)n;
		if (c->have == sizeof(c->msg)) {
			uint64_t v = 0;

			for (int i = 7; i >= 0; i--)
				v = v << 8 | c->msg[i];
			client_msg(c, (int64_t)v, c->msg_fd);
			if (c->msg_fd >= 0)
				close(c->msg_fd);
			c->msg_fd = -1;
			c->have = 0;
		}
	}
}

static void
client_close(struct client *c)
{
	if (c->sock < 0)
		return;
	close(c->sock);
	if (c->msg_fd >= 0)
		close(c->msg_fd);
	memset(c, 0, sizeof(*c));
	c->sock = -1;
	c->msg_fd = -1;
}

static struct client *
client_slot(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].sock < 0)
			return &cl[i];
	return NULL;
}

static void
setup_once(void)
{
	struct ivsrv_options o = { .size = IVSRV_MIN_SIZE };
	static struct ivsrv_shm shm;

	/* Warnings about each dropped client are expected: errors only. */
	ivsrv_log_init(false);
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
			"ivshmem-fuzz-server-%d", (int)getpid());
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			strlen(addr.sun_path + 1));
	if (ivsrv_shm_open(&shm, &o) != 0)
		abort();
	shm_fd = shm.fd;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		cl[i].sock = -1;
		cl[i].msg_fd = -1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct t_fuzz_in in = { data, size };
	struct ivsrv_options o = { .socket_path = "@fuzz" };
	struct ivsrv_listener lis = { .path = "@fuzz" };
	struct ivsrv_shm shm = { .size = IVSRV_MIN_SIZE };
	struct ivsrv_server srv;
	sigset_t none;
	unsigned int steps = 0;
	int low;

	if (shm_fd < 0)
		setup_once();
	low = t_fuzz_lowest_free_fd();
	o.vectors = (unsigned int)t_fuzz_take(&in, 1) % 4 + 1;
	o.max_peers = (unsigned int)t_fuzz_take(&in, 1) % MAX_CLIENTS + 1;
	id_count = (unsigned int)t_fuzz_take(&in, 1) % (MAX_IDS - 1) + 2;
	o.id_count = id_count;
	o.size = IVSRV_MIN_SIZE;
	shm.fd = shm_fd;
	lis.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lis.fd < 0 || bind(lis.fd, (struct sockaddr *)&addr, addr_len) != 0 ||
			listen(lis.fd, MAX_CLIENTS) != 0)
		abort();
	sigemptyset(&none);
	if (ivsrv_server_init(&srv, &o, &lis, &shm, &none) != 0)
		abort();

	while (in.n && steps++ < 512) {
		uint8_t op = (uint8_t)t_fuzz_take(&in, 1);
		struct client *c = &cl[(op >> 4) % MAX_CLIENTS];

		switch (op & 7) {
		case 0: /* connect through the listener */
		case 1: /* handed in as a socketpair */
			c = client_slot();
			if (c == NULL)
				break;
			if ((op & 7) == 0) {
				c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
						SOCK_CLOEXEC, 0);
				if (c->sock < 0)
					abort();
				if (connect(c->sock, (struct sockaddr *)&addr,
						addr_len) != 0) {
					close(c->sock);
					c->sock = -1;
				}
			} else {
				int sv[2];

				if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
						SOCK_CLOEXEC, 0, sv) != 0)
					abort();
				c->sock = sv[0];
				ivsrv_server_adopt(&srv, sv[1]);
			}
			break;
		case 2: { /* bytes to the server */
			uint8_t b[4] = { op, 0, 0, 0 };

			if (c->sock >= 0)
				(void)send(c->sock, b, (op >> 3 & 1) + 1,
						MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		}
		case 3:
			client_close(c);
			break;
		case 4:
			if (c->sock >= 0 && !client_read(c))
				client_close(c);
			break;
		case 5: { /* a slow reader */
			int sz = 1;

			if (c->sock >= 0)
				setsockopt(c->sock, SOL_SOCKET, SO_RCVBUF, &sz,
						sizeof(sz));
			break;
		}
		case 6:
			if (c->sock >= 0)
				shutdown(c->sock, SHUT_WR);
			break;
		default:
			if (ivsrv_server_step(&srv, 0) != 0)
				abort();
			break;
		}
	}
	/* The server's last words, then everyone reads them. */
	for (int i = 0; i < 4; i++)
		if (ivsrv_server_step(&srv, 0) != 0)
			abort();
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (cl[i].sock >= 0)
			client_read(&cl[i]);
		client_close(&cl[i]);
	}
	ivsrv_server_fini(&srv);
	close(lis.fd);
	if (t_fuzz_lowest_free_fd() != low)
		abort();
	return 0;
}
