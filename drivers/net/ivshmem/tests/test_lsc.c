/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where link-state events reach the application. Two net_ivshmem ports of
 * this process share one region file, so each is the other's peer. The
 * application's LSC callback takes the application's own lock, and the
 * application holds that lock around rte_eth_dev_start, stop and reset, as
 * an application that serialises its port management does. (Not around
 * close: close waits for a control step running on the interrupt thread,
 * which may be waiting for that lock to raise an event.)
 * Every event must come on the EAL interrupt thread: one raised on the
 * thread that called start or stop would take a lock that thread already
 * holds (the lock checks for that, so this fails instead of hanging).
 * Each step waits for the link states it causes, so the events are known
 * to have been raised.
 *
 * Usage: test_lsc PLUGIN.so
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>

#include "t_helpers.h"

#define N_PORTS		2
#define STEP_MS		30000	/* only stops a test that hangs */

static pthread_mutex_t app_lock;
static struct rte_mempool *pool;

static struct {
	unsigned int events[N_PORTS];
	unsigned int off_intr;		/* events not on the interrupt thread */
	unsigned int relock;		/* ... on the thread holding app_lock */
} seen;				/* under app_lock */

static int
on_lsc(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret)
{
	int err = pthread_mutex_lock(&app_lock);

	(void)type, (void)arg, (void)ret;
	if (err == EDEADLK) {
		/* our own caller holds it: count without it */
		__atomic_fetch_add(&seen.relock, 1, __ATOMIC_RELAXED);
		return 0;
	}
	if (port < N_PORTS)
		seen.events[port]++;
	if (!rte_thread_is_intr())
		seen.off_intr++;
	pthread_mutex_unlock(&app_lock);
	return 0;
}

static void
port_setup(uint16_t port)
{
	struct rte_eth_conf conf = { .intr_conf = { .lsc = 1 } };

	T_CHECK(rte_eth_dev_configure(port, 1, 1, &conf) == 0, "port %u configured", port);
	T_CHECK(rte_eth_rx_queue_setup(port, 0, 0, rte_socket_id(), NULL, pool) == 0,
		"port %u RX queue", port);
	T_CHECK(rte_eth_tx_queue_setup(port, 0, 0, rte_socket_id(), NULL) == 0,
		"port %u TX queue", port);
}

/* A port call under the application's lock, as the application makes it:
 * rte_eth_dev_start, rte_eth_dev_stop or rte_eth_dev_reset. */
static int
locked(int (*op)(uint16_t port), uint16_t port)
{
	int ret;

	pthread_mutex_lock(&app_lock);
	ret = op(port);
	pthread_mutex_unlock(&app_lock);
	return ret;
}

static unsigned int
events(uint16_t port)
{
	unsigned int n;

	pthread_mutex_lock(&app_lock);
	n = seen.events[port];
	pthread_mutex_unlock(&app_lock);
	return n;
}

struct want {
	unsigned int up;		/* link status wanted on both ports */
	unsigned int events[N_PORTS];	/* at least this many events */
};

static bool
reached(void *arg)
{
	const struct want *w = arg;

	for (uint16_t p = 0; p < N_PORTS; p++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(p, &link) != 0 ||
				link.link_status != w->up || events(p) < w->events[p])
			return false;
	}
	return true;
}

/* What a step waits for: one event more on each port than before it.
 * Taken before the step's port calls: an event they raise may arrive
 * before those calls return. */
static struct want
before(unsigned int up)
{
	struct want w = { .up = up };

	for (uint16_t p = 0; p < N_PORTS; p++)
		w.events[p] = events(p) + 1;
	return w;
}

/* Waits until both links are as @w wants and each port has had its event. */
static void
step(const char *what, struct want *w)
{
	bool ok = t_wait_until(reached, w, STEP_MS);

	T_EXPECT(ok, "%s: both links %s, an event on each port (events %u, %u)",
		 what, w->up ? "up" : "down", events(0), events(1));
}

int
main(int argc, char **argv)
{
	char shm[256], vdev0[300], vdev1[300], prefix[64];
	pthread_mutexattr_t attr;
	struct want w;

	t_init("test_lsc");
	/* set by meson where this test cannot run (tests/meson.build) */
	if (getenv("IVSHMEM_TEST_SKIP") != NULL)
		t_skip("%s", getenv("IVSHMEM_TEST_SKIP"));
	if (argc != 2)
		t_fail("usage: test_lsc PLUGIN.so");
	t_tmppath(shm, sizeof(shm), "lsc.shm");
	snprintf(vdev0, sizeof(vdev0), "net_ivshmem0,shm=%s,queues=1", shm);
	snprintf(vdev1, sizeof(vdev1), "net_ivshmem1,shm=%s,queues=1", shm);
	snprintf(prefix, sizeof(prefix), "lsc%d", (int)getpid());
	char *eal[] = {
		argv[0], "-l", "0", "--no-pci", "--no-huge", "-m", "256",
		"--file-prefix", prefix, "-d", argv[1],
		"--vdev", vdev0, "--vdev", vdev1,
		"--log-level", "pmd.net.ivshmem.*:info",
	};

	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		t_fail("rte_eal_init: %s", rte_strerror(rte_errno));
	T_CHECK(rte_eth_dev_count_avail() == N_PORTS, "two net_ivshmem ports");
	pool = rte_pktmbuf_pool_create("lsc", 1024, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	T_CHECK(pool != NULL, "mbuf pool");

	/* relocking reports EDEADLK instead of hanging */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&app_lock, &attr);
	T_CHECK(rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC,
			on_lsc, NULL) == 0, "LSC callback registered");

	for (uint16_t p = 0; p < N_PORTS; p++)
		port_setup(p);
	w = before(RTE_ETH_LINK_UP);
	T_CHECK(locked(rte_eth_dev_start, 0) == 0 && locked(rte_eth_dev_start, 1) == 0, "both ports started");
	step("start", &w);

	w = before(RTE_ETH_LINK_DOWN);
	T_CHECK(locked(rte_eth_dev_stop, 1) == 0, "port 1 stopped");
	step("stop", &w);
	w = before(RTE_ETH_LINK_UP);
	T_CHECK(locked(rte_eth_dev_start, 1) == 0, "port 1 started again");
	step("start again", &w);

	/* Reset stops the port (link down on both sides); it is configured
	 * and started again. */
	w = before(RTE_ETH_LINK_UP);
	T_EXPECT(locked(rte_eth_dev_reset, 1) == 0, "port 1 reset");
	port_setup(1);
	T_CHECK(locked(rte_eth_dev_start, 1) == 0, "port 1 started after its reset");
	step("reset and start", &w);

	for (uint16_t p = 0; p < N_PORTS; p++)
		T_EXPECT(locked(rte_eth_dev_stop, p) == 0 && rte_eth_dev_close(p) == 0,
			 "port %u stopped and closed", p);

	T_EXPECT(__atomic_load_n(&seen.relock, __ATOMIC_RELAXED) == 0,
		 "no event on the thread that holds the application's lock (%u were)",
		 __atomic_load_n(&seen.relock, __ATOMIC_RELAXED));
	pthread_mutex_lock(&app_lock);
	T_EXPECT(seen.off_intr == 0, "every event on the interrupt thread (%u were not)",
		 seen.off_intr);
	t_log("events: port 0 %u, port 1 %u", seen.events[0], seen.events[1]);
	pthread_mutex_unlock(&app_lock);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return t_finish();
}
