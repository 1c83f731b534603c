/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper driven by the shell tests.
 *
 *   ivshmem-probe client SOCK VECTORS
 *	Connect with the ivc_ client, print "id N", "shm SIZE", "peer ID NV"
 *	for each peer known at handshake, then "ready". Afterwards print
 *	"joined ID" / "left ID" as they happen and answer stdin commands:
 *	  ring ID VEC     ring a peer (or ourselves) -> "ring ID VEC ok|..."
 *	  count ID VEC    pending count of the eventfd we hold for ID/VEC,
 *			  as the kernel reports it -> "count ID VEC N"
 *	  wait VEC MS     wait for our own VEC -> "rung VEC N" / "timeout VEC"
 *	  peers           -> "peers ID ID ..." (sorted)
 *	  seals           seals of the shm fd -> "seals [shrink] [grow]
 *			  [write] [seal]" or "seals none" (or the error)
 *	  truncate        what a hostile client can try: ftruncate the shm
 *			  fd to 0 -> "truncate ok" / "truncate ERROR"
 *	  quit
 *	Exits 0 on stdin EOF or quit, 1 when the server misbehaves or goes.
 *
 *   ivshmem-probe hmp SOCK COMMAND
 *	Run one QEMU human monitor command, print its output.
 *
 *   ivshmem-probe raw SOCK garbage|vanish|hold MS
 *	Misbehaving clients: write to the server, connect and close at once,
 *	or connect and never read.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ivshmem_client.h"
#include "ivshmem_parse.h"
#include "t_helpers.h"

/* An argument through lib/ivshmem_parse; false after saying what is wrong. */
static bool
probe_num(const char *name, const char *val, const struct ivn_spec *sp,
	  uint64_t *out)
{
	char err[IVN_ERR_LEN];

	if (ivn_parse(name, val, sp, out, err, sizeof(err)) == 0)
		return true;
	fprintf(stderr, "ivshmem-probe: %s\n", err);
	return false;
}

/* The kernel's view of an eventfd: its fdinfo "eventfd-count" (hex). */
static long long
eventfd_count(int fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "eventfd-count: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void
print_peers(const struct ivc_client *c)
{
	unsigned int i, n = ivc_peer_count(c);
	uint16_t ids[IVP_ID_COUNT > 4096 ? 4096 : IVP_ID_COUNT];

	if (n > sizeof(ids) / sizeof(ids[0]))
		n = sizeof(ids) / sizeof(ids[0]);
	for (i = 0; i < n; i++)
		ids[i] = ivc_peer_at(c, i)->id;
	qsort(ids, n, sizeof(ids[0]), cmp_u16);
	printf("peers");
	for (i = 0; i < n; i++)
		printf(" %u", ids[i]);
	printf("\n");
}

static int
peer_fd(const struct ivc_client *c, unsigned int id, unsigned int vec)
{
	const struct ivc_peer *p;

	if (id == ivc_id(c))
		return ivc_own_fd(c, vec);
	p = ivc_peer_find(c, (uint16_t)id);
	return p != NULL && vec < p->nb_vectors ? p->fds[vec] : -1;
}

static void
wait_own(const struct ivc_client *c, unsigned int vec, int ms)
{
	struct pollfd pfd = { .fd = ivc_own_fd(c, vec), .events = POLLIN };
	uint64_t n = 0;

	if (pfd.fd >= 0 && poll(&pfd, 1, ms) == 1 &&
	    ivc_ack(c, vec, &n) == 1)
		printf("rung %u %llu\n", vec, (unsigned long long)n);
	else
		printf("timeout %u\n", vec);
}

static void
print_seals(const struct ivc_client *c)
{
	int s = fcntl(ivc_shm_fd(c), F_GET_SEALS);

	if (s < 0) {
		printf("seals %s\n", strerror(errno));
		return;
	}
	printf("seals%s%s%s%s%s\n", s & F_SEAL_SHRINK ? " shrink" : "",
	       s & F_SEAL_GROW ? " grow" : "", s & F_SEAL_WRITE ? " write" : "",
	       s & F_SEAL_SEAL ? " seal" : "", s == 0 ? " none" : "");
}

/* Returns 1 to go on, 0 to quit. */
static int
command(const struct ivc_client *c, const char *line)
{
	unsigned int id, vec;
	int ms, rc;

	if (sscanf(line, "ring %u %u", &id, &vec) == 2) {
		rc = ivc_notify(c, (uint16_t)id, vec);
		printf("ring %u %u %s\n", id, vec, rc == 0 ? "ok" :
		       strerror(-rc));
	} else if (sscanf(line, "count %u %u", &id, &vec) == 2) {
		int fd = peer_fd(c, id, vec);

		printf("count %u %u %lld\n", id, vec,
		       fd >= 0 ? eventfd_count(fd) : -1LL);
	} else if (sscanf(line, "wait %u %d", &vec, &ms) == 2) {
		wait_own(c, vec, ms);
	} else if (strncmp(line, "peers", 5) == 0) {
		print_peers(c);
	} else if (strncmp(line, "seals", 5) == 0) {
		print_seals(c);
	} else if (strncmp(line, "truncate", 8) == 0) {
		rc = ftruncate(ivc_shm_fd(c), 0);
		printf("truncate %s\n", rc == 0 ? "ok" : strerror(errno));
	} else if (strncmp(line, "quit", 4) == 0) {
		return 0;
	} else {
		printf("unknown command: %s", line);
	}
	return 1;
}

static int
run_client(const char *path, unsigned int vectors)
{
	struct ivc_client *c;
	char err[400], line[256];
	unsigned int i;
	int rc = 0;

	c = ivc_connect(path, vectors, 10000, err, sizeof(err));
	if (c == NULL) {
		printf("error %s\n", err);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("id %u\nshm %llu\n", ivc_id(c),
	       (unsigned long long)ivc_shm_size(c));
	for (i = 0; i < ivc_peer_count(c); i++)
		printf("peer %u %u\n", ivc_peer_at(c, i)->id,
		       ivc_peer_at(c, i)->nb_vectors);
	printf("ready\n");

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = ivc_socket_fd(c), .events = POLLIN },
		};
		struct ivc_event ev;
		int n;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents) {
			while ((n = ivc_process(c, &ev)) > 0)
				printf("%s %u\n", ev.type == IVC_EV_PEER_JOINED
				       ? "joined" : "left", ev.id);
			if (n < 0) {
				printf("error %s\n", ivc_error(c));
				rc = 1;
				break;
			}
		}
		if (pfd[0].revents) {
			/* One command a line; unbuffered so none hides. */
			ssize_t len = 0;
			char ch;

			while (len < (ssize_t)sizeof(line) - 1 &&
			       read(STDIN_FILENO, &ch, 1) == 1) {
				line[len++] = ch;
				if (ch == '\n')
					break;
			}
			line[len] = '\0';
			if (len == 0 || !command(c, line))
				break;
		}
	}
	ivc_close(c);
	return rc;
}

