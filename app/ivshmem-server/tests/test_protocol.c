/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protocol test of the server: a real ivshmem-server and ivc_ clients.
 *
 *   test-server-protocol SERVER_BINARY
 *
 * Part 1 runs the server with 2 vectors, max 4 peers and IDs 0..5, and
 * checks IDs, peer lists, that each eventfd a client receives for a peer
 * is that peer's own eventfd (kcmp, and by ringing it), shm sharing,
 * departures, ID order and reuse, max-peers refusal, survival of
 * garbage/vanishing/non-reading clients, and that the server's fd count
 * is unchanged after many connections.
 * Part 2: handshakes larger than a socket buffer, and a client that never
 * reads. Part 3: a client that connects and hangs up at once, accepted
 * with a newcomer. The client's own checks are in lib/ivshmem_proto/tests.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "ivp_test.h"

#define VECTORS 2
#define MAX_PEERS 4
#define ID_COUNT 6
/* IDs part 3 follows: the server hands them out in turn from 0. */
#define ID_COUNT_MAX 64

static const char *server_bin;

struct client_set {
	struct ivpt_client **v;
	unsigned int n, nv;
};

/* Every client of the set knows every other's nv eventfds (after reading
 * what waits). */
static bool
set_knows_all(void *arg)
{
	const struct client_set *s = arg;

	ivpt_pump(0);
	for (unsigned int x = 0; x < s->n; x++)
		for (unsigned int y = 0; y < s->n; y++)
			if (x != y && !ivpt_knows(s->v[x], ivc_id(s->v[y]->c),
						  s->nv))
				return false;
	return true;
}

/* Until every client of @v knows every other (the joins it was told of
 * have arrived); the check that follows says whether they did. */
static void
wait_all_known(struct ivpt_client **v, unsigned int n, unsigned int nv)
{
	struct client_set s = { v, n, nv };

	t_wait_until(set_knows_all, &s, IVPT_WAIT_MS);
}

/* Every ordered pair: the fd x holds for y's vector v is y's own fd v. */
static void
check_matrix(struct ivpt_client **v, unsigned int n, unsigned int nv,
	     const char *when)
{
	bool all_known = true, same = true, rings = true, kcmp_ok = true;
	unsigned int x, y, k, vec;

	for (x = 0; x < n; x++)
		for (y = 0; y < n; y++)
			if (x != y && !ivpt_knows(v[x], ivc_id(v[y]->c), nv))
				all_known = false;
	T_EXPECT(all_known, "%s: every client knows every other's %u "
		   "eventfds",
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
		T_EXPECT(same, "%s: kcmp: each peer eventfd is the very "
			   "file the "
			   "peer got as its own", when);
	else
		t_skip_part("kcmp unavailable (%s): identity checked by ringing "
			    "only", strerror(errno));

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
	T_EXPECT(rings, "%s: ringing peer Y's vector V fires exactly Y's own "
		   "eventfd V (all %u x %u pairs, %s)", when, n, n - 1,
		   nv > 4 ? "first and last vector" : "every vector");
}

static void
check_shm(struct ivpt_client *a, struct ivpt_client *b)
{
	struct stat sa, sb;
	size_t len = (size_t)ivc_shm_size(a->c);
	unsigned char *pa, *pb;

	T_EXPECT(fstat(ivc_shm_fd(a->c), &sa) == 0 &&
		   fstat(ivc_shm_fd(b->c), &sb) == 0 &&
		   sa.st_ino == sb.st_ino &&
		   sa.st_dev == sb.st_dev && len == (1u << 20),
		   "shm: same object for all clients, %zu bytes (-l 1M)", len);
	pa = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		  ivc_shm_fd(a->c), 0);
	pb = mmap(NULL, len, PROT_READ, MAP_SHARED, ivc_shm_fd(b->c), 0);
	if (pa == MAP_FAILED || pb == MAP_FAILED) {
		t_failed("shm: mmap: %s", strerror(errno));
		return;
	}
	memcpy(pa + len - 16, "ivshmem-test!", 14);
	T_EXPECT(memcmp(pb + len - 16, "ivshmem-test!", 14) == 0,
		   "shm: a write through one client's mapping shows in "
		   "another's");
	munmap(pa, len);
	munmap(pb, len);
}

