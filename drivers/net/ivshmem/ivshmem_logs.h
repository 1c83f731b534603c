/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSHMEM_LOGS_H
#define IVSHMEM_LOGS_H

#include <rte_log.h>

/* pmd.net.ivshmem.init: probe, devargs, attach. */
extern int ivsh_logtype_init;
/* pmd.net.ivshmem.driver: ethdev ops, link and peer changes. */
extern int ivsh_logtype_driver;

#define IVSH_INIT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, ivsh_logtype_init, \
		"net_ivshmem: " fmt "\n", ## __VA_ARGS__)

#define IVSH_LOG(level, dev, fmt, ...) \
	rte_log(RTE_LOG_ ## level, ivsh_logtype_driver, \
		"net_ivshmem %s: " fmt "\n", (dev)->data->name, ## __VA_ARGS__)

/* The burst functions never log; they count (see ivshmem_rxtx.c). */

#endif /* IVSHMEM_LOGS_H */
