/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_shm.h"

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_shm: %s: %s\n", what, strerror(errno));
	abort();
}

uint8_t *
fuzz_shm_map(uint64_t size, uint8_t **hostile)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint8_t *res, *v, *h;
	int fd;

	fd = memfd_create("fuzz_shm", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		die("memfd");
	res = mmap(NULL, size + 2 * page, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("mmap guard");
	v = mmap(res + page, size, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED, fd, 0);
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED || h == MAP_FAILED)
		die("mmap region");
	close(fd);
	*hostile = h;
	return v;
}

void
fuzz_shm_protect(void *p, uint64_t len, int prot)
{
	if (mprotect(p, len, prot) != 0)
		die("mprotect");
}
