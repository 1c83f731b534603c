/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the ivshmem server protocol client (ivshmem_client.h).
 *
 *   test-client fake
 *	Against scripted fake servers, one row of a table each: every
 *	malformed handshake is refused with its reason and no fd leaked,
 *	valid ones are taken; a server that never accepts and one that stays
 *	silent make ivc_connect() give up at its timeout, saying which.
 *   test-client server SERVER_BINARY
 *	Against the real server (2 vectors, 4 peers): a departed peer's
 *	eventfds are closed and ringing it fails with ENOENT; a client that
 *	wants more vectors than the server has is refused, one that wants
 *	fewer keeps only its own count; ivc_close() releases every fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ivp_test.h"

#define VECTORS 2

/* ---- against scripted servers ------------------------------------------ */

enum fake_fd { F_NONE, F_SHM, F_EFD, F_PIPE, F_TWO };

struct fake_msg {
	int64_t value;
	enum fake_fd fd;
};

struct fake_case {
	const char *name;
	unsigned int vectors;
	int nmsg;
	struct fake_msg msg[8];
	const char *expect;	/* error substring; NULL: must succeed */
	/* What ivc_process() reports once all is sent, an fnmatch()
	 * pattern ("J3 L3"); NULL: not checked. */
	const char *events;
};

static const struct fake_case fake_cases[] = {
	{ "hang-up before version", 1, 0, { { 0, 0 } },
	  "before the protocol version", NULL },
	{ "wrong protocol version", 1, 1, { { 1, F_NONE } },
	  "protocol version 1, we speak 0", NULL },
	{ "version with an fd", 1, 1, { { 0, F_EFD } },
	  "version message carries an fd", NULL },
	{ "ID above 65535", 1, 2, { { 0, F_NONE }, { 70000, F_NONE } },
	  "assigned ID 70000, outside 0..65535", NULL },
	{ "negative ID", 1, 2, { { 0, F_NONE }, { -1, F_NONE } },
	  "assigned ID -1", NULL },
	{ "ID with an fd", 1, 2, { { 0, F_NONE }, { 3, F_EFD } },
	  "ID message carries an fd", NULL },
	{ "shm without an fd", 1, 3,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_NONE } },
	  "shared memory message without an fd", NULL },
	{ "value below -1", 1, 3,
	  { { 0, F_NONE }, { 0, F_NONE }, { -5, F_SHM } },
	  "sent -5, neither -1 nor an ID", NULL },
	{ "peer ID above 65535", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 65536, F_EFD } },
	  "sent 65536, neither -1 nor an ID", NULL },
	{ "two fds in one message", 1, 3,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_TWO } },
	  "more than one fd", NULL },
	{ "peer fd is not an eventfd", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 1, F_PIPE } },
	  "not an eventfd", NULL },
	{ "own ID announced gone", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 0, F_NONE } },
	  "our own ID 0 as gone", NULL },
	{ "shm sent twice", 1, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { -1, F_SHM } },
	  "shared memory twice", NULL },
	{ "fewer own vectors than ours", 2, 4,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 0, F_EFD } },
	  "sent 1 eventfd(s) for our own ID", NULL },
	{ "valid: ID 7, peer 3", 1, 5,
	  { { 0, F_NONE }, { 7, F_NONE }, { -1, F_SHM }, { 3, F_EFD },
	    { 7, F_EFD } }, NULL, NULL },
	{ "valid: extra own vector closed", 1, 5,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 0, F_EFD },
	    { 0, F_EFD } }, NULL, NULL },
	/* A peer that left before we were welcomed: ignored, as QEMU does. */
	{ "valid: unknown peer announced gone in the handshake", 1, 5,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 5, F_NONE },
	    { 0, F_EFD } }, NULL, "" },
	{ "valid: unknown peer announced gone, then a join", 1, 7,
	  { { 0, F_NONE }, { 0, F_NONE }, { -1, F_SHM }, { 0, F_EFD },
	    { 5, F_NONE }, { 3, F_EFD }, { 3, F_NONE } }, NULL, "J3 L3" },
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
		t_log("fake server: sendmsg: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * Everything ivc_process() reports until the socket is drained, as
 * "J<id>" / "L<id>" words, then "error: <reason>" if it fails.
 */
static void
fake_events(struct ivc_client *c, char *out, size_t len)
{
	struct pollfd pfd = { .fd = ivc_socket_fd(c), .events = POLLIN };
	size_t off = 0;

	out[0] = '\0';
	while (off < len && poll(&pfd, 1, 0) == 1) {
		struct ivc_event ev;
		int rc;

		while (off < len && (rc = ivc_process(c, &ev)) > 0)
			off += (size_t)snprintf(out + off, len - off, "%s%c%u",
						off ? " " : "",
						ev.type == IVC_EV_PEER_JOINED ?
						'J' : 'L', ev.id);
		if (off < len && rc < 0) {
			snprintf(out + off, len - off, "%serror: %s",
				 off ? " " : "", ivc_error(c));
			return;
		}
	}
}

/* A fake server: a child that sends a script on a socket of its own. */
struct fake_server {
	char path[96];
	int lfd;
	int sent;	/* reads EOF once the child has sent the whole script */
	int fds_before;
	pid_t pid;
};

static bool
fake_start(struct fake_server *f, const char *name,
	   const struct fake_msg *msg, int nmsg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sent[2];

	snprintf(f->path, sizeof(f->path), "%s/fake.sock", t_tmpdir());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	unlink(f->path);
	f->fds_before = t_count_fds(getpid());
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 ||
	    bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->lfd, 1) < 0 || pipe2(sent, O_CLOEXEC) < 0) {
		t_failed("fake server for '%s': %s", name,
			   strerror(errno));
		if (f->lfd >= 0)
			close(f->lfd);
		return false;
	}
	f->pid = fork();
	if (f->pid == 0) {
		int s = accept(f->lfd, NULL, NULL), i;
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		char buf[16];

		for (i = 0; i < nmsg; i++)
			fake_send(s, &msg[i]);
		close(sent[1]);
		/* Hold the line until the client hangs up (or 3 s). */
		if (nmsg > 0 && poll(&pfd, 1, 3000) == 1)
			(void)!read(s, buf, sizeof(buf));
		_exit(0);
	}
	close(sent[1]);
	f->sent = sent[0];
	return true;
}

