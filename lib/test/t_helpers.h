/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vocabulary of every C test (the shell tests speak the same one:
 * devtools/testlib.sh). A test calls t_init() first and ends with
 * "return t_finish();", or leaves early through t_fail() or t_skip().
 *
 * Exit status: T_EXIT_PASS, T_EXIT_FAIL, or T_EXIT_SKIP (77, meson's skip).
 * Every line a test prints through these calls starts with the test's
 * name; the last line is the verdict:
 *
 *   NAME: OK: what held                       T_EXPECT / T_CHECK that held
 *   NAME: FAILED: file.c:12: what (check failed: cond)    one that did not
 *   NAME: SKIPPED: why a part did not run     t_skip_part (the rest runs)
 *   NAME: PASS: 40 checks                     t_finish, nothing failed
 *   NAME: FAIL: 2 of 40 checks failed, the first: file.c:12: what
 *                                             t_finish after a failure
 *   NAME: FAIL: why it stopped[; 2 of ...]    t_fail, T_CHECK
 *   NAME: SKIP: why                           t_skip: the whole test
 *
 * The counts live in memory shared with the children forked after
 * t_init(), so a failure in a child counts too; one in a thread as well.
 * A run that fails keeps its temporary directory (t_tmpdir) and shows the
 * tail of each *.log in it; a run that passes or skips removes it. Every
 * process given to t_track_pid() is killed and reaped when the test ends,
 * however it ends.
 */
#ifndef T_HELPERS_H
#define T_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum t_exit {
	T_EXIT_PASS = 0,
	T_EXIT_FAIL = 1,
	T_EXIT_SKIP = 77,
};

#define T_FMT(a, b)	__attribute__((format(printf, a, b)))

/* Names the test (its messages start with @name) and sets up the counts;
 * stdout becomes line-buffered. */
void t_init(const char *name);

/* "NAME: <message>": information, no verdict. */
void t_log(const char *fmt, ...) T_FMT(1, 2);

/*
 * One check: counted, and printed as OK or FAILED with the file and line.
 * Returns @ok, so that "if (!T_EXPECT(...)) return;" skips what depends
 * on it. T_CHECK ends the test at once when the check fails.
 */
bool t_expect_at(bool ok, const char *file, int line, const char *cond,
		 const char *fmt, ...) T_FMT(5, 6);
#define T_EXPECT(cond, ...) \
	t_expect_at((cond) != 0, __FILE__, __LINE__, #cond, __VA_ARGS__)
#define T_CHECK(cond, ...) do {						\
	if (!T_EXPECT(cond, __VA_ARGS__))				\
		t_fail("%s:%d: a check the rest depends on failed",	\
		       t_basename(__FILE__), __LINE__);			\
} while (0)

/* A failed check that has no condition of its own (a stress loop's count
 * of bad frames, a child that saw something wrong). */
void t_failed(const char *fmt, ...) T_FMT(1, 2);

/* A part of the test that cannot run here: said, and named again in the
 * closing line; the rest runs. */
void t_skip_part(const char *fmt, ...) T_FMT(1, 2);

/* The test cannot go on: one more failure, the FAIL line, exit 1. */
void t_fail(const char *fmt, ...) T_FMT(1, 2) __attribute__((noreturn));
/* The test cannot run here: the SKIP line (the last), exit 77. A test
 * that has already failed a check fails instead. */
void t_skip(const char *fmt, ...) T_FMT(1, 2) __attribute__((noreturn));
/* The closing line; returns the exit status for main(). */
int t_finish(void);

unsigned int t_failures(void);
const char *t_basename(const char *path);

/* ---- time: CLOCK_MONOTONIC ---- */

uint64_t t_now_ns(void);
int64_t t_now_ms(void);
void t_sleep_ms(unsigned int ms);
/*
 * Calls @done(@arg) until it returns true, 10 ms apart, for @timeout_ms
 * at most (a bound that only stops a test that hangs: the verdict is
 * @done's). Returns @done's last answer.
 */
bool t_wait_until(bool (*done)(void *arg), void *arg, unsigned int timeout_ms);

/* ---- files ---- */

/* The test's own directory, $TMPDIR or /tmp/NAME.XXXXXX, made on the
 * first call; a failure to make it fails the test. */
const char *t_tmpdir(void);
/* @buf = t_tmpdir()/@leaf; fails the test when it does not fit. */
void t_tmppath(char *buf, size_t len, const char *leaf);

/* ---- processes ---- */

/* Killed (SIGKILL) and reaped when the test ends; untrack one reaped
 * before. */
void t_track_pid(pid_t pid);
void t_untrack_pid(pid_t pid);
/*
 * First call in a forked child: it dies with its parent (a parent killed
 * by a timeout must not leave a child running).
 */
void t_child_init(pid_t parent);
/* Anonymous MAP_SHARED memory, zeroed, shared with children forked after;
 * fails the test when none can be had. */
void *t_shared_anon(size_t size);

/* ---- descriptors ---- */

/* Open fds of @pid (the caller's without the one that counts them); -1
 * when /proc cannot tell. */
int t_count_fds(pid_t pid);
/* A blocking connected UNIX stream socket (close-on-exec), or -1 with
 * errno set. */
int t_unix_connect(const char *path);

#endif /* T_HELPERS_H */
