/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line. One strict parser per value type: a value is accepted only
 * if all of it parses and it lies in range; the error names the option,
 * the value and what is allowed.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "ivshmem_proto.h"

#define PROG "ivshmem-server"

enum {
	OPT_SOCKET_MODE = 256,
	OPT_IDS,
};

static const struct option ivsrv_long_options[] = {
	{ "socket",      required_argument, NULL, 'S' },
	{ "shm",         required_argument, NULL, 'm' },
	{ "shm-path",    required_argument, NULL, 'M' },
	{ "size",        required_argument, NULL, 'l' },
	{ "vectors",     required_argument, NULL, 'n' },
	{ "max-peers",   required_argument, NULL, 'p' },
	{ "ids",         required_argument, NULL, OPT_IDS },
	{ "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
	{ "foreground",  no_argument,       NULL, 'F' },
	{ "pid-file",    required_argument, NULL, 'P' },
	{ "verbose",     no_argument,       NULL, 'v' },
	{ "help",        no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
ivsrv_usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [OPTION]...\n"
"Serve shared memory and interrupt eventfds to ivshmem-doorbell devices\n"
"(QEMU -device ivshmem-doorbell,chardev=...) and other clients.\n"
"\n"
"  -S, --socket PATH       UNIX socket to listen on (default " IVSRV_DEFAULT_SOCKET ")\n"
"  -m, --shm NAME          POSIX shared memory object (default " IVSRV_DEFAULT_SHM_NAME ")\n"
"  -M, --shm-path FILE     use FILE instead (e.g. on hugetlbfs); excludes -m\n"
"  -l, --size SIZE         memory size, power of two, 4k..1T, suffix k/M/G/T\n"
"                          (default 4M)\n"
"  -n, --vectors N         interrupt vectors per peer, 1..%d (default %d);\n"
"                          must equal the devices' vectors= property\n"
"  -p, --max-peers N       peers served at once, 1..%d (default %d)\n"
"      --ids N             IDs are 0..N-1, handed out in turn, N >= max-peers\n"
"                          (default %d); fewer IDs are reused sooner, which\n"
"                          QEMU (7.2 at least) does not survive\n"
"      --socket-mode MODE  octal permissions of the socket (default %04o)\n"
"  -F, --foreground        do not daemonize; log to stderr\n"
"  -P, --pid-file FILE     write the server's pid to FILE (default when\n"
"                          daemonized: " IVSRV_DEFAULT_PID_FILE ")\n"
"  -v, --verbose           log every message sent\n"
"  -h, --help              show this help\n"
"\n"
"An existing shm object or file is used as is (its size must match) and\n"
"left in place on exit; one the server created is removed on exit.\n",
		IVP_MAX_VECTORS, IVSRV_DEFAULT_VECTORS, IVP_MAX_PEERS,
		IVSRV_DEFAULT_MAX_PEERS, IVP_ID_COUNT,
		IVSRV_DEFAULT_SOCKET_MODE);
}

static int __attribute__((format(printf, 3, 4)))
ivsrv_bad(const char *opt, const char *value, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s '%s': ", opt, value);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Decimal only; strtoull alone would take "-1", " 7" and "0x10". */
static int
ivsrv_parse_uint(const char *opt, const char *s, unsigned long long min,
		 unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return ivsrv_bad(opt, s, "not a number (allowed: %llu..%llu)",
				 min, max);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return ivsrv_bad(opt, s, "trailing characters '%s' (allowed: "
				 "a whole number %llu..%llu)", end, min, max);
	if (errno == ERANGE || v < min || v > max)
		return ivsrv_bad(opt, s, "out of range (allowed: %llu..%llu)",
				 min, max);
	*out = v;
	return 0;
}

static int
ivsrv_parse_uint32(const char *opt, const char *s, unsigned int min,
		   unsigned int max, unsigned int *out)
{
	unsigned long long v = 0;

	if (ivsrv_parse_uint(opt, s, min, max, &v) < 0)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int
ivsrv_parse_size(const char *opt, const char *s, uint64_t *out)
{
	static const char allowed[] = "a power of two from 4k to 1T, "
		"digits with an optional k, M, G or T suffix, e.g. 4M";
	unsigned long long v = 0;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return ivsrv_bad(opt, s, "not a size (allowed: %s)", allowed);
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return ivsrv_bad(opt, s, "unknown suffix '%s' (allowed: %s)",
				 end, allowed);
	}
	if (shift != 0 && end[1] != '\0')
		return ivsrv_bad(opt, s, "trailing characters '%s' (allowed: "
				 "%s)", end + 1, allowed);
	if (errno == ERANGE || v > (IVSRV_MAX_SIZE >> shift))
		return ivsrv_bad(opt, s, "too large (allowed: %s)", allowed);
	v <<= shift;
	if (v < IVSRV_MIN_SIZE)
		return ivsrv_bad(opt, s, "too small (allowed: %s)", allowed);
	/* QEMU asserts it when registering the BAR (pci_register_bar). */
	if ((v & (v - 1)) != 0)
		return ivsrv_bad(opt, s, "not a power of two (allowed: %s)",
				 allowed);
	*out = v;
	return 0;
}

static int
ivsrv_parse_mode(const char *opt, const char *s, mode_t *out)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '7')
		return ivsrv_bad(opt, s, "not an octal mode (allowed: 0..0777, "
				 "e.g. 0660)");
	errno = 0;
	v = strtoul(s, &end, 8);
	if (*end != '\0' || errno == ERANGE || v > 0777)
		return ivsrv_bad(opt, s, "not an octal mode (allowed: 0..0777, "
				 "e.g. 0660)");
	*out = (mode_t)v;
	return 0;
}

