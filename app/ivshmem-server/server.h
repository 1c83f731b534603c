/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSRV_SERVER_H
#define IVSRV_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "listener.h"
#include "options.h"
#include "peers.h"
#include "shm.h"

struct ivsrv_server {
	const struct ivsrv_options *opt;
	struct ivsrv_listener *lis;
	struct ivsrv_shm *shm;
	int epfd;
	int sigfd;
	int spare_fd;		/* given up to accept() when out of fds */
	bool lis_paused;	/* listener unwatched until lis_resume_ms */
	bool accept_failing;	/* accept failed, not yet logged as over */
	int64_t lis_resume_ms;	/* CLOCK_MONOTONIC */
	unsigned int nb_active;	/* connected peers not yet dropped */
	struct ivsrv_table tab;
	struct ivsrv_peer *dead;
	bool stop;
};

/*
 * Set up the event loop on an already listening socket and open shm.
 * The signals in @sigmask must already be blocked.
 */
int ivsrv_server_init(struct ivsrv_server *s, const struct ivsrv_options *o,
		      struct ivsrv_listener *lis, struct ivsrv_shm *shm,
		      const sigset_t *sigmask);

/* Serve until SIGTERM or SIGINT. Returns 0, or -1 on a fatal error. */
int ivsrv_server_run(struct ivsrv_server *s);

/*
 * One turn of ivsrv_server_run's loop: wait up to @timeout_ms (-1: no
 * limit) for events and handle them. Returns 0, or -1 on a fatal error.
 */
int ivsrv_server_step(struct ivsrv_server *s, int timeout_ms);

/*
 * Take @fd, a connected client socket (non-blocking), as if accepted:
 * welcome it, or refuse it (closed) when full. Used by the accept loop
 * and by the fuzzer, which feeds socketpairs.
 */
void ivsrv_server_adopt(struct ivsrv_server *s, int fd);

/* Close every connection; the listener and shm stay the caller's. */
void ivsrv_server_fini(struct ivsrv_server *s);

#endif /* IVSRV_SERVER_H */
