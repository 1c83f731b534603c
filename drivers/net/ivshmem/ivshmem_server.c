/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server transport (vdev server=<socket>): join an ivshmem server as a
 * client, exactly as QEMU's ivshmem-doorbell device does, so a host process
 * is a peer of VMs (or of other host processes) on the same server. The
 * server hands out the region and one eventfd per vector for every peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>
#include <rte_malloc.h>

#include "ivshmem_client.h"
#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

#define CONNECT_MS 5000
/* Server messages taken in per control step: a server that floods us
 * delays nothing else on the interrupt thread. */
#define NEWS_BUDGET 64

struct ivsh_server {
	struct ivc_client *client;
	bool dead;	/* the server hung up or broke the protocol */
	int nowhere;	/* eventfd that bells ring when aimed at nobody */
};

static struct ivsh_server *
srv(struct rte_eth_dev *dev)
{
	return ivsh_adapter(dev)->tp_priv;
}

static int
srv_vector_fd(struct rte_eth_dev *dev, unsigned int v)
{
	return ivc_own_fd(srv(dev)->client, v);
}

/*
 * Whether we hold id's eventfds. After the server's death the roster is
 * the last one it sent: a peer we knew keeps the eventfds it had, and a
 * QEMU guest, which cannot see that the server died, sleeps on its vector
 * as before, so its doorbells must not stop. A later incarnation under the
 * same ID (named memory reopened by a restarted server) is not behind
 * those eventfds: the control module rings only the incarnation it was
 * aimed at when the bus was lost (ctl_aim).
 */
static bool
srv_reachable(struct rte_eth_dev *dev, uint16_t id)
{
	struct ivsh_server *s = srv(dev);
	const struct ivc_peer *p;

	p = ivc_peer_find(s->client, id);
	return p != NULL && p->nb_vectors >= ivc_vectors(s->client) &&
		id != ivc_id(s->client);
}

/*
 * The first aim gives the bell an fd of its own; later aims dup2() onto
 * it, which replaces what a kick writes to in one step, so the data path
 * never writes to a closed or reused descriptor, whatever the timing.
 */
static void
srv_bell_aim(struct rte_eth_dev *dev, struct ivsh_bell *b, int id, unsigned int v)
{
	struct ivsh_server *s = srv(dev);
	const struct ivc_peer *p = id >= 0 ? ivc_peer_find(s->client, (uint16_t)id) : NULL;
	int from = p != NULL && v < p->nb_vectors ? p->fds[v] : s->nowhere;
	int fd = b->fd < 0 ? dup(from) : dup2(from, b->fd);

	if (fd < 0)
		IVSH_LOG(ERR, dev, "cannot aim doorbell at peer %d vector %u: %s",
				id, v, strerror(errno));
	else
		__atomic_store_n(&b->fd, fd, __ATOMIC_RELEASE);
}

static int
srv_bus_news(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_server *s = srv(dev);
	struct ivc_event ev;
	int ret = 0;

	if (s->dead)
		return -1;
	for (unsigned int n = 0; n < NEWS_BUDGET &&
			(ret = ivc_process(s->client, &ev)) > 0; n++)
		IVSH_LOG(INFO, dev, "server: peer %u %s", ev.id,
				ev.type == IVC_EV_PEER_JOINED ? "joined" : "left");
	if (ret < 0) {
		IVSH_LOG(ERR, dev, "server %s: %s: peer tracking stops; the region stays mapped and the peers already known are still rung",
				ad->opts.server, ivc_error(s->client));
		s->dead = true;
		return -1;
	}
	return ivc_socket_fd(s->client);
}

/*
 * RX queue q is vector 1 + q: its own fd goes into a VDEV-type handle so
 * that rte_eth_dev_rx_intr_ctl_q() and rte_epoll_wait() work, and EAL
 * clears the 8-byte eventfd counter after a wakeup.
 */
