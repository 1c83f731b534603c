/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C tests' vocabulary (t_helpers.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "t_helpers.h"

#define MAX_PRINTED	100	/* FAILED lines; the rest are counted */
#define MAX_PIDS	64
#define TAIL_LINES	25
#define LINE_MAX_LEN	1024

/* What every process of the test adds to: MAP_SHARED once t_init ran. */
struct counts {
	uint32_t checks, failures, printed, skipped_parts;
	uint32_t first_set, skip_set;
	char first[256];	/* the first failure */
	char skip[256];		/* the first skipped part */
};

static struct counts local_counts;
static struct counts *cnt = &local_counts;
static char name[64] = "test";
static pid_t owner;
static bool done;
static char tmpdir[PATH_MAX];
static pid_t pids[MAX_PIDS];
static unsigned int n_pids;

const char *
t_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* @buf = the caller's printf-style arguments from @fmt on. */
#define FORMAT(buf, fmt) do {						\
	va_list ap_;							\
									\
	va_start(ap_, fmt);						\
	vsnprintf(buf, sizeof(buf), fmt, ap_);				\
	va_end(ap_);							\
} while (0)

/* One whole line per call: threads and children do not interleave. */
static void T_FMT(2, 0)
say(const char *tag, const char *fmt, va_list ap)
{
	char line[LINE_MAX_LEN];
	int n = snprintf(line, sizeof(line), "%s: %s", name, tag);

	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	n = (int)strlen(line);
	line[n] = '\n';
	line[n + 1] = '\0';
	fputs(line, stdout);
	fflush(stdout);
}

static void __attribute__((format(printf, 2, 3)))
sayf(const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(tag, fmt, ap);
	va_end(ap);
}

/* The first failure, or skipped part, is named again at the end. */
static void
keep_first(uint32_t *set, char *dst, size_t len, const char *what)
{
	uint32_t zero = 0;

	if (__atomic_compare_exchange_n(set, &zero, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		size_t n = strnlen(what, len - 1);

		memcpy(dst, what, n);
		dst[n] = '\0';
	}
}

static void t_atexit(void);

void
t_init(const char *test_name)
{
	void *p;

	snprintf(name, sizeof(name), "%s", test_name);
	owner = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	p = mmap(NULL, sizeof(*cnt), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		cnt = p;
	else
		t_log("mmap of the shared counts: %s: a child's failures "
		      "will not count", strerror(errno));
	atexit(t_atexit);
}

void
t_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

static void T_FMT(3, 0)
count_failure(const char *where, const char *cond, const char *fmt,
	      va_list ap)
{
	char msg[LINE_MAX_LEN], first[LINE_MAX_LEN];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	__atomic_fetch_add(&cnt->failures, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&cnt->printed, 1, __ATOMIC_RELAXED) < MAX_PRINTED) {
		if (cond != NULL)
			sayf("FAILED: ", "%s%s (check failed: %s)", where, msg,
			     cond);
		else
			sayf("FAILED: ", "%s%s", where, msg);
	}
	snprintf(first, sizeof(first), "%s%s", where, msg);
	keep_first(&cnt->first_set, cnt->first, sizeof(cnt->first), first);
}

bool
t_expect_at(bool ok, const char *file, int line, const char *cond,
	    const char *fmt, ...)
{
	char where[128];
	va_list ap;

	__atomic_fetch_add(&cnt->checks, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	if (ok) {
		say("OK: ", fmt, ap);
	} else {
		snprintf(where, sizeof(where), "%s:%d: ", t_basename(file),
			 line);
		count_failure(where, cond, fmt, ap);
	}
	va_end(ap);
	return ok;
}

void
t_failed(const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&cnt->checks, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	count_failure("", NULL, fmt, ap);
	va_end(ap);
}

void
t_skip_part(const char *fmt, ...)
{
	char why[LINE_MAX_LEN];

	FORMAT(why, fmt);
	__atomic_fetch_add(&cnt->skipped_parts, 1, __ATOMIC_RELAXED);
	keep_first(&cnt->skip_set, cnt->skip, sizeof(cnt->skip), why);
	sayf("SKIPPED: ", "%s", why);
}

unsigned int
t_failures(void)
{
	return __atomic_load_n(&cnt->failures, __ATOMIC_RELAXED);
}

/* ---- the end ---- */

static void
reap_all(void)
{
	for (unsigned int i = 0; i < n_pids; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	n_pids = 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

/* The last TAIL_LINES lines of @path. */
static void
show_tail(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC), lines = 0;
	off_t size;
	ssize_t n;
	char *p;

	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		close(fd);
		return;
	}
	lseek(fd, size > (off_t)sizeof(buf) - 1 ?
	      size - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = buf + n;
	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && lines < TAIL_LINES)
		if (*--p == '\n')
			lines++;
	if (*p == '\n')
		p++;
	printf("----- %s (last %d lines) -----\n%s%s", path, TAIL_LINES, p,
	       buf[n - 1] == '\n' ? "" : "\n");
}

static void
show_logs(void)
{
	struct dirent *e;
	char path[PATH_MAX + 256];
	DIR *d = opendir(tmpdir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 4 && strcmp(e->d_name + l - 4, ".log") == 0) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
			show_tail(path);
		}
	}
	closedir(d);
}

