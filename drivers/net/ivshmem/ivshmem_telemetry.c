/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry: /ivshmem/... commands for dpdk-telemetry.py, and the ethdev
 * private dump. Both format a struct ivsh_view, the control module's copy
 * of the port taken under its lock (ivsh_ctl_view), and touch nothing else.
 *
 * The telemetry thread may ask while the application closes a port: the
 * ports it may read are in ports[], under ports_lock, from the end of
 * ivsh_ethdev_init to the start of ivsh_ethdev_uninit. A command holds
 * ports_lock while it copies the view, so a port leaving waits for it.
 * Lock order: ports_lock, then ctl.lock; never the other way round.
 * Secondary processes add no port: the region is not mapped there.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_telemetry.h>

#include "ivshmem_ethdev.h"

static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rte_eth_dev *ports[RTE_MAX_ETHPORTS];

void
ivsh_telemetry_add(struct rte_eth_dev *dev)
{
	pthread_mutex_lock(&ports_lock);
	ports[dev->data->port_id] = dev;
	pthread_mutex_unlock(&ports_lock);
}

void
ivsh_telemetry_remove(struct rte_eth_dev *dev)
{
	pthread_mutex_lock(&ports_lock);
	if (ports[dev->data->port_id] == dev)
		ports[dev->data->port_id] = NULL;
	pthread_mutex_unlock(&ports_lock);
}

/* The view of port params ("0", "1", ...): 0, or -EINVAL when params is
 * not a port number or that port is not ours. */
static int
view_of(const char *params, struct ivsh_view *v)
{
	char *end;
	unsigned long id;
	int ret = -EINVAL;

	if (params == NULL || *params < '0' || *params > '9')
		return -EINVAL;
	errno = 0;
	id = strtoul(params, &end, 10);
	if (errno != 0 || *end != '\0' || id >= RTE_MAX_ETHPORTS)
		return -EINVAL;
	pthread_mutex_lock(&ports_lock);
	if (ports[id] != NULL) {
		ivsh_ctl_view(ports[id], v);
		ret = 0;
	}
	pthread_mutex_unlock(&ports_lock);
	return ret;
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static int
tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
		struct rte_tel_data *d)
{
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&ports_lock);
	for (unsigned int i = 0; i < RTE_DIM(ports); i++)
		if (ports[i] != NULL)
			rte_tel_data_add_array_int(d, (int)i);
	pthread_mutex_unlock(&ports_lock);
	return 0;
}

/* Counter NAME of queue q: "rx_q0_sessions". */
static void
add_q(struct rte_tel_data *d, const char *dir, unsigned int q, const char *name,
		uint64_t val)
{
	char key[RTE_TEL_MAX_STRING_LEN];

	snprintf(key, sizeof(key), "%s_q%u_%s", dir, q, name);
	rte_tel_data_add_dict_u64(d, key, val);
}

static void
fill_peer(const struct ivsh_view *v, struct rte_tel_data *d)
{
	rte_tel_data_add_dict_string(d, "transport", v->transport);
	rte_tel_data_add_dict_string(d, "link", v->link_up ? "up" : "down");
	rte_tel_data_add_dict_string(d, "down_reason", v->peer_left ?
			"peer left the server" : ivr_down_name(v->why));
	rte_tel_data_add_dict_string(d, "started", yes_no(v->started));
	rte_tel_data_add_dict_string(d, "attached", yes_no(v->attached));
	rte_tel_data_add_dict_string(d, "evicted", yes_no(v->evicted));
	rte_tel_data_add_dict_u64(d, "slot", v->slot);
	rte_tel_data_add_dict_u64(d, "epoch", v->epoch);
	rte_tel_data_add_dict_string(d, "peer_state", ivr_state_name(v->peer_state));
	rte_tel_data_add_dict_u64(d, "peer_epoch", v->peer_epoch);
	rte_tel_data_add_dict_string(d, "peer_alive", yes_no(v->peer_alive));
	rte_tel_data_add_dict_string(d, "peer_config_valid", yes_no(v->peer_cfg_ok));
	rte_tel_data_add_dict_u64(d, "max_frame", v->max_frame);
	rte_tel_data_add_dict_u64(d, "link_changes", v->link_changes);
	rte_tel_data_add_dict_u64(d, "resets", v->resets);
}

