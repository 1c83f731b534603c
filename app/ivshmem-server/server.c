/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event loop: accept clients, run the handshake, announce joins and
 * departures, drop clients that write or vanish.
 *
 * Dropping is two-step. ivsrv_drop() closes the socket at once, but the
 * peer stays listed (with its ID) until ivsrv_reap(), which runs when no
 * loop holds peer pointers: only then is it unlisted and its departure
 * announced. Announcing can overflow another client's queue and drop it
 * too; reap keeps going until nothing is left to announce.
 *
 * A newcomer is welcomed with the live peers only, so no peer may be
 * dropped-but-listed when the next one is welcomed: it would be told of
 * a departure of a peer it never heard of (a client that hangs up before
 * it is accepted is dropped while it is welcomed). Reaping comes before
 * every welcome.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "log.h"

#define IVSRV_EVENTS 64
#define IVSRV_ACCEPT_BATCH 16
#define IVSRV_ACCEPT_RETRY_MS 100

static void
ivsrv_drop(struct ivsrv_server *s, struct ivsrv_peer *p, int priority,
	   const char *why)
{
	if (p->dead)
		return;
	ivsrv_log(priority, "peer %u %s; %u peer(s) left", p->id, why,
		  s->nb_active - 1);
	p->dead = true;
	s->nb_active--;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, p->sock, NULL);
	close(p->sock);
	p->sock = -1;
	ivsrv_peer_clear_queue(p);
	p->next_dead = s->dead;
	s->dead = p;
}

/*
 * Push a message of @kind (ivshmem_proto.h) with the fd its table row
 * names, or -1; drop the receiver if it has stopped reading.
 */
static void
ivsrv_push(struct ivsrv_server *s, struct ivsrv_peer *p, enum ivp_msg kind,
	   int64_t value, int fd, struct ivsrv_efd *ref)
{
	if (p->dead)
		return;
	IVSRV_DEBUG("to peer %u: %s %lld%s", p->id, ivp_msg_info(kind)->name,
		    (long long)value, fd >= 0 ? " + fd" : "");
	if (ivsrv_peer_push(&s->tab, p, value, fd, ref) < 0)
		ivsrv_drop(s, p, LOG_WARNING, "dropped: not reading (queue "
			   "full)");
}

/* Send what the socket takes now; wait for EPOLLOUT for the rest. */
static void
ivsrv_send(struct ivsrv_server *s, struct ivsrv_peer *p)
{
	bool want;

	if (p->dead)
		return;
	if (ivsrv_peer_flush(p) < 0) {
		char why[96];

		snprintf(why, sizeof(why), "dropped: send failed: %s",
			 strerror(errno));
		ivsrv_drop(s, p, errno == EPIPE || errno == ECONNRESET ?
			   LOG_INFO : LOG_WARNING, why);
		return;
	}
	want = p->q_len > 0;
	if (want && !p->want_out)
		IVSRV_DEBUG("peer %u: socket full, %u message(s) wait for it",
			    p->id, p->q_len);
	if (want != p->want_out) {
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0),
			.data.ptr = p,
		};

		if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, p->sock, &ev) == 0)
			p->want_out = want;
	}
}

static void
ivsrv_announce_departure(struct ivsrv_server *s, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < s->tab.nb_peers; i++)
		ivsrv_push(s, s->tab.peers[i], IVP_MSG_LEFT, id, -1, NULL);
	for (i = 0; i < s->tab.nb_peers; i++)
		ivsrv_send(s, s->tab.peers[i]);
}

static void
ivsrv_reap(struct ivsrv_server *s)
{
	while (s->dead != NULL) {
		struct ivsrv_peer *p = s->dead;
		uint16_t id = p->id;

		s->dead = p->next_dead;
		ivsrv_peer_remove(&s->tab, p);
		ivsrv_announce_departure(s, id);
	}
}

/*
 * The handshake of ivshmem_proto.h, as QEMU's ivshmem-doorbell reads it
 * (hw/misc/ivshmem.c, ivshmem_recv_setup): version, ID, shm; then each
 * peer's eventfds, then its own. Everyone else learns the newcomer's.
 */
static void
ivsrv_welcome(struct ivsrv_server *s, struct ivsrv_peer *p)
{
	const unsigned int nv = s->tab.vectors;
	unsigned int i, v;

	ivsrv_push(s, p, IVP_MSG_VERSION, IVP_PROTOCOL_VERSION, -1, NULL);
	ivsrv_push(s, p, IVP_MSG_ID, p->id, -1, NULL);
	ivsrv_push(s, p, IVP_MSG_SHM, IVP_SHM, s->shm->fd, NULL);
	for (i = 0; i < s->tab.nb_peers; i++) {
		struct ivsrv_peer *q = s->tab.peers[i];

		if (q == p || q->dead)
			continue;
		for (v = 0; v < nv; v++)
			ivsrv_push(s, p, IVP_MSG_PEER_EVENTFD, q->id,
				   q->efd[v]->fd, q->efd[v]);
	}
	for (v = 0; v < nv; v++)
		ivsrv_push(s, p, IVP_MSG_OWN_EVENTFD, p->id, p->efd[v]->fd,
			   p->efd[v]);

	for (i = 0; i < s->tab.nb_peers; i++) {
		struct ivsrv_peer *q = s->tab.peers[i];

		if (q == p)
			continue;
		for (v = 0; v < nv; v++)
			ivsrv_push(s, q, IVP_MSG_JOINED, p->id,
				   p->efd[v]->fd, p->efd[v]);
	}
	for (i = 0; i < s->tab.nb_peers; i++)
		ivsrv_send(s, s->tab.peers[i]);
}

