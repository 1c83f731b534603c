/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client of the ivshmem server protocol (ivshmem_proto.h), the one QEMU's
 * ivshmem-doorbell device speaks over its chardev socket. No DPDK
 * dependency: the PMD's server=<socket> mode, the server's tests and
 * ivshmem-probe use it. It believes nothing the server sends unchecked.
 *
 * A client never writes to the socket: a server may drop one that does.
 *
 * Threads: ivc_notify(), ivc_ack() and the getters only read the client,
 * so several threads may call them at once, but never while another
 * thread is in ivc_process() or ivc_close(): a departure closes the
 * peer's fds and frees its struct ivc_peer. A data path that must not
 * take a lock can dup() the fds it rings (dup2() to retarget) instead.
 */
#ifndef IVSHMEM_CLIENT_H
#define IVSHMEM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ivshmem_proto.h"

/*
 * Messages ivc_process() takes from the socket before it returns 0 with
 * more pending: a server that sends without end cannot hold the caller
 * (a join takes one message per vector).
 */
#define IVC_PROCESS_BUDGET 64

struct ivc_client;

struct ivc_peer {
	uint16_t id;
	/* Eventfds received so far; below ivc_vectors() only mid-join. */
	unsigned int nb_vectors;
	int fds[IVP_MAX_VECTORS];
};

enum ivc_event_type {
	/* All ivc_vectors() eventfds of the peer have arrived. */
	IVC_EV_PEER_JOINED = 1,
	/* The peer is gone; its eventfds are already closed. */
	IVC_EV_PEER_LEFT = 2,
};

struct ivc_event {
	enum ivc_event_type type;
	uint16_t id;
};

/*
 * Connect to the server socket at @path and run the handshake.
 * @vectors (1..IVP_MAX_VECTORS) is how many eventfds we use per peer; it
 * must not exceed the server's count (extra ones the server sends are
 * closed, as QEMU does). The handshake must complete within @timeout_ms
 * (0: 5000 ms, negative: no limit).
 * Returns NULL on failure with a one-line reason in @err (may be NULL).
 */
struct ivc_client *ivc_connect(const char *path, unsigned int vectors,
			       int timeout_ms, char *err, size_t errlen);

/*
 * ivc_connect() over a socket already connected to a server (a UNIX
 * stream socket: socket activation, a socketpair in tests and the fuzzer).
 * The client owns @sock from the call on: ivc_close() closes it, and so
 * does a failure here. @name stands for the path in messages.
 */
struct ivc_client *ivc_connect_fd(int sock, const char *name,
				  unsigned int vectors, int timeout_ms,
				  char *err, size_t errlen);

/*
 * Consume what the server sent since the last call, without blocking.
 * Returns 1 and fills @ev when a peer joined or left (call again: more
 * may be buffered); 0 when nothing more is pending, or when it has taken
 * IVC_PROCESS_BUDGET messages since it last returned 0 (the socket then
 * stays readable, so a caller that polls it comes back); -1 on a
 * protocol error or server hang-up (reason in ivc_error(); the client is
 * then unusable except for ivc_close() and the shm mapping, which stays
 * valid).
 */
int ivc_process(struct ivc_client *c, struct ivc_event *ev);

/* Reason for the last failure of ivc_process(). */
const char *ivc_error(const struct ivc_client *c);

uint16_t ivc_id(const struct ivc_client *c);
unsigned int ivc_vectors(const struct ivc_client *c);
/* Poll this for readability, then call ivc_process(). */
int ivc_socket_fd(const struct ivc_client *c);

/* The caller mmap()s it (MAP_SHARED); a mapping outlives ivc_close(). */
int ivc_shm_fd(const struct ivc_client *c);
uint64_t ivc_shm_size(const struct ivc_client *c);

/* Our own eventfd for @vector: readable when a peer rings us. -1 if none. */
int ivc_own_fd(const struct ivc_client *c, unsigned int vector);

/*
 * Peers currently known, in no particular order. Pointers stay valid
 * until the peer's IVC_EV_PEER_LEFT is returned or ivc_close().
 */
unsigned int ivc_peer_count(const struct ivc_client *c);
const struct ivc_peer *ivc_peer_at(const struct ivc_client *c,
				   unsigned int index);
const struct ivc_peer *ivc_peer_find(const struct ivc_client *c, uint16_t id);

/*
 * Ring @vector of peer @id (our own ID rings ourselves). Returns 0, or
 * -ENOENT (no such peer), -ENXIO (peer has no such vector yet),
 * -errno from write().
 */
int ivc_notify(const struct ivc_client *c, uint16_t id, unsigned int vector);

/*
 * Clear our own @vector: returns 1 and the number of rings since the last
 * clear in @count (may be NULL), 0 if it was not rung, -errno on error.
 */
int ivc_ack(const struct ivc_client *c, unsigned int vector,
	    uint64_t *count);

/* Close the socket and every fd received; NULL is allowed. */
void ivc_close(struct ivc_client *c);

#endif /* IVSHMEM_CLIENT_H */
