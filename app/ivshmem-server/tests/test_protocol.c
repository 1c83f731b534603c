/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protocol test: a real ivshmem-server and our ivc_ client.
 *
 *   test-server-protocol SERVER_BINARY
 *
 * Part 1 drives the client against scripted fake servers (one row of a
 * table each) to check that it rejects every malformed handshake.
 * Part 2 runs the server with 2 vectors, max 4 peers and IDs 0..5, and
 * checks IDs, peer lists, that each eventfd a client receives for a peer
 * is that peer's own eventfd (kcmp, and by ringing it), shm sharing,
 * departures, ID order and reuse, max-peers refusal, survival of
 * garbage/vanishing/non-reading clients, and that the server's fd count
 * is unchanged after many connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ivshmem_client.h"

#define VECTORS 2
#define MAX_PEERS 4
#define ID_COUNT 6
#define MAX_EVENTS 8192

static unsigned int n_pass, n_fail;
static const char *server_bin;
static char dir[32], sock_path[64], log_path[64], shm_name[64];
static pid_t srv_pid = -1;

static void __attribute__((format(printf, 2, 3)))
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - (pid == getpid());	/* opendir's own fd */
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* ---- part 1: the client against scripted servers ---------------------- */

enum fake_fd { F_NONE, F_SHM, F_EFD, F_PIPE, F_TWO };

struct fake_msg {
	int64_t value;
	enum fake_fd fd;
};

struct fake_case {
	const char *name;
	unsigned int vectors;
	int nmsg;
	struct fake_msg msg[6];
	const char *expect;	/* error substring; NULL: must succeed */
};

static const struct fake_case fake_cases[] = {
	{ "hang-up before version", 1, 0, { { 0, 0 } },
	  "before the protocol version" },
	{ "wrong protocol version", 1, 1, { { 1, F_NONE } },
	  "protocol version 1, we speak 0" },
	{ "version with an fd", 1, 1, { { 0, F_EFD } },
	  "version message carries an fd" },
	{ "ID above 65535", 1, 2, { { 0, F_NONE }, { 70000, F_NONE } },
	  "assigned ID 70000, outside 0..65535" },
	{ "negative ID", 1, 2, { { 0, F_NONE }, { -1, F_NONE } },
	  "assigned ID -1" },
	{ "ID with an fd", 1, 2, { { 0, F_NONE }, { 3, F_EFD } },
	  "ID message carries an fd" },
	{ "shm without an fd", 1, 3,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_NONE } },
	  "shared memory message without an fd" },
	{ "value below -1", 1, 3, { { 0, F_NONE }, { 0, F_NONE }, { -5, F_SHM } },
	  "sent -5, neither -1 nor an ID" },
	{ "peer ID above 65535", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 65536, F_EFD } },
	  "sent 65536, neither -1 nor an ID" },
	{ "two fds in one message", 1, 3,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_TWO } },
	  "more than one fd" },
	{ "peer fd is not an eventfd", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 1, F_PIPE } },
	  "not an eventfd" },
	{ "own ID announced gone", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 0, F_NONE } },
	  "our own ID 0 as gone" },
	{ "unknown peer announced gone", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 5, F_NONE } },
	  "unknown peer 5 as gone" },
	{ "shm sent twice", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { -1, F_SHM } },
	  "shared memory twice" },
	{ "fewer own vectors than ours", 2, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 0, F_EFD } },
	  "sent 1 eventfd(s) for our own ID" },
	{ "valid: ID 7, peer 3", 1, 5,
	  { { 0, F_NONE }, { 7, F_NONE }, { -1, F_SHM }, { 3, F_EFD },
	    { 7, F_EFD } }, NULL },
	{ "valid: extra own vector closed", 1, 5,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 0, F_EFD },
	    { 0, F_EFD } }, NULL },
};