/* Returns once the child has sent the whole script. */
static void
fake_wait_sent(struct fake_server *f)
{
	char b;

	(void)!read(f->sent, &b, 1);
}

/* After ivc_close(): the child is reaped and no fd is left over. */
static void
fake_stop(struct fake_server *f, const char *name)
{
	close(f->sent);
	close(f->lfd);
	T_EXPECT(t_count_fds(getpid()) == f->fds_before,
		   "  no fd leaked by the client on '%s'", name);
	waitpid(f->pid, NULL, 0);
	unlink(f->path);
}

/* @msg: the case's own script, or a longer one made for it. */
static void
fake_case_run(const struct fake_case *fc, const struct fake_msg *msg)
{
	struct fake_server f;
	char err[400], events[400];
	struct ivc_client *c;

	if (!fake_start(&f, fc->name, msg, fc->nmsg))
		return;
	c = ivc_connect(f.path, fc->vectors, 1000, err, sizeof(err));
	if (fc->expect == NULL) {
		T_EXPECT(c != NULL, "client accepts '%s'%s%s", fc->name,
			   c ? "" : ": ", c ? "" : err);
		if (c != NULL && fc->events != NULL) {
			fake_wait_sent(&f);
			fake_events(c, events, sizeof(events));
			T_EXPECT(fnmatch(fc->events, events, 0) == 0,
				   "  '%s': events \"%s\", want \"%s\"",
				   fc->name, events, fc->events);
		}
		if (c != NULL && msg[1].value == 7)
			T_EXPECT(ivc_id(c) == 7 && ivc_peer_count(c) == 1 &&
				   ivc_peer_at(c, 0)->id == 3 &&
				   ivc_shm_size(c) == 4096,
				   "  '%s': id %u, %u peer(s), shm %llu",
				   fc->name, ivc_id(c), ivc_peer_count(c),
				   (unsigned long long)ivc_shm_size(c));
	} else {
		T_EXPECT(c == NULL && strstr(err, fc->expect) != NULL,
			   "client rejects '%s': \"%s\"", fc->name,
			   c ? "(accepted!)" : err);
	}
	ivc_close(c);
	fake_stop(&f, fc->name);
}

