/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI bus glue: QEMU's ivshmem device (1af4:1110) inside a VM, through
 * VFIO. BAR2 is the region; BAR0 holds IVPosition (our doorbell ID) and the
 * Doorbell register; with ivshmem-doorbell, BAR1 is MSI-X and each vector
 * arrives on a VFIO eventfd. ivshmem-plain has no vectors: polling only.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>
#include <rte_io.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

#define IVSH_VENDOR		0x1af4
#define IVSH_DEVICE		0x1110

/* BAR0 registers (32-bit). IntrMask and IntrStatus serve legacy INTx,
 * which the driver does not use (MSI-X or polling). */
#define REG_INTR_MASK		0x00
#define REG_INTR_STATUS		0x04
#define REG_IVPOSITION		0x08
#define REG_DOORBELL		0x0c

#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_MSIX		0x11

static volatile uint32_t *
bar0_reg(struct rte_eth_dev *dev, unsigned int off)
{
	struct rte_pci_device *pci = RTE_ETH_DEV_TO_PCI(dev);

	return (volatile uint32_t *)((uint8_t *)pci->mem_resource[0].addr + off);
}

/* MSI-X table size from config space, 0 without MSI-X (ivshmem-plain). */
static unsigned int
msix_vectors(struct rte_pci_device *pci)
{
	uint8_t pos = 0, id = 0;
	uint16_t ctrl = 0;

	if (rte_pci_read_config(pci, &pos, 1, PCI_CAP_PTR) != 1)
		return 0;
	/* A loop bound, since config space comes from the hypervisor. */
	for (unsigned int hops = 0; pos >= 0x40 && hops < 48; hops++) {
		if (rte_pci_read_config(pci, &id, 1, pos) != 1)
			return 0;
		if (id == PCI_CAP_ID_MSIX) {
			if (rte_pci_read_config(pci, &ctrl, 2, pos + 2) != 2)
				return 0;
			return (ctrl & 0x7ff) + 1u;
		}
		if (rte_pci_read_config(pci, &pos, 1, pos + 1) != 1)
			return 0;
		pos &= 0xfc;
	}
	return 0;
}

static int
pci_own_fd(struct rte_eth_dev *dev, unsigned int v)
{
	return v == 0 ? rte_intr_fd_get(dev->intr_handle) :
		rte_intr_efds_index_get(dev->intr_handle, (int)v - 1);
}

/* The guest cannot see who is connected: a peer that published its
 * IVPosition is taken at its word (a wrong ID rings nobody). */
static bool
pci_peer_present(struct rte_eth_dev *dev __rte_unused, uint16_t id __rte_unused)
{
	return true;
}

static void
pci_target(struct rte_eth_dev *dev, struct ivsh_txq *txq, int id, unsigned int v)
{
	uint32_t val = id < 0 ? IVSH_NO_DOORBELL : ((uint32_t)id << 16) | v;

	if (txq != NULL)
		__atomic_store_n(&txq->doorbell, val, __ATOMIC_RELAXED);
	else
		ivsh_adapter(dev)->lsc_doorbell = val;
}

/* Data path: one MMIO write, after the ring's release store of prod (and
 * its store-load fence) so the peer's wakeup sees the descriptors. */
static void
pci_kick(struct ivsh_txq *txq)
{
	uint32_t val = __atomic_load_n(&txq->doorbell, __ATOMIC_RELAXED);

	if (val != IVSH_NO_DOORBELL)
		rte_write32(val, txq->doorbell_reg);
}

static void
pci_kick_lsc(struct rte_eth_dev *dev)
{
	uint32_t val = ivsh_adapter(dev)->lsc_doorbell;

	if (val != IVSH_NO_DOORBELL)
		rte_write32(val, bar0_reg(dev, REG_DOORBELL));
}

static int
pci_poll(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

/*
 * VFIO MSI-X: vector 0 is the handle's own fd, vector 1 + q the efd of
 * RX queue q. Every queue gets its vector whether or not the application
 * asks for RX interrupts: vector 0 serves link changes either way.
 */
static int
pci_intr_setup(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct rte_intr_handle *h = dev->intr_handle;
	uint16_t nq = (uint16_t)ad->opts.queues;

	if (rte_intr_efd_enable(h, nq) != 0 ||
			rte_intr_vec_list_alloc(h, "intr_vec", nq) != 0) {
		IVSH_INIT_LOG(ERR, "%s: cannot set up %u MSI-X eventfds", dev->data->name, nq);
		return -ENOMEM;
	}
	for (uint16_t q = 0; q < nq; q++)
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0)
			return -EINVAL;
	if (rte_intr_enable(h) != 0) {
		IVSH_INIT_LOG(ERR, "%s: VFIO cannot enable MSI-X", dev->data->name);
		return -EIO;
	}
	return 0;
}

