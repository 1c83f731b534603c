/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a port reaches its region and rings its peer. Three transports
 * implement every member: a shared file (ivshmem_shm.c, vdev shm=), an
 * ivshmem server (ivshmem_server.c, vdev server=) and the PCI device
 * (ivshmem_bar.c). Only the control module (ivshmem_ctl.c) calls them, under
 * its lock; the data path touches nothing here but ivsh_bell_ring().
 *
 * Vectors: 0 is for link changes, 1 + q for RX queue q. A port without
 * doorbells (a shared file, ivshmem-plain) opens with n_vectors = 0, and
 * then no peer is ever reachable and no bell is ever aimed.
 */
#ifndef IVSHMEM_TRANSPORT_H
#define IVSHMEM_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <numaif.h>
#include <unistd.h>

#include <rte_io.h>
#include <rte_memory.h>

struct rte_eth_dev;

#define IVSH_NO_DOORBELL	UINT32_MAX

/*
 * A doorbell we ring: one per TX queue (the consumer's vector for that
 * queue) and one for link changes (the peer's vector 0). Aimed by the
 * control module through bell_aim, rung by the data path or the control
 * module. It rings nobody until aimed.
 */
struct ivsh_bell {
	int fd;			/* eventfd we write, or -1 */
	volatile uint32_t *reg;	/* Doorbell register we write val to, or NULL */
	uint32_t val;		/* (peer id << 16) | vector, or IVSH_NO_DOORBELL */
};

#define IVSH_BELL_NOWHERE	{ .fd = -1, .reg = NULL, .val = IVSH_NO_DOORBELL }

/* One MMIO write or one eventfd write, after the ring's release of prod
 * (and its store-load fence), so the woken peer sees the descriptors. */
static inline void
ivsh_bell_ring(const struct ivsh_bell *b)
{
	volatile uint32_t *reg = __atomic_load_n(&b->reg, __ATOMIC_RELAXED);
	int fd = __atomic_load_n(&b->fd, __ATOMIC_RELAXED);
	uint64_t one = 1;

	if (reg != NULL) {
		uint32_t val = __atomic_load_n(&b->val, __ATOMIC_RELAXED);

		if (val != IVSH_NO_DOORBELL)
			rte_write32(val, reg);
	} else if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* Only an eventfd counter about to overflow refuses a
		 * write: the peer has a wakeup pending anyway. */
		return;
	}
}

/* NUMA node of the page at addr (a mapped region), or SOCKET_ID_ANY. */
static inline int
ivsh_numa_node_of(void *addr)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR) != 0)
		return SOCKET_ID_ANY;
	return node;
}

struct ivsh_transport {
	const char *name;
	/*
	 * Maps the region (ad->map, ad->map_len, the port's NUMA node) and
	 * learns what the bus offers: our doorbell id and vectors
	 * (ad->doorbell_id, ad->n_vectors; 0 vectors: no doorbells), with
	 * dev->intr_handle making vector 1 + q RX queue q's interrupt.
	 * close undoes it, also after a failure part-way.
	 */
	int (*open)(struct rte_eth_dev *dev);
	void (*close)(struct rte_eth_dev *dev);
	/*
	 * Takes in what the bus said about peers since the last call (a
	 * bounded amount of it), and returns the fd that turns readable when
	 * it has more to say, or -1 if it never will again.
	 */
	int (*bus_news)(struct rte_eth_dev *dev);
	/* Whether we hold peer id's eventfds, every vector: it joined, and
	 * the bus has not said it left (after the bus is lost, the last
	 * roster stands; the control module then keeps only the incarnation
	 * it was aimed at). */
	bool (*reachable)(struct rte_eth_dev *dev, uint16_t id);
	/* Our fd that turns readable when vector v is rung, or -1. */
	int (*vector_fd)(struct rte_eth_dev *dev, unsigned int v);
	/* Aims b at vector v of peer id, or at nobody when id < 0. */
	void (*bell_aim)(struct rte_eth_dev *dev, struct ivsh_bell *b, int id,
			unsigned int v);
};

extern const struct ivsh_transport ivsh_shm_transport;
extern const struct ivsh_transport ivsh_server_transport;
extern const struct ivsh_transport ivsh_bar_transport;

struct rte_pci_device;
/* Whether BAR2 of pci holds zero-copy buffers the application still has
 * (its port closed meanwhile): the PCI bus glue must not unmap it. */
bool ivsh_bar_pinned(const struct rte_pci_device *pci);

#endif /* IVSHMEM_TRANSPORT_H */
