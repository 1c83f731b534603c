/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devargs of net_ivshmem: the options, the range of every numeric key, and
 * the strings RTE_PMD_REGISTER_PARAM_STRING shows. Each range is written
 * here once: the key table in ivshmem_devargs.c parses with it, and the
 * param strings below and every error message are made from it.
 */
#ifndef IVSHMEM_DEVARGS_H
#define IVSHMEM_DEVARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "ivshmem_ring.h"

/*
 * Ranges, both ends included. Each must expand to a plain number, as
 * RTE_STR() puts it into the param strings; the ring library's limits are
 * (ivshmem_abi.h), the others are checked against the library below.
 */
#define IVSH_QUEUES_MIN			1
#define IVSH_QUEUES_MAX			IVR_MAX_QUEUES
#define IVSH_RING_MIN			IVR_MIN_RING	/* and a power of two */
#define IVSH_RING_MAX			IVR_MAX_RING
#define IVSH_BUF_MIN			IVR_MIN_BUF	/* and a multiple of */
#define IVSH_BUF_MAX			IVR_MAX_BUF
#define IVSH_BUF_MULT			IVR_CACHE_LINE
#define IVSH_ID_MIN			0		/* or "auto" */
#define IVSH_ID_MAX			1
#define IVSH_PEER_TIMEOUT_MS_MIN	250
#define IVSH_PEER_TIMEOUT_MS_MAX	60000
#define IVSH_INTR_SPIN_US_MIN		0
#define IVSH_INTR_SPIN_US_MAX		1000
#define IVSH_COPY_BREAK_MIN		0
#define IVSH_COPY_BREAK_MAX		65536
/* size=: in MiB and GiB, as the param string writes them */
#define IVSH_SIZE_MIN_MB		1
#define IVSH_SIZE_MAX_GB		64
#define IVSH_SIZE_MIN			((uint64_t)IVSH_SIZE_MIN_MB << 20)
#define IVSH_SIZE_MAX			((uint64_t)IVSH_SIZE_MAX_GB << 30)

_Static_assert(IVSH_ID_MAX == IVR_SLOTS - 1, "id= names a slot");
_Static_assert(IVSH_PEER_TIMEOUT_MS_MIN == IVR_DEAD_MS_MIN,
		"peer_timeout_ms= starts at the library's shortest dead time");

/* "<lo-hi>" */
#define IVSH_RANGE_STR(lo, hi)	"<" RTE_STR(lo) "-" RTE_STR(hi) ">"

/* Keys that make sense for a PCI device (-a <bdf>,key=value). */
#define IVSH_PCI_PARAM_STRING \
	"queues=" IVSH_RANGE_STR(IVSH_QUEUES_MIN, IVSH_QUEUES_MAX) " " \
	"ring_size=" IVSH_RANGE_STR(IVSH_RING_MIN, IVSH_RING_MAX) " " \
	"buf_size=" IVSH_RANGE_STR(IVSH_BUF_MIN, IVSH_BUF_MAX) " " \
	"id=<" RTE_STR(IVSH_ID_MIN) "|" RTE_STR(IVSH_ID_MAX) "|auto> " \
	"peer_timeout_ms=" IVSH_RANGE_STR(IVSH_PEER_TIMEOUT_MS_MIN, \
			IVSH_PEER_TIMEOUT_MS_MAX) " " \
	"intr_spin_us=" IVSH_RANGE_STR(IVSH_INTR_SPIN_US_MIN, \
			IVSH_INTR_SPIN_US_MAX) " " \
	"zero_copy=<yes|no> " \
	"rx_copy_break=" IVSH_RANGE_STR(IVSH_COPY_BREAK_MIN, \
			IVSH_COPY_BREAK_MAX) " " \
	"tx_copy_break=" IVSH_RANGE_STR(IVSH_COPY_BREAK_MIN, \
			IVSH_COPY_BREAK_MAX) " " \
	"mac=<xx:xx:xx:xx:xx:xx>"

/* Every vdev key: where the region comes from, then the rest. The table in
 * ivshmem_devargs.c parses them. */
#define IVSH_PARAM_STRING \
	"shm=<path> " \
	"server=<socket path> " \
	"size=<" RTE_STR(IVSH_SIZE_MIN_MB) "M-" RTE_STR(IVSH_SIZE_MAX_GB) "G> " \
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
	bool zero_copy;		/* RX lends the producer's buffers */
	uint32_t rx_copy_break;	/* zero-copy: frames shorter are copied */
	uint32_t tx_copy_break;	/* pool TX: frames shorter are copied */
	struct rte_ether_addr mac;
	bool mac_given;
};

#endif /* IVSHMEM_DEVARGS_H */