/* A client that writes: the server must drop it, and stay up. */
static bool
garbage_client(void)
{
	int fd = t_unix_connect(ivpt_sock_path);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	int64_t end = t_now_ms() + IVPT_WAIT_MS;
	bool dropped = false;

	if (fd < 0)
		return false;
	if (write(fd, "hello\n", 6) != 6) {
		close(fd);
		return false;
	}
	while (t_now_ms() < end && !dropped) {
		if (poll(&pfd, 1, 100) == 1) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			dropped = n == 0 || (n < 0 && errno == ECONNRESET);
		}
		ivpt_pump(0);
	}
	close(fd);
	return dropped;
}

static void
part1(void)
{
	static const char *const args[] = { "-v", "-n", "2", "-p", "4",
					    "--ids", "6", "-l", "1M", NULL };
	struct ivpt_client *a, *b, *c, *d, *e, *f, *g, *h, *set[4];
	char err[400];
	int fds0, fds1 = -1, i, refused, dropped;

	if (!ivpt_server_start(server_bin, args)) {
		t_failed("server starts (see %s)", ivpt_log_path);
		return;
	}
	T_EXPECT(true, "server started: -n %d -p %d --ids %d -l 1M", VECTORS,
		   MAX_PEERS, ID_COUNT);

	a = ivpt_connect("A", VECTORS, err, sizeof(err));
	b = a ? ivpt_connect("B", VECTORS, err, sizeof(err)) : NULL;
	T_EXPECT(a && b && ivc_id(a->c) == 0 && ivc_id(b->c) == 1,
		   "2 clients: IDs 0 and 1%s%s", a && b ? "" : ": ",
		   a && b ? "" : err);
	if (!a || !b)
		return;
	T_EXPECT(ivpt_knows(b, 0, VECTORS) && ivc_peer_count(b->c) == 1,
		   "B's handshake lists peer 0 with %d eventfds", VECTORS);
	T_EXPECT(ivpt_expect(a, IVC_EV_PEER_JOINED, 1) &&
		   ivpt_knows(a, 1, VECTORS),
		   "A is told 1 joined, with %d eventfds", VECTORS);

	c = ivpt_connect("C", VECTORS, err, sizeof(err));
	T_EXPECT(c && ivc_id(c->c) == 2 && ivc_peer_count(c->c) == 2,
		   "3rd client: ID 2, handshake lists 2 peers%s%s",
		   c ? "" : ": ", c ? "" : err);
	if (!c)
		return;
	T_EXPECT(ivpt_expect(a, IVC_EV_PEER_JOINED, 2) &&
		   ivpt_expect(b, IVC_EV_PEER_JOINED, 2),
		   "A and B are told 2 joined");
	set[0] = a; set[1] = b; set[2] = c;
	check_matrix(set, 2, VECTORS, "2 clients");
	check_matrix(set, 3, VECTORS, "3 clients");
	check_shm(a, c);

	ivpt_close(b);
	T_EXPECT(ivpt_expect(a, IVC_EV_PEER_LEFT, 1) &&
		   ivpt_expect(c, IVC_EV_PEER_LEFT, 1),
		   "B's departure is announced to A and C");

	d = ivpt_connect("D", VECTORS, err, sizeof(err));
	T_EXPECT(d && ivc_id(d->c) == 3, "next client gets ID 3: IDs go in "
		   "turn, the freed 1 is not reused at once (got %d)",
		   d ? ivc_id(d->c) : -1);
	e = ivpt_connect("E", VECTORS, err, sizeof(err));
	T_EXPECT(e && ivc_id(e->c) == 4, "next client gets ID 4 (%d peers = "
		   "max)", MAX_PEERS);
	if (!d || !e)
		return;
	ivpt_server_quiet();
	refused = ivpt_log_count("refusing client");
	f = ivpt_connect("F", VECTORS, err, sizeof(err));
	T_EXPECT(f == NULL && strstr(err, "before the protocol version"),
		   "client beyond -p %d is refused: \"%s\"", MAX_PEERS,
		   f ? "(accepted!)" : err);
	ivpt_wait_log("refusing client", refused + 1);
	T_EXPECT(ivpt_log_count("refusing client") == refused + 1 &&
		   ivpt_log_count("-p/--max-peers is 4") > 0,
		   "server log says why it refused");

	T_EXPECT(ivpt_close_seen(e, a), "E's departure reaches A");
	f = ivpt_connect("F", VECTORS, err, sizeof(err));
	T_EXPECT(f && ivc_id(f->c) == 5, "after a departure, a client gets "
		   "ID 5");
	if (!f)
		return;
	T_EXPECT(ivpt_close_seen(f, a), "F's departure reaches A");
	g = ivpt_connect("G", VECTORS, err, sizeof(err));
	T_EXPECT(g && ivc_id(g->c) == 1, "IDs wrap at --ids %d: next is 1, "
		   "reused (0 is taken)", ID_COUNT);
	if (!g)
		return;
	T_EXPECT(ivpt_expect(a, IVC_EV_PEER_JOINED, 1) &&
		   ivpt_knows(a, 1, VECTORS),
		   "A learns the reused ID 1 with fresh eventfds");
	set[0] = a; set[1] = c; set[2] = d; set[3] = g;
	wait_all_known(set, 4, VECTORS);
	check_matrix(set, 4, VECTORS, "4 clients after reuse");

	T_EXPECT(ivpt_close_seen(g, a), "G's departure reaches A");
	/*
	 * A, C and D stay: room for the non-reading client below and one
	 * more only once D is gone.
	 */
	T_EXPECT(!d->broken, "client D saw no protocol error");
	T_EXPECT(ivpt_close_seen(d, a), "D's departure reaches A");

	dropped = ivpt_log_count("it sent data");
	T_EXPECT(garbage_client() && ivpt_wait_log("it sent data", dropped + 1) &&
		   ivpt_log_count("it sent data") == dropped + 1,
		   "a client that writes is dropped (logged)");
	for (i = 0; i < 20; i++) {
		int fd = t_unix_connect(ivpt_sock_path);

		if (fd >= 0)
			close(fd);
	}
	i = t_unix_connect(ivpt_sock_path);
	ivpt_server_quiet();		/* connected, never reads */
	h = ivpt_connect("H", VECTORS, err, sizeof(err));
	T_EXPECT(h != NULL, "server still serves after garbage, 20 "
		   "connect-and-vanish and a non-reading client%s%s",
		   h ? "" : ": ", h ? "" : err);
	if (i >= 0)
		close(i);
	if (h)
		ivpt_close(h);

	fds0 = ivpt_server_quiet();
	for (i = 0; i < 150; i++) {
		struct ivpt_client *t = ivpt_connect("churn", VECTORS, err,
						     sizeof(err));
		int fd;

		if (t != NULL)
			ivpt_close(t);
		if (i % 5 == 0 && (fd = t_unix_connect(ivpt_sock_path)) >= 0)
			close(fd);
		if (i % 15 == 0)
			garbage_client();
		ivpt_pump(0);
	}
	fds1 = ivpt_wait_fds(fds0);
	T_EXPECT(fds0 > 0 && fds1 == fds0, "server fd count unchanged after "
		   "150 connect/close + 30 vanish + 10 garbage: %d -> %d", fds0,
		   fds1);
	for (i = 0; i < (int)ivpt_nb_clients; i++)
		T_EXPECT(!ivpt_clients[i]->broken, "client %s saw no "
			   "protocol error",
			   ivpt_clients[i]->name);
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
part2(void)
{
	static const char *const args[] = { "-v", "-n", "32", "-p", "20",
					    NULL };
	struct ivpt_client *v[BIG_CLIENTS];
	char err[400];
	int raw, i, fds0, fds1;
	bool ok = true;

	if (!ivpt_server_start(server_bin, args)) {
		t_failed("server starts (see %s)", ivpt_log_path);
		return;
	}
	T_EXPECT(true, "server started: -n %d -p 20", BIG_VECTORS);
	raw = t_unix_connect(ivpt_sock_path);	/* ID 0, never reads */
	for (i = 0; i < BIG_CLIENTS; i++) {
		/* The others do not read while this one's handshake runs. */
		v[i] = ivpt_connect("big", BIG_VECTORS, err, sizeof(err));
		if (v[i] == NULL) {
			t_failed("client %d of %d: %s", i + 1,
				   BIG_CLIENTS, err);
			return;
		}
	}
	wait_all_known(v, BIG_CLIENTS, BIG_VECTORS);
	for (i = 0; i < BIG_CLIENTS; i++)
		ok = ok && !v[i]->broken && ivpt_knows(v[i], 0, BIG_VECTORS);
	T_EXPECT(ok && ivpt_log_count("dropped") == 0, "%d clients with "
		   "%d vectors "
		   "each (handshakes of up to %d messages) all complete; all "
		   "know the non-reading peer 0", BIG_CLIENTS, BIG_VECTORS,
		   3 + BIG_CLIENTS * BIG_VECTORS);
	T_EXPECT(ivpt_log_count("socket full") > 0, "... and the server "
		   "did wait for full sockets (%d times)",
		   ivpt_log_count("socket full"));
	check_matrix(v, BIG_CLIENTS, BIG_VECTORS, "16 clients, 32 vectors");

	fds0 = t_count_fds(ivpt_srv_pid);
	for (i = 0; i < 60 && ivpt_log_count("dropped") == 0; i++) {
		struct ivpt_client *t = ivpt_connect("churn", BIG_VECTORS, err,
						     sizeof(err));

		if (t != NULL)
			ivpt_close(t);
		ivpt_pump(0);
	}
	T_EXPECT(ivpt_log_count("peer 0 dropped: not reading (queue "
				  "full)") == 1,
		   "the non-reading client is dropped when its queue is full "
		   "(after %d join/leave cycles)", i);
	ok = true;
	for (i = 0; i < BIG_CLIENTS; i++)
		ok = ok && ivpt_expect(v[i], IVC_EV_PEER_LEFT, 0) &&
!v[i]->broken;
	T_EXPECT(ok, "its departure reaches all %d others, none broken",
		   BIG_CLIENTS);
	close(raw);
	fds1 = ivpt_wait_fds(fds0 - 1 - BIG_VECTORS);
	T_EXPECT(fds1 == fds0 - 1 - BIG_VECTORS, "server released its socket "
		   "and %d eventfds: %d -> %d fds", BIG_VECTORS, fds0, fds1);
	for (i = 0; i < BIG_CLIENTS; i++)
		ivpt_close(v[i]);
}

/*
 * One message from a raw client socket, waiting up to @ms: 1 with its
 * value and fd (-1: none), 0 on timeout or hang-up.
 */
static int
raw_recv(int sock, int64_t *value, int *fd, int ms)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	unsigned char le[8];
	struct iovec iov = { le, sizeof(le) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct cmsghdr *cm;
	uint64_t v = 0;
	int i;

	/* The server sends each message whole: one read takes it. */
	if (poll(&pfd, 1, ms) != 1 ||
	    recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(le))
		return 0;
	*fd = -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm != NULL && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(*fd));
	for (i = 7; i >= 0; i--)
		v = v << 8 | le[i];
	*value = (int64_t)v;
	return 1;
}

