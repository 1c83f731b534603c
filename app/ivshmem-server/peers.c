/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer table: ID allocation, each peer's eventfds and its queue of
 * messages not yet taken by the socket.
 *
 * IDs are handed out in turn (the next free one after the last given),
 * not lowest-free: QEMU (hw/misc/ivshmem.c, close_peer_eventfds() frees a
 * peer's eventfd array but keeps the pointer, and process_msg_connect()
 * writes through it) corrupts its heap when an ID it saw leave comes back
 * while it is still running. Taking IDs in turn delays any reuse until
 * the whole ID range has been cycled through.
 */
#include "peers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#define IVSRV_QUEUE_MIN_CAP 16

static struct ivsrv_efd *
ivsrv_efd_new(void)
{
	struct ivsrv_efd *e = malloc(sizeof(*e));

	if (e == NULL)
		return NULL;
	e->fd = eventfd(0, EFD_CLOEXEC);
	if (e->fd < 0) {
		int err = errno;

		free(e);
		errno = err;
		return NULL;
	}
	e->refs = 1;
	return e;
}

static void
ivsrv_efd_put(struct ivsrv_efd *e)
{
	if (e == NULL || --e->refs > 0)
		return;
	close(e->fd);
	free(e);
}

int
ivsrv_table_init(struct ivsrv_table *t, unsigned int vectors,
		 unsigned int max_peers, unsigned int id_count)
{
	uint64_t limit;

	memset(t, 0, sizeof(*t));
	t->vectors = vectors;
	t->id_count = id_count;
	/*
	 * A client's queue holds at worst its handshake (3 + max_peers *
	 * vectors) plus every other peer leaving and joining again once.
	 * A client that falls further behind is not reading at all.
	 */
	limit = 3 + 2 * (uint64_t)max_peers * (vectors + 1);
	t->q_limit = limit > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)limit;
	return 0;
}

void
ivsrv_table_fini(struct ivsrv_table *t)
{
	while (t->nb_peers > 0) {
		struct ivsrv_peer *p = t->peers[t->nb_peers - 1];

		if (p->sock >= 0) {
			close(p->sock);
			p->sock = -1;
		}
		ivsrv_peer_remove(t, p);
	}
	free(t->peers);
	t->peers = NULL;
}

static bool
ivsrv_id_used(const struct ivsrv_table *t, unsigned int id)
{
	return (t->id_used[id / 64] >> (id % 64)) & 1;
}

