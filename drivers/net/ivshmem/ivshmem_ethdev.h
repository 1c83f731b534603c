/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private state of a net_ivshmem port. Shared-memory layout and the ring
 * protocol live in lib/ivshmem_ring; this is only what the ethdev adds.
 */
#ifndef IVSHMEM_ETHDEV_H
#define IVSHMEM_ETHDEV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_ether.h>

#include "ivr_queue.h"
#include "ivshmem_ring.h"

#define IVSH_DEFAULT_RING	1024
#define IVSH_DEFAULT_BUF	2048
#define IVSH_MAX_MTU		9000
/* Largest frame: MTU 9000 plus Ethernet header, two VLAN tags and CRC room. */
#define IVSH_MAX_FRAME		(IVSH_MAX_MTU + RTE_ETHER_HDR_LEN + 8 + RTE_ETHER_CRC_LEN)
#define IVSH_DRAIN_MS		500
/* Before a queue announces sleep, it watches its ring this long: traffic
 * with gaps shorter than this never costs a doorbell. */
#define IVSH_INTR_SPIN_US	20
#define IVSH_ALARM_US		(IVR_HEARTBEAT_MS * 1000 / 2)

/* Keys that make sense for a PCI device (-a <bdf>,key=value). */
#define IVSH_PCI_PARAM_STRING \
	"queues=<1-16> " \
	"ring_size=<64-16384> " \
	"buf_size=<128-65536> " \
	"id=<0|1|auto> " \
	"peer_timeout_ms=<250-60000> " \
	"intr_spin_us=<0-1000> " \
	"mac=<xx:xx:xx:xx:xx:xx>"

/* Every vdev key: where the region comes from, then the rest. The table in
 * ivshmem_devargs.c parses them. */
#define IVSH_PARAM_STRING \
	"shm=<path> " \
	"server=<socket path> " \
	"size=<bytes> " \
	IVSH_PCI_PARAM_STRING

/* Devargs, with their defaults in ivsh_opts_default(). */
struct ivsh_opts {
	char shm[PATH_MAX];	/* shared file: tmpfs or hugetlbfs */
	char server[PATH_MAX];	/* ivshmem server socket */
	uint64_t size;		/* region bytes; 0 = smallest that fits */
	uint32_t queues;
	uint32_t ring_size;
	uint32_t buf_size;
	int32_t id;		/* slot 0/1, or -1 = automatic */
	uint32_t peer_timeout_ms;
	uint32_t intr_spin_us;	/* watch the ring this long before sleeping */
	struct rte_ether_addr mac;
	bool mac_given;
};

struct ivsh_rxq {
	struct ivr_rx ring;		/* hot: first */
	struct rte_mempool *mp;
	uint64_t bytes;
	uint64_t nombuf;
	uint64_t wakeups;	/* interrupts re-disabled after a sleep */
	uint16_t port_id;
	uint16_t queue_id;
};

struct ivsh_txq;
typedef void (*ivsh_kick_t)(struct ivsh_txq *txq);

struct ivsh_txq {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t full;		/* bursts cut short: ring or buffers full */
	uint64_t oversize;	/* frames dropped: larger than max frame */
	uint32_t max_frame;	/* ours and the peer's, smaller; control thread */
	ivsh_kick_t kick;	/* NULL: no doorbells (shm= mode) */
	int kick_fd;		/* eventfd mode: retargeted with dup2() */
	uint32_t doorbell;	/* register mode: (peer id << 16) | vector */
	volatile uint32_t *doorbell_reg;
	uint16_t port_id;
	uint16_t queue_id;
	struct ivr_tx ring;	/* last: it ends in a flexible array */
};

/*
 * Doorbells and interrupts, whatever carries them: eventfds from an
 * ivshmem server (vdev server=), or the PCI device's doorbell register and
 * VFIO MSI-X vectors. Vector 0 is for link-state changes, vector 1 + q for
 * RX queue q.
 */
