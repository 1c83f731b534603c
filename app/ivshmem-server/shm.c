/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared memory every client maps. Clients get it as an fd, so its
 * name only matters to us (cleanup) and to tools that open it by name.
 *
 * By default it has no name: a memfd sealed against shrinking and growing
 * (and against further seals), so that no client can truncate it under
 * the others, whose mappings would then fault with SIGBUS. A named object
 * (-m, -M) can be truncated by anyone who can open it, and by every client
 * through its fd: for mutually trusting clients only.
 */
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "log.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/* What a client may not do to the memory: resize it, or unseal that. */
#define IVSRV_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static const char *
ivsrv_shm_what(const struct ivsrv_shm *s)
{
	return s->name != NULL ? "-m/--shm" : s->path != NULL ?
	       "-M/--shm-path" : "anonymous memory";
}

static const char *
ivsrv_shm_where(const struct ivsrv_shm *s)
{
	return s->name != NULL ? s->name : s->path != NULL ? s->path :
	       "(memfd)";
}

/* The default: nameless, so nobody else can open it; sealed once sized. */
static int
ivsrv_shm_memfd(struct ivsrv_shm *s, bool hugetlb)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;

	if (hugetlb)
		flags |= MFD_HUGETLB;
	s->fd = memfd_create("ivshmem-server", flags);
	if (s->fd >= 0)
		return 0;
	IVSRV_ERR("anonymous memory: memfd_create%s: %s",
		  hugetlb ? " with MFD_HUGETLB" : "", strerror(errno));
	return -1;
}

static int
ivsrv_shm_seal(struct ivsrv_shm *s)
{
	if (fcntl(s->fd, F_ADD_SEALS, IVSRV_SEALS) == 0)
		return 0;
	IVSRV_ERR("anonymous memory: cannot seal it against resizing: %s",
		  strerror(errno));
	return -1;
}

static int
ivsrv_shm_create_or_open(struct ivsrv_shm *s)
{
	const int flags = O_RDWR | O_CLOEXEC;

	/* O_EXCL first: only an object we created is ours to remove. */
	if (s->name != NULL)
		s->fd = shm_open(s->name, flags | O_CREAT | O_EXCL, 0600);
	else
		s->fd = open(s->path, flags | O_CREAT | O_EXCL, 0600);
	if (s->fd >= 0) {
		s->created = true;
		return 0;
	}
	if (errno != EEXIST)
		goto fail;
	if (s->name != NULL)
		s->fd = shm_open(s->name, flags, 0);
	else
		s->fd = open(s->path, flags | O_NOFOLLOW);
	if (s->fd >= 0)
		return 0;
fail:
	IVSRV_ERR("%s %s: cannot open: %s", ivsrv_shm_what(s),
		  ivsrv_shm_where(s), strerror(errno));
	return -1;
}

/* Give a new (or empty) object its size; refuse to resize a used one. */
static int
ivsrv_shm_size_it(struct ivsrv_shm *s, const struct stat *st,
		  const struct statfs *fs)
{
	if (st->st_size != 0) {
		if ((uint64_t)st->st_size == s->size)
			return 0;
		IVSRV_ERR("%s %s: exists with size %" PRIu64 " but -l/--size "
			  "asks for %" PRIu64 " (pass that size, or remove it)",
			  ivsrv_shm_what(s), ivsrv_shm_where(s),
			  (uint64_t)st->st_size, s->size);
		return -1;
	}
	if (s->hugetlbfs && s->size % (uint64_t)fs->f_bsize != 0) {
		IVSRV_ERR("-l/--size %" PRIu64 " is not a multiple of the huge "
			  "page size %ld of %s %s", s->size, (long)fs->f_bsize,
			  ivsrv_shm_what(s), ivsrv_shm_where(s));
		return -1;
	}
	if (ftruncate(s->fd, (off_t)s->size) < 0) {
		IVSRV_ERR("%s %s: cannot set size %" PRIu64 ": %s",
			  ivsrv_shm_what(s), ivsrv_shm_where(s), s->size,
			  strerror(errno));
		return -1;
	}
	/*
	 * Huge pages are only taken when first mapped, so a shortage would
	 * surface as a QEMU mmap failure much later; claim them now instead.
	 */
	if (s->hugetlbfs) {
		int rc = posix_fallocate(s->fd, 0, (off_t)s->size);

		if (rc != 0) {
			IVSRV_ERR("%s %s: cannot reserve %" PRIu64 " bytes of "
				  "huge pages: %s", ivsrv_shm_what(s),
				  ivsrv_shm_where(s), s->size, strerror(rc));
			return -1;
		}
	}
	return 0;
}

