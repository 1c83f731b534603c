/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Foreground (and under systemd, which runs us with -F) the log is stderr,
 * one line a message, so the journal or a test can read it. Daemonized,
 * stderr is /dev/null and syslog takes over.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static bool ivsrv_verbose;
static bool ivsrv_syslog;

void
ivsrv_log_init(bool verbose)
{
	ivsrv_verbose = verbose;
}

void
ivsrv_log_to_syslog(void)
{
	openlog("ivshmem-server", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	ivsrv_syslog = true;
}

bool
ivsrv_log_verbose(void)
{
	return ivsrv_verbose;
}

void
ivsrv_log(int priority, const char *fmt, ...)
{
	static const char *const names[] = {
		[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",
		[LOG_CRIT] = "crit", [LOG_ERR] = "error",
		[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	va_list ap;

	va_start(ap, fmt);
	if (ivsrv_syslog) {
		vsyslog(priority, fmt, ap);
	} else {
		fprintf(stderr, "ivshmem-server: %s: ", names[priority & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