/* shm_open() names: one leading slash, no other, at most NAME_MAX. */
static int
ivsrv_parse_shm_name(const char *opt, const char *s, const char **out)
{
	static char name[NAME_MAX + 2];
	const char *base = s[0] == '/' ? s + 1 : s;
	size_t len = strlen(base);

	if (len == 0 || len > NAME_MAX || strchr(base, '/') != NULL ||
	    strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return ivsrv_bad(opt, s, "not a POSIX shm name (allowed: "
				 "[/]NAME, NAME without '/', 1..%d "
				 "characters; for a file use -M/--shm-path)",
				 NAME_MAX);
	snprintf(name, sizeof(name), "/%s", base);
	*out = name;
	return 0;
}

static int
ivsrv_parse_path(const char *opt, const char *s, size_t max,
		 const char **out)
{
	if (s[0] == '\0')
		return ivsrv_bad(opt, s, "empty path");
	if (max != 0 && strlen(s) > max)
		return ivsrv_bad(opt, s, "longer than %zu bytes (the limit "
				 "of a UNIX socket address)", max);
	*out = s;
	return 0;
}

enum ivsrv_parse_result
ivsrv_options_parse(struct ivsrv_options *o, int argc, char **argv)
{
	const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	bool pid_given = false;
	int c, rc = 0;

	*o = (struct ivsrv_options) {
		.socket_path = IVSRV_DEFAULT_SOCKET,
		.size = IVSRV_DEFAULT_SIZE,
		.vectors = IVSRV_DEFAULT_VECTORS,
		.max_peers = IVSRV_DEFAULT_MAX_PEERS,
		.id_count = IVP_ID_COUNT,
		.socket_mode = IVSRV_DEFAULT_SOCKET_MODE,
	};

	opterr = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, ":S:m:M:l:n:p:FP:vh",
				ivsrv_long_options, NULL)) != -1) {
		switch (c) {
		case 'S':
			rc = ivsrv_parse_path("-S/--socket", optarg, sun_max,
					      &o->socket_path);
			break;
		case 'm':
			rc = ivsrv_parse_shm_name("-m/--shm", optarg,
						  &o->shm_name);
			break;
		case 'M':
			rc = ivsrv_parse_path("-M/--shm-path", optarg, 0,
					      &o->shm_path);
			break;
		case 'l':
			rc = ivsrv_parse_size("-l/--size", optarg, &o->size);
			break;
		case 'n':
			rc = ivsrv_parse_uint32("-n/--vectors", optarg, 1,
						IVP_MAX_VECTORS, &o->vectors);
			break;
		case 'p':
			rc = ivsrv_parse_uint32("-p/--max-peers", optarg, 1,
						IVP_MAX_PEERS, &o->max_peers);
			break;
		case OPT_IDS:
			rc = ivsrv_parse_uint32("--ids", optarg, 1,
						IVP_ID_COUNT, &o->id_count);
			break;
		case OPT_SOCKET_MODE:
			rc = ivsrv_parse_mode("--socket-mode", optarg,
					      &o->socket_mode);
			break;
		case 'F':
			o->foreground = true;
			break;
		case 'P':
			rc = ivsrv_parse_path("-P/--pid-file", optarg, 0,
					      &o->pid_file);
			pid_given = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			ivsrv_usage(stdout);
			return IVSRV_PARSE_EXIT_OK;
		case ':':
			fprintf(stderr, PROG ": option %s needs a value "
				"(see --help)\n", argv[optind - 1]);
			return IVSRV_PARSE_ERROR;
		default:
			fprintf(stderr, PROG ": unknown option %s (see "
				"--help)\n", argv[optind - 1]);
			return IVSRV_PARSE_ERROR;
		}
	}
	if (rc != 0)
		return IVSRV_PARSE_ERROR;
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see "
			"--help)\n", argv[optind]);
		return IVSRV_PARSE_ERROR;
	}
	if (o->shm_name != NULL && o->shm_path != NULL) {
		fprintf(stderr, PROG ": -m/--shm and -M/--shm-path exclude "
			"each other: give one\n");
		return IVSRV_PARSE_ERROR;
	}
	if (o->shm_name == NULL && o->shm_path == NULL)
		o->shm_name = IVSRV_DEFAULT_SHM_NAME;
	if (o->id_count < o->max_peers) {
		fprintf(stderr, PROG ": --ids %u is below -p/--max-peers %u "
			"(allowed: --ids %u..%d)\n", o->id_count, o->max_peers,
			o->max_peers, IVP_ID_COUNT);
		return IVSRV_PARSE_ERROR;
	}
	if (!pid_given && !o->foreground)
		o->pid_file = IVSRV_DEFAULT_PID_FILE;
	return IVSRV_PARSE_OK;
}

uint64_t
ivsrv_options_fd_budget(const struct ivsrv_options *o)
{
	/* Per peer: its socket and its eventfds; plus our own handful. */
	return (uint64_t)o->max_peers * (o->vectors + 1) + 16;
}