void
ivsrv_server_adopt(struct ivsrv_server *s, int fd)
{
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1 };
	socklen_t len = sizeof(cred);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	struct ivsrv_peer *p;

	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	if (s->nb_active >= s->opt->max_peers) {
		IVSRV_WARN("refusing client (pid %d, uid %d): %u peers "
			   "connected, -p/--max-peers is %u", (int)cred.pid,
			   (int)cred.uid, s->nb_active, s->opt->max_peers);
		close(fd);
		return;
	}
	p = ivsrv_peer_new(&s->tab, fd);
	if (p == NULL) {
		IVSRV_WARN("refusing client (pid %d, uid %d): %s",
			   (int)cred.pid, (int)cred.uid, errno == EBUSY ?
			   "no free ID (see --ids)" : strerror(errno));
		close(fd);
		return;
	}
	p->pid = cred.pid;
	p->uid = cred.uid;
	ev.data.ptr = p;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		IVSRV_WARN("refusing client (pid %d): epoll: %s",
			   (int)cred.pid, strerror(errno));
		close(fd);
		p->sock = -1;
		ivsrv_peer_remove(&s->tab, p);
		return;
	}
	s->nb_active++;
	IVSRV_INFO("peer %u connected (pid %d, uid %d); %u peer(s)", p->id,
		   (int)cred.pid, (int)cred.uid, s->nb_active);
	ivsrv_welcome(s, p);
	/*
	 * Before the next newcomer is welcomed: one that hung up before it
	 * was accepted is dropped while welcomed (see the top of the file).
	 */
	ivsrv_reap(s);
}

static int64_t
ivsrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stop or resume watching the listener (resuming: for new connections). */
static void
ivsrv_listener_pause(struct ivsrv_server *s, bool pause)
{
	struct epoll_event ev = {
		.events = pause ? 0 : EPOLLIN,
		.data.ptr = s->lis,
	};

	if (s->lis_paused == pause)
		return;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lis->fd, &ev) < 0) {
		IVSRV_WARN("epoll_ctl (listener): %s", strerror(errno));
		return;
	}
	s->lis_paused = pause;
	if (pause)
		s->lis_resume_ms = ivsrv_now_ms() + IVSRV_ACCEPT_RETRY_MS;
}

/*
 * A pending connection that cannot be taken (no fd left, not even the
 * spare, or another error) keeps the listener readable: watching it would
 * spin. Stop watching it for IVSRV_ACCEPT_RETRY_MS; the client waits in
 * the backlog. Logged once until an accept succeeds again.
 */
static void
ivsrv_accept_failed(struct ivsrv_server *s, int err)
{
	if (!s->accept_failing)
		IVSRV_WARN("accept: %s%s: not accepting clients, retrying every "
			   "%d ms", strerror(err), err == EMFILE ||
			   err == ENFILE ? " (no spare fd to refuse them with)" :
			   "", IVSRV_ACCEPT_RETRY_MS);
	s->accept_failing = true;
	ivsrv_listener_pause(s, true);
}

static void
ivsrv_accept(struct ivsrv_server *s)
{
	int i;

	for (i = 0; i < IVSRV_ACCEPT_BATCH; i++) {
		int fd = accept4(s->lis->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			if (s->accept_failing)
				IVSRV_INFO("accepting clients again");
			s->accept_failing = false;
			ivsrv_server_adopt(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if ((errno == EMFILE || errno == ENFILE) && s->spare_fd >= 0) {
			/*
			 * The pending connection would keep the listener
			 * readable forever: take it with our spare fd and
			 * close it, so the client sees a refusal.
			 */
			int err;

			close(s->spare_fd);
			fd = accept4(s->lis->fd, NULL, NULL, SOCK_CLOEXEC);
			err = errno;
			if (fd >= 0)
				close(fd);
			s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				IVSRV_WARN("refusing client: out of file "
					   "descriptors");
				continue;
			}
			/* Even the spare's number is past the limit. */
			errno = err;
		}
		ivsrv_accept_failed(s, errno);
		return;
	}
}

static void
ivsrv_peer_event(struct ivsrv_server *s, struct ivsrv_peer *p,
		 uint32_t events)
{
	if (p->dead)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		char buf[64];
		ssize_t n;

		do {
			n = recv(p->sock, buf, sizeof(buf), MSG_DONTWAIT);
		} while (n < 0 && errno == EINTR);
		if (n > 0) {
			ivsrv_drop(s, p, LOG_WARNING, "dropped: it sent data "
				   "(the protocol is server-to-client only)");
			return;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			ivsrv_drop(s, p, LOG_INFO, "disconnected");
			return;
		}
	}
	if (events & EPOLLOUT)
		ivsrv_send(s, p);
}

