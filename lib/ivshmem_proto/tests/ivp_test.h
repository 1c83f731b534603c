/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixtures of the protocol tests (the client's here, the server's in
 * app/ivshmem-server/tests), on top of the common test vocabulary
 * (t_helpers.h: checks, verdict, directory, processes): a real
 * ivshmem-server run in the foreground on a private socket and shm object
 * in the test's directory, and clients whose events are collected as they
 * arrive. A failed run keeps the directory, and shows the server's log.
 */
#ifndef IVP_TEST_H
#define IVP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ivshmem_client.h"
#include "t_helpers.h"

#define IVPT_MAX_EVENTS 8192	/* kept per client */
#define IVPT_MAX_CLIENTS 64
/* The longest a wait for an event or a count may last: a bound that only
 * stops a test that hangs (the server is local; it answers in
 * milliseconds, or seconds under valgrind). */
#define IVPT_WAIT_MS	10000

/*
 * The server's socket and log paths in the test's directory (t_tmpdir),
 * and a shm object name of our own. Ignores SIGPIPE.
 */
void ivpt_setup(const char *tag);
extern char ivpt_sock_path[108], ivpt_log_path[256];
extern char ivpt_shm_name[64];

/* ---- the real server ---------------------------------------------------- */

extern pid_t ivpt_srv_pid;

/* Foreground server @bin on our socket and shm, plus @args (NULL-ended),
 * killed if the test ends first; true once it logs that it listens. */
bool ivpt_server_start(const char *bin, const char *const *args);
/* SIGTERM and reap it; true if it exited 0. */
bool ivpt_server_stop(void);
/*
 * Wait until the server has caught up (its fd count holds still while
 * nothing reaches our clients): it may be slow, e.g. under valgrind.
 * Returns its fd count.
 */
int ivpt_server_quiet(void);
/* Occurrences of @needle in the server log. */
int ivpt_log_count(const char *needle);
/* Until @needle is in the server log @n times; false at IVPT_WAIT_MS. */
bool ivpt_wait_log(const char *needle, int n);
/* Until the server holds @want fds, our clients read meanwhile; returns
 * its count at the end (another value at IVPT_WAIT_MS). */
int ivpt_wait_fds(int want);

/* ---- clients with their events ------------------------------------------ */

struct ivpt_client {
	struct ivc_client *c;
	const char *name;
	struct ivc_event ev[IVPT_MAX_EVENTS];
	unsigned int nev;
	bool broken;		/* ivc_process() failed */
};

extern struct ivpt_client *ivpt_clients[IVPT_MAX_CLIENTS];
extern unsigned int ivpt_nb_clients;

/* ivc_connect() to the server's socket; NULL with the reason in @err. */
struct ivpt_client *ivpt_connect(const char *name, unsigned int vectors,
				 char *err, size_t len);
void ivpt_close(struct ivpt_client *t);
void ivpt_close_all(void);
/* Read what every client has pending, waiting up to @ms for something;
 * returns how many events arrived. */
int ivpt_pump(int ms);
/* Pump until nothing arrives for @quiet_ms. */
void ivpt_settle(int quiet_ms);
/* Wait (IVPT_WAIT_MS at most) for one event on @t, and consume it. */
bool ivpt_expect(struct ivpt_client *t, enum ivc_event_type type,
		 unsigned int id);
/* Close @t and wait until @witness is told it left. */
bool ivpt_close_seen(struct ivpt_client *t, struct ivpt_client *witness);
/* @t knows peer @id with @nv eventfds. */
bool ivpt_knows(const struct ivpt_client *t, unsigned int id, unsigned int nv);

#endif /* IVP_TEST_H */