int
ivsrv_shm_open(struct ivsrv_shm *s, const struct ivsrv_options *o)
{
	struct statfs fs;
	struct stat st;

	*s = (struct ivsrv_shm) {
		.fd = -1,
		.size = o->size,
		.name = o->shm_name,
		.path = o->shm_path,
	};
	if (s->name == NULL && s->path == NULL ?
	    ivsrv_shm_memfd(s, o->hugetlb) < 0 : ivsrv_shm_create_or_open(s) < 0)
		return -1;
	if (fstat(s->fd, &st) < 0 || fstatfs(s->fd, &fs) < 0) {
		IVSRV_ERR("%s %s: fstat: %s", ivsrv_shm_what(s),
			  ivsrv_shm_where(s), strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		IVSRV_ERR("%s %s: not a regular file", ivsrv_shm_what(s),
			  ivsrv_shm_where(s));
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->hugetlbfs = fs.f_type == HUGETLBFS_MAGIC;
	if (ivsrv_shm_size_it(s, &st, &fs) < 0)
		goto fail;
	if (s->name == NULL && s->path == NULL) {
		if (ivsrv_shm_seal(s) < 0)
			goto fail;
		IVSRV_INFO("created anonymous sealed memory%s: %" PRIu64
			   " bytes, no client can resize it",
			   s->hugetlbfs ? " in huge pages" : "", s->size);
		return 0;
	}
	IVSRV_WARN("%s %s: named memory, which any client (and anyone who "
		   "can open it) can truncate, killing every other client "
		   "with SIGBUS: for mutually trusting clients only; the "
		   "default anonymous memory cannot be resized",
		   ivsrv_shm_what(s), ivsrv_shm_where(s));
	IVSRV_INFO("%s %s shared memory %s: %" PRIu64 " bytes%s",
		   s->created ? "created" : "opened existing",
		   s->name != NULL ? "POSIX" : s->hugetlbfs ? "hugetlbfs" :
		   "file", ivsrv_shm_where(s), s->size,
		   s->created ? " (removed on exit)" : "");
	return 0;
fail:
	ivsrv_shm_close(s);
	return -1;
}

/* Someone may have replaced the name meanwhile; leave theirs alone. */
static bool
ivsrv_shm_still_ours(const struct ivsrv_shm *s)
{
	struct stat st;
	int fd;
	bool same;

	if (s->name != NULL)
		fd = shm_open(s->name, O_RDONLY | O_CLOEXEC, 0);
	else
		fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	same = fstat(fd, &st) == 0 && st.st_dev == s->dev &&
	       st.st_ino == s->ino;
	close(fd);
	return same;
}

void
ivsrv_shm_close(struct ivsrv_shm *s)
{
	if (s->fd < 0)
		return;
	if (s->created && ivsrv_shm_still_ours(s)) {
		int rc = s->name != NULL ? shm_unlink(s->name) :
			 unlink(s->path);

		if (rc < 0)
			IVSRV_WARN("%s %s: cannot remove: %s",
				   ivsrv_shm_what(s), ivsrv_shm_where(s),
				   strerror(errno));
	}
	close(s->fd);
	s->fd = -1;
}
