/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSRV_SHM_H
#define IVSRV_SHM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "options.h"

struct ivsrv_shm {
	int fd;
	uint64_t size;
	bool created;		/* ours to remove on exit */
	bool hugetlbfs;
	const char *name;	/* POSIX shm name, or NULL */
	const char *path;	/* file, or NULL */
	dev_t dev;
	ino_t ino;
};

/* Create (or open an existing) object of the configured size. */
int ivsrv_shm_open(struct ivsrv_shm *s, const struct ivsrv_options *o);

/* Close; remove the object if we created it and it is still ours. */
void ivsrv_shm_close(struct ivsrv_shm *s);

#endif /* IVSRV_SHM_H */