/* Kills what is tracked; the directory goes, or stays after a failure. */
static void
cleanup(bool failed)
{
	done = true;
	reap_all();
	if (tmpdir[0] == '\0')
		return;
	if (failed) {
		show_logs();
		t_log("files kept in %s", tmpdir);
	} else {
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
}

/* The verdict line: @why is what stopped the test (t_fail), or NULL. */
static int
closing_line(const char *why)
{
	uint32_t checks = __atomic_load_n(&cnt->checks, __ATOMIC_RELAXED);
	uint32_t failures = t_failures();
	uint32_t printed = __atomic_load_n(&cnt->printed, __ATOMIC_RELAXED);
	uint32_t skipped = __atomic_load_n(&cnt->skipped_parts, __ATOMIC_RELAXED);
	char more[64] = "";

	if (failures == 0 && why == NULL) {
		if (skipped != 0)
			sayf("PASS: ", "%u check%s; %u part(s) skipped, the first: %s",
			     checks, checks == 1 ? "" : "s", skipped, cnt->skip);
		else
			sayf("PASS: ", "%u check%s", checks, checks == 1 ? "" : "s");
		return T_EXIT_PASS;
	}
	if (printed > MAX_PRINTED)
		snprintf(more, sizeof(more), " (%u not shown)",
			 printed - MAX_PRINTED);
	if (why != NULL && failures == 0)
		sayf("FAIL: ", "%s", why);
	else
		sayf("FAIL: ", "%s%s%u of %u checks failed%s, the first: %s",
		     why != NULL ? why : "", why != NULL ? "; " : "", failures,
		     checks, more, cnt->first);
	return T_EXIT_FAIL;
}

int
t_finish(void)
{
	fflush(stdout);
	cleanup(t_failures() != 0);
	return closing_line(NULL);
}

/* The end of t_fail (T_EXIT_FAIL) and t_skip (T_EXIT_SKIP). */
static void __attribute__((noreturn))
end_run(int code, const char *why)
{
	if (getpid() != owner) {
		/* A child: its parent gives the verdict. */
		if (code == T_EXIT_FAIL)
			t_failed("%s", why);
		else
			t_log("SKIP in a child: %s", why);
		_exit(code);
	}
	if (code == T_EXIT_SKIP && t_failures() != 0) {
		t_log("a skip after a failure: %s", why);
		code = T_EXIT_FAIL;
		why = "a skip after a failure (above)";
	}
	cleanup(code == T_EXIT_FAIL);
	if (code == T_EXIT_FAIL)
		closing_line(why);
	else
		sayf("SKIP: ", "%s", why);
	exit(code);
}

void
t_fail(const char *fmt, ...)
{
	char why[LINE_MAX_LEN];

	FORMAT(why, fmt);
	end_run(T_EXIT_FAIL, why);
}

void
t_skip(const char *fmt, ...)
{
	char why[LINE_MAX_LEN];

	FORMAT(why, fmt);
	end_run(T_EXIT_SKIP, why);
}

/* An exit that went past t_finish, t_fail and t_skip: a forgotten path,
 * or --help. Nothing is left running; the files stay if there are any. */
static void
t_atexit(void)
{
	if (done || getpid() != owner)
		return;
	done = true;
	reap_all();
	if (tmpdir[0] != '\0')
		t_log("ended without a verdict: files kept in %s", tmpdir);
}

/* ---- time ---- */

uint64_t
t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int64_t
t_now_ms(void)
{
	return (int64_t)(t_now_ns() / 1000000);
}

void
t_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool
t_wait_until(bool (*cond)(void *arg), void *arg, unsigned int timeout_ms)
{
	int64_t end = t_now_ms() + timeout_ms;

	while (!cond(arg)) {
		if (t_now_ms() >= end)
			return cond(arg);
		t_sleep_ms(10);
	}
	return true;
}

/* ---- files ---- */

const char *
t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0] != '\0')
		return tmpdir;
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/%s.XXXXXX", base,
			     name) >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		int e = errno;

		tmpdir[0] = '\0';
		t_fail("cannot make a directory under %s: %s", base,
		       strerror(e));
	}
	return tmpdir;
}

void
t_tmppath(char *buf, size_t len, const char *leaf)
{
	if ((size_t)snprintf(buf, len, "%s/%s", t_tmpdir(), leaf) >= len)
		t_fail("path %s/%s is longer than %zu bytes", tmpdir, leaf,
		       len - 1);
}

/* ---- processes ---- */

void
t_track_pid(pid_t pid)
{
	if (n_pids == MAX_PIDS)
		t_fail("more than %d processes to track", MAX_PIDS);
	pids[n_pids++] = pid;
}

void
t_untrack_pid(pid_t pid)
{
	for (unsigned int i = 0; i < n_pids; i++)
		if (pids[i] == pid) {
			pids[i] = pids[--n_pids];
			return;
		}
}

void
t_child_init(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(T_EXIT_FAIL);	/* the parent is gone already */
}

void *
t_shared_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fail("mmap of %zu shared bytes: %s", size, strerror(errno));
	return p;
}

/* ---- descriptors ---- */

int
t_count_fds(pid_t pid)
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
t_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