static void
pci_intr_teardown(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *h = dev->intr_handle;

	rte_intr_disable(h);
	rte_intr_efd_disable(h);
	rte_intr_vec_list_free(h);
}

static int
pci_txq_setup(struct rte_eth_dev *dev, struct ivsh_txq *txq)
{
	txq->doorbell = IVSH_NO_DOORBELL;
	txq->doorbell_reg = bar0_reg(dev, REG_DOORBELL);
	return 0;
}

static void
pci_txq_release(struct rte_eth_dev *dev __rte_unused, struct ivsh_txq *txq __rte_unused)
{
}

static const struct ivsh_notify_ops pci_notify = {
	.own_fd = pci_own_fd,
	.peer_present = pci_peer_present,
	.target = pci_target,
	.kick_lsc = pci_kick_lsc,
	.poll = pci_poll,
	.intr_setup = pci_intr_setup,
	.intr_teardown = pci_intr_teardown,
	.txq_setup = pci_txq_setup,
	.txq_release = pci_txq_release,
	.kick = pci_kick,
};

static int
ivsh_pci_init(struct rte_eth_dev *dev)
{
	struct rte_pci_device *pci = RTE_ETH_DEV_TO_PCI(dev);
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const char *name = dev->data->name;
	unsigned int vectors, need;
	uint32_t ivpos;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		dev->dev_ops = &ivsh_secondary_ops;
		dev->rx_pkt_burst = ivsh_dummy_burst;
		dev->tx_pkt_burst = ivsh_dummy_burst;
		return 0;
	}
	ret = ivsh_opts_parse_pci(name, pci->device.devargs != NULL ?
			pci->device.devargs->args : NULL, &ad->opts);
	if (ret != 0)
		return ret;
	if (pci->mem_resource[0].addr == NULL || pci->mem_resource[0].len < 16 ||
			pci->mem_resource[2].addr == NULL) {
		IVSH_INIT_LOG(ERR, "%s: BAR0 or BAR2 not mapped: is the device bound to vfio-pci?", name);
		return -ENODEV;
	}
	ad->fd = -1;
	ad->map = pci->mem_resource[2].addr;
	ad->map_len = pci->mem_resource[2].len;
	ivpos = rte_read32(bar0_reg(dev, REG_IVPOSITION));
	ad->doorbell_id = (uint16_t)ivpos;
	vectors = msix_vectors(pci);
	need = ad->opts.queues + 1;
	ad->lsc_doorbell = IVSH_NO_DOORBELL;
	if (vectors == 0) {
		IVSH_INIT_LOG(INFO, "%s: ivshmem-plain (no MSI-X): polling only, link changes seen within %u ms",
				name, IVSH_ALARM_US / 1000);
	} else if (vectors < need) {
		IVSH_INIT_LOG(ERR, "%s: the device has %u MSI-X vectors, but queues=%u needs %u (one per queue, one for link changes): give QEMU's ivshmem-doorbell vectors=%u and the server -n %u",
				name, vectors, ad->opts.queues, need, need, need);
		return -EINVAL;
	} else if (rte_intr_type_get(dev->intr_handle) != RTE_INTR_HANDLE_VFIO_MSIX) {
		IVSH_INIT_LOG(WARNING, "%s: MSI-X needs vfio-pci: polling only", name);
	} else if (ivpos >= IVR_NO_DOORBELL) {
		IVSH_INIT_LOG(WARNING, "%s: IVPosition %u cannot be rung (65535 means 'no doorbell' in the transport): polling only; run the server with --ids 65535",
				name, ivpos);
	} else {
		ad->notify = &pci_notify;
		/* what we enable, not the device's table size: a peer must
		 * not ring a vector we do not listen on */
		ad->n_vectors = (uint16_t)need;
	}
	if (ad->notify == NULL)
		ad->doorbell_id = IVR_NO_DOORBELL;
	IVSH_INIT_LOG(INFO, "%s: BAR2 %" PRIu64 " bytes, IVPosition %u, %u MSI-X vectors, doorbells %s",
			name, ad->map_len, ivpos, vectors, ad->notify != NULL ? "on" : "off");
	dev->data->numa_node = pci->device.numa_node;
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

	if (ret == 0)
		rte_pci_unmap_device(pci);
	return ret;
}

static const struct rte_pci_id ivsh_pci_ids[] = {
	{ RTE_PCI_DEVICE(IVSH_VENDOR, IVSH_DEVICE) },
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