/*
 * Version, our ID 0, shm, @npeers peers (IDs 1..@npeers) of one eventfd
 * each and our own; then @njoin joins of the next IDs. Returns the count.
 */
static int
cap_script(struct fake_msg *m, int npeers, int njoin)
{
	int n = 0, i;

	m[n++] = (struct fake_msg){ 0, F_NONE };
	m[n++] = (struct fake_msg){ 0, F_NONE };
	m[n++] = (struct fake_msg){ -1, F_SHM };
	for (i = 1; i <= npeers; i++)
		m[n++] = (struct fake_msg){ i, F_EFD };
	m[n++] = (struct fake_msg){ 0, F_EFD };
	for (i = 0; i < njoin; i++)
		m[n++] = (struct fake_msg){ npeers + 1 + i, F_EFD };
	return n;
}

/* IVP_MAX_PEERS clients at once (the receiver included), and no more. */
static void
cap_cases(void)
{
	static struct fake_msg m[IVP_MAX_PEERS + 8];
	char events[64], why[32];
	struct fake_case fc = { .vectors = 1 };

	snprintf(why, sizeof(why), "more than %d peers", IVP_MAX_PEERS);

	fc.name = "valid: IVP_MAX_PEERS clients, we included";
	fc.nmsg = cap_script(m, IVP_MAX_PEERS - 1, 0);
	fc.events = "";
	fake_case_run(&fc, m);

	fc.name = "handshake lists IVP_MAX_PEERS peers besides us";
	fc.nmsg = cap_script(m, IVP_MAX_PEERS, 0);
	fc.expect = why;
	fc.events = NULL;
	fake_case_run(&fc, m);

	fc.name = "joins up to IVP_MAX_PEERS after the handshake, and one "
		  "more";
	fc.nmsg = cap_script(m, IVP_MAX_PEERS - 2, 2);
	fc.expect = NULL;
	snprintf(events, sizeof(events), "J%d error: *%s*", IVP_MAX_PEERS - 1,
		 why);
	fc.events = events;
	fake_case_run(&fc, m);
}

/*
 * A server that keeps sending: one round of ivc_process() calls, until
 * one returns 0, takes IVC_PROCESS_BUDGET messages at most and leaves the
 * socket readable for the next round; all events arrive over the rounds.
 */
