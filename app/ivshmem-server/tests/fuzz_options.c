/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the server's command line (options.c): the input is
 * the arguments after the program's name, separated by NUL bytes (at most
 * 16). Whatever they are, ivsrv_options_parse() returns one of its three
 * results, and on success every value is in its documented range, the
 * shared-memory choices exclude each other, and a pid file is named unless
 * in the foreground. The numbers themselves go through lib/ivshmem_parse
 * (fuzz_parse.c); this is the layer above: getopt, the combinations.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ivshmem_proto.h"
#include "options.h"
#include "t_fuzz.h"

#define MAX_ARGS	16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[1024], *argv[MAX_ARGS + 2];
	struct ivsrv_options o;
	size_t len = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;
	int argc = 1;

	memcpy(buf, data, len);
	buf[len] = '\0';
	argv[0] = (char *)"ivshmem-server";
	for (size_t i = 0; i < len && argc <= MAX_ARGS; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	optind = 0;	/* glibc: start afresh */

	switch (ivsrv_options_parse(&o, argc, argv)) {
	case IVSRV_PARSE_OK:
		if (o.socket_path == NULL || o.vectors < 1 ||
				o.vectors > IVP_MAX_VECTORS || o.max_peers < 1 ||
				o.max_peers > IVP_MAX_PEERS ||
				o.id_count < o.max_peers ||
				o.id_count > IVP_ID_COUNT ||
				o.size < IVSRV_MIN_SIZE || o.size > IVSRV_MAX_SIZE ||
				(o.size & (o.size - 1)) != 0 ||
				(o.shm_name != NULL && o.shm_path != NULL) ||
				(o.hugetlb && (o.shm_name || o.shm_path)) ||
				(!o.foreground && o.pid_file == NULL) ||
				ivsrv_options_fd_budget(&o) < o.max_peers)
			abort();
		break;
	case IVSRV_PARSE_EXIT_OK:
	case IVSRV_PARSE_ERROR:
		break;
	default:
		abort();
	}
	return 0;
}
