/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line. Numbers and sizes go through lib/ivshmem_parse, with the
 * ranges of ivsrv_nums[], which --help prints too; names, paths and the
 * socket mode have their own strict parsers here. Every error names the
 * option, the value and what is allowed.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "ivshmem_proto.h"
#include "ivshmem_parse.h"

#define PROG "ivshmem-server"

enum {
	OPT_SOCKET_MODE = 256,
	OPT_IDS,
};

static const struct option ivsrv_long_options[] = {
	{ "socket",      required_argument, NULL, 'S' },
	{ "shm",         required_argument, NULL, 'm' },
	{ "shm-path",    required_argument, NULL, 'M' },
	{ "hugetlb",     no_argument,       NULL, 'H' },
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

/* The numeric options: one range each, for the parser and for --help. */
struct ivsrv_num {
	int opt;		/* getopt_long's value */
	const char *key;	/* as messages name it */
	struct ivn_spec spec;
	size_t off, size;	/* the field in struct ivsrv_options */
};

#define IVSRV_FIELD(f) offsetof(struct ivsrv_options, f), \
	sizeof(((struct ivsrv_options *)0)->f)

static const struct ivsrv_num ivsrv_nums[] = {
	{ 'l', "--size", IVN_SIZE_POW2(IVSRV_MIN_SIZE, IVSRV_MAX_SIZE),
	  IVSRV_FIELD(size) },
	{ 'n', "--vectors", IVN_UINT(1, IVP_MAX_VECTORS), IVSRV_FIELD(vectors) },
	{ 'p', "--max-peers", IVN_UINT(1, IVP_MAX_PEERS), IVSRV_FIELD(max_peers) },
	{ OPT_IDS, "--ids", IVN_UINT(1, IVP_ID_COUNT), IVSRV_FIELD(id_count) },
};

#define IVSRV_N_NUMS (sizeof(ivsrv_nums) / sizeof(ivsrv_nums[0]))

static const struct ivsrv_num *
ivsrv_num(int opt)
{
	for (size_t i = 0; i < IVSRV_N_NUMS; i++)
		if (ivsrv_nums[i].opt == opt)
			return &ivsrv_nums[i];
	return NULL;
}

/* What option opt allows, from its range, into buf. */
static const char *
ivsrv_allowed(int opt, char *buf, size_t len)
{
	ivn_allowed(&ivsrv_num(opt)->spec, buf, len);
	return buf;
}

static void
ivsrv_usage(FILE *f)
{
	char size[80], vectors[40], peers[40], ids[40], dsize[24];

	ivsrv_allowed('l', size, sizeof(size));
	ivsrv_allowed('n', vectors, sizeof(vectors));
	ivsrv_allowed('p', peers, sizeof(peers));
	ivsrv_allowed(OPT_IDS, ids, sizeof(ids));
	ivn_format_size(IVSRV_DEFAULT_SIZE, dsize, sizeof(dsize));
	fprintf(f,
"Usage: " PROG " [OPTION]...\n"
"Serve shared memory and interrupt eventfds to ivshmem-doorbell devices\n"
"(QEMU -device ivshmem-doorbell,chardev=...) and other clients.\n"
"\n"
"  -S, --socket PATH       UNIX socket to listen on (default " IVSRV_DEFAULT_SOCKET ")\n"
"  -m, --shm NAME          a POSIX shared memory object instead of the default\n"
"                          anonymous memory; for mutually trusting clients only\n"
"  -M, --shm-path FILE     a file instead (e.g. on hugetlbfs); excludes -m; for\n"
"                          mutually trusting clients only\n"
"  -H, --hugetlb           the default anonymous memory in huge pages\n"
"  -l, --size SIZE         memory size (default %s):\n"
"                          %s\n"
"  -n, --vectors N         interrupt vectors per peer, equal to the devices'\n"
"                          vectors= property (default %d): %s\n"
"  -p, --max-peers N       peers served at once (default %d):\n"
"                          %s\n"
"      --ids N             IDs are 0..N-1, handed out in turn (default %d):\n"
"                          %s, at least max-peers;\n"
"                          fewer IDs are reused sooner, which QEMU (7.2 at\n"
"                          least) does not survive\n"
"      --socket-mode MODE  octal permissions of the socket (default %04o)\n"
"  -F, --foreground        do not daemonize; log to stderr\n"
"  -P, --pid-file FILE     write the server's pid to FILE (default when\n"
"                          daemonized: " IVSRV_DEFAULT_PID_FILE ")\n"
"  -v, --verbose           log every message sent\n"
"  -h, --help              show this help\n"
"\n"
"Numbers are decimal, without sign, 0x or leading zeros; a size may end in\n"
"K, M, G or T (either case: 2^10, 2^20, 2^30, 2^40 bytes).\n"
"Without -m or -M the memory is anonymous (memfd), sealed against shrinking\n"
"and growing: no client can truncate it under the others (which would kill\n"
"them with SIGBUS). Anyone who can open a named object or file (-m, -M), and\n"
"every client, can. An existing shm object or file is used as is (its size\n"
"must match) and left in place on exit; one the server created is removed\n"
"on exit.\n",
		dsize, size, IVSRV_DEFAULT_VECTORS, vectors,
		IVSRV_DEFAULT_MAX_PEERS, peers, IVP_ID_COUNT, ids,
		IVSRV_DEFAULT_SOCKET_MODE);
}

/* "<key>=<value>: <fmt...>" on stderr. */
static int __attribute__((format(printf, 3, 4)))
ivsrv_bad(const char *key, const char *value, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s=%s: ", key, value);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int
ivsrv_parse_num(int opt, const char *s, struct ivsrv_options *o)
{
	const struct ivsrv_num *n = ivsrv_num(opt);
	char err[IVN_ERR_LEN];
	void *dst = (char *)o + n->off;
	uint64_t v = 0;

	if (ivn_parse(n->key, s, &n->spec, &v, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	if (n->size == sizeof(uint64_t))
		*(uint64_t *)dst = v;
	else
		*(unsigned int *)dst = (unsigned int)v;
	return 0;
}

/* A permission mode: octal by convention (chmod), so not a number of
 * lib/ivshmem_parse; the same strictness otherwise. */
static int
ivsrv_parse_mode(const char *key, const char *s, mode_t *out)
{
	static const char allowed[] = "allowed: an octal mode in 0..0777, e.g. 0660";
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '7')
		return ivsrv_bad(key, s, "not an octal mode; %s", allowed);
	errno = 0;
	v = strtoul(s, &end, 8);
	if (*end != '\0' || errno == ERANGE || v > 0777)
		return ivsrv_bad(key, s, "not an octal mode; %s", allowed);
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
		return ivsrv_bad(opt, s, "not a POSIX shm name; allowed: "
				 "[/]NAME, NAME without '/', 1..%d "
				 "characters (for a file use -M/--shm-path)",
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
		return ivsrv_bad(opt, s, "longer than %zu bytes; allowed: up "
				 "to %zu bytes (the limit of a UNIX socket "
				 "address)", max, max);
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
	       (c = getopt_long(argc, argv, ":S:m:M:Hl:n:p:FP:vh",
				ivsrv_long_options, NULL)) != -1) {
		switch (c) {
		case 'S':
			rc = ivsrv_parse_path("--socket", optarg, sun_max,
					      &o->socket_path);
			break;
		case 'm':
			rc = ivsrv_parse_shm_name("--shm", optarg,
						  &o->shm_name);
			break;
		case 'M':
			rc = ivsrv_parse_path("--shm-path", optarg, 0,
					      &o->shm_path);
			break;
		case 'H':
			o->hugetlb = true;
			break;
		case 'l':
		case 'n':
		case 'p':
		case OPT_IDS:
			rc = ivsrv_parse_num(c, optarg, o);
			break;
		case OPT_SOCKET_MODE:
			rc = ivsrv_parse_mode("--socket-mode", optarg,
					      &o->socket_mode);
			break;
		case 'F':
			o->foreground = true;
			break;
		case 'P':
			rc = ivsrv_parse_path("--pid-file", optarg, 0,
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
	if (o->hugetlb && (o->shm_name != NULL || o->shm_path != NULL)) {
		fprintf(stderr, PROG ": -H/--hugetlb is for the default "
			"anonymous memory: it excludes -m/--shm and "
			"-M/--shm-path (for a file in huge pages, give -M a "
			"path on hugetlbfs)\n");
		return IVSRV_PARSE_ERROR;
	}
	if (o->id_count < o->max_peers) {
		const struct ivn_spec ids = IVN_UINT(o->max_peers, IVP_ID_COUNT);
		char allowed[64];

		ivn_allowed(&ids, allowed, sizeof(allowed));
		fprintf(stderr, PROG ": --ids=%u: below --max-peers=%u; "
			"allowed: %s\n", o->id_count, o->max_peers, allowed);
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