static void
fill_layout(const struct ivsh_view *v, struct rte_tel_data *d)
{
	rte_tel_data_add_dict_u64(d, "region_size", v->region_size);
	rte_tel_data_add_dict_u64(d, "part_size", v->part_size);
	rte_tel_data_add_dict_u64(d, "queues", v->cfg.n_queues);
	rte_tel_data_add_dict_u64(d, "ring_size", v->cfg.ring_size);
	rte_tel_data_add_dict_u64(d, "buf_size", v->cfg.buf_size);
	rte_tel_data_add_dict_u64(d, "desc_off", v->lay.desc_off);
	rte_tel_data_add_dict_u64(d, "ret_off", v->lay.ret_off);
	rte_tel_data_add_dict_u64(d, "data_off", v->lay.data_off);
	rte_tel_data_add_dict_u64(d, "used", v->lay.used);
}

/* How an RX queue in interrupt mode waits when the peer cannot ring it:
 * sleeps (detached, idle) or polls (live); none: no RX interrupts. */
static const char *
rx_idle_name(const struct ivsh_view *v)
{
	if (v->n_vectors == 0)
		return "none";
	switch (v->rx_idle) {
	case IVSH_RX_DETACHED:
		return "detached";
	case IVSH_RX_IDLE:
		return "idle";
	case IVSH_RX_LIVE:
		return "live";
	}
	return "?";
}

static void
fill_doorbells(const struct ivsh_view *v, struct rte_tel_data *d)
{
	char key[32];

	rte_tel_data_add_dict_int(d, "doorbell_id",
			v->doorbell_id == IVR_NO_DOORBELL ? -1 : v->doorbell_id);
	rte_tel_data_add_dict_u64(d, "vectors", v->n_vectors);
	rte_tel_data_add_dict_int(d, "target_id", v->target_id);
	rte_tel_data_add_dict_u64(d, "target_epoch", v->target_epoch);
	rte_tel_data_add_dict_string(d, "rx_can_sleep", yes_no(v->can_sleep));
	rte_tel_data_add_dict_string(d, "rx_idle", rx_idle_name(v));
	rte_tel_data_add_dict_u64(d, "rx_idle_wakes", v->rx_idle_wakes);
	for (unsigned int q = 0; q < IVR_MAX_QUEUES; q++) {
		if (!(v->txq_on & (1u << q)))
			continue;
		snprintf(key, sizeof(key), "tx_q%u_vector", q);
		rte_tel_data_add_dict_int(d, key,
				v->txq[q].aimed ? (int)v->txq[q].vector : -1);
		add_q(d, "tx", q, "rung", v->txq[q].doorbells);
		add_q(d, "tx", q, "suppressed", v->txq[q].doorbells_suppressed);
	}
}

static void
fill_queues(const struct ivsh_view *v, struct rte_tel_data *d)
{
	for (unsigned int q = 0; q < IVR_MAX_QUEUES; q++) {
		if (!(v->rxq_on & (1u << q)))
			continue;
		add_q(d, "rx", q, "sessions", v->rxq[q].sessions);
		add_q(d, "rx", q, "sleeps", v->rxq[q].sleeps);
		add_q(d, "rx", q, "wakeups", v->rxq[q].wakeups);
		if (!v->rxq[q].zc)
			continue;
		add_q(d, "rx", q, "zc_held", v->rxq[q].zc_held);
		add_q(d, "rx", q, "zc_held_max", v->rxq[q].zc_held_max);
	}
	for (unsigned int q = 0; q < IVR_MAX_QUEUES; q++) {
		if (!(v->txq_on & (1u << q)))
			continue;
		add_q(d, "tx", q, "sessions", v->txq[q].sessions);
	}
}

