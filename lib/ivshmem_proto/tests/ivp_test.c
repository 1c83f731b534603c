/* SPDX-License-Identifier: BSD-3-Clause */
#include "ivp_test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

char ivpt_sock_path[108], ivpt_log_path[256], ivpt_shm_name[64];
pid_t ivpt_srv_pid = -1;
struct ivpt_client *ivpt_clients[IVPT_MAX_CLIENTS];
unsigned int ivpt_nb_clients;

void
ivpt_setup(const char *tag)
{
	signal(SIGPIPE, SIG_IGN);
	t_tmppath(ivpt_sock_path, sizeof(ivpt_sock_path), "ivshmem.sock");
	t_tmppath(ivpt_log_path, sizeof(ivpt_log_path), "server.log");
	snprintf(ivpt_shm_name, sizeof(ivpt_shm_name), "/%s-%d", tag,
		 (int)getpid());
}

/* ---- the real server ---------------------------------------------------- */

int
ivpt_log_count(const char *needle)
{
	int fd = open(ivpt_log_path, O_RDONLY | O_CLOEXEC), n = 0;
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

static bool
server_listens(void *arg)
{
	(void)arg;
	return ivpt_log_count("listening on") > 0;
}

bool
ivpt_server_start(const char *bin, const char *const *args)
{
	const char *argv[32] = { bin, "-F", "-S", ivpt_sock_path, "-m",
				 ivpt_shm_name };
	pid_t parent = getpid();
	int n = 6;

	while (*args != NULL && n < 31)
		argv[n++] = *args++;
	/* Before fork: no "listening" left from a past run. */
	unlink(ivpt_log_path);
	ivpt_srv_pid = fork();
	if (ivpt_srv_pid == 0) {
		int fd = open(ivpt_log_path, O_WRONLY | O_CREAT | O_TRUNC,
			      0644);

		t_child_init(parent);
		dup2(fd, STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	if (ivpt_srv_pid < 0)
		t_fail("fork: %s", strerror(errno));
	t_track_pid(ivpt_srv_pid);
	return t_wait_until(server_listens, NULL, IVPT_WAIT_MS);
}

struct log_wait {
	const char *needle;
	int n;
};

static bool
log_reached(void *arg)
{
	const struct log_wait *w = arg;

	return ivpt_log_count(w->needle) >= w->n;
}

bool
ivpt_wait_log(const char *needle, int n)
{
	struct log_wait w = { needle, n };

	return t_wait_until(log_reached, &w, IVPT_WAIT_MS);
}

int
ivpt_wait_fds(int want)
{
	int64_t end = t_now_ms() + IVPT_WAIT_MS;
	int cur;

	while ((cur = t_count_fds(ivpt_srv_pid)) != want && t_now_ms() < end)
		ivpt_pump(10);
	return cur;
}

bool
ivpt_server_stop(void)
{
	int status = 0;

	if (ivpt_srv_pid <= 0)
		return false;
	kill(ivpt_srv_pid, SIGTERM);
	waitpid(ivpt_srv_pid, &status, 0);
	t_untrack_pid(ivpt_srv_pid);
	ivpt_srv_pid = -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int
ivpt_server_quiet(void)
{
	int64_t end = t_now_ms() + IVPT_WAIT_MS;
	int prev = -2, cur;

	for (;;) {
		ivpt_settle(50);
		cur = t_count_fds(ivpt_srv_pid);
		if (cur == prev || t_now_ms() >= end)
			return cur;
		prev = cur;
		t_sleep_ms(150);
	}
}

/* ---- clients with their events ------------------------------------------ */

struct ivpt_client *
ivpt_connect(const char *name, unsigned int vectors, char *err, size_t len)
{
	struct ivpt_client *t;

	if (ivpt_nb_clients == IVPT_MAX_CLIENTS) {
		snprintf(err, len, "more than %d test clients",
			 IVPT_MAX_CLIENTS);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	t->c = ivc_connect(ivpt_sock_path, vectors, 2000, err, len);
	if (t->c == NULL) {
		free(t);
		return NULL;
	}
	t->name = name;
	ivpt_clients[ivpt_nb_clients++] = t;
	return t;
}

void
ivpt_close(struct ivpt_client *t)
{
	unsigned int i;

	for (i = 0; i < ivpt_nb_clients; i++)
		if (ivpt_clients[i] == t)
			ivpt_clients[i] = ivpt_clients[--ivpt_nb_clients];
	ivc_close(t->c);
	free(t);
}

void
ivpt_close_all(void)
{
	while (ivpt_nb_clients > 0)
		ivpt_close(ivpt_clients[0]);
}

int
ivpt_pump(int ms)
{
	struct pollfd pfd[IVPT_MAX_CLIENTS];
	unsigned int i;
	int got = 0;

	for (i = 0; i < ivpt_nb_clients; i++)
		pfd[i] = (struct pollfd){
			.fd = ivc_socket_fd(ivpt_clients[i]->c),
			.events = POLLIN };
	if (poll(pfd, ivpt_nb_clients, ms) <= 0)
		return 0;
	for (i = 0; i < ivpt_nb_clients; i++) {
		struct ivpt_client *t = ivpt_clients[i];
		struct ivc_event ev;
		int rc;

		if (!pfd[i].revents || t->broken)
			continue;
		while ((rc = ivc_process(t->c, &ev)) > 0) {
			if (t->nev < IVPT_MAX_EVENTS)
				t->ev[t->nev++] = ev;
			got++;
		}
		if (rc < 0) {
			t_log("client %s: %s", t->name, ivc_error(t->c));
			t->broken = true;
		}
	}
	return got;
}

void
ivpt_settle(int quiet_ms)
{
	int64_t end = t_now_ms() + IVPT_WAIT_MS;

	while (t_now_ms() < end && ivpt_pump(quiet_ms) > 0)
		;
}

bool
ivpt_expect(struct ivpt_client *t, enum ivc_event_type type, unsigned int id)
{
	int64_t end = t_now_ms() + IVPT_WAIT_MS;

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
		if (t_now_ms() >= end)
			return false;
		ivpt_pump(50);
	}
}

bool
ivpt_close_seen(struct ivpt_client *t, struct ivpt_client *witness)
{
	uint16_t id = ivc_id(t->c);

	ivpt_close(t);
	return ivpt_expect(witness, IVC_EV_PEER_LEFT, id);
}

bool
ivpt_knows(const struct ivpt_client *t, unsigned int id, unsigned int nv)
{
	const struct ivc_peer *p = ivc_peer_find(t->c, (uint16_t)id);

	return p != NULL && p->nb_vectors == nv;
}
