/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSRV_LISTENER_H
#define IVSRV_LISTENER_H

#include <sys/types.h>

struct ivsrv_listener {
	int fd;
	const char *path;
	dev_t dev;
	ino_t ino;
};

/*
 * Listen on @path. A live server there is an error; a stale socket file
 * (nobody accepting) is removed and reused; anything else is left alone.
 */
int ivsrv_listen(struct ivsrv_listener *l, const char *path, mode_t mode);

/* Close, and remove the socket file if it is still the one we bound. */
void ivsrv_unlisten(struct ivsrv_listener *l);

#endif /* IVSRV_LISTENER_H */