static void
ivsrv_id_set(struct ivsrv_table *t, unsigned int id, bool used)
{
	if (used)
		t->id_used[id / 64] |= UINT64_C(1) << (id % 64);
	else
		t->id_used[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

static int
ivsrv_id_alloc(struct ivsrv_table *t, uint16_t *id)
{
	unsigned int i;

	for (i = 0; i < t->id_count; i++) {
		unsigned int cand = (t->next_id + i) % t->id_count;

		if (!ivsrv_id_used(t, cand)) {
			ivsrv_id_set(t, cand, true);
			t->next_id = (cand + 1) % t->id_count;
			*id = (uint16_t)cand;
			return 0;
		}
	}
	return -1;
}

/*
 * Keep the table sorted so newcomers learn peers in ID order. It grows:
 * dropped peers stay listed until the event loop has finished with them,
 * so the count can briefly pass max-peers.
 */
static int
ivsrv_table_insert(struct ivsrv_table *t, struct ivsrv_peer *p)
{
	unsigned int pos = t->nb_peers;

	if (t->nb_peers == t->cap_peers) {
		unsigned int cap = t->cap_peers ? t->cap_peers * 2 : 16;
		struct ivsrv_peer **np = realloc(t->peers, cap * sizeof(*np));

		if (np == NULL)
			return -1;
		t->peers = np;
		t->cap_peers = cap;
	}

	while (pos > 0 && t->peers[pos - 1]->id > p->id) {
		t->peers[pos] = t->peers[pos - 1];
		pos--;
	}
	t->peers[pos] = p;
	t->nb_peers++;
	return 0;
}

static void
ivsrv_table_unlist(struct ivsrv_table *t, const struct ivsrv_peer *p)
{
	unsigned int i;

	for (i = 0; i < t->nb_peers; i++) {
		if (t->peers[i] == p) {
			memmove(&t->peers[i], &t->peers[i + 1],
				(t->nb_peers - i - 1) * sizeof(*t->peers));
			t->nb_peers--;
			return;
		}
	}
}

struct ivsrv_peer *
ivsrv_peer_new(struct ivsrv_table *t, int sock)
{
	struct ivsrv_peer *p;
	unsigned int v;
	int err;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->sock = sock;
	for (v = 0; v < t->vectors; v++) {
		p->efd[v] = ivsrv_efd_new();
		if (p->efd[v] == NULL)
			goto fail;
	}
	if (ivsrv_id_alloc(t, &p->id) < 0) {
		errno = EBUSY;
		goto fail;
	}
	if (ivsrv_table_insert(t, p) < 0) {
		ivsrv_id_set(t, p->id, false);
		errno = ENOMEM;
		goto fail;
	}
	return p;

fail:
	err = errno;
	while (v-- > 0)
		ivsrv_efd_put(p->efd[v]);
	free(p);
	errno = err;
	return NULL;
}

void
ivsrv_peer_remove(struct ivsrv_table *t, struct ivsrv_peer *p)
{
	unsigned int v;

	ivsrv_table_unlist(t, p);
	ivsrv_id_set(t, p->id, false);
	ivsrv_peer_clear_queue(p);
	free(p->q);
	for (v = 0; v < t->vectors; v++)
		ivsrv_efd_put(p->efd[v]);
	free(p);
}

static int
ivsrv_queue_grow(const struct ivsrv_table *t, struct ivsrv_peer *p)
{
	uint32_t cap = p->q_cap ? p->q_cap * 2 : IVSRV_QUEUE_MIN_CAP;
	struct ivsrv_msg *q;
	uint32_t i;

	if (p->q_cap >= t->q_limit)
		return -1;
	if (cap > t->q_limit)
		cap = t->q_limit;
	q = malloc((size_t)cap * sizeof(*q));
	if (q == NULL)
		return -1;
	for (i = 0; i < p->q_len; i++)
		q[i] = p->q[(p->q_head + i) % p->q_cap];
	free(p->q);
	p->q = q;
	p->q_cap = cap;
	p->q_head = 0;
	return 0;
}

int
ivsrv_peer_push(const struct ivsrv_table *t, struct ivsrv_peer *p,
		int64_t value, int fd, struct ivsrv_efd *ref)
{
	struct ivsrv_msg *m;

	if (p->q_len == p->q_cap && ivsrv_queue_grow(t, p) < 0)
		return -1;
	m = &p->q[(p->q_head + p->q_len) % p->q_cap];
	m->value = value;
	m->fd = fd;
	m->ref = ref;
	if (ref != NULL)
		ref->refs++;
	p->q_len++;
	return 0;
}

void
ivsrv_peer_clear_queue(struct ivsrv_peer *p)
{
	while (p->q_len > 0) {
		ivsrv_efd_put(p->q[p->q_head].ref);
		p->q_head = (p->q_head + 1) % p->q_cap;
		p->q_len--;
	}
}

/* One message, one sendmsg(): its fd travels with exactly its 8 bytes. */
static int
ivsrv_send_msg(int sock, int64_t value, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	unsigned char le[8];
	struct iovec iov = { .iov_base = le, .iov_len = sizeof(le) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint64_t v = (uint64_t)value;
	ssize_t n;
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n != (ssize_t)sizeof(le)) {
		/* Cannot resend the rest without duplicating the fd. */
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
ivsrv_peer_flush(struct ivsrv_peer *p)
{
	while (p->q_len > 0) {
		struct ivsrv_msg *m = &p->q[p->q_head];

		if (ivsrv_send_msg(p->sock, m->value, m->fd) < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		ivsrv_efd_put(m->ref);
		p->q_head = (p->q_head + 1) % p->q_cap;
		p->q_len--;
	}
	return 0;
}