/*
 * A client that connects and hangs up at once, accepted in one batch
 * with a newcomer: the server finds the first gone while welcoming it,
 * and must not tell the newcomer of a departure of a peer the newcomer
 * was never listed. The server is stopped while both connect, so one
 * accept batch takes both. Once the newcomer has its handshake, peer X
 * hangs up: the server learns it in a later round than the batch, so X's
 * departure ends what the batch sent the newcomer.
 */
static void
part3(void)
{
	static const char *const args[] = { "-v", "-n", "1", "-p", "4", NULL };
	bool known[ID_COUNT_MAX] = { false }, end = false;
	struct ivpt_client *x;
	char err[400];
	int vanish, raw, status, fd, n = 0;
	int64_t value, own_id = -1, x_id, stray_id = -1;

	if (!ivpt_server_start(server_bin, args)) {
		t_failed("server starts (see %s)", ivpt_log_path);
		return;
	}
	x = ivpt_connect("X", 1, err, sizeof(err));
	if (x == NULL) {
		t_failed("client X: %s", err);
		return;
	}
	x_id = ivc_id(x->c);
	ivpt_server_quiet();
	kill(ivpt_srv_pid, SIGSTOP);
	waitpid(ivpt_srv_pid, &status, WUNTRACED);
	vanish = t_unix_connect(ivpt_sock_path);
	if (vanish >= 0)
		close(vanish);
	raw = t_unix_connect(ivpt_sock_path);
	kill(ivpt_srv_pid, SIGCONT);
	if (vanish < 0 || raw < 0) {
		t_failed("connect-and-close client and newcomer: %s",
			   strerror(errno));
		if (raw >= 0)
			close(raw);
		return;
	}
	/*
	 * After version, ID and shm, eventfds (of listed peers, its own, of
	 * joining peers) make an ID known; a departure must name one.
	 */
	while (!end && raw_recv(raw, &value, &fd, IVPT_WAIT_MS) == 1) {
		if (fd >= 0)
			close(fd);
		if (++n == 2)
			own_id = value;
		if (n <= 3 || value < 0 || value >= ID_COUNT_MAX)
			continue;
		if (fd >= 0)
			known[value] = true;
		else if (!known[value] && stray_id < 0)
			stray_id = value;
		if (fd >= 0 && value == own_id && x != NULL) {
			ivpt_close(x);	/* handshake done: X hangs up */
			x = NULL;
		}
		end = fd < 0 && value == x_id;
	}
	close(raw);
	if (stray_id >= 0)
		snprintf(err, sizeof(err), "told peer %lld left, never listed",
			 (long long)stray_id);
	else
		snprintf(err, sizeof(err), "%s", end ? "none unknown up to X's "
			 "departure" : "X's departure never came");
	T_EXPECT(end && stray_id < 0, "a newcomer accepted in one batch with "
		   "a connect-and-close client hears of no departure of a peer "
		   "it was not listed: %d messages, %s", n, err);
}

static void
stop_server(void)
{
	struct stat st;
	char shm_file[128];

	if (ivpt_srv_pid <= 0)
		return;
	T_EXPECT(ivpt_server_stop(), "server exits 0 on SIGTERM");
	snprintf(shm_file, sizeof(shm_file), "/dev/shm%s", ivpt_shm_name);
	T_EXPECT(stat(ivpt_sock_path, &st) < 0 && stat(shm_file, &st) < 0,
		   "socket and created shm %s removed", ivpt_shm_name);
}

int
main(int argc, char **argv)
{
	t_init("test-server-protocol");
	if (argc != 2)
		t_fail("usage: %s SERVER_BINARY", argv[0]);
	server_bin = argv[1];
	ivpt_setup("ivsrv-proto");

	t_log("part 1: real server %s", server_bin);
	part1();
	ivpt_close_all();
	stop_server();

	t_log("part 2: large handshakes, a client that never reads");
	part2();
	ivpt_close_all();
	stop_server();

	t_log("part 3: a connect-and-close client and a newcomer");
	part3();
	ivpt_close_all();
	stop_server();
	return t_finish();
}
