/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IVSRV_OPTIONS_H
#define IVSRV_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define IVSRV_DEFAULT_SOCKET "/run/ivshmem.sock"
#define IVSRV_DEFAULT_PID_FILE "/run/ivshmem-server.pid"
#define IVSRV_DEFAULT_SIZE (4ULL << 20)
#define IVSRV_DEFAULT_VECTORS 1
#define IVSRV_DEFAULT_MAX_PEERS 64
#define IVSRV_DEFAULT_SOCKET_MODE 0660

/* The guest maps the memory as a PCI BAR: a power of two, at least a page. */
#define IVSRV_MIN_SIZE (4ULL << 10)
#define IVSRV_MAX_SIZE (1ULL << 40)

struct ivsrv_options {
	const char *socket_path;
	/*
	 * At most one of the two; neither (the default): an anonymous memfd
	 * sealed against resizing, which no client can shrink under the
	 * others. Named objects are for mutually trusting clients only.
	 */
	const char *shm_name;	/* POSIX shm object, "/name" */
	const char *shm_path;	/* file, e.g. on hugetlbfs */
	bool hugetlb;		/* the memfd in huge pages (MFD_HUGETLB) */
	uint64_t size;
	unsigned int vectors;
	unsigned int max_peers;
	unsigned int id_count;	/* IDs are 0..id_count-1 */
	mode_t socket_mode;
	bool foreground;
	const char *pid_file;	/* NULL: none */
	bool verbose;
};

enum ivsrv_parse_result {
	IVSRV_PARSE_OK,
	IVSRV_PARSE_EXIT_OK,	/* --help */
	IVSRV_PARSE_ERROR,	/* reason already printed */
};

enum ivsrv_parse_result ivsrv_options_parse(struct ivsrv_options *o,
					    int argc, char **argv);

/* File descriptors the server may need at its peak, for RLIMIT_NOFILE. */
uint64_t ivsrv_options_fd_budget(const struct ivsrv_options *o);

#endif /* IVSRV_OPTIONS_H */
