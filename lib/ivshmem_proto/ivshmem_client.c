/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem server protocol client. Everything the server sends is checked
 * before it is believed: the server may be buggy, or not an ivshmem
 * server at all.
 */
#include "ivshmem_client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define IVC_DEFAULT_TIMEOUT_MS 5000
/* Room to notice (and close) fds beyond the one a message may carry. */
#define IVC_CMSG_FDS 4

enum ivc_stage {
	IVC_STAGE_VERSION,
	IVC_STAGE_ID,
	IVC_STAGE_SETUP,	/* until the shm fd and all own eventfds */
	IVC_STAGE_RUNNING,
};

struct ivc_client {
	int sock;
	enum ivc_stage stage;
	bool failed;
	int id;
	unsigned int vectors;
	int shm_fd;
	uint64_t shm_size;
	unsigned int nb_own;
	int own[IVP_MAX_VECTORS];

	struct ivc_peer **peers;
	unsigned int nb_peers;	/* below IVP_MAX_PEERS: we are one too */
	unsigned int cap_peers;
	/* Messages taken since ivc_process() last returned 0. */
	unsigned int taken;

	/* A message may arrive in pieces; its fd with any of them. */
	unsigned char msg[8];
	size_t msg_len;
	int msg_fd;

	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char err[320];
};

static void __attribute__((format(printf, 4, 0)))
ivc_vfmt(char *buf, size_t len, const char *path, const char *fmt,
	 va_list ap)
{
	int n;

	if (buf == NULL || len == 0)
		return;
	n = snprintf(buf, len, "ivshmem server %s: ", path);
	if (n < 0 || (size_t)n >= len)
		return;
	vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

static int __attribute__((format(printf, 2, 3)))
ivc_fail(struct ivc_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ivc_vfmt(c->err, sizeof(c->err), c->path, fmt, ap);
	va_end(ap);
	c->failed = true;
	return -1;
}

static void
ivc_close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int64_t
ivc_le64(const unsigned char *b)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return (int64_t)v;
}

/*
 * Read at most the rest of one message. Reading no further than its 8
 * bytes matters: the kernel attaches a message's fd to whichever read
 * returns its bytes, so reading across a message boundary could hand us
 * the next message's fd together with this one's value.
 * Returns 1 with a whole message, 0 if the socket has nothing yet, -1 on
 * error or hang-up.
 */
static int
ivc_recv_msg(struct ivc_client *c, int64_t *value, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(IVC_CMSG_FDS * sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	bool extra = false;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = c->msg + c->msg_len;
		iov.iov_len = sizeof(c->msg) - c->msg_len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(c->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return ivc_fail(c, "recvmsg: %s", strerror(errno));
		break;
	}

	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, nfds;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(f));
			if (c->msg_fd < 0) {
				c->msg_fd = f;
			} else {
				close(f);
				extra = true;
			}
		}
	}
	if (extra)
		return ivc_fail(c, "a message carried more than one fd");
	if (mh.msg_flags & MSG_CTRUNC)
		return ivc_fail(c, "file descriptors were dropped in transit "
				"(out of file descriptors?)");
	if (n == 0)
		return ivc_fail(c, c->stage == IVC_STAGE_VERSION ?
				"closed the connection before the protocol "
				"version (server full? see its log)" :
				"closed the connection");

	c->msg_len += (size_t)n;
	if (c->msg_len < sizeof(c->msg))
		return 0;
	*value = ivc_le64(c->msg);
	*fd = c->msg_fd;
	c->msg_len = 0;
	c->msg_fd = -1;
	return 1;
}

/* A peer's fd must be an eventfd, or ringing it writes somewhere else. */
static int
ivc_check_eventfd(struct ivc_client *c, int fd, int64_t id)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;	/* no procfs: nothing to check against */
	target[n] = '\0';
	if (strcmp(target, "anon_inode:[eventfd]") != 0)
		return ivc_fail(c, "fd for ID %" PRId64 " is %s, not an eventfd",
				id, target);
	return 0;
}