static const struct {
	const char *cmd;
	void (*fill)(const struct ivsh_view *v, struct rte_tel_data *d);
	const char *help;
} port_cmds[] = {
	{ "/ivshmem/peer", fill_peer,
		"Link, our slot and epoch, the peer's state and epoch. Parameter: port id" },
	{ "/ivshmem/layout", fill_layout,
		"Region and part sizes, ring and buffer layout. Parameter: port id" },
	{ "/ivshmem/doorbells", fill_doorbells,
		"Our doorbell id and vectors, the peer and vectors we ring. Parameter: port id" },
	{ "/ivshmem/queues", fill_queues,
		"Per queue: sessions, sleeps, zero-copy buffers held. Parameter: port id" },
};

/* Every per-port command: the view of the port, then its own fields. */
static int
tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ivsh_view v;

	for (unsigned int i = 0; i < RTE_DIM(port_cmds); i++) {
		if (strcmp(cmd, port_cmds[i].cmd) != 0)
			continue;
		if (view_of(params, &v) != 0)
			return -EINVAL;
		rte_tel_data_start_dict(d);
		port_cmds[i].fill(&v, d);
		return 0;
	}
	return -EINVAL;
}

/* rte_eth_dev_priv_dump: the same view, as text. The application's
 * thread, or DPDK's telemetry thread (/ethdev/dump_priv), which may race a
 * close: only a port still listed is read, as for our own commands. */
int
ivsh_priv_dump(struct rte_eth_dev *dev, FILE *f)
{
	struct ivsh_view v;
	bool listed;

	pthread_mutex_lock(&ports_lock);
	listed = ports[dev->data->port_id] == dev;
	if (listed)
		ivsh_ctl_view(dev, &v);
	pthread_mutex_unlock(&ports_lock);
	if (!listed)
		return -ENODEV;
	fprintf(f, "net_ivshmem %s: transport %s, link %s%s%s, %s%s\n",
			dev->data->name, v.transport, v.link_up ? "up" : "down (",
			v.link_up ? "" : v.peer_left ? "peer left the server" :
			ivr_down_name(v.why), v.link_up ? "" : ")",
			v.started ? "started" : "stopped",
			v.evicted ? ", evicted" : "");
	fprintf(f, "  us: slot %u epoch %u; peer: %s epoch %u, %s, config %s\n",
			v.slot, v.epoch, ivr_state_name(v.peer_state), v.peer_epoch,
			v.peer_alive ? "alive" : "silent",
			v.peer_cfg_ok ? "valid" : "not valid");
	fprintf(f, "  region %" PRIu64 " bytes, part %" PRIu64 ": %u queue(s) of %u x %u bytes, desc@%#" PRIx64 " ret@%#" PRIx64 " data@%#" PRIx64 " used %" PRIu64 "\n",
			v.region_size, v.part_size, v.cfg.n_queues, v.cfg.ring_size,
			v.cfg.buf_size, v.lay.desc_off, v.lay.ret_off,
			v.lay.data_off, v.lay.used);
	fprintf(f, "  doorbells: ours %d, %u vector(s); ringing peer %d (epoch %u)\n",
			v.doorbell_id == IVR_NO_DOORBELL ? -1 : v.doorbell_id,
			v.n_vectors, v.target_id, v.target_epoch);
	for (unsigned int q = 0; q < IVR_MAX_QUEUES; q++) {
		if (!(v.rxq_on & (1u << q)))
			continue;
		fprintf(f, "  rx q%u: %" PRIu64 " session(s), %" PRIu64 " sleep(s)",
				q, v.rxq[q].sessions, v.rxq[q].sleeps);
		if (v.rxq[q].zc)
			fprintf(f, ", zero-copy buffers held %" PRIu64, v.rxq[q].zc_held);
		fputc('\n', f);
	}
	for (unsigned int q = 0; q < IVR_MAX_QUEUES; q++)
		if (v.txq_on & (1u << q))
			fprintf(f, "  tx q%u: %" PRIu64 " session(s), %" PRIu64 " doorbell(s)\n",
					q, v.txq[q].sessions, v.txq[q].doorbells);
	return 0;
}

RTE_INIT(ivsh_telemetry_init)
{
	rte_telemetry_register_cmd("/ivshmem/ports", tel_ports,
			"net_ivshmem ports of this process. No parameters");
	for (unsigned int i = 0; i < RTE_DIM(port_cmds); i++)
		rte_telemetry_register_cmd(port_cmds[i].cmd, tel_port,
				port_cmds[i].help);
}
