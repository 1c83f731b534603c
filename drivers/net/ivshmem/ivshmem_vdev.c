/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev bus glue: net_ivshmem on the host, over a shared file (shm=, the
 * shared-file transport) or an ivshmem server (server=, the server
 * transport).
 */
#include <errno.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

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
	ad->tp = opts.server[0] != '\0' ? &ivsh_server_transport : &ivsh_shm_transport;
	ret = ivsh_ethdev_init(dev);
	if (ret != 0) {
		rte_eth_dev_release_port(dev);
		return ret;
	}
	rte_eth_dev_probing_finish(dev);
	return 0;
}

/* As net_null: the port is closed here unless the application closed it
 * (which released it), then released once. */
static int
ivsh_vdev_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		ivsh_ethdev_uninit(dev);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver ivsh_vdev_drv = {
	.probe = ivsh_vdev_probe,
	.remove = ivsh_vdev_remove,
};

RTE_PMD_REGISTER_VDEV(net_ivshmem, ivsh_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_ivshmem, IVSH_PARAM_STRING);
