/* SPDX-License-Identifier: BSD-3-Clause */
#include "ivp_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

char ivpt_dir[64], ivpt_sock_path[96], ivpt_log_path[96], ivpt_shm_name[64];
pid_t ivpt_srv_pid = -1;
struct ivpt_client *ivpt_clients[IVPT_MAX_CLIENTS];
unsigned int ivpt_nb_clients;

static unsigned int n_pass, n_fail;

void
ivpt_check(bool ok, const char *fmt, ...)
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

int
ivpt_finish(void)
{
	if (n_fail != 0 && access(ivpt_log_path, R_OK) == 0) {
		printf("# server log follows (%s)\n", ivpt_log_path);
		fflush(stdout);
		if (fork() == 0) {
			execlp("tail", "tail", "-n", "40", ivpt_log_path, NULL);
			_exit(127);
		}
		wait(NULL);
	} else if (n_fail == 0 && ivpt_dir[0] != '\0') {
		unlink(ivpt_log_path);
		rmdir(ivpt_dir);
	}
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail == 0 ? 0 : 1;
}

int64_t
ivpt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
ivpt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
ivpt_count_fds(pid_t pid)
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

int
ivpt_unix_connect(const char *path)
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

bool
ivpt_setup(const char *tag)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(ivpt_dir, sizeof(ivpt_dir), "/tmp/%s.XXXXXX", tag);
	if (mkdtemp(ivpt_dir) == NULL) {
		perror("mkdtemp");
		ivpt_dir[0] = '\0';
		return false;
	}
	snprintf(ivpt_sock_path, sizeof(ivpt_sock_path), "%s/ivshmem.sock",
		 ivpt_dir);
	snprintf(ivpt_log_path, sizeof(ivpt_log_path), "%s/server.log",
		 ivpt_dir);
	snprintf(ivpt_shm_name, sizeof(ivpt_shm_name), "/%s-%d", tag,
		 (int)getpid());
	return true;
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

bool
ivpt_server_start(const char *bin, const char *const *args)
{
	const char *argv[32] = { bin, "-F", "-S", ivpt_sock_path, "-m",
				 ivpt_shm_name };
	int64_t end;
	int n = 6;

	while (*args != NULL && n < 31)
		argv[n++] = *args++;
	/* Before fork: no "listening" left from a past run. */
	unlink(ivpt_log_path);
	ivpt_srv_pid = fork();
	if (ivpt_srv_pid == 0) {
		int fd = open(ivpt_log_path, O_WRONLY | O_CREAT | O_TRUNC,
			      0644);

		dup2(fd, STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	for (end = ivpt_now_ms() + 5000; ivpt_now_ms() < end;
	     ivpt_sleep_ms(20))
		if (ivpt_log_count("listening on") > 0)
			return true;
	return false;
}

bool
ivpt_server_stop(void)
{
	int status = 0;

	if (ivpt_srv_pid <= 0)
		return false;
	kill(ivpt_srv_pid, SIGTERM);
	waitpid(ivpt_srv_pid, &status, 0);
	ivpt_srv_pid = -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int
ivpt_server_quiet(void)
{
	int64_t end = ivpt_now_ms() + 5000;
	int prev = -2, cur;

	for (;;) {
		ivpt_settle(50);
		cur = ivpt_count_fds(ivpt_srv_pid);
		if (cur == prev || ivpt_now_ms() >= end)
			return cur;
		prev = cur;
		ivpt_sleep_ms(150);
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
			printf("# client %s: %s\n", t->name, ivc_error(t->c));
			t->broken = true;
		}
	}
	return got;
}

void
ivpt_settle(int quiet_ms)
{
	int64_t end = ivpt_now_ms() + 10000;

	while (ivpt_now_ms() < end && ivpt_pump(quiet_ms) > 0)
		;
}

bool
ivpt_expect(struct ivpt_client *t, enum ivc_event_type type, unsigned int id)
{
	int64_t end = ivpt_now_ms() + 3000;

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
		if (ivpt_now_ms() >= end)
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