static int
fake_make_fd(enum fake_fd kind, int fds[2])
{
	int p[2];

	fds[1] = -1;
	switch (kind) {
	case F_NONE:
		return 0;
	case F_SHM:
		fds[0] = memfd_create("fake-shm", MFD_CLOEXEC);
		return fds[0] >= 0 && ftruncate(fds[0], 4096) == 0 ? 1 : -1;
	case F_EFD:
		fds[0] = (int)syscall(SYS_eventfd2, 0, 0);
		return fds[0] >= 0 ? 1 : -1;
	case F_PIPE:
		if (pipe(p) < 0)
			return -1;
		fds[0] = p[0];
		close(p[1]);
		return 1;
	case F_TWO:
		fds[0] = (int)syscall(SYS_eventfd2, 0, 0);
		fds[1] = (int)syscall(SYS_eventfd2, 0, 0);
		return 2;
	}
	return -1;
}

static void
fake_send(int sock, const struct fake_msg *m)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	unsigned char le[8];
	struct iovec iov = { le, sizeof(le) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[2] = { -1, -1 }, n, i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)((uint64_t)m->value >> (8 * i));
	n = fake_make_fd(m->fd, fds);
	if (n > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)n * sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		perror("fake server: sendmsg");
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void
fake_case_run(const struct fake_case *fc)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[64], err[400];
	struct ivc_client *c;
	int lfd, fds_before;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/fake.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1) < 0) {
		check(false, "fake server for '%s': %s", fc->name,
		      strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		int s = accept(lfd, NULL, NULL), i;
		char buf[16];

		for (i = 0; i < fc->nmsg; i++)
			fake_send(s, &fc->msg[i]);
		/* Hold the line until the client hangs up (or 3 s). */
		struct pollfd pfd = { .fd = s, .events = POLLIN };

		if (fc->nmsg > 0 && poll(&pfd, 1, 3000) == 1)
			(void)!read(s, buf, sizeof(buf));
		_exit(0);
	}
	fds_before = count_fds(getpid());
	c = ivc_connect(path, fc->vectors, 300, err, sizeof(err));
	if (fc->expect == NULL) {
		check(c != NULL, "client accepts '%s'%s%s", fc->name,
		      c ? "" : ": ", c ? "" : err);
		if (c != NULL && fc->msg[1].value == 7)
			check(ivc_id(c) == 7 && ivc_peer_count(c) == 1 &&
			      ivc_peer_at(c, 0)->id == 3 &&
			      ivc_shm_size(c) == 4096,
			      "  '%s': id %u, %u peer(s), shm %llu", fc->name,
			      ivc_id(c), ivc_peer_count(c),
			      (unsigned long long)ivc_shm_size(c));
	} else {
		check(c == NULL && strstr(err, fc->expect) != NULL,
		      "client rejects '%s': \"%s\"", fc->name,
		      c ? "(accepted!)" : err);
	}
	ivc_close(c);
	check(count_fds(getpid()) == fds_before,
	      "  no fd leaked by the client on '%s'", fc->name);
	close(lfd);
	waitpid(pid, NULL, 0);
	unlink(path);
}

/*
 * A server that never accepts (backlog full) or accepts and stays silent:
 * ivc_connect() must give up at its timeout, saying which.
 */
static void
stall_cases(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[64], err[400];
	struct ivc_client *c;
	int lfd, filler, acc;
	int64_t t0;

	snprintf(path, sizeof(path), "%s/stall.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 0) < 0) {
		check(false, "stalling server: %s", strerror(errno));
		return;
	}
	/* Backlog 0 still queues one connection: fill it. */
	filler = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	connect(filler, (struct sockaddr *)&sa, sizeof(sa));
	t0 = now_ms();
	c = ivc_connect(path, 1, 300, err, sizeof(err));
	check(c == NULL && strstr(err, "not accepting") != NULL &&
	      now_ms() - t0 < 2000, "client gives up on a server that never "
	      "accepts, after %lld ms: \"%s\"", (long long)(now_ms() - t0),
	      c ? "(accepted!)" : err);
	ivc_close(c);
	acc = accept(lfd, NULL, NULL);	/* frees the backlog slot */
	close(filler);
	if (acc >= 0)
		close(acc);

	t0 = now_ms();
	c = ivc_connect(path, 1, 300, err, sizeof(err));
	check(c == NULL && strstr(err, "no protocol version") != NULL &&
	      now_ms() - t0 < 2000, "client gives up on a silent server "
	      "after %lld ms: \"%s\"", (long long)(now_ms() - t0),
	      c ? "(accepted!)" : err);
	ivc_close(c);
	close(lfd);
	unlink(path);
}

