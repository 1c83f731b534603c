/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev server=<socket>: join an ivshmem server as a client, exactly as
 * QEMU's ivshmem-doorbell device does, so a host process is a peer of VMs
 * (or of other host processes) on the same server. The server hands out
 * the region and one eventfd per vector for every peer.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_malloc.h>

#include "ivshmem_client.h"
#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

#define CONNECT_MS 5000

struct ivsh_server {
	struct ivc_client *client;
	bool dead;	/* the server hung up or broke the protocol */
	int nowhere;	/* eventfd that kicks land in when no peer is aimed at */
	int lsc_fd;	/* vector 0 of the peer, via dup2() */
};

static struct ivsh_server *
srv(struct rte_eth_dev *dev)
{
	return ivsh_adapter(dev)->notify_priv;
}

static int
srv_own_fd(struct rte_eth_dev *dev, unsigned int v)
{
	return ivc_own_fd(srv(dev)->client, v);
}

static bool
srv_peer_present(struct rte_eth_dev *dev, uint16_t id)
{
	const struct ivc_peer *p = ivc_peer_find(srv(dev)->client, id);

	return p != NULL && p->nb_vectors >= ivc_vectors(srv(dev)->client) &&
		id != ivc_id(srv(dev)->client);
}

/*
 * dup2() replaces the fd a kick writes to in one step, so the data path
 * never writes to a closed or reused descriptor, whatever the timing.
 */
static void
srv_target(struct rte_eth_dev *dev, struct ivsh_txq *txq, int id, unsigned int v)
{
	struct ivsh_server *s = srv(dev);
	const struct ivc_peer *p = id >= 0 ? ivc_peer_find(s->client, (uint16_t)id) : NULL;
	int from = p != NULL && v < p->nb_vectors ? p->fds[v] : s->nowhere;
	int to = txq != NULL ? txq->kick_fd : s->lsc_fd;

	if (dup2(from, to) < 0)
		IVSH_LOG(ERR, dev, "cannot aim doorbell at peer %d vector %u: %s",
				id, v, strerror(errno));
}

static void
srv_kick(struct ivsh_txq *txq)
{
	uint64_t one = 1;

	/* Fails only if the eventfd counter would overflow: the peer is
	 * then awake anyway. */
	if (write(txq->kick_fd, &one, sizeof(one)) < 0)
		return;
}

static void
srv_kick_lsc(struct rte_eth_dev *dev)
{
	uint64_t one = 1;

	if (write(srv(dev)->lsc_fd, &one, sizeof(one)) < 0)
		IVSH_LOG(DEBUG, dev, "vector 0 kick: %s", strerror(errno));
}

static int
srv_poll(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_server *s = srv(dev);
	struct ivc_event ev;
	int ret;

	if (s->dead)
		return -1;
	while ((ret = ivc_process(s->client, &ev)) > 0) {
		IVSH_LOG(INFO, dev, "server: peer %u %s", ev.id,
				ev.type == IVC_EV_PEER_JOINED ? "joined" : "left");
		if (ev.type == IVC_EV_PEER_LEFT && ev.id == ad->target_id)
			ad->peer_left = true;
	}
	if (ret < 0) {
		IVSH_LOG(ERR, dev, "server %s: %s: doorbells and peer tracking stop; the region stays mapped",
				ad->opts.server, ivc_error(s->client));
		ad->peer_left = ad->target_id >= 0;
		s->dead = true;
		return -1;
	}
	return 0;
}

static int
srv_txq_setup(struct rte_eth_dev *dev, struct ivsh_txq *txq)
{
	txq->kick_fd = dup(srv(dev)->nowhere);
	return txq->kick_fd < 0 ? -errno : 0;
}

static void
srv_txq_release(struct rte_eth_dev *dev __rte_unused, struct ivsh_txq *txq)
{
	if (txq->kick_fd >= 0)
		close(txq->kick_fd);
	txq->kick_fd = -1;
}