struct ivsh_notify_ops {
	/* Our own fd that becomes readable when a peer rings vector v. */
	int (*own_fd)(struct rte_eth_dev *dev, unsigned int v);
	/* Whether peer id can be rung now (it is connected). */
	bool (*peer_present)(struct rte_eth_dev *dev, uint16_t id);
	/* Make txq's kick (or vector 0 when txq is NULL) ring vector v of
	 * peer id; id < 0 makes it ring nothing. Control thread only. */
	void (*target)(struct rte_eth_dev *dev, struct ivsh_txq *txq, int id,
			unsigned int v);
	/* Ring vector 0 of the current target (link-state change). */
	void (*kick_lsc)(struct rte_eth_dev *dev);
	/* Bus events (peer joined/left) on the control thread; < 0 when
	 * the bus is gone for good. */
	int (*poll)(struct rte_eth_dev *dev);
	/* RX queue interrupts: fill dev->intr_handle so that queue q
	 * is vector 1 + q; and undo it. */
	int (*intr_setup)(struct rte_eth_dev *dev);
	void (*intr_teardown)(struct rte_eth_dev *dev);
	/* Per TX queue doorbell state, at queue setup and release. */
	int (*txq_setup)(struct rte_eth_dev *dev, struct ivsh_txq *txq);
	void (*txq_release)(struct rte_eth_dev *dev, struct ivsh_txq *txq);
	ivsh_kick_t kick;
};

/* Where the region comes from: a file (vdev) or a PCI BAR. */
struct ivsh_bus_ops {
	void (*unmap)(struct rte_eth_dev *dev);
};

struct ivsh_adapter {
	struct ivr_region region;
	struct ivsh_opts opts;
	struct rte_ether_addr mac;
	const struct ivsh_bus_ops *bus;
	void *map;			/* the region, in this process */
	uint64_t map_len;
	int fd;
	bool attached;
	bool started;
	bool alarm_on;
	uint32_t max_frame;
	uint64_t link_changes;
	enum ivr_down_reason last_why;
	uint64_t intr_spin_tsc;		/* opts.intr_spin_us in TSC cycles */
	/* doorbells: NULL without them */
	const struct ivsh_notify_ops *notify;
	void *notify_priv;
	uint16_t n_vectors;
	uint16_t doorbell_id;		/* ours, or IVR_NO_DOORBELL */
	uint32_t lsc_doorbell;		/* PCI: value that rings vector 0 */
	int target_id;			/* peer doorbell id we ring, or -1 */
	uint32_t target_epoch;		/* of the peer incarnation */
	bool peer_left;			/* the bus said our peer is gone */
	struct rte_intr_handle *ctl_intr[2]; /* bus socket, vector 0 */
};

static inline struct ivsh_adapter *
ivsh_adapter(struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* ivshmem_devargs.c */
void ivsh_opts_default(struct ivsh_opts *o);
int ivsh_opts_parse(const char *name, const char *args, struct ivsh_opts *o);
int ivsh_opts_parse_pci(const char *name, const char *args, struct ivsh_opts *o);

/* ivshmem_ethdev.c: common to every bus */
int ivsh_ethdev_init(struct rte_eth_dev *dev);
int ivsh_ethdev_uninit(struct rte_eth_dev *dev);
extern const struct eth_dev_ops ivsh_secondary_ops;

/* ivshmem_intr.c: common doorbell and interrupt plumbing */
int ivsh_intr_setup(struct rte_eth_dev *dev);
void ivsh_intr_teardown(struct rte_eth_dev *dev);
int ivsh_intr_watch_bus(struct rte_eth_dev *dev, int fd);
int ivsh_intr_vdev_setup(struct rte_eth_dev *dev);
void ivsh_intr_vdev_teardown(struct rte_eth_dev *dev);
void ivsh_notify_update(struct rte_eth_dev *dev);
int ivsh_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid);
int ivsh_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid);
void ivsh_control_poll(struct rte_eth_dev *dev);

/* ivshmem_server.c: vdev server=<socket> */
int ivsh_server_open(const char *name, struct rte_eth_dev *dev);
int ivsh_server_watch(struct rte_eth_dev *dev);

/* ivshmem_pci.c */
#define IVSH_NO_DOORBELL	UINT32_MAX
#define IVSH_NO_VECTOR		UINT32_MAX

/* ivshmem_rxtx.c */
uint16_t ivsh_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t ivsh_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t ivsh_dummy_burst(void *q, struct rte_mbuf **pkts, uint16_t n);

#endif /* IVSHMEM_ETHDEV_H */
