/* SPDX-License-Identifier: BSD-3-Clause */
#include "listener.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"

#define IVSRV_LISTEN_BACKLOG 64

static void
ivsrv_sockaddr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* Length checked by the option parser. */
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

/* Returns 0 if @path is free to bind now, -1 (reason logged) if not. */
static int
ivsrv_claim_path(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		IVSRV_ERR("-S/--socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		IVSRV_ERR("-S/--socket %s: exists and is not a socket; not "
			  "replacing it", path);
		return -1;
	}

	/* Only a connect tells a live server from a leftover file. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		IVSRV_ERR("socket: %s", strerror(errno));
		return -1;
	}
	ivsrv_sockaddr(&sa, path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN) {
		IVSRV_ERR("-S/--socket %s: a server is already listening "
			  "there", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		IVSRV_ERR("-S/--socket %s: cannot check whether it is in use: "
			  "%s", path, strerror(e));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		IVSRV_ERR("-S/--socket %s: cannot remove stale socket: %s",
			  path, strerror(errno));
		return -1;
	}
	IVSRV_INFO("removed stale socket %s", path);
	return 0;
}

int
ivsrv_listen(struct ivsrv_listener *l, const char *path, mode_t mode)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old_mask;
	int rc, e;

	l->fd = -1;
	l->path = path;
	if (ivsrv_claim_path(path) < 0)
		return -1;

	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (l->fd < 0) {
		IVSRV_ERR("socket: %s", strerror(errno));
		return -1;
	}
	ivsrv_sockaddr(&sa, path);
	/* No window in which the socket is more open than asked. */
	old_mask = umask(~mode & 0777);
	rc = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old_mask);
	if (rc < 0) {
		IVSRV_ERR("-S/--socket %s: cannot bind: %s", path,
			  e == EADDRINUSE ? "another server just took it" :
			  strerror(e));
		goto fail;
	}
	if (stat(path, &st) < 0) {
		IVSRV_ERR("-S/--socket %s: stat: %s", path, strerror(errno));
		goto fail_unlink;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if (chmod(path, mode) < 0) {
		IVSRV_ERR("--socket-mode %04o on %s: %s", (unsigned int)mode,
			  path, strerror(errno));
		goto fail_unlink;
	}
	if (listen(l->fd, IVSRV_LISTEN_BACKLOG) < 0) {
		IVSRV_ERR("-S/--socket %s: listen: %s", path, strerror(errno));
		goto fail_unlink;
	}
	return 0;

fail_unlink:
	unlink(path);
fail:
	close(l->fd);
	l->fd = -1;
	return -1;
}

void
ivsrv_unlisten(struct ivsrv_listener *l)
{
	struct stat st;

	if (l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	if (stat(l->path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino && unlink(l->path) < 0)
		IVSRV_WARN("cannot remove socket %s: %s", l->path,
			   strerror(errno));
}