static int
srv_intr_setup(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	uint16_t nq = (uint16_t)ad->opts.queues;
	struct rte_intr_handle *h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);

	if (h == NULL)
		return -ENOMEM;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
			rte_intr_efd_counter_size_set(h, sizeof(uint64_t)) != 0 ||
			rte_intr_vec_list_alloc(h, NULL, nq) != 0)
		goto fail;
	for (uint16_t q = 0; q < nq; q++)
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0 ||
				rte_intr_efds_index_set(h, q, srv_vector_fd(dev, 1u + q)) != 0)
			goto fail;
	if (rte_intr_nb_efd_set(h, nq) != 0 || rte_intr_max_intr_set(h, nq + 1) != 0)
		goto fail;
	dev->intr_handle = h;
	return 0;
fail:
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	return -EINVAL;
}

static void
srv_close(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	struct ivsh_server *s = ad->tp_priv;

	if (dev->intr_handle != NULL) {
		rte_intr_vec_list_free(dev->intr_handle);
		rte_intr_instance_free(dev->intr_handle);
		dev->intr_handle = NULL;
	}
	/* pinned: the application still holds lent buffers in it */
	if (ad->map != NULL && !ad->map_pinned)
		munmap(ad->map, ad->map_len);
	ad->map = NULL;
	if (s == NULL)
		return;
	ivc_close(s->client);
	if (s->nowhere >= 0)
		close(s->nowhere);
	rte_free(s);
	ad->tp_priv = NULL;
}

/*
 * The seals that keep the region's size fixed: without F_SEAL_SHRINK any
 * other client of the server can truncate the memory and kill us (our
 * mapping faults with SIGBUS past the new end). ivshmem-server seals its
 * default memory; named memory (its -m, -M) cannot be sealed. We warn
 * rather than refuse: a server of mutually trusting clients is legitimate.
 */
#define SRV_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static void
srv_check_seals(const char *name, const char *server, int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	int missing = seals < 0 ? SRV_SEALS : SRV_SEALS & ~seals;

	if (missing == 0)
		return;
	IVSH_INIT_LOG(WARNING, "%s: server=%s: the shared memory is not sealed (missing:%s%s%s): any client of this server can truncate it and kill this process with SIGBUS; only share such a server with trusted clients (ivshmem-server seals its memory unless given -m or -M)",
			name, server, missing & F_SEAL_SHRINK ? " shrink" : "",
			missing & F_SEAL_GROW ? " grow" : "",
			missing & F_SEAL_SEAL ? " seal" : "");
}

/* Connects, maps the region the server hands out, and sets up vectors. */
static int
srv_open(struct rte_eth_dev *dev)
{
	struct ivsh_adapter *ad = ivsh_adapter(dev);
	const char *name = dev->data->name;
	unsigned int need = ad->opts.queues + 1;
	struct ivsh_server *s;
	char err[256];
	int ret;

	s = rte_zmalloc("ivshmem_server", sizeof(*s), 0);
	if (s == NULL)
		return -ENOMEM;
	ad->tp_priv = s;
	s->nowhere = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->nowhere < 0) {
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
	srv_check_seals(name, ad->opts.server, ivc_shm_fd(s->client));
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
	ret = srv_intr_setup(dev);
	if (ret != 0) {
		IVSH_INIT_LOG(ERR, "%s: cannot set up RX queue interrupts: %s",
				name, strerror(-ret));
		return ret;
	}
	dev->data->numa_node = ivsh_numa_node_of(ad->map);
	ad->n_vectors = (uint16_t)ivc_vectors(s->client);
	ad->doorbell_id = ivc_id(s->client);
	IVSH_INIT_LOG(INFO, "%s: server=%s: we are peer %u, %u vectors, %" PRIu64 " bytes",
			name, ad->opts.server, ad->doorbell_id, ad->n_vectors, ad->map_len);
	return 0;
}

const struct ivsh_transport ivsh_server_transport = {
	.name = "server",
	.open = srv_open,
	.close = srv_close,
	.bus_news = srv_bus_news,
	.reachable = srv_reachable,
	.vector_fd = srv_vector_fd,
	.bell_aim = srv_bell_aim,
};
