/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared-file transport (vdev shm=<path>): a file on tmpfs or hugetlbfs,
 * created with the right size if absent, joined if present. This is how two
 * host processes are peers, and how the transport is tested without VMs.
 * A file carries no doorbells: polling only, link changes seen by the alarm.
 *
 * Whoever can open the file can also truncate it and so kill every process
 * that maps it (SIGBUS): shm= is for mutually trusting processes. Within
 * that, the joiner still checks what it opens: the path itself, never a
 * symbolic link, and no larger than the largest region the devargs can
 * make; a size other than ours is mapped without prefaulting it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <ethdev_driver.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define JOIN_WAIT_MS	1000	/* a creator between open and ftruncate */

/* The size a new region gets: the devarg, or the smallest that fits. */
static uint64_t
size_for(const struct ivsh_opts *o, uint64_t page)
{
	struct ivr_config c = {
		.n_queues = (uint16_t)o->queues,
		.ring_size = o->ring_size,
		.buf_size = o->buf_size,
		.max_frame = 64,
	};
	uint64_t size = o->size != 0 ? o->size : ivr_region_size_for(&c);

	return RTE_ALIGN_CEIL(size, page);
}

static int
shm_map(const char *name, struct ivsh_adapter *ad)
{
	const struct ivsh_opts *o = &ad->opts;
	struct statfs sfs;
	struct stat st;
	uint64_t page = 4096;
	bool created = false;
	int populate = MAP_POPULATE;
	int fd;

	fd = open(o->shm, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd >= 0)
		created = true;
	else if (errno == EEXIST)
		fd = open(o->shm, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP) {
		IVSH_INIT_LOG(ERR, "%s: shm=%s is a symbolic link: refused (give the path of the file itself)",
				name, o->shm);
		return -ELOOP;
	}
	if (fd < 0) {
		IVSH_INIT_LOG(ERR, "%s: shm=%s: cannot open: %s", name, o->shm,
				strerror(errno));
		return -errno;
	}
	if (fstatfs(fd, &sfs) == 0 && (uint32_t)sfs.f_type == HUGETLBFS_MAGIC)
		page = (uint64_t)sfs.f_bsize;
	if (created) {
		ad->map_len = size_for(o, page);
		if (ftruncate(fd, (off_t)ad->map_len) != 0) {
			IVSH_INIT_LOG(ERR, "%s: shm=%s: cannot size to %" PRIu64 " bytes: %s",
					name, o->shm, ad->map_len, strerror(errno));
			unlink(o->shm);
			close(fd);
			return -ENOSPC;
		}
	} else {
		for (unsigned int ms = 0; ; ms++) {
			if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
				IVSH_INIT_LOG(ERR, "%s: shm=%s is not a regular file", name, o->shm);
				close(fd);
				return -EINVAL;
			}
			if (st.st_size != 0 || ms >= JOIN_WAIT_MS)
				break;
			rte_delay_us_sleep(1000);
		}
		ad->map_len = (uint64_t)st.st_size;
		if (ad->map_len > IVSH_SIZE_MAX) {
			IVSH_INIT_LOG(ERR, "%s: shm=%s has %" PRIu64 " bytes, more than the largest region (%" PRIu64 " bytes, size=" RTE_STR(IVSH_SIZE_MAX_GB) "G): refused",
					name, o->shm, ad->map_len, IVSH_SIZE_MAX);
			close(fd);
			return -EFBIG;
		}
		if (o->size != 0 && o->size != ad->map_len) {
			IVSH_INIT_LOG(ERR, "%s: shm=%s exists with %" PRIu64 " bytes but size=%" PRIu64 " was given: drop size= or remove the file",
					name, o->shm, ad->map_len, o->size);
			close(fd);
			return -EINVAL;
		}
	}
	/* Prefault what we would have made; another size is the creator's
	 * choice, and taking all of its pages up front is not ours. */
	if (!created && ad->map_len != size_for(o, page)) {
		populate = 0;
		IVSH_INIT_LOG(INFO, "%s: shm=%s has %" PRIu64 " bytes, not the %" PRIu64 " this port would create: mapped without prefaulting",
				name, o->shm, ad->map_len, size_for(o, page));
	}
	ad->map = mmap(NULL, ad->map_len, PROT_READ | PROT_WRITE,
			MAP_SHARED | populate, fd, 0);
	if (ad->map == MAP_FAILED) {
		IVSH_INIT_LOG(ERR, "%s: shm=%s: cannot map %" PRIu64 " bytes: %s",
				name, o->shm, ad->map_len, strerror(errno));
		ad->map = NULL;
		close(fd);
		return -ENOMEM;
	}
	/* The mapping keeps the file: the fd has served its purpose. */
	close(fd);
	return 0;
}

static int
shm_open_region(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret = shm_map(dev->data->name, ad);

	if (ret != 0)
		return ret;
	dev->data->numa_node = ivsh_numa_node_of(ad->map);
	ad->doorbell_id = IVR_NO_DOORBELL;
	ad->n_vectors = 0;
	return 0;
}

static void
shm_close(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	/* pinned: the application still holds lent buffers in it */
	if (ad->map != NULL && !ad->map_pinned)
		munmap(ad->map, ad->map_len);
	ad->map = NULL;
}

/* Nobody to hear from: a file says nothing about who maps it. */
static int
shm_bus_news(struct rte_eth_dev *dev __rte_unused)
{
	return -1;
}

/* No doorbells in a file: no peer can be rung. */
static bool
shm_reachable(struct rte_eth_dev *dev __rte_unused, uint16_t id __rte_unused)
{
	return false;
}

static int
shm_vector_fd(struct rte_eth_dev *dev __rte_unused, unsigned int v __rte_unused)
{
	return -1;
}

/* With no peer reachable, every bell rings nobody. */
static void
shm_bell_aim(struct rte_eth_dev *dev __rte_unused, struct ivsh_bell *b,
		int id __rte_unused, unsigned int v __rte_unused)
{
	*b = (struct ivsh_bell)IVSH_BELL_NOWHERE;
}

const struct ivsh_transport ivsh_shm_transport = {
	.name = "shm",
	.open = shm_open_region,
	.close = shm_close,
	.bus_news = shm_bus_news,
	.reachable = shm_reachable,
	.vector_fd = shm_vector_fd,
	.bell_aim = shm_bell_aim,
};
