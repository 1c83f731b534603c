/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev bus glue: net_ivshmem over a shared file (tmpfs or hugetlbfs),
 * created with the right size if absent, joined if present. This is how two
 * host processes are peers, and how the transport is tested without VMs.
 */
#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define JOIN_WAIT_MS	1000	/* a creator between open and ftruncate */

static void
vdev_unmap(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	if (ad->map != NULL)
		munmap(ad->map, ad->map_len);
	ad->map = NULL;
	if (ad->fd >= 0)
		close(ad->fd);
	ad->fd = -1;
}

static const struct ivsh_bus_ops vdev_bus = {
	.unmap = vdev_unmap,
};

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
vdev_open(const char *name, struct ivsh_adapter *ad)
{
	const struct ivsh_opts *o = &ad->opts;
	struct statfs sfs;
	struct stat st;
	uint64_t page = 4096;
	bool created = false;
	int fd;

	fd = open(o->shm, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	if (fd >= 0)
		created = true;
	else if (errno == EEXIST)
		fd = open(o->shm, O_RDWR | O_CLOEXEC);
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
		if (o->size != 0 && o->size != ad->map_len) {
			IVSH_INIT_LOG(ERR, "%s: shm=%s exists with %" PRIu64 " bytes but size=%" PRIu64 " was given: drop size= or remove the file",
					name, o->shm, ad->map_len, o->size);
			close(fd);
			return -EINVAL;
		}
	}
	ad->map = mmap(NULL, ad->map_len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ad->map == MAP_FAILED) {
		IVSH_INIT_LOG(ERR, "%s: shm=%s: cannot map %" PRIu64 " bytes: %s",
				name, o->shm, ad->map_len, strerror(errno));
		ad->map = NULL;
		close(fd);
		return -ENOMEM;
	}
	ad->fd = fd;
	return 0;
}

/* NUMA node of the region's first page, or SOCKET_ID_ANY. */
static int
region_node(void *addr)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR) != 0)
		return SOCKET_ID_ANY;
	return node;
}

static int
probe_secondary(struct rte_vdev_device *vdev, const char *name)
{
	struct rte_eth_dev *dev = rte_eth_dev_attach_secondary(name);

	if (dev == NULL) {
		IVSH_INIT_LOG(ERR, "%s: secondary process cannot attach: is the primary running?", name);
		return -ENODEV;
	}
	dev->dev_ops = &ivsh_secondary_ops;
	dev->rx_pkt_burst = ivsh_dummy_burst;
	dev->tx_pkt_burst = ivsh_dummy_burst;
	dev->device = &vdev->device;
	rte_eth_dev_probing_finish(dev);
	return 0;
}

static int
ivsh_vdev_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct ivsh_opts opts;
	struct ivsh_adapter *ad;
	struct rte_eth_dev *dev;
	int ret;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return probe_secondary(vdev, name);
	ret = ivsh_opts_parse(name, rte_vdev_device_args(vdev), &opts);
	if (ret != 0)
		return ret;
	dev = rte_eth_vdev_allocate(vdev, sizeof(*ad));
	if (dev == NULL) {
		IVSH_INIT_LOG(ERR, "%s: cannot allocate the ethdev", name);
		return -ENOMEM;
	}
	ad = ivsh_adapter(dev);
	ad->opts = opts;
	ad->fd = -1;
	ad->bus = &vdev_bus;
	ret = opts.server[0] != '\0' ? ivsh_server_open(name, dev) : vdev_open(name, ad);
	if (ret == 0) {
		dev->data->numa_node = region_node(ad->map);
		ret = ivsh_ethdev_init(dev);
	}
	if (ret == 0 && ad->notify != NULL)
		ret = ivsh_server_watch(dev);
	if (ret != 0) {
		ivsh_ethdev_uninit(dev);
		rte_eth_dev_release_port(dev);
		return ret;
	}
	rte_eth_dev_probing_finish(dev);
	return 0;
}

static int
ivsh_vdev_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		rte_eth_dev_close(dev->data->port_id);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver ivsh_vdev_drv = {
	.probe = ivsh_vdev_probe,
	.remove = ivsh_vdev_remove,
};

RTE_PMD_REGISTER_VDEV(net_ivshmem, ivsh_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_ivshmem, IVSH_PARAM_STRING);