static void
budget_case(void)
{
	enum { PAIRS = IVC_PROCESS_BUDGET + 8 };
	static struct fake_msg m[4 + 2 * PAIRS];
	const char *name = "a server that keeps sending";
	struct pollfd pfd = { .events = POLLIN };
	struct fake_server f;
	struct ivc_client *c;
	struct ivc_event ev;
	unsigned int first = 0, total = 0, rounds = 0, bad = 0;
	char err[400];
	int n = 0, i, rc;

	m[n++] = (struct fake_msg){ 0, F_NONE };
	m[n++] = (struct fake_msg){ 0, F_NONE };
	m[n++] = (struct fake_msg){ -1, F_SHM };
	m[n++] = (struct fake_msg){ 0, F_EFD };
	for (i = 0; i < PAIRS; i++) {
		m[n++] = (struct fake_msg){ 3, F_EFD };
		m[n++] = (struct fake_msg){ 3, F_NONE };
	}
	if (!fake_start(&f, name, m, n))
		return;
	c = ivc_connect(f.path, 1, 1000, err, sizeof(err));
	T_EXPECT(c != NULL, "client accepts '%s'%s%s", name, c ? "" : ": ",
		   c ? "" : err);
	if (c == NULL) {
		fake_stop(&f, name);
		return;
	}
	fake_wait_sent(&f);
	pfd.fd = ivc_socket_fd(c);
	while (poll(&pfd, 1, 0) == 1 && rounds < 2 * PAIRS) {
		rounds++;
		while ((rc = ivc_process(c, &ev)) > 0) {
			/* Joins and departures of peer 3 take turns. */
			if (ev.id != 3 || ev.type != (total % 2 == 0 ?
			    IVC_EV_PEER_JOINED : IVC_EV_PEER_LEFT))
				bad++;
			total++;
			if (rounds == 1)
				first++;
		}
		if (rc < 0)
			break;
	}
	T_EXPECT(rounds > 1 && first <= IVC_PROCESS_BUDGET,
		   "  '%s': the first round takes %u events, at most %d, and "
		   "leaves the socket readable (%u rounds)", name, first,
		   IVC_PROCESS_BUDGET, rounds);
	T_EXPECT(rc == 0 && bad == 0 && total == 2 * PAIRS,
		   "  '%s': all %u events arrive in order over the rounds",
		   name, total);
	ivc_close(c);
	fake_stop(&f, name);
}

/*
 * A server that never accepts (backlog full) or accepts and stays silent:
 * ivc_connect() must give up at its timeout, saying which. The bounds are
 * the timeout's: not before it (the client counts on the same clock), and
 * before a second one would end (one deadline covers the connect and the
 * handshake: a client that started the timeout again for the handshake,
 * or for each try, would take two).
 */
#define STALL_MS	1000

static void
stall_cases(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[96], err[400];
	struct ivc_client *c;
	int lfd, filler, acc;
	int64_t t0, t1;

	snprintf(path, sizeof(path), "%s/stall.sock", t_tmpdir());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 0) < 0) {
		t_failed("stalling server: %s", strerror(errno));
		return;
	}
	/* Backlog 0 still queues one connection: fill it. */
	filler = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	connect(filler, (struct sockaddr *)&sa, sizeof(sa));
	t0 = t_now_ms();
	c = ivc_connect(path, 1, STALL_MS, err, sizeof(err));
	t1 = t_now_ms();
	T_EXPECT(c == NULL && strstr(err, "not accepting") != NULL &&
		   t1 - t0 >= STALL_MS && t1 - t0 < 2 * STALL_MS,
		   "client gives up on a server that never accepts after "
		   "%lld ms (its timeout: %d): \"%s\"", (long long)(t1 - t0),
		   STALL_MS, c ? "(accepted!)" : err);
	ivc_close(c);
	acc = accept(lfd, NULL, NULL);	/* frees the backlog slot */
	close(filler);
	if (acc >= 0)
		close(acc);

	t0 = t_now_ms();
	c = ivc_connect(path, 1, STALL_MS, err, sizeof(err));
	t1 = t_now_ms();
	T_EXPECT(c == NULL && strstr(err, "no protocol version") != NULL &&
		   t1 - t0 >= STALL_MS && t1 - t0 < 2 * STALL_MS,
		   "client gives up on a silent server after %lld ms (its "
		   "timeout: %d): \"%s\"", (long long)(t1 - t0), STALL_MS,
		   c ? "(accepted!)" : err);
	ivc_close(c);
	close(lfd);
	unlink(path);
}

/* ---- against the real server ------------------------------------------- */