static int
ivc_take_shm(struct ivc_client *c, int fd)
{
	struct stat st;

	if (c->shm_fd >= 0) {
		close(fd);
		return ivc_fail(c, "sent the shared memory twice");
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return ivc_fail(c, "fstat(shm fd): %s", strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return ivc_fail(c, "shared memory fd is not a non-empty file");
	}
	c->shm_fd = fd;
	c->shm_size = (uint64_t)st.st_size;
	return 0;
}

static struct ivc_peer *
ivc_find(const struct ivc_client *c, uint16_t id, unsigned int *index)
{
	unsigned int i;

	for (i = 0; i < c->nb_peers; i++) {
		if (c->peers[i]->id == id) {
			if (index != NULL)
				*index = i;
			return c->peers[i];
		}
	}
	return NULL;
}

static struct ivc_peer *
ivc_add_peer(struct ivc_client *c, uint16_t id)
{
	struct ivc_peer *p;
	unsigned int i;

	if (c->nb_peers == c->cap_peers) {
		unsigned int cap = c->cap_peers ? c->cap_peers * 2 : 8;
		struct ivc_peer **np = realloc(c->peers, cap * sizeof(*np));

		if (np == NULL)
			return NULL;
		c->peers = np;
		c->cap_peers = cap;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->id = id;
	for (i = 0; i < IVP_MAX_VECTORS; i++)
		p->fds[i] = -1;
	c->peers[c->nb_peers++] = p;
	return p;
}

static void
ivc_free_peer(struct ivc_peer *p)
{
	unsigned int v;

	for (v = 0; v < p->nb_vectors; v++)
		ivc_close_fd(&p->fds[v]);
	free(p);
}

/* Our own eventfd: the one peers ring us through. */
static int
ivc_take_own(struct ivc_client *c, int fd)
{
	int fl;

	if (c->nb_own >= c->vectors) {
		/* The server has more vectors than we use: as QEMU does. */
		close(fd);
		return 0;
	}
	/* ivc_ack() must not block; QEMU sets the same flag on its copies. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;

		close(fd);
		return ivc_fail(c, "fcntl(eventfd): %s", strerror(e));
	}
	c->own[c->nb_own++] = fd;
	return 0;
}

/*
 * Returns 1 (@ev filled), 0 or -1. A peer we never heard of may have left
 * before we were welcomed: nothing to forget, as QEMU's device has it
 * (hw/misc/ivshmem.c, process_msg_disconnect() fails only on its own ID).
 */
static int
ivc_peer_left(struct ivc_client *c, int64_t id, struct ivc_event *ev)
{
	struct ivc_peer *p;
	unsigned int index;

	if (id == c->id)
		return ivc_fail(c, "announced our own ID %d as gone", c->id);
	p = ivc_find(c, (uint16_t)id, &index);
	if (p == NULL)
		return 0;
	ivc_free_peer(p);
	c->peers[index] = c->peers[--c->nb_peers];
	ev->type = IVC_EV_PEER_LEFT;
	ev->id = (uint16_t)id;
	return 1;
}

/* Returns 1 if @ev was filled, 0 if not, -1 on error (fd consumed). */
static int
ivc_peer_fd(struct ivc_client *c, uint16_t id, int fd, struct ivc_event *ev)
{
	struct ivc_peer *p = ivc_find(c, id, NULL);

	if (p == NULL && c->nb_peers >= IVP_MAX_PEERS - 1) {
		close(fd);
		return ivc_fail(c, "has more than %d peers, we included "
				"(IVP_MAX_PEERS)", IVP_MAX_PEERS);
	}
	if (p == NULL) {
		p = ivc_add_peer(c, id);
		if (p == NULL) {
			close(fd);
			return ivc_fail(c, "out of memory");
		}
	}
	if (p->nb_vectors >= c->vectors) {
		close(fd);
		return 0;
	}
	p->fds[p->nb_vectors++] = fd;
	/* Peers present at handshake time are listed, not reported. */
	if (p->nb_vectors == c->vectors && c->stage == IVC_STAGE_RUNNING) {
		ev->type = IVC_EV_PEER_JOINED;
		ev->id = id;
		return 1;
	}
	return 0;
}

/* What the message is: its stage, its value and whether it has an fd. */
static enum ivp_msg
ivc_kind(const struct ivc_client *c, int64_t value, int fd)
{
	if (c->stage == IVC_STAGE_VERSION)
		return IVP_MSG_VERSION;
	if (c->stage == IVC_STAGE_ID)
		return IVP_MSG_ID;
	if (value == IVP_SHM)
		return IVP_MSG_SHM;
	if (fd < 0)
		return IVP_MSG_LEFT;
	if (value == c->id)
		return IVP_MSG_OWN_EVENTFD;
	return c->stage == IVC_STAGE_RUNNING ? IVP_MSG_JOINED :
		IVP_MSG_PEER_EVENTFD;
}

/* Exactly the fd the message table gives the kind, of the right type. */
static int
ivc_check_fd(struct ivc_client *c, enum ivp_msg kind, int64_t value, int fd)
{
	const struct ivp_msg_info *m = ivp_msg_info(kind);

	if (m->fd == IVP_FD_NONE && fd >= 0) {
		close(fd);
		return ivc_fail(c, "%s message carries an fd", m->name);
	}
	if (m->fd != IVP_FD_NONE && fd < 0)
		return ivc_fail(c, "%s message without an fd", m->name);
	if (m->fd == IVP_FD_EVENTFD && ivc_check_eventfd(c, fd, value) < 0) {
		close(fd);
		return -1;
	}
	return 0;
}

/* Returns 1 if @ev was filled, 0 if not, -1 on error (fd consumed). */
static int
ivc_handle(struct ivc_client *c, int64_t value, int fd, struct ivc_event *ev)
{
	enum ivp_msg kind;

	if (c->stage >= IVC_STAGE_SETUP &&
	    (value < IVP_SHM || value > IVP_MAX_ID)) {
		if (fd >= 0)
			close(fd);
		return ivc_fail(c, "sent %" PRId64 ", neither -1 nor an ID "
				"in 0..%d", value, IVP_MAX_ID);
	}
	kind = ivc_kind(c, value, fd);
	if (ivc_check_fd(c, kind, value, fd) < 0)
		return -1;

	switch (kind) {
	case IVP_MSG_VERSION:
		if (value != IVP_PROTOCOL_VERSION)
			return ivc_fail(c, "speaks protocol version %" PRId64
					", we speak %d", value,
					IVP_PROTOCOL_VERSION);
		c->stage = IVC_STAGE_ID;
		return 0;
	case IVP_MSG_ID:
		if (value < 0 || value > IVP_MAX_ID)
			return ivc_fail(c, "assigned ID %" PRId64 ", outside "
					"0..%d", value, IVP_MAX_ID);
		c->id = (int)value;
		c->stage = IVC_STAGE_SETUP;
		return 0;
	case IVP_MSG_SHM:
		return ivc_take_shm(c, fd);
	case IVP_MSG_OWN_EVENTFD:
		return ivc_take_own(c, fd);
	case IVP_MSG_LEFT:
		return ivc_peer_left(c, value, ev);
	case IVP_MSG_PEER_EVENTFD:
	case IVP_MSG_JOINED:
	case IVP_MSG_KINDS:
		break;
	}
	return ivc_peer_fd(c, (uint16_t)value, fd, ev);
}

static int64_t
ivc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* @deadline: ivc_now_ms() value, or INT64_MAX for none. */
static int
ivc_handshake(struct ivc_client *c, int64_t deadline, int timeout_ms)
{
	struct ivc_event ev;

	while (c->stage != IVC_STAGE_RUNNING) {
		struct pollfd pfd = { .fd = c->sock, .events = POLLIN };
		int64_t value;
		int fd = -1, rc, wait_ms = -1;

		rc = ivc_recv_msg(c, &value, &fd);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			if (ivc_handle(c, value, fd, &ev) < 0)
				return -1;
			if (c->stage == IVC_STAGE_SETUP && c->shm_fd >= 0 &&
			    c->nb_own == c->vectors)
				c->stage = IVC_STAGE_RUNNING;
			continue;
		}
		if (deadline != INT64_MAX) {
			int64_t left = deadline - ivc_now_ms();

			if (left <= 0)
				break;
			wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		rc = poll(&pfd, 1, wait_ms);
		if (rc < 0 && errno != EINTR)
			return ivc_fail(c, "poll: %s", strerror(errno));
	}
	if (c->stage == IVC_STAGE_RUNNING)
		return 0;

	if (c->stage < IVC_STAGE_SETUP || c->shm_fd < 0)
		return ivc_fail(c, "handshake incomplete after %d ms (no %s)",
				timeout_ms, c->stage == IVC_STAGE_VERSION ?
				"protocol version" : c->stage == IVC_STAGE_ID ?
				"ID" : "shared memory");
	return ivc_fail(c, "sent %u eventfd(s) for our own ID within %d ms, "
			"we use %u vectors: is the server's vector count "
			"lower?", c->nb_own, timeout_ms, c->vectors);
}

/*
 * Non-blocking: a UNIX connect() to a server that is not accepting (full
 * backlog, hung) would otherwise block past any timeout; it answers
 * EAGAIN instead, and we retry until the deadline.
 */
static int
ivc_dial(struct ivc_client *c, const struct sockaddr_un *sa, int64_t deadline)
{
	for (;;) {
		struct timespec pause = { 0, 10 * 1000000L };
		int e;

		if (connect(c->sock, (const struct sockaddr *)sa,
			    sizeof(*sa)) == 0)
			return 0;
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN && ivc_now_ms() < deadline) {
			nanosleep(&pause, NULL);
			continue;
		}
		return ivc_fail(c, "connect: %s%s", strerror(e),
				e == ECONNREFUSED ? " (no server listening: "
				"stale socket?)" : e == ENOENT ? " (is the "
				"server running?)" : e == EAGAIN ? " (server "
				"not accepting connections)" : "");
	}
}

/* A client not yet connected, its fds -1; NULL (reason in err) when out
 * of memory. name is the socket's path, or what stands for it in errors. */
static struct ivc_client *
ivc_new(const char *name, unsigned int vectors, char *err, size_t errlen)
{
	struct ivc_client *c;
	unsigned int i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "ivshmem client: out of memory");
		return NULL;
	}
	c->sock = -1;
	c->shm_fd = -1;
	c->msg_fd = -1;
	c->id = -1;
	c->vectors = vectors;
	for (i = 0; i < IVP_MAX_VECTORS; i++)
		c->own[i] = -1;
	snprintf(c->path, sizeof(c->path), "%s", name ? name : "(null)");
	return c;
}