static const struct ivsh_notify_ops srv_notify = {
	.own_fd = srv_own_fd,
	.peer_present = srv_peer_present,
	.target = srv_target,
	.kick_lsc = srv_kick_lsc,
	.poll = srv_poll,
	.intr_setup = ivsh_intr_vdev_setup,
	.intr_teardown = ivsh_intr_vdev_teardown,
	.txq_setup = srv_txq_setup,
	.txq_release = srv_txq_release,
	.kick = srv_kick,
};

static void
srv_unmap(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_server *s = ad->notify_priv;

	if (ad->map != NULL)
		munmap(ad->map, ad->map_len);
	ad->map = NULL;
	if (s == NULL)
		return;
	ivc_close(s->client);
	if (s->nowhere >= 0)
		close(s->nowhere);
	if (s->lsc_fd >= 0)
		close(s->lsc_fd);
	rte_free(s);
	ad->notify_priv = NULL;
	ad->notify = NULL;
}

static const struct ivsh_bus_ops srv_bus = {
	.unmap = srv_unmap,
};

/* Connects, maps the region the server hands out, and sets up doorbells. */
int
ivsh_server_open(const char *name, struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	unsigned int need = ad->opts.queues + 1;
	struct ivsh_server *s;
	char err[256];

	s = rte_zmalloc("ivshmem_server", sizeof(*s), 0);
	if (s == NULL)
		return -ENOMEM;
	s->nowhere = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->lsc_fd = s->nowhere >= 0 ? dup(s->nowhere) : -1;
	ad->notify_priv = s;
	ad->bus = &srv_bus;
	if (s->lsc_fd < 0) {
		IVSH_INIT_LOG(ERR, "%s: eventfd: %s", name, strerror(errno));
		return -errno;
	}
	s->client = ivc_connect(ad->opts.server, need, CONNECT_MS, err, sizeof(err));
	if (s->client == NULL) {
		IVSH_INIT_LOG(ERR, "%s: server=%s: %s", name, ad->opts.server, err);
		return -ECONNREFUSED;
	}
	if (ivc_vectors(s->client) < need) {
		IVSH_INIT_LOG(ERR, "%s: server=%s gives %u vectors per peer, but queues=%u needs %u (one per queue, one for link changes): start the server with -n %u",
				name, ad->opts.server, ivc_vectors(s->client),
				ad->opts.queues, need, need);
		return -EINVAL;
	}
	ad->map_len = ivc_shm_size(s->client);
	ad->map = mmap(NULL, ad->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			ivc_shm_fd(s->client), 0);
	if (ad->map == MAP_FAILED) {
		ad->map = NULL;
		IVSH_INIT_LOG(ERR, "%s: server=%s: cannot map %" PRIu64 " bytes of shared memory: %s",
				name, ad->opts.server, ad->map_len, strerror(errno));
		return -ENOMEM;
	}
	if (ivc_id(s->client) == IVR_NO_DOORBELL) {
		IVSH_INIT_LOG(ERR, "%s: server=%s gave us ID %u, which the transport reserves for 'no doorbell': run the server with --ids 65535",
				name, ad->opts.server, IVR_NO_DOORBELL);
		return -ERANGE;
	}
	ad->notify = &srv_notify;
	ad->n_vectors = (uint16_t)ivc_vectors(s->client);
	ad->doorbell_id = ivc_id(s->client);
	IVSH_INIT_LOG(INFO, "%s: server=%s: we are peer %u, %u vectors, %" PRIu64 " bytes",
			name, ad->opts.server, ad->doorbell_id, ad->n_vectors, ad->map_len);
	return 0;
}

/* After ivsh_ethdev_init: watch the server socket for peers coming and going. */
int
ivsh_server_watch(struct rte_eth_dev *dev)
{
	return ivsh_intr_watch_bus(dev, ivc_socket_fd(srv(dev)->client));
}
