/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI IDs net_ivshmem claims, as the plugin registers them: QEMU's
 * ivshmem devices (1af4:1110, subsystem 1af4:1100) and never a device
 * that DPDK's AVP driver is for (1af4:1110, subsystem 1af4:1104).
 *
 * The plugin, and Debian's net_avp where installed, are loaded with
 * dlopen; their constructors call rte_pci_register, which this program
 * defines (exported, so it takes the place of the PCI bus's) to record
 * each driver's ID table. No EAL, no device. Matching is DPDK 22.11's
 * rte_pci_match (drivers/bus/pci/pci_common.c), which the bus does not
 * export: an entry matches when each of its IDs equals the device's or
 * is the wildcard.
 *
 * Usage: test_pci_ids PLUGIN.so [AVP.so]
 */
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

#include <bus_pci_driver.h>

#include "t_helpers.h"

#define MAX_DRIVERS	8

static const struct rte_pci_driver *registered[MAX_DRIVERS];
static unsigned int n_registered;

/* Takes the place of the PCI bus's: records the driver. */
void rte_pci_register(struct rte_pci_driver *driver);
void
rte_pci_register(struct rte_pci_driver *driver)
{
	if (n_registered < MAX_DRIVERS)
		registered[n_registered++] = driver;
}

/* The plugin's destructors unregister. */
void rte_pci_unregister(struct rte_pci_driver *driver);
void
rte_pci_unregister(struct rte_pci_driver *driver __rte_unused)
{
}

static bool
id_match(uint16_t want, uint16_t have)
{
	return want == have || want == RTE_PCI_ANY_ID;
}

static bool
pci_match(const struct rte_pci_driver *drv, const struct rte_pci_id *dev)
{
	for (const struct rte_pci_id *t = drv->id_table; t->vendor_id != 0; t++)
		if (id_match(t->vendor_id, dev->vendor_id) &&
				id_match(t->device_id, dev->device_id) &&
				id_match(t->subsystem_vendor_id, dev->subsystem_vendor_id) &&
				id_match(t->subsystem_device_id, dev->subsystem_device_id) &&
				(t->class_id == dev->class_id || t->class_id == RTE_CLASS_ANY_ID))
			return true;
	return false;
}

/* Loads so and returns the PCI driver it registered, named name. */
static const struct rte_pci_driver *
load(const char *so, const char *name)
{
	unsigned int before = n_registered;

	if (dlopen(so, RTLD_NOW | RTLD_GLOBAL) == NULL)
		t_fail("dlopen %s: %s", so, dlerror());
	for (unsigned int i = before; i < n_registered; i++)
		if (strcmp(registered[i]->driver.name, name) == 0)
			return registered[i];
	t_fail("%s registered no PCI driver %s", so, name);
}

/* QEMU ivshmem-plain/-doorbell (class 0x0500: RAM memory controller) and
 * the device AVP is for. */
static const struct rte_pci_id qemu_ivshmem = {
	.class_id = 0x050000, .vendor_id = 0x1af4, .device_id = 0x1110,
	.subsystem_vendor_id = 0x1af4, .subsystem_device_id = 0x1100,
};
static const struct rte_pci_id avp_device = {
	.class_id = 0x050000, .vendor_id = 0x1af4, .device_id = 0x1110,
	.subsystem_vendor_id = 0x1af4, .subsystem_device_id = 0x1104,
};

int
main(int argc, char **argv)
{
	const struct rte_pci_driver *ours, *avp;

	t_init("test_pci_ids");
	if (argc < 2)
		t_fail("usage: test_pci_ids PLUGIN.so [AVP.so]");
	ours = load(argv[1], "net_ivshmem_pci");
	T_EXPECT(pci_match(ours, &qemu_ivshmem),
			"net_ivshmem_pci takes QEMU's ivshmem (1af4:1110, subsystem 1af4:1100)");
	T_EXPECT(!pci_match(ours, &avp_device),
			"net_ivshmem_pci leaves AVP's device (1af4:1110, subsystem 1af4:1104)");
	if (argc < 3 || argv[2][0] == '\0' || access(argv[2], R_OK) != 0) {
		t_skip_part("net_avp is not installed: its own table not checked");
		return t_finish();
	}
	avp = load(argv[2], "net_avp");
	T_EXPECT(pci_match(avp, &avp_device), "net_avp takes its device, by its own table");
	T_EXPECT(!pci_match(avp, &qemu_ivshmem), "net_avp leaves QEMU's ivshmem");
	return t_finish();
}
