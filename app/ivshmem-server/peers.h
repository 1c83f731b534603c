/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSRV_PEERS_H
#define IVSRV_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ivshmem_proto.h"

/*
 * An eventfd with a reference count: queued messages hold references, so
 * a message naming a departed peer's eventfd can still be sent (followed
 * by the departure) without dup()ing fds per message.
 */
struct ivsrv_efd {
	int fd;
	unsigned int refs;
};

/* One protocol message waiting to be sent. */
struct ivsrv_msg {
	int64_t value;
	int fd;			/* -1: none */
	struct ivsrv_efd *ref;	/* keeps @fd open, or NULL */
};

struct ivsrv_peer {
	int sock;
	uint16_t id;
	bool dead;		/* dropped, departure not yet announced */
	bool want_out;		/* EPOLLOUT armed */
	pid_t pid;
	uid_t uid;
	struct ivsrv_peer *next_dead;
	struct ivsrv_efd *efd[IVP_MAX_VECTORS];
	/* Ring of messages a slow reader has not taken yet. */
	struct ivsrv_msg *q;
	uint32_t q_head;
	uint32_t q_len;
	uint32_t q_cap;
};

struct ivsrv_table {
	unsigned int vectors;
	unsigned int id_count;
	uint32_t q_limit;
	/* By ascending ID; includes dead peers until they are removed. */
	struct ivsrv_peer **peers;
	unsigned int nb_peers;
	unsigned int cap_peers;
	unsigned int next_id;
	uint64_t id_used[IVP_ID_COUNT / 64];
};

int ivsrv_table_init(struct ivsrv_table *t, unsigned int vectors,
		     unsigned int max_peers, unsigned int id_count);
/* Frees every peer still present; closes their sockets. */
void ivsrv_table_fini(struct ivsrv_table *t);

/*
 * A peer for connected socket @sock: next free ID, fresh eventfds, listed
 * in the table. NULL with errno (EBUSY: no free ID) on failure; @sock is
 * then still the caller's.
 */
struct ivsrv_peer *ivsrv_peer_new(struct ivsrv_table *t, int sock);

/* Unlist, release the ID and eventfds, free. The socket must be closed. */
void ivsrv_peer_remove(struct ivsrv_table *t, struct ivsrv_peer *p);

/* Queue a message (@ref, if any, gains a reference). -1: queue full. */
int ivsrv_peer_push(const struct ivsrv_table *t, struct ivsrv_peer *p,
		    int64_t value, int fd, struct ivsrv_efd *ref);

/* Forget queued messages, releasing their references. */
void ivsrv_peer_clear_queue(struct ivsrv_peer *p);

/*
 * Send queued messages until done or the socket is full.
 * Returns 0 (check p->q_len for leftovers) or -1 with errno.
 */
int ivsrv_peer_flush(struct ivsrv_peer *p);

#endif /* IVSRV_PEERS_H */
