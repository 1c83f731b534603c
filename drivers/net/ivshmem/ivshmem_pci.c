/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI bus glue: QEMU's ivshmem device (1af4:1110, subsystem 1af4:1100)
 * inside a VM, bound to vfio-pci. Maps the BARs and hands the port to the
 * PCI transport (ivshmem_bar.c).
 */
#include <errno.h>

#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

/*
 * QEMU's ivshmem-plain and ivshmem-doorbell: 1af4:1110 with QEMU's default
 * subsystem, 1af4:1100. The subsystem is matched too: DPDK's AVP driver
 * (net_avp) takes 1af4:1110 with subsystem 1af4:1104, a device that speaks
 * its own protocol, not ours. A PCI ID table only says what matches, so
 * ours names exactly the subsystem QEMU gives ivshmem.
 */
#define IVSH_VENDOR		0x1af4
#define IVSH_DEVICE		0x1110
#define IVSH_SUBSYS_VENDOR	0x1af4
#define IVSH_SUBSYS_DEVICE	0x1100

static int
ivsh_pci_init(struct rte_eth_dev *dev)
{
	struct rte_pci_device *pci = RTE_ETH_DEV_TO_PCI(dev);
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		dev->dev_ops = &ivsh_secondary_ops;
		dev->rx_pkt_burst = ivsh_dummy_burst;
		dev->tx_pkt_burst = ivsh_dummy_burst;
		return 0;
	}
	ret = ivsh_opts_parse_pci(dev->data->name, pci->device.devargs != NULL ?
			pci->device.devargs->args : NULL, &ad->opts);
	if (ret != 0)
		return ret;
	ad->tp = &ivsh_bar_transport;
	return ivsh_ethdev_init(dev);
}

static int
ivsh_pci_uninit(struct rte_eth_dev *dev)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	return ivsh_ethdev_uninit(dev);
}

/*
 * We map the BARs ourselves rather than set RTE_PCI_DRV_NEED_MAPPING: EAL
 * skips a device on an unsupported kernel driver with only a debug line,
 * and the user deserves to be told what to do.
 */
static int
ivsh_pci_probe(struct rte_pci_driver *drv __rte_unused, struct rte_pci_device *pci)
{
	int ret;

	if (pci->kdrv != RTE_PCI_KDRV_VFIO) {
		IVSH_INIT_LOG(ERR, "%s: ivshmem device not bound to vfio-pci: run 'dpdk-devbind.py -b vfio-pci %s' (and modprobe vfio-pci)",
				pci->device.name, pci->device.name);
		return -ENODEV;
	}
	ret = rte_pci_map_device(pci);
	if (ret != 0) {
		IVSH_INIT_LOG(ERR, "%s: cannot map the device through VFIO (is an IOMMU, or VFIO no-IOMMU mode, available?)",
				pci->device.name);
		return -ENODEV;
	}
	ret = rte_eth_dev_pci_generic_probe(pci, sizeof(struct ivsh_adapter),
			ivsh_pci_init);
	if (ret != 0)
		rte_pci_unmap_device(pci);
	return ret;
}

static int
ivsh_pci_remove(struct rte_pci_device *pci)
{
	int ret = rte_eth_dev_pci_generic_remove(pci, ivsh_pci_uninit);

	/* BAR2 holding buffers the application still has stays mapped */
	if (ret == 0 && !ivsh_bar_pinned(pci))
		rte_pci_unmap_device(pci);
	return ret;
}

static const struct rte_pci_id ivsh_pci_ids[] = {
	{
		.class_id = RTE_CLASS_ANY_ID,
		.vendor_id = IVSH_VENDOR,
		.device_id = IVSH_DEVICE,
		.subsystem_vendor_id = IVSH_SUBSYS_VENDOR,
		.subsystem_device_id = IVSH_SUBSYS_DEVICE,
	},
	{ .vendor_id = 0 },
};

static struct rte_pci_driver ivsh_pci_drv = {
	.id_table = ivsh_pci_ids,
	.drv_flags = 0,
	.probe = ivsh_pci_probe,
	.remove = ivsh_pci_remove,
};

RTE_PMD_REGISTER_PCI(net_ivshmem_pci, ivsh_pci_drv);
RTE_PMD_REGISTER_PCI_TABLE(net_ivshmem_pci, ivsh_pci_ids);
RTE_PMD_REGISTER_KMOD_DEP(net_ivshmem_pci, "vfio-pci");
RTE_PMD_REGISTER_PARAM_STRING(net_ivshmem_pci, IVSH_PCI_PARAM_STRING);
