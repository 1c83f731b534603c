/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region-level API of the ring library: format or join a region, claim a
 * slot, lay out our part, publish lifecycle state and heartbeats, and watch
 * the peer. No DPDK dependency. The burst-level API is in ivr_queue.h.
 *
 * Threading: one control thread calls everything here; each queue's TX side
 * and RX side are used by one data-path thread each (ivr_queue.h).
 */
#ifndef IVSHMEM_RING_H
#define IVSHMEM_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivshmem_abi.h"

/* What a peer publishes about itself (struct ivr_peer_block, line 2). */
struct ivr_config {
	uint16_t n_queues;
	uint32_t ring_size;
	uint32_t buf_size;
	uint32_t max_frame;
	uint8_t mac[6];
	uint16_t doorbell_id;	/* IVR_NO_DOORBELL without a server */
	uint16_t n_vectors;
	uint64_t features;
	uint32_t rx_flags;	/* IVR_RXF_*: IVR_RXF_LEND to lend buffers */
};

/* Offsets inside one part: data_off follows from (n_queues, ring_size);
 * used adds the copy-mode buffers (buf_size). */
struct ivr_layout {
	uint64_t desc_off;
	uint64_t ret_off;
	uint64_t data_off;
	uint64_t used;		/* data_off + copy-mode buffers */
};

/* Why the link is not up (ivr_region.peer.why). */
enum ivr_down_reason {
	IVR_DOWN_NONE = 0,	/* link is up */
	IVR_DOWN_STOPPED,	/* we are not in RUN */
	IVR_DOWN_NO_PEER,	/* peer part in RESET/INIT */
	IVR_DOWN_PEER_STOPPED,	/* peer is READY, not RUN */
	IVR_DOWN_DEAD,		/* peer heartbeat stopped */
	IVR_DOWN_BAD_CONFIG,	/* peer config invalid (hostile or corrupt) */
	IVR_DOWN_MISMATCH,	/* peer config valid but incompatible:
				 * queues, ring size, ABI major, features */
	IVR_DOWN_EVICTED,	/* another peer took over our slot */
};

/* Our validated copy of the peer's block, refreshed by ivr_poll_peer(). */
struct ivr_peer_view {
	uint32_t state;
	uint32_t epoch;
	bool alive;			/* heartbeat seen to move */
	struct ivr_config cfg;		/* valid when cfg_ok */
	bool cfg_ok;
	uint32_t cfg_epoch;		/* epoch cfg was read under; 0: read again */
	uint64_t heartbeat;
	uint64_t hb_change_ns;		/* when heartbeat last moved */
	enum ivr_down_reason why;
};

struct ivr_region {
	uint8_t *base;
	uint64_t size;
	uint64_t part_size;
	unsigned int slot;		/* ours: 0 or 1 */
	uint64_t token;			/* our claim in hdr->slot[slot].owner */
	uint32_t epoch;			/* ours, non-zero */
	struct ivr_config cfg;
	struct ivr_layout lay;		/* same formula for both parts */
	struct ivr_peer_block *self;
	struct ivr_peer_block *peer;
	uint8_t *part[IVR_SLOTS];	/* [slot] = ours, [!slot] = peer's */
	uint32_t dead_ms;
	bool running;			/* our state is RUN */
	uint32_t evicted;		/* set by ivr_heartbeat; data path reads */
	struct ivr_peer_view pv;
	char errmsg[256];		/* set when a call fails */
};

struct ivr_attach_opts {
	int slot;			/* -1: first free, or a dead peer's;
					 * 0/1: that slot (so a zeroed struct
					 * asks for slot 0) */
	uint32_t dead_ms;		/* heartbeat silence that means dead;
					 * 0: default; raised to IVR_DEAD_MS_MIN */
	uint32_t claim_ms;		/* how long to wait for a slot */
};

#define IVR_DEAD_MS_DEFAULT	500
#define IVR_HEARTBEAT_MS	100
/* Below this a live peer that beats on time could be declared dead. */
#define IVR_DEAD_MS_MIN		(IVR_HEARTBEAT_MS * 5 / 2)

/* Fills the layout of a part for cfg; returns bytes needed per part. */
uint64_t ivr_layout_compute(const struct ivr_config *cfg,
		struct ivr_layout *lay);

/*
 * Our pool area: the part of our data area past the copy-mode buffers,
 * from *off (page aligned, from the start of our part) for *len bytes (0:
 * none). The consumer accepts buffers anywhere in the data area, so what
 * we publish from here needs nothing new from it (doc/spec.md 5.6).
 */
void ivr_pool_area(const struct ivr_region *r, uint64_t *off, uint64_t *len);

/* Smallest region (a power of two, as ivshmem BARs are) that fits cfg. */
uint64_t ivr_region_size_for(const struct ivr_config *cfg);

/* Checks a config against the ABI limits; on error writes why into msg. */
int ivr_config_check(const struct ivr_config *cfg, char *msg, size_t len);

/*
 * Formats the region (or joins it if already formatted), claims a slot,
 * and (re)initialises our part with a new epoch; leaves us in READY.
 * Returns 0, or -errno with r->errmsg saying what is wrong.
 */
int ivr_attach(struct ivr_region *r, void *base, uint64_t size,
		const struct ivr_config *cfg, const struct ivr_attach_opts *o);

/* Leaves RESET in our part and frees our slot. */
void ivr_detach(struct ivr_region *r);

/* READY <-> RUN: whether our data path runs. */
void ivr_set_running(struct ivr_region *r, bool run);

/* Call at least every IVR_HEARTBEAT_MS. Returns false if we were evicted. */
bool ivr_heartbeat(struct ivr_region *r);

/* Reads the peer's block; returns true when the link is up. */
bool ivr_poll_peer(struct ivr_region *r, uint64_t now_ns);

/* No vector to ring (ivr_peer_vector). */
#define IVR_NO_VECTOR		UINT32_MAX

/*
 * The vector to ring when we publish on queue q: the one the peer's RX
 * side asked for, read once, if both sides have it (n_ours: the vectors we
 * can ring; the peer's n_vectors from the peer view); otherwise 1 + q if
 * both have that; otherwise IVR_NO_VECTOR. Vector 0 is for link changes
 * and is never returned. Call when r->pv.cfg_ok.
 */
uint32_t ivr_peer_vector(const struct ivr_region *r, uint16_t q,
		uint16_t n_ours);

const char *ivr_state_name(uint32_t state);
const char *ivr_down_name(enum ivr_down_reason why);

uint64_t ivr_now_ns(void);

#endif /* IVSHMEM_RING_H */