/* ---- part 2: the real server ------------------------------------------- */

struct tc {
	struct ivc_client *c;
	const char *name;
	struct ivc_event ev[MAX_EVENTS];
	unsigned int nev;
	bool broken;
};

static struct tc *tcs[64];
static unsigned int ntcs;

static struct tc *
tc_connect(const char *name, unsigned int vectors, char *err, size_t len)
{
	struct tc *t = calloc(1, sizeof(*t));

	t->c = ivc_connect(sock_path, vectors, 2000, err, len);
	if (t->c == NULL) {
		free(t);
		return NULL;
	}
	t->name = name;
	tcs[ntcs++] = t;
	return t;
}

static void
tc_close(struct tc *t)
{
	unsigned int i;

	for (i = 0; i < ntcs; i++)
		if (tcs[i] == t)
			tcs[i] = tcs[--ntcs];
	ivc_close(t->c);
	free(t);
}

/* Read what every client has pending; events land in each tc's list. */
static int
pump(int ms)
{
	struct pollfd pfd[64];
	unsigned int i;
	int got = 0;

	for (i = 0; i < ntcs; i++)
		pfd[i] = (struct pollfd){ .fd = ivc_socket_fd(tcs[i]->c),
					  .events = POLLIN };
	if (poll(pfd, ntcs, ms) <= 0)
		return 0;
	for (i = 0; i < ntcs; i++) {
		struct tc *t = tcs[i];
		struct ivc_event ev;
		int rc;

		if (!pfd[i].revents || t->broken)
			continue;
		while ((rc = ivc_process(t->c, &ev)) > 0) {
			if (t->nev < MAX_EVENTS)
				t->ev[t->nev++] = ev;
			got++;
		}
		if (rc < 0) {
			printf("# client %s: %s\n", t->name, ivc_error(t->c));
			t->broken = true;
		}
	}
	return got;
}

/* Pump until nothing arrives for @quiet_ms. */
static void
settle(int quiet_ms)
{
	int64_t end = now_ms() + 10000;

	while (now_ms() < end && pump(quiet_ms) > 0)
		;
}

/* Wait for (and consume) one event on @t. */
static bool
expect(struct tc *t, enum ivc_event_type type, unsigned int id)
{
	int64_t end = now_ms() + 3000;

	for (;;) {
		unsigned int i;

		for (i = 0; i < t->nev; i++) {
			if (t->ev[i].type == type && t->ev[i].id == id) {
				memmove(&t->ev[i], &t->ev[i + 1],
					(t->nev - i - 1) * sizeof(t->ev[0]));
				t->nev--;
				return true;
			}
		}
		if (now_ms() >= end)
			return false;
		pump(50);
	}
}

/*
 * Wait until the server has caught up (its fd count holds still while
 * nothing reaches our clients): it may be slow, e.g. under valgrind.
 */
static int
server_quiet(void)
{
	int64_t end = now_ms() + 5000;
	int prev = -2, cur;

	for (;;) {
		settle(50);
		cur = count_fds(srv_pid);
		if (cur == prev || now_ms() >= end)
			return cur;
		prev = cur;
		sleep_ms(150);
	}
}

/* Close @t and wait until @witness is told it left. */
static bool
tc_close_seen(struct tc *t, struct tc *witness)
{
	uint16_t id = ivc_id(t->c);

	tc_close(t);
	return expect(witness, IVC_EV_PEER_LEFT, id);
}

static bool
knows(const struct tc *t, unsigned int id, unsigned int nv)
{
	const struct ivc_peer *p = ivc_peer_find(t->c, (uint16_t)id);

	return p != NULL && p->nb_vectors == nv;
}

