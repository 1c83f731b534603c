/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI transport: QEMU's ivshmem device (1af4:1110) inside a VM, through
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

/* BAR0 registers (32-bit). IntrMask and IntrStatus serve legacy INTx,
 * which the driver does not use (MSI-X or polling). */
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

/*
 * VFIO MSI-X: vector 0 is the handle's own fd, vector 1 + q the efd of
 * RX queue q. Every queue gets its vector whether or not the application
 * asks for RX interrupts: vector 0 serves link changes either way.
 */
static int
bar_intr_setup(struct rte_eth_dev *dev)
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

/* The BARs are the bus glue's (mapped at probe, unmapped at remove): here
 * only doorbells are chosen. */
static int
bar_open(struct rte_eth_dev *dev)
{
	struct rte_pci_device *pci = RTE_ETH_DEV_TO_PCI(dev);
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const char *name = dev->data->name;
	unsigned int vectors, need = ad->opts.queues + 1;
	uint32_t ivpos;

	if (pci->mem_resource[0].addr == NULL || pci->mem_resource[0].len < 16 ||
			pci->mem_resource[2].addr == NULL) {
		IVSH_INIT_LOG(ERR, "%s: BAR0 or BAR2 not mapped: is the device bound to vfio-pci?", name);
		return -ENODEV;
	}
	ad->map = pci->mem_resource[2].addr;
	ad->map_len = pci->mem_resource[2].len;
	dev->data->numa_node = pci->device.numa_node;
	ivpos = rte_read32(bar0_reg(dev, REG_IVPOSITION));
	vectors = msix_vectors(pci);
	ad->n_vectors = 0;
	ad->doorbell_id = IVR_NO_DOORBELL;
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
		int ret = bar_intr_setup(dev);

		if (ret != 0)
			return ret;
		/* what we enable, not the device's table size: a peer must
		 * not ring a vector we do not listen on */
		ad->n_vectors = (uint16_t)need;
		ad->doorbell_id = (uint16_t)ivpos;
	}
	IVSH_INIT_LOG(INFO, "%s: BAR2 %" PRIu64 " bytes, IVPosition %u, %u MSI-X vectors, doorbells %s",
			name, ad->map_len, ivpos, vectors, ad->n_vectors != 0 ? "on" : "off");
	return 0;
}

/* Devices whose BAR2 holds buffers the application still has (zero-copy):
 * the bus glue never unmaps them. */
static const struct rte_pci_device *pinned[RTE_MAX_ETHPORTS];

bool
ivsh_bar_pinned(const struct rte_pci_device *pci)
{
	for (unsigned int i = 0; i < RTE_DIM(pinned); i++)
		if (pinned[i] == pci)
			return true;
	return false;
}

static void
bar_close(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct rte_intr_handle *h = dev->intr_handle;

	if (ad->map_pinned && !ivsh_bar_pinned(RTE_ETH_DEV_TO_PCI(dev)))
		for (unsigned int i = 0; i < RTE_DIM(pinned); i++)
			if (pinned[i] == NULL) {
				pinned[i] = RTE_ETH_DEV_TO_PCI(dev);
				break;
			}
	if (ad->n_vectors != 0) {
		rte_intr_disable(h);
		rte_intr_efd_disable(h);
		rte_intr_vec_list_free(h);
		ad->n_vectors = 0;
	}
	ad->map = NULL;
}

/* The guest cannot see who is connected. */
static int
bar_bus_news(struct rte_eth_dev *dev __rte_unused)
{
	return -1;
}

/* A peer that published its IVPosition is taken at its word: a wrong ID
 * rings nobody. */
static bool
bar_reachable(struct rte_eth_dev *dev __rte_unused, uint16_t id __rte_unused)
{
	return true;
}

static int
bar_vector_fd(struct rte_eth_dev *dev, unsigned int v)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);

	if (v >= ad->n_vectors)
		return -1;
	return v == 0 ? rte_intr_fd_get(dev->intr_handle) :
		rte_intr_efds_index_get(dev->intr_handle, (int)v - 1);
}

static void
bar_bell_aim(struct rte_eth_dev *dev, struct ivsh_bell *b, int id, unsigned int v)
{
	uint32_t val = id < 0 ? IVSH_NO_DOORBELL : ((uint32_t)id << 16) | v;

	__atomic_store_n(&b->val, val, __ATOMIC_RELAXED);
	__atomic_store_n(&b->reg, bar0_reg(dev, REG_DOORBELL), __ATOMIC_RELEASE);
}

const struct ivsh_transport ivsh_bar_transport = {
	.name = "pci",
	.open = bar_open,
	.close = bar_close,
	.bus_news = bar_bus_news,
	.reachable = bar_reachable,
	.vector_fd = bar_vector_fd,
	.bell_aim = bar_bell_aim,
};