/* The vector count, and the deadline of a handshake of *timeout_ms (0:
 * the default, which it then holds). */
static int
ivc_check_args(struct ivc_client *c, int *timeout_ms, int64_t *deadline)
{
	if (c->vectors < 1 || c->vectors > IVP_MAX_VECTORS) {
		ivc_fail(c, "vectors %u outside 1..%d", c->vectors,
			 IVP_MAX_VECTORS);
		return -1;
	}
	if (*timeout_ms == 0)
		*timeout_ms = IVC_DEFAULT_TIMEOUT_MS;
	*deadline = *timeout_ms < 0 ? INT64_MAX : ivc_now_ms() + *timeout_ms;
	return 0;
}

/* A failed connect: the reason to err, everything closed. */
static struct ivc_client *
ivc_give_up(struct ivc_client *c, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", c->err);
	ivc_close(c);
	return NULL;
}

struct ivc_client *
ivc_connect(const char *path, unsigned int vectors, int timeout_ms,
	    char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ivc_client *c = ivc_new(path, vectors, err, errlen);
	int64_t deadline;

	if (c == NULL)
		return NULL;
	if (path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
		ivc_fail(c, "socket path is empty or longer than %zu bytes",
			 sizeof(sa.sun_path) - 1);
		goto fail;
	}
	if (ivc_check_args(c, &timeout_ms, &deadline) < 0)
		goto fail;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 0);
	if (c->sock < 0) {
		ivc_fail(c, "socket: %s", strerror(errno));
		goto fail;
	}
	if (ivc_dial(c, &sa, deadline) < 0 ||
	    ivc_handshake(c, deadline, timeout_ms) < 0)
		goto fail;
	return c;

