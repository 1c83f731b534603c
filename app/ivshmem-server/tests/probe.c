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
 *   ivshmem-probe raw SOCK garbage|vanish|hold|fill [MS [COUNT]]
 *	COUNT (default 1) misbehaving clients at once: write to the server
 *	("garbage: N of COUNT hung up"), connect and close at once, connect
 *	and never read for MS, or connect one at a time until the server
 *	refuses one ("fill: N accepted, refused|none refused") and hold
 *	them MS (see run_raw).
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
#include <sys/stat.h>

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
	} else if (strncmp(line, "grow", 4) == 0) {
		rc = ftruncate(ivc_shm_fd(c), (off_t)(2 * ivc_shm_size(c)));
		printf("grow %s\n", rc == 0 ? "ok" : strerror(errno));
	} else if (strncmp(line, "ino", 3) == 0) {
		struct stat st;

		if (fstat(ivc_shm_fd(c), &st) == 0)
			printf("ino %llu\n", (unsigned long long)st.st_ino);
		else
			printf("ino %s\n", strerror(errno));
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

/* Until the server sends a byte (1) or hangs up (0), at most @ms (-1). */
static int
raw_answer(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char b;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1 ? 1 : 0;
}

static void
raw_sleep(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * COUNT misbehaving clients at once. garbage: each writes, then waits (5 s
 * in all) for the server to hang up on it; "garbage: N of COUNT hung up".
 * vanish: all connect, then all close. hold: all connect, sleep MS, close,
 * never reading. fill: connect one at a time until the server hangs up on
 * one before its first message (or COUNT are in), print "fill: N
 * accepted, refused|none refused", then hold them MS, never reading.
 */
static int
run_raw(const char *path, const char *mode, const char *ms_arg,
	const char *count_arg)
{
	static const struct ivn_spec ms_spec = IVN_UINT(0, 3600000);
	static const struct ivn_spec count_spec = IVN_UINT(1, 1000);
	uint64_t ms = 0, count = 1, n = 0, done = 0;
	bool garbage = strcmp(mode, "garbage") == 0;
	bool fill = strcmp(mode, "fill") == 0;
	bool refused = false;
	int fds[1000];
	int rc = 0;

	if (!garbage && !fill && strcmp(mode, "vanish") != 0 &&
	    strcmp(mode, "hold") != 0) {
		fprintf(stderr, "raw: unknown mode %s\n", mode);
		return 2;
	}
	if ((ms_arg != NULL && !probe_num("MS", ms_arg, &ms_spec, &ms)) ||
	    (count_arg != NULL &&
	     !probe_num("COUNT", count_arg, &count_spec, &count)))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (n = 0; n < count; n++) {
		fds[n] = t_unix_connect(path);
		if (fds[n] < 0) {
			fprintf(stderr, "raw: cannot connect to %s: %s\n",
				path, strerror(errno));
			rc = 1;
			break;
		}
		if (fill && raw_answer(fds[n], 5000) != 1) {
			close(fds[n]);
			refused = true;
			break;
		}
	}
	if (garbage) {
		static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
		int64_t end = t_now_ms() + 5000;

		for (uint64_t i = 0; i < n; i++)
			if (write(fds[i], junk, sizeof(junk)) < 0)
				rc = 1;
		/* Hung up: EOF once the handshake queued for it is read. */
		for (uint64_t i = 0; i < n; i++) {
			char buf[4096];
			ssize_t r = 1;

			while (r != 0 && t_now_ms() < end) {
				int left = (int)(end - t_now_ms());

				if (raw_answer(fds[i], left) < 0)
					break;
				r = recv(fds[i], buf, sizeof(buf),
					 MSG_DONTWAIT);
				if (r < 0 && errno != EAGAIN)
					r = 0;
			}
			done += r == 0;
		}
		printf("garbage: %llu of %llu hung up\n",
		       (unsigned long long)done, (unsigned long long)n);
	}
	if (fill)
		printf("fill: %llu accepted, %s\n", (unsigned long long)n,
		       refused ? "refused" : "none refused");
	if (strcmp(mode, "hold") == 0 || fill)
		raw_sleep(ms);
	for (uint64_t i = 0; i < n; i++)
		close(fds[i]);
	return rc;
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
	if (argc >= 4 && argc <= 6 && strcmp(argv[1], "raw") == 0)
		return run_raw(argv[2], argv[3], argc >= 5 ? argv[4] : NULL,
			       argc == 6 ? argv[5] : NULL);
	fprintf(stderr, "usage: %s client SOCK VECTORS | hmp SOCK CMD | "
		"raw SOCK garbage|vanish|hold|fill [MS [COUNT]]\n", argv[0]);
	return 2;
}
