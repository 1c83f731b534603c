/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSRV_SERVER_H
#define IVSRV_SERVER_H

#include <signal.h>

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

/* Close every connection; the listener and shm stay the caller's. */
void ivsrv_server_fini(struct ivsrv_server *s);

#endif /* IVSRV_SERVER_H */