/* Read until the monitor prompt; print what came before it. */
static int
hmp_read(int fd, bool print)
{
	static const char prompt[] = "(qemu) ";
	char buf[65536];
	size_t len = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) != 1)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= strlen(prompt) &&
		    strcmp(buf + len - strlen(prompt), prompt) == 0)
			break;
		if (len == sizeof(buf) - 1)
			return -1;
	}
	if (print)
		fwrite(buf, 1, len - strlen(prompt), stdout);
	return 0;
}

static int
run_hmp(const char *path, const char *cmd)
{
	int fd = t_unix_connect(path);
	int rc = 1;

	if (fd < 0) {
		fprintf(stderr, "hmp: cannot connect to %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	if (hmp_read(fd, false) == 0 &&
	    write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) &&
	    write(fd, "\n", 1) == 1 && hmp_read(fd, true) == 0)
		rc = 0;
	close(fd);
	return rc;
}

static int
run_raw(const char *path, const char *mode, const char *arg)
{
	static const struct ivn_spec hold_spec = IVN_UINT(0, 3600000);
	uint64_t hold_ms = 0;
	int fd;

	if (strcmp(mode, "hold") == 0 && arg != NULL &&
	    !probe_num("MS", arg, &hold_spec, &hold_ms))
		return 2;
	fd = t_unix_connect(path);
	if (fd < 0) {
		fprintf(stderr, "raw: cannot connect to %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	if (strcmp(mode, "garbage") == 0) {
		static const char junk[] = "GET / HTTP/1.0\r\n\r\n";

		if (write(fd, junk, sizeof(junk)) < 0)
			return 1;
		/* Stay until the server hangs up on us (or 5 s). */
		struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };
		char buf[4096];

		for (int i = 0; i < 50; i++) {
			if (poll(&pfd, 1, 100) == 1 &&
			    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
				break;
		}
	} else if (strcmp(mode, "hold") == 0 && arg != NULL) {
		struct timespec ts = { .tv_sec = (time_t)(hold_ms / 1000),
				       .tv_nsec = (long)(hold_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct ivn_spec vectors = IVN_UINT(1, IVP_MAX_VECTORS);
	uint64_t nv = 0;

	if (argc == 4 && strcmp(argv[1], "client") == 0)
		return probe_num("VECTORS", argv[3], &vectors, &nv) ?
			run_client(argv[2], (unsigned int)nv) : 2;
	if (argc == 4 && strcmp(argv[1], "hmp") == 0)
		return run_hmp(argv[2], argv[3]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "raw") == 0)
		return run_raw(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: %s client SOCK VECTORS | hmp SOCK CMD | "
		"raw SOCK garbage|vanish|hold MS\n", argv[0]);
	return 2;
}