static int
log_count(const char *needle)
{
	int fd = open(log_path, O_RDONLY), n = 0;
	struct stat st;
	ssize_t len = -1;
	char *buf = NULL, *p;

	if (fd >= 0 && fstat(fd, &st) == 0 &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL)
		len = read(fd, buf, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	if (len >= 0) {
		buf[len] = '\0';
		for (p = buf; (p = strstr(p, needle)) != NULL; p++)
			n++;
	}
	free(buf);
	return n;
}

/* Foreground server on our socket and shm, plus @args (NULL-ended). */
static bool
start_server(const char *const *args)
{
	const char *argv[32] = { server_bin, "-F", "-S", sock_path, "-m",
				 shm_name };
	int64_t end;
	int n = 6;

	while (*args != NULL && n < 31)
		argv[n++] = *args++;
	unlink(log_path);	/* before fork: no "listening" from a past run */
	srv_pid = fork();
	if (srv_pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, STDERR_FILENO);
		execv(server_bin, (char *const *)argv);
		_exit(127);
	}
	for (end = now_ms() + 5000; now_ms() < end; sleep_ms(20))
		if (log_count("listening on") > 0)
			return true;
	return false;
}

/* Every ordered pair: the fd x holds for y's vector v is y's own fd v. */
static void
check_matrix(struct tc **v, unsigned int n, unsigned int nv,
	     const char *when)
{
	bool all_known = true, same = true, rings = true, kcmp_ok = true;
	unsigned int x, y, k, vec;

	for (x = 0; x < n; x++)
		for (y = 0; y < n; y++)
			if (x != y && !knows(v[x], ivc_id(v[y]->c), nv))
				all_known = false;
	check(all_known, "%s: every client knows every other's %u eventfds",
	      when, nv);

	for (x = 0; x < n; x++) {
		for (y = 0; y < n; y++) {
			const struct ivc_peer *p;

			if (x == y)
				continue;
			p = ivc_peer_find(v[x]->c, ivc_id(v[y]->c));
			for (vec = 0; p != NULL && vec < nv; vec++) {
				long r = syscall(SYS_kcmp, getpid(), getpid(),
						 KCMP_FILE, p->fds[vec],
						 ivc_own_fd(v[y]->c, vec));

				if (r < 0)
					kcmp_ok = false;
				else if (r != 0)
					same = false;
			}
		}
	}
	if (kcmp_ok)
		check(same, "%s: kcmp: each peer eventfd is the very file the "
		      "peer got as its own", when);
	else
		printf("# kcmp unavailable (%s): identity checked by ringing "
		       "only\n", strerror(errno));

	/* Ring x -> y on each vector (first and last if many); only y's
	 * vector may fire. */
	for (x = 0; x < n; x++) {
		for (y = 0; y < n; y++) {
			for (vec = 0; vec < nv; vec++) {
				uint64_t cnt = 0;

				if (x == y || (vec != 0 && vec != nv - 1 &&
					       nv > 4))
					continue;
				if (ivc_notify(v[x]->c, ivc_id(v[y]->c),
					       vec) != 0) {
					rings = false;
					continue;
				}
				for (k = 0; k < n; k++) {
					unsigned int w;

					for (w = 0; w < nv; w++) {
						int r = ivc_ack(v[k]->c, w,
								&cnt);
						bool want = k == y && w == vec;

						if (want != (r == 1) ||
						    (want && cnt != 1))
							rings = false;
					}
				}
			}
		}
	}
	check(rings, "%s: ringing peer Y's vector V fires exactly Y's own "
	      "eventfd V (all %u x %u pairs, %s)", when, n, n - 1,
	      nv > 4 ? "first and last vector" : "every vector");
}

static void
check_shm(struct tc *a, struct tc *b)
{
	struct stat sa, sb;
	size_t len = (size_t)ivc_shm_size(a->c);
	unsigned char *pa, *pb;

	check(fstat(ivc_shm_fd(a->c), &sa) == 0 &&
	      fstat(ivc_shm_fd(b->c), &sb) == 0 && sa.st_ino == sb.st_ino &&
	      sa.st_dev == sb.st_dev && len == (1u << 20),
	      "shm: same object for all clients, %zu bytes (-l 1M)", len);
	pa = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		  ivc_shm_fd(a->c), 0);
	pb = mmap(NULL, len, PROT_READ, MAP_SHARED, ivc_shm_fd(b->c), 0);
	if (pa == MAP_FAILED || pb == MAP_FAILED) {
		check(false, "shm: mmap: %s", strerror(errno));
		return;
	}
	memcpy(pa + len - 16, "ivshmem-test!", 14);
	check(memcmp(pb + len - 16, "ivshmem-test!", 14) == 0,
	      "shm: a write through one client's mapping shows in another's");
	munmap(pa, len);
	munmap(pb, len);
}