static void
ivsrv_dump(const struct ivsrv_server *s)
{
	unsigned int i, v;

	IVSRV_INFO("%u peer(s); vectors %u; next ID %u of %u", s->nb_active,
		   s->tab.vectors, s->tab.next_id, s->tab.id_count);
	for (i = 0; i < s->tab.nb_peers; i++) {
		const struct ivsrv_peer *p = s->tab.peers[i];
		char fds[IVP_MAX_VECTORS * 8] = "";
		size_t off = 0;

		for (v = 0; v < s->tab.vectors && off < sizeof(fds); v++)
			off += (size_t)snprintf(fds + off, sizeof(fds) - off,
						"%s%d", v ? "," : "",
						p->efd[v]->fd);
		IVSRV_INFO("  peer %u: pid %d uid %d socket fd %d eventfds %s "
			   "queued %u", p->id, (int)p->pid, (int)p->uid,
			   p->sock, fds, p->q_len);
	}
}

static void
ivsrv_signals(struct ivsrv_server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			IVSRV_INFO("%s: shutting down",
				   si.ssi_signo == SIGTERM ? "SIGTERM" :
				   "SIGINT");
			s->stop = true;
			break;
		case SIGUSR1:
			ivsrv_dump(s);
			break;
		default:
			break;
		}
	}
}

int
ivsrv_server_init(struct ivsrv_server *s, const struct ivsrv_options *o,
		  struct ivsrv_listener *lis, struct ivsrv_shm *shm,
		  const sigset_t *sigmask)
{
	struct epoll_event ev = { .events = EPOLLIN };

	memset(s, 0, sizeof(*s));
	s->opt = o;
	s->lis = lis;
	s->shm = shm;
	s->epfd = -1;
	s->sigfd = -1;
	s->spare_fd = -1;
	if (ivsrv_table_init(&s->tab, o->vectors, o->max_peers,
			     o->id_count) < 0) {
		IVSRV_ERR("out of memory");
		return -1;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->sigfd = signalfd(-1, sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->epfd < 0 || s->sigfd < 0 || s->spare_fd < 0) {
		IVSRV_ERR("event loop setup: %s", strerror(errno));
		goto fail;
	}
	ev.data.ptr = s->lis;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, lis->fd, &ev) < 0)
		goto fail_epoll;
	ev.data.ptr = &s->sigfd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0)
		goto fail_epoll;
	return 0;

fail_epoll:
	IVSRV_ERR("epoll_ctl: %s", strerror(errno));
fail:
	ivsrv_server_fini(s);
	return -1;
}

int
ivsrv_server_step(struct ivsrv_server *s, int timeout_ms)
{
	struct epoll_event evs[IVSRV_EVENTS];
	bool listener = false, signals = false;
	int i, n;

	if (s->lis_paused) {
		int64_t left = s->lis_resume_ms - ivsrv_now_ms();

		if (left < 0)
			left = 0;
		if (timeout_ms < 0 || timeout_ms > left)
			timeout_ms = (int)left;
	}
	n = epoll_wait(s->epfd, evs, IVSRV_EVENTS, timeout_ms);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0) {
		IVSRV_ERR("epoll_wait: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (evs[i].data.ptr == s->lis)
			listener = true;
		else if (evs[i].data.ptr == &s->sigfd)
			signals = true;
		else
			ivsrv_peer_event(s, evs[i].data.ptr, evs[i].events);
	}
	/* Before accepting, so departed IDs and slots are free. */
	ivsrv_reap(s);
	if (signals)
		ivsrv_signals(s);
	if (listener && !s->stop)
		ivsrv_accept(s);
	if (s->lis_paused && ivsrv_now_ms() >= s->lis_resume_ms) {
		/* The spare may have been lost with the fds; take it back. */
		if (s->spare_fd < 0)
			s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ivsrv_listener_pause(s, false);
	}
	return 0;
}

int
ivsrv_server_run(struct ivsrv_server *s)
{
	IVSRV_INFO("listening on %s (%u vector(s), up to %u peers, IDs "
		   "0..%u)", s->lis->path, s->opt->vectors, s->opt->max_peers,
		   s->opt->id_count - 1);
	while (!s->stop)
		if (ivsrv_server_step(s, -1) < 0)
			return -1;
	return 0;
}

void
ivsrv_server_fini(struct ivsrv_server *s)
{
	/*
	 * No departure notices: clients that stay up keep ringing each
	 * other through the eventfds they hold, as the protocol allows.
	 */
	ivsrv_table_fini(&s->tab);
	s->dead = NULL;
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->epfd >= 0)
		close(s->epfd);
	s->spare_fd = s->sigfd = s->epfd = -1;
}
