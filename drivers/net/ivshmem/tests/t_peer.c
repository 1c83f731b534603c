/* SPDX-License-Identifier: BSD-3-Clause */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "t_helpers.h"
#include "t_peer.h"

void
t_port_eal(const char *prog, const char *plugin, const char *vdev)
{
	static char prefix[64], args[512];
	const char *name = strrchr(prog, '/') != NULL ? strrchr(prog, '/') + 1 : prog;

	snprintf(prefix, sizeof(prefix), "%s%d", name, (int)getpid());
	snprintf(args, sizeof(args), "%s", vdev);
	char *eal[] = {
		(char *)prog, "-l", "0", "--no-pci", "--no-huge", "-m", "256",
		"--file-prefix", prefix, "-d", (char *)plugin, "--vdev", args,
		"--log-level", "pmd.net.ivshmem.*:info",
	};

	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		t_fail("rte_eal_init: %s", rte_strerror(rte_errno));
	T_CHECK(rte_eth_dev_count_avail() == 1, "one net_ivshmem port (%s)", vdev);
}

struct rte_mempool *
t_port_start(const char *pool_name, unsigned int n)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_mempool *mp = rte_pktmbuf_pool_create(pool_name, n, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());

	T_CHECK(mp != NULL, "mbuf pool of %u", n);
	T_CHECK(rte_eth_dev_configure(0, 1, 1, &conf) == 0, "port configured");
	T_CHECK(rte_eth_rx_queue_setup(0, 0, 0, rte_socket_id(), NULL, mp) == 0, "RX queue");
	T_CHECK(rte_eth_tx_queue_setup(0, 0, 0, rte_socket_id(), NULL) == 0, "TX queue");
	T_CHECK(rte_eth_dev_start(0) == 0, "port started");
	return mp;
}

uint64_t
t_xstat(const char *name)
{
	uint64_t id, v = 0;

	T_CHECK(rte_eth_xstats_get_id_by_name(0, name, &id) == 0, "xstat %s exists", name);
	T_CHECK(rte_eth_xstats_get_by_id(0, &id, &v, 1) == 1, "xstat %s read", name);
	return v;
}

void
t_pool_whole(struct rte_mempool *mp, unsigned int size, const char *when)
{
	struct rte_mbuf **all = calloc(size + 64, sizeof(*all));
	unsigned int got = 0, dup = 0;
	struct rte_mbuf *m;

	T_CHECK(all != NULL, "room for %u mbuf pointers", size + 64);
	while (got < size + 64 && (m = rte_pktmbuf_alloc(mp)) != NULL)
		all[got++] = m;
	for (unsigned int i = 0; i < got; i++)
		for (unsigned int j = i + 1; j < got; j++)
			dup += all[i] == all[j];
	T_EXPECT(got == size && dup == 0,
		"%s: the pool gives out its %u mbufs, each once (gave %u, %u twice)",
		when, size, got, dup);
	/* each once, even if the pool gave one twice */
	for (unsigned int i = 0; i < got; i++) {
		unsigned int j = 0;

		while (j < i && all[j] != all[i])
			j++;
		if (j == i)
			rte_pktmbuf_free(all[i]);
	}
	free(all);
}

void
t_peer_attach(struct t_peer *p, const char *shm, const struct ivr_config *cfg)
{
	struct stat st;

	p->fd = open(shm, O_RDWR);
	T_CHECK(p->fd >= 0 && fstat(p->fd, &st) == 0, "%s opened", shm);
	p->size = (size_t)st.st_size;
	p->base = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	T_CHECK(p->base != MAP_FAILED, "%s mapped", shm);
	T_CHECK(ivr_attach(&p->r, p->base, p->size, cfg, NULL) == 0, "peer attached: %s",
		p->r.errmsg);
	ivr_set_running(&p->r, true);
}

void
t_peer_close(struct t_peer *p, const char *shm)
{
	ivr_detach(&p->r);
	munmap(p->base, p->size);
	close(p->fd);
	unlink(shm);
}