fail:
	return ivc_give_up(c, err, errlen);
}

struct ivc_client *
ivc_connect_fd(int sock, const char *name, unsigned int vectors,
	       int timeout_ms, char *err, size_t errlen)
{
	struct ivc_client *c = ivc_new(name, vectors, err, errlen);
	int64_t deadline;
	int fl;

	if (c == NULL) {
		close(sock);
		return NULL;
	}
	c->sock = sock;
	if (ivc_check_args(c, &timeout_ms, &deadline) < 0)
		goto fail;
	fl = fcntl(sock, F_GETFL);
	if (fl < 0 || fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(sock, F_SETFD, FD_CLOEXEC) < 0) {
		ivc_fail(c, "socket %d: %s", sock, strerror(errno));
		goto fail;
	}
	if (ivc_handshake(c, deadline, timeout_ms) < 0)
		goto fail;
	return c;

fail:
	return ivc_give_up(c, err, errlen);
}

int
ivc_process(struct ivc_client *c, struct ivc_event *ev)
{
	if (c->failed)
		return -1;
	while (c->taken < IVC_PROCESS_BUDGET) {
		int64_t value;
		int fd = -1, rc;

		rc = ivc_recv_msg(c, &value, &fd);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		c->taken++;
		rc = ivc_handle(c, value, fd, ev);
		if (rc != 0)
			return rc;
	}
	/* The socket may still be readable: the caller's poll says so. */
	c->taken = 0;
	return 0;
}