/* A client that writes: the server must drop it, and stay up. */
static bool
garbage_client(void)
{
	int fd = unix_connect(sock_path);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	int64_t end = now_ms() + 3000;
	bool dropped = false;

	if (fd < 0)
		return false;
	if (write(fd, "hello\n", 6) != 6) {
		close(fd);
		return false;
	}
	while (now_ms() < end && !dropped) {
		if (poll(&pfd, 1, 100) == 1) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			dropped = n == 0 || (n < 0 && errno == ECONNRESET);
		}
		pump(0);
	}
	close(fd);
	return dropped;
}

static void
part2(void)
{
	struct tc *a, *b, *c, *d, *e, *f, *g, *h, *set[4];
	char err[400];
	int fds0, fds1 = -1, i, refused, dropped;
	int64_t end;

	if (!start_server((const char *[]){ "-v", "-n", "2", "-p", "4",
					    "--ids", "6", "-l", "1M", NULL })) {
		check(false, "server starts (see %s)", log_path);
		return;
	}
	check(true, "server started: -n %d -p %d --ids %d -l 1M", VECTORS,
	      MAX_PEERS, ID_COUNT);

	a = tc_connect("A", VECTORS, err, sizeof(err));
	b = a ? tc_connect("B", VECTORS, err, sizeof(err)) : NULL;
	check(a && b && ivc_id(a->c) == 0 && ivc_id(b->c) == 1,
	      "2 clients: IDs 0 and 1%s%s", a && b ? "" : ": ",
	      a && b ? "" : err);
	if (!a || !b)
		return;
	check(knows(b, 0, VECTORS) && ivc_peer_count(b->c) == 1,
	      "B's handshake lists peer 0 with %d eventfds", VECTORS);
	check(expect(a, IVC_EV_PEER_JOINED, 1) && knows(a, 1, VECTORS),
	      "A is told 1 joined, with %d eventfds", VECTORS);

	c = tc_connect("C", VECTORS, err, sizeof(err));
	check(c && ivc_id(c->c) == 2 && ivc_peer_count(c->c) == 2,
	      "3rd client: ID 2, handshake lists 2 peers%s%s",
	      c ? "" : ": ", c ? "" : err);
	if (!c)
		return;
	check(expect(a, IVC_EV_PEER_JOINED, 2) &&
	      expect(b, IVC_EV_PEER_JOINED, 2),
	      "A and B are told 2 joined");
	set[0] = a; set[1] = b; set[2] = c;
	check_matrix(set, 2, VECTORS, "2 clients");
	check_matrix(set, 3, VECTORS, "3 clients");
	check_shm(a, c);

	tc_close(b);
	check(expect(a, IVC_EV_PEER_LEFT, 1) && expect(c, IVC_EV_PEER_LEFT, 1)
	      && !knows(a, 1, VECTORS) && !knows(c, 1, 0),
	      "B's departure is announced to A and C, who forget its fds");
	check(ivc_notify(a->c, 1, 0) == -ENOENT,
	      "ringing departed peer 1 fails with ENOENT");

	d = tc_connect("D", VECTORS, err, sizeof(err));
	check(d && ivc_id(d->c) == 3, "next client gets ID 3: IDs go in "
	      "turn, the freed 1 is not reused at once (got %d)",
	      d ? ivc_id(d->c) : -1);
	e = tc_connect("E", VECTORS, err, sizeof(err));
	check(e && ivc_id(e->c) == 4, "next client gets ID 4 (%d peers = "
	      "max)", MAX_PEERS);
	if (!d || !e)
		return;
	server_quiet();
	refused = log_count("refusing client");
	f = tc_connect("F", VECTORS, err, sizeof(err));
	check(f == NULL && strstr(err, "before the protocol version"),
	      "client beyond -p %d is refused: \"%s\"", MAX_PEERS,
	      f ? "(accepted!)" : err);
	server_quiet();
	check(log_count("refusing client") == refused + 1 &&
	      log_count("-p/--max-peers is 4") > 0,
	      "server log says why it refused");

	check(tc_close_seen(e, a), "E's departure reaches A");
	f = tc_connect("F", VECTORS, err, sizeof(err));
	check(f && ivc_id(f->c) == 5, "after a departure, a client gets "
	      "ID 5");
	if (!f)
		return;
	check(tc_close_seen(f, a), "F's departure reaches A");
	g = tc_connect("G", VECTORS, err, sizeof(err));
	check(g && ivc_id(g->c) == 1, "IDs wrap at --ids %d: next is 1, "
	      "reused (0 is taken)", ID_COUNT);
	if (!g)
		return;
	check(expect(a, IVC_EV_PEER_JOINED, 1) && knows(a, 1, VECTORS),
	      "A learns the reused ID 1 with fresh eventfds");
	server_quiet();
	set[0] = a; set[1] = c; set[2] = d; set[3] = g;
	check_matrix(set, 4, VECTORS, "4 clients after reuse");

	check(tc_close_seen(g, a), "G's departure reaches A");
	h = tc_connect("H", 3, err, sizeof(err));
	check(h == NULL && strstr(err, "we use 3 vectors"),
	      "client wanting 3 vectors from a 2-vector server fails: "
	      "\"%s\"", h ? "(accepted!)" : err);
	server_quiet();
	h = tc_connect("H", 1, err, sizeof(err));
	check(h && knows(h, 0, 1) && ivc_own_fd(h->c, 1) < 0,
	      "client wanting 1 vector takes 1 per peer, closes the rest");
	if (h)
		tc_close_seen(h, a);

	dropped = log_count("it sent data");
	check(garbage_client() && log_count("it sent data") == dropped + 1,
	      "a client that writes is dropped (logged)");
	for (i = 0; i < 20; i++) {
		int fd = unix_connect(sock_path);

		if (fd >= 0)
			close(fd);
	}
	i = unix_connect(sock_path);
	server_quiet();		/* connected, never reads */
	h = tc_connect("H", VECTORS, err, sizeof(err));
	check(h != NULL, "server still serves after garbage, 20 "
	      "connect-and-vanish and a non-reading client%s%s",
	      h ? "" : ": ", h ? "" : err);
	if (i >= 0)
		close(i);
	if (h)
		tc_close(h);

	fds0 = server_quiet();
	for (i = 0; i < 150; i++) {
		struct tc *t = tc_connect("churn", VECTORS, err, sizeof(err));
		int fd;

		if (t != NULL)
			tc_close(t);
		if (i % 5 == 0 && (fd = unix_connect(sock_path)) >= 0)
			close(fd);
		if (i % 15 == 0)
			garbage_client();
		pump(0);
	}
	for (end = now_ms() + 5000; now_ms() < end; sleep_ms(50))
		if ((fds1 = server_quiet()) == fds0)
			break;
	check(fds0 > 0 && fds1 == fds0, "server fd count unchanged after "
	      "150 connect/close + 30 vanish + 10 garbage: %d -> %d", fds0,
	      fds1);
	for (i = 0; i < (int)ntcs; i++)
		check(!tcs[i]->broken, "client %s saw no protocol error",
		      tcs[i]->name);
}

