/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSRV_LOG_H
#define IVSRV_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Until ivsrv_log_to_syslog(), messages go to stderr. */
void ivsrv_log_init(bool verbose);
void ivsrv_log_to_syslog(void);
bool ivsrv_log_verbose(void);

void ivsrv_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define IVSRV_ERR(...) ivsrv_log(LOG_ERR, __VA_ARGS__)
#define IVSRV_WARN(...) ivsrv_log(LOG_WARNING, __VA_ARGS__)
#define IVSRV_INFO(...) ivsrv_log(LOG_INFO, __VA_ARGS__)
#define IVSRV_DEBUG(...) do { \
		if (ivsrv_log_verbose()) \
			ivsrv_log(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif /* IVSRV_LOG_H */