const char *
ivc_error(const struct ivc_client *c)
{
	return c->err;
}

uint16_t
ivc_id(const struct ivc_client *c)
{
	return (uint16_t)c->id;
}

unsigned int
ivc_vectors(const struct ivc_client *c)
{
	return c->vectors;
}

int
ivc_socket_fd(const struct ivc_client *c)
{
	return c->sock;
}

int
ivc_shm_fd(const struct ivc_client *c)
{
	return c->shm_fd;
}

uint64_t
ivc_shm_size(const struct ivc_client *c)
{
	return c->shm_size;
}

int
ivc_own_fd(const struct ivc_client *c, unsigned int vector)
{
	return vector < c->nb_own ? c->own[vector] : -1;
}

unsigned int
ivc_peer_count(const struct ivc_client *c)
{
	return c->nb_peers;
}

const struct ivc_peer *
ivc_peer_at(const struct ivc_client *c, unsigned int index)
{
	return index < c->nb_peers ? c->peers[index] : NULL;
}

const struct ivc_peer *
ivc_peer_find(const struct ivc_client *c, uint16_t id)
{
	return ivc_find(c, id, NULL);
}

int
ivc_notify(const struct ivc_client *c, uint16_t id, unsigned int vector)
{
	const uint64_t one = 1;
	int fd;

	if (c->id >= 0 && id == (uint16_t)c->id) {
		fd = ivc_own_fd(c, vector);
	} else {
		const struct ivc_peer *p = ivc_find(c, id, NULL);

		if (p == NULL)
			return -ENOENT;
		fd = vector < p->nb_vectors ? p->fds[vector] : -1;
	}
	if (fd < 0)
		return -ENXIO;
	for (;;) {
		ssize_t n = write(fd, &one, sizeof(one));

		if (n == (ssize_t)sizeof(one))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EIO;
	}
}

int
ivc_ack(const struct ivc_client *c, unsigned int vector, uint64_t *count)
{
	int fd = ivc_own_fd(c, vector);
	uint64_t v;

	if (fd < 0)
		return -ENXIO;
	for (;;) {
		ssize_t n = read(fd, &v, sizeof(v));

		if (n == (ssize_t)sizeof(v)) {
			if (count != NULL)
				*count = v;
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return n < 0 ? -errno : -EIO;
	}
}

void
ivc_close(struct ivc_client *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nb_peers; i++)
		ivc_free_peer(c->peers[i]);
	free(c->peers);
	for (i = 0; i < c->nb_own; i++)
		ivc_close_fd(&c->own[i]);
	ivc_close_fd(&c->shm_fd);
	ivc_close_fd(&c->msg_fd);
	ivc_close_fd(&c->sock);
	free(c);
}