/*
 * Handshakes far larger than a socket buffer (16 clients x 32 vectors):
 * the server must queue and resume on EPOLLOUT without losing or
 * reordering a message; and a client that never reads is dropped once
 * its queue passes the limit, without harm to the others.
 */
#define BIG_VECTORS 32
#define BIG_CLIENTS 16

static void
part3(void)
{
	struct tc *v[BIG_CLIENTS];
	char err[400];
	int raw, i, fds0, fds1;
	bool ok = true;

	if (!start_server((const char *[]){ "-v", "-n", "32", "-p", "20",
					    NULL })) {
		check(false, "server starts (see %s)", log_path);
		return;
	}
	check(true, "server started: -n %d -p 20", BIG_VECTORS);
	raw = unix_connect(sock_path);	/* ID 0, never reads */
	for (i = 0; i < BIG_CLIENTS; i++) {
		/* The others do not read while this one's handshake runs. */
		v[i] = tc_connect("big", BIG_VECTORS, err, sizeof(err));
		if (v[i] == NULL) {
			check(false, "client %d of %d: %s", i + 1,
			      BIG_CLIENTS, err);
			return;
		}
	}
	server_quiet();
	for (i = 0; i < BIG_CLIENTS; i++)
		ok = ok && !v[i]->broken && knows(v[i], 0, BIG_VECTORS);
	check(ok && log_count("dropped") == 0, "%d clients with %d vectors "
	      "each (handshakes of up to %d messages) all complete; all "
	      "know the non-reading peer 0", BIG_CLIENTS, BIG_VECTORS,
	      3 + BIG_CLIENTS * BIG_VECTORS);
	check(log_count("socket full") > 0, "... and the server did wait "
	      "for full sockets (%d times)", log_count("socket full"));
	check_matrix(v, BIG_CLIENTS, BIG_VECTORS, "16 clients, 32 vectors");

	fds0 = count_fds(srv_pid);
	for (i = 0; i < 60 && log_count("dropped") == 0; i++) {
		struct tc *t = tc_connect("churn", BIG_VECTORS, err,
					  sizeof(err));

		if (t != NULL)
			tc_close(t);
		pump(0);
	}
	check(log_count("peer 0 dropped: not reading (queue full)") == 1,
	      "the non-reading client is dropped when its queue is full "
	      "(after %d join/leave cycles)", i);
	ok = true;
	for (i = 0; i < BIG_CLIENTS; i++)
		ok = ok && expect(v[i], IVC_EV_PEER_LEFT, 0) && !v[i]->broken;
	check(ok, "its departure reaches all %d others, none broken",
	      BIG_CLIENTS);
	close(raw);
	fds1 = server_quiet();
	check(fds1 == fds0 - 1 - BIG_VECTORS, "server released its socket "
	      "and %d eventfds: %d -> %d fds", BIG_VECTORS, fds0, fds1);
	for (i = 0; i < BIG_CLIENTS; i++)
		tc_close(v[i]);
}

