/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-server: hands shared memory and interrupt eventfds to the
 * ivshmem-doorbell devices (and other clients) that connect to its socket.
 * Startup checks run before daemonizing, so every configuration error
 * reaches the terminal and the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "listener.h"
#include "log.h"
#include "options.h"
#include "server.h"
#include "shm.h"

struct ivsrv_pidfile {
	const char *path;
	int fd;
	bool written;
};

/* Every peer costs vectors + 1 fds; fail now rather than at peer N. */
static int
ivsrv_check_fd_limit(const struct ivsrv_options *o)
{
	uint64_t need = ivsrv_options_fd_budget(o);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY ||
			      rl.rlim_max > need ? (rlim_t)need : rl.rlim_max;

		rl.rlim_cur = want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		IVSRV_ERR("-p/--max-peers %u with -n/--vectors %u needs up to "
			  "%" PRIu64 " file descriptors, the limit is %llu: "
			  "lower them or raise the limit (ulimit -n, "
			  "LimitNOFILE=)", o->max_peers, o->vectors, need,
			  (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static int
ivsrv_pidfile_open(struct ivsrv_pidfile *pf, const char *path)
{
	pf->path = path;
	pf->written = false;
	pf->fd = -1;
	if (path == NULL)
		return 0;
	pf->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		      O_NOFOLLOW, 0644);
	if (pf->fd < 0) {
		IVSRV_ERR("-P/--pid-file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
ivsrv_pidfile_write(struct ivsrv_pidfile *pf)
{
	char buf[32];
	int n;

	if (pf->fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	pf->written = true;
	if (write(pf->fd, buf, (size_t)n) != n) {
		IVSRV_ERR("-P/--pid-file %s: write: %s", pf->path,
			  strerror(errno));
		return -1;
	}
	close(pf->fd);
	pf->fd = -1;
	return 0;
}

static void
ivsrv_pidfile_remove(struct ivsrv_pidfile *pf)
{
	if (pf->path == NULL)
		return;
	if (pf->fd >= 0) {
		close(pf->fd);
		pf->fd = -1;
	}
	unlink(pf->path);
}

/*
 * Double fork; the original process exits only once the daemon reports
 * (through @ready_fd) that it is serving, with the daemon's verdict.
 * Returns the write end of the report pipe in the daemon, -1 on error;
 * never returns in the original process.
 */
static int
ivsrv_daemonize(void)
{
	int pfd[2], null;
	pid_t pid;
	char ok;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		IVSRV_ERR("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		IVSRV_ERR("fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &ok, 1) != 1)
			ok = 0;
		_exit(ok == 1 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(pfd[0]);
	if (setsid() < 0)
		_exit(EXIT_FAILURE);
	pid = fork();
	if (pid < 0)
		_exit(EXIT_FAILURE);
	if (pid > 0)
		_exit(EXIT_SUCCESS);
	if (chdir("/") < 0)
		_exit(EXIT_FAILURE);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	ivsrv_log_to_syslog();
	return pfd[1];
}

static void
ivsrv_report_ready(int fd, bool ok)
{
	char c = ok ? 1 : 0;

	if (fd < 0)
		return;
	if (write(fd, &c, 1) != 1)
		IVSRV_WARN("cannot report readiness: %s", strerror(errno));
	close(fd);
}

int
main(int argc, char **argv)
{
	struct ivsrv_listener lis = { .fd = -1 };
	struct ivsrv_shm shm = { .fd = -1 };
	struct ivsrv_pidfile pf = { .fd = -1 };
	struct ivsrv_options opt;
	struct ivsrv_server srv;
	int ready_fd = -1, rc = EXIT_FAILURE;
	sigset_t mask;

	switch (ivsrv_options_parse(&opt, argc, argv)) {
	case IVSRV_PARSE_OK:
		break;
	case IVSRV_PARSE_EXIT_OK:
		return EXIT_SUCCESS;
	case IVSRV_PARSE_ERROR:
		return EXIT_FAILURE;
	}
	ivsrv_log_init(opt.verbose);
	if (ivsrv_check_fd_limit(&opt) < 0)
		return EXIT_FAILURE;

	/* Signals arrive through the event loop's signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (ivsrv_pidfile_open(&pf, opt.pid_file) < 0)
		return EXIT_FAILURE;
	/* Socket first: a live server there means we must touch nothing. */
	if (ivsrv_listen(&lis, opt.socket_path, opt.socket_mode) < 0)
		goto out_pid;
	if (ivsrv_shm_open(&shm, &opt) < 0)
		goto out_listen;
	if (!opt.foreground) {
		ready_fd = ivsrv_daemonize();
		if (ready_fd < 0)
			goto out_shm;
	}
	if (ivsrv_pidfile_write(&pf) < 0)
		goto out_shm;
	if (ivsrv_server_init(&srv, &opt, &lis, &shm, &mask) < 0)
		goto out_shm;
	ivsrv_report_ready(ready_fd, true);
	ready_fd = -1;

	if (ivsrv_server_run(&srv) == 0)
		rc = EXIT_SUCCESS;
	ivsrv_server_fini(&srv);
out_shm:
	ivsrv_shm_close(&shm);
out_listen:
	ivsrv_unlisten(&lis);
out_pid:
	ivsrv_pidfile_remove(&pf);
	ivsrv_report_ready(ready_fd, false);
	if (rc == EXIT_SUCCESS)
		IVSRV_INFO("stopped; socket and created objects removed");
	return rc;
}
