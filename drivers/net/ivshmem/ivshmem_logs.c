/* SPDX-License-Identifier: BSD-3-Clause */
/* The driver's log types, pmd.net.ivshmem.init and .driver (ivshmem_logs.h). */
#include <rte_log.h>

#include "ivshmem_logs.h"

RTE_LOG_REGISTER_SUFFIX(ivsh_logtype_init, init, NOTICE);
RTE_LOG_REGISTER_SUFFIX(ivsh_logtype_driver, driver, NOTICE);