static void
stop_server(void)
{
	struct stat st;
	char shm_file[128];
	int status = 0;

	if (srv_pid <= 0)
		return;
	kill(srv_pid, SIGTERM);
	waitpid(srv_pid, &status, 0);
	srv_pid = -1;
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "server exits 0 on SIGTERM");
	snprintf(shm_file, sizeof(shm_file), "/dev/shm%s", shm_name);
	check(stat(sock_path, &st) < 0 && stat(shm_file, &st) < 0,
	      "socket and created shm %s removed", shm_name);
}

int
main(int argc, char **argv)
{
	unsigned int i;
	int fds_start;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SERVER_BINARY\n", argv[0]);
		return 2;
	}
	server_bin = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/ivsrv-proto.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/ivshmem.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/server.log", dir);
	snprintf(shm_name, sizeof(shm_name), "/ivsrv-test-%d", (int)getpid());
	fds_start = count_fds(getpid());

	printf("# part 1: client validation against scripted servers\n");
	for (i = 0; i < sizeof(fake_cases) / sizeof(fake_cases[0]); i++)
		fake_case_run(&fake_cases[i]);
	stall_cases();

	printf("# part 2: real server %s\n", server_bin);
	part2();
	while (ntcs > 0)
		tc_close(tcs[0]);
	check(count_fds(getpid()) == fds_start,
	      "test process holds no fd from any client after ivc_close");
	stop_server();

	printf("# part 3: large handshakes, a client that never reads\n");
	part3();
	while (ntcs > 0)
		tc_close(tcs[0]);
	stop_server();

	if (n_fail != 0) {
		printf("# server log follows (%s)\n", log_path);
		fflush(stdout);
		if (fork() == 0)
			execlp("tail", "tail", "-n", "40", log_path, NULL);
		wait(NULL);
	} else {
		unlink(log_path);
		rmdir(dir);
	}
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail == 0 ? 0 : 1;
}