static void
real_server(const char *server_bin)
{
	static const char *const args[] = { "-n", "2", "-p", "4", "-l", "1M",
					    NULL };
	struct ivpt_client *a, *b, *c, *h;
	char err[400];
	int fds0, fds1, fds2;

	if (!ivpt_server_start(server_bin, args)) {
		t_failed("server starts (see %s)", ivpt_log_path);
		return;
	}
	a = ivpt_connect("A", VECTORS, err, sizeof(err));
	b = a ? ivpt_connect("B", VECTORS, err, sizeof(err)) : NULL;
	c = b ? ivpt_connect("C", VECTORS, err, sizeof(err)) : NULL;
	T_EXPECT(c != NULL, "3 clients connect%s%s", c ? "" : ": ",
		   c ? "" : err);
	if (c == NULL)
		return;
	ivpt_settle(50);

	fds0 = t_count_fds(getpid());
	ivpt_close(b);
	fds1 = t_count_fds(getpid());
	T_EXPECT(ivpt_expect(a, IVC_EV_PEER_LEFT, 1) &&
		   ivpt_expect(c, IVC_EV_PEER_LEFT, 1) &&
		   !ivpt_knows(a, 1, VECTORS) && !ivpt_knows(c, 1, 0),
		   "A and C, told B left, forget it");
	fds2 = t_count_fds(getpid());
	T_EXPECT(fds2 == fds1 - 2 * VECTORS, "... and close the %d "
		   "eventfds each held for it: %d -> %d fds (B's own: %d)",
		   VECTORS, fds1, fds2, fds0 - fds1);
	T_EXPECT(ivc_notify(a->c, 1, 0) == -ENOENT,
		   "ringing departed peer 1 fails with ENOENT");

	h = ivpt_connect("H", 3, err, sizeof(err));
	T_EXPECT(h == NULL && strstr(err, "we use 3 vectors"),
		   "client wanting 3 vectors from a 2-vector server fails: "
		   "\"%s\"", h ? "(accepted!)" : err);
	ivpt_server_quiet();
	fds0 = t_count_fds(getpid());
	h = ivpt_connect("H", 1, err, sizeof(err));
	fds1 = t_count_fds(getpid());
	/* Its socket, the shm, its own eventfd, one per peer (A and C). */
	T_EXPECT(h && ivpt_knows(h, ivc_id(a->c), 1) &&
		   ivpt_knows(h, ivc_id(c->c), 1) && ivc_own_fd(h->c, 1) < 0 &&
		   fds1 - fds0 == 5, "client wanting 1 vector takes 1 per "
		   "peer, closes the rest: %d fds", fds1 - fds0);
	ivpt_server_quiet();
	for (unsigned int i = 0; i < ivpt_nb_clients; i++)
		T_EXPECT(!ivpt_clients[i]->broken, "client %s saw no "
			   "protocol error", ivpt_clients[i]->name);
}

int
main(int argc, char **argv)
{
	int fds_start;

	t_init("test-client");
	if (!(argc == 2 && strcmp(argv[1], "fake") == 0) &&
	    !(argc == 3 && strcmp(argv[1], "server") == 0))
		t_fail("usage: %s fake | server SERVER_BINARY", argv[0]);
	ivpt_setup("ivc-test");
	fds_start = t_count_fds(getpid());
	if (argc == 2) {
		t_log("the client against scripted servers");
		for (size_t i = 0; i < sizeof(fake_cases) /
		     sizeof(fake_cases[0]); i++)
			fake_case_run(&fake_cases[i], fake_cases[i].msg);
		cap_cases();
		budget_case();
		stall_cases();
	} else {
		t_log("the client against the real server %s", argv[2]);
		real_server(argv[2]);
		ivpt_close_all();
		T_EXPECT(t_count_fds(getpid()) == fds_start,
			   "test process holds no fd from any client after "
			   "ivc_close");
		ivpt_server_stop();
	}
	return t_finish();
}
