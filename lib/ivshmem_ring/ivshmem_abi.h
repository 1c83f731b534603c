/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ivshmem-net shared-memory ABI.
 *
 * This header is the contract between the two peers of a link. The peers may
 * run different builds, on different machines (two VMs, a VM and a host
 * process), and the other side may be hostile. Everything here is fixed
 * width, little-endian (both ends of an ivshmem region are the same host),
 * addressed by byte offsets from the start of the region (never pointers),
 * and checked by _Static_assert below. doc/spec.md is the prose version; the
 * two must agree.
 *
 * Region (the ivshmem BAR2, or a shared file), size S:
 *
 *   0           +--------------------------------------------------+
 *               | struct ivr_region_hdr           IVR_HDR_SIZE (4K) |
 *               |   magic word (format CAS), version, sizes, slot   |
 *               |   claims. Written by both peers, only to format   |
 *               |   the region and to claim a slot.                 |
 *   4K          +--------------------------------------------------+
 *               | part 0: written ONLY by the peer in slot 0        |
 *   4K + P      +--------------------------------------------------+
 *               | part 1: written ONLY by the peer in slot 1        |
 *   4K + 2P     +--------------------------------------------------+
 *               | unused tail                                       |
 *   S           +--------------------------------------------------+
 *
 *   P = ((S - IVR_HDR_SIZE) / 2) rounded down to IVR_PART_ALIGN.
 *
 * Inside a part, for a peer whose configuration is (Q queues, ring size N,
 * buffer size B); every offset is from the start of the part and follows
 * from (Q, N) alone, buffer addresses from B too (ivr_layout_compute):
 *
 *   0                 struct ivr_peer_block        (256 B)
 *   256               struct ivr_queue_ctl[Q]      (384 B each)
 *   desc_off          struct ivr_desc[Q][N]        our TX rings, 8 B each
 *   ret_off           uint32_t ret[Q][N]           our return rings (used
 *                                                  only if we lend, 5.5)
 *   data_off          data area up to the end of the part; in copy mode
 *                     buffer i of queue q is at data_off + (q * N + i) * B
 *
 *   desc_off = align(256 + 384 * Q, 64)
 *   ret_off  = desc_off + 8 * Q * N
 *   data_off = align(ret_off + 4 * Q * N, IVR_PART_ALIGN)
 *
 * data_off depends on Q and N only; the data area runs from data_off to
 * the end of the part, capped at IVR_MAX_PART (descriptor offsets are
 * 32-bit).
 *
 * Per queue q, traffic from producer P to consumer C uses:
 *   in P's part: queue_ctl[q].tx (prod, rcons, sync), desc ring q, buffers
 *   in C's part: queue_ctl[q].rx (cons, rprod, sync), return ring q,
 *                queue_ctl[q].notify (armed)
 * so each peer writes only its own part, and the layout still works when a
 * hypervisor maps the peer's part read-only.
 */
#ifndef IVSHMEM_ABI_H
#define IVSHMEM_ABI_H

#include <stdalign.h>
#include <stdint.h>

#define IVR_MAGIC		0x74656e2d6d687369ULL	/* "ishm-net" */
#define IVR_FMT_BUSY		0x1ULL	/* magic word while being formatted */
#define IVR_VERSION_MAJOR	2	/* incompatible layout changes */
#define IVR_VERSION_MINOR	0	/* additions a v2.0 peer may ignore */

#define IVR_OFFSETOF(t, m)	__builtin_offsetof(t, m)

#define IVR_CACHE_LINE		64
#define IVR_HDR_SIZE		4096
#define IVR_PART_ALIGN		4096
#define IVR_SLOTS		2

/* Limits every peer enforces on the other's configuration. */
#define IVR_MAX_QUEUES		16
#define IVR_MIN_RING		64
#define IVR_MAX_RING		16384
#define IVR_MIN_BUF		128
#define IVR_MAX_BUF		65536
#define IVR_MAX_CHAIN		32	/* descriptors in one frame */
#define IVR_MAX_FRAME		65535	/* bytes in one frame */
#define IVR_MAX_PART		0xffffffffULL	/* desc offsets are 32-bit */

/* Feature bits (struct ivr_peer_block.features). A v2.0 peer must offer
 * both; a link needs both on both sides (the library refuses the link
 * otherwise, IVR_DOWN_MISMATCH). Unknown bits are ignored: later minors
 * add bits that are negotiated as the AND of both peers'. */
#define IVR_F_CHAIN		(1ULL << 0)	/* may send IVR_DESC_NEXT chains */
#define IVR_F_NOTIFY		(1ULL << 1)	/* honours queue_ctl.notify.armed */
#define IVR_F_ALL		(IVR_F_CHAIN | IVR_F_NOTIFY)

/*
 * Region header. magic is the format lock: 0 = blank, IVR_FMT_BUSY = a peer
 * is formatting (it won a compare-and-swap from 0), IVR_MAGIC = formatted.
 * The formatter writes every other field and then stores IVR_MAGIC with
 * release semantics; a joiner reads magic with acquire and then the rest.
 */
struct ivr_region_hdr {
	uint64_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t hdr_size;		/* IVR_HDR_SIZE */
	uint64_t region_size;		/* S, as formatted */
	uint64_t part_size;		/* P */
	uint64_t part_off[IVR_SLOTS];	/* IVR_HDR_SIZE, IVR_HDR_SIZE + P */
	uint8_t pad0[IVR_CACHE_LINE - 48];
	/*
	 * Slot claims, each on its own line. 0 = free; otherwise a random
	 * 64-bit token of the claiming peer (compare-and-swap from 0, or
	 * from a dead peer's token once its heartbeat has stopped).
	 */
	struct {
		uint64_t owner;
		uint8_t pad[IVR_CACHE_LINE - 8];
	} slot[IVR_SLOTS];
	uint8_t reserved[IVR_HDR_SIZE - 3 * IVR_CACHE_LINE];
};

/* Lifecycle of a peer (struct ivr_peer_block.state). */
enum ivr_state {
	IVR_STATE_RESET = 0,	/* part not valid; peer absent or leaving */
	IVR_STATE_INIT = 1,	/* peer is laying out its part */
	IVR_STATE_READY = 2,	/* part and config valid; port stopped (the
				 * peer may still form sessions and drain) */
	IVR_STATE_RUN = 3,	/* port started: link up when both RUN */
};

/*
 * Peer block, at offset 0 of each part, written only by that part's peer.
 * Line 0 changes on lifecycle transitions, line 1 every heartbeat period,
 * line 2 only while the state is INIT.
 */
struct ivr_peer_block {
	/* line 0: lifecycle */
	uint32_t state;		/* enum ivr_state; store-release */
	uint32_t epoch;		/* +1 at every (re)initialisation; never 0 */
	uint64_t features;	/* IVR_F_* this peer supports */
	uint16_t doorbell_id;	/* ivshmem IVPosition, or IVR_NO_DOORBELL */
	uint16_t n_vectors;	/* interrupt vectors this peer can receive */
	uint16_t version_major;	/* ABI this peer speaks */
	uint16_t version_minor;
	uint8_t pad1[IVR_CACHE_LINE - 24];
	/* line 1: liveness */
	uint64_t heartbeat;	/* incremented at least every 100 ms */
	uint8_t pad2[IVR_CACHE_LINE - 8];
	/* line 2: configuration, constant outside INIT */
	uint16_t n_queues;
	uint16_t pad3;
	uint32_t ring_size;	/* N: power of two */
	uint32_t buf_size;	/* B: multiple of 64 */
	uint32_t max_frame;	/* largest frame this peer accepts */
	uint8_t mac[6];
	uint16_t pad4;
	uint32_t data_off;	/* follows from (Q, N); a check value */
	uint32_t rx_flags;	/* IVR_RXF_*: how this peer consumes */
	uint8_t pad5[IVR_CACHE_LINE - 32];
	/* line 3 */
	uint8_t reserved[IVR_CACHE_LINE];
};

#define IVR_NO_DOORBELL		0xffff

/*
 * How a peer consumes (struct ivr_peer_block.rx_flags), for all its queues
 * and its whole incarnation. Without IVR_RXF_LEND it copies: a buffer is
 * the producer's again once rx.cons has passed its descriptor, and its
 * return ring stays unused. With it, it may keep buffers after consuming
 * their descriptors (zero-copy) and gives each id back through its return
 * ring. Unknown bits are 0 and ignored.
 */
#define IVR_RXF_LEND		(1u << 0)

/*
 * Session word: (writer's epoch << 32) | the epoch of the peer it is in
 * session with. 0 = no session. Both epochs are non-zero, so a session word
 * names one incarnation of each side and is never reused after a restart.
 */
#define IVR_SYNC(mine, theirs)	(((uint64_t)(mine) << 32) | (uint32_t)(theirs))

/*
 * Per-queue control, six lines in the part of the peer that writes them.
 * Indices are free-running 32-bit counters; ring slot = index & (N - 1).
 * A session word has a line of its own, away from the index its writer
 * stores every burst: it changes only when a session starts or ends, so
 * the reader's check of it (every refresh, and every end of burst for
 * tx.sync) is a cache hit.
 */
struct ivr_queue_ctl {
	/* lines 0-1: written by this peer as PRODUCER of queue q */
	struct {
		uint32_t prod;	/* descriptors published; store-release */
		uint32_t rcons;	/* entries taken from the peer's return ring
				 * (a lending consumer's; else 0) */
		uint8_t pad0[IVR_CACHE_LINE - 8];
		uint64_t sync;	/* IVR_SYNC(my epoch, consumer's epoch) */
		uint8_t pad1[IVR_CACHE_LINE - 8];
	} tx;
	/* lines 2-3: written by this peer as CONSUMER of the peer's queue q */
	struct {
		uint32_t cons;	/* peer's descriptors consumed; store-release */
		uint32_t rprod;	/* entries published in my return ring (if I
				 * lend; else 0) */
		uint8_t pad0[IVR_CACHE_LINE - 8];
		uint64_t sync;	/* IVR_SYNC(my epoch, producer's epoch) */
		uint8_t pad1[IVR_CACHE_LINE - 8];
	} rx;
	/* line 4: written by this peer as consumer, read by the producer */
	struct {
		uint32_t armed;	/* arm sequence: odd = asleep, kick me */
		uint16_t vector;/* vector the producer rings for this queue */
		uint16_t pad0;
		uint8_t pad[IVR_CACHE_LINE - 8];
	} notify;
	uint8_t reserved[IVR_CACHE_LINE];
};

/*
 * Descriptor, written by the producer in its own ring, one 64-bit word.
 * offset is from the start of the producer's part and [offset, offset +
 * len) must lie in its data area. id is the producer's cookie for the
 * buffer: a lending consumer echoes it, uninterpreted, through its return
 * ring when it is done with the data; a copying one ignores it.
 */
struct ivr_desc {
	uint32_t offset;
	uint16_t len;		/* 1..65535 */
	uint16_t id;		/* bits 0-14: id; bit 15: IVR_DESC_NEXT */
};

#define IVR_DESC_NEXT		0x8000u		/* frame continues in next */
#define IVR_DESC_ID_MASK	0x7fffu		/* ids < 2 * IVR_MAX_RING */

_Static_assert(sizeof(struct ivr_region_hdr) == IVR_HDR_SIZE, "region header size");
_Static_assert(IVR_OFFSETOF(struct ivr_region_hdr, slot) == IVR_CACHE_LINE, "slot claims on line 1");
_Static_assert(sizeof(((struct ivr_region_hdr *)0)->slot[0]) == IVR_CACHE_LINE, "one claim per line");
_Static_assert(sizeof(struct ivr_peer_block) == 4 * IVR_CACHE_LINE, "peer block size");
_Static_assert(IVR_OFFSETOF(struct ivr_peer_block, version_major) == 20, "peer version");
_Static_assert(IVR_OFFSETOF(struct ivr_peer_block, heartbeat) == IVR_CACHE_LINE, "heartbeat line");
_Static_assert(IVR_OFFSETOF(struct ivr_peer_block, n_queues) == 2 * IVR_CACHE_LINE, "config line");
_Static_assert(IVR_OFFSETOF(struct ivr_peer_block, data_off) == 2 * IVR_CACHE_LINE + 24, "data_off");
_Static_assert(sizeof(struct ivr_queue_ctl) == 6 * IVR_CACHE_LINE, "queue ctl size");
_Static_assert(IVR_OFFSETOF(struct ivr_queue_ctl, tx.sync) == IVR_CACHE_LINE, "tx.sync line");
_Static_assert(IVR_OFFSETOF(struct ivr_queue_ctl, rx) == 2 * IVR_CACHE_LINE, "rx line");
_Static_assert(IVR_OFFSETOF(struct ivr_queue_ctl, rx.sync) == 3 * IVR_CACHE_LINE, "rx.sync line");
_Static_assert(IVR_OFFSETOF(struct ivr_queue_ctl, notify) == 4 * IVR_CACHE_LINE, "notify line");
_Static_assert(sizeof(struct ivr_desc) == 8, "descriptor size");
_Static_assert(2 * IVR_MAX_RING - 1 <= IVR_DESC_ID_MASK, "ids fit a descriptor");
_Static_assert(IVR_MAX_FRAME <= UINT16_MAX, "a segment's length fits a descriptor");
_Static_assert(IVR_OFFSETOF(struct ivr_peer_block, rx_flags) == 2 * IVR_CACHE_LINE + 28, "rx_flags");
_Static_assert(IVR_MAX_RING * IVR_MAX_QUEUES * 12ULL < IVR_MAX_PART, "rings fit a part");

/*
 * Fields read or written together as one wider, naturally aligned word
 * (each 16-bit field with its neighbour: there is no 16-bit accessor, and
 * each shared word is accessed once). Little-endian: the field at the
 * lower offset is the low half.
 */
#define IVR_PAIR(t, lo, hi, w) \
	(IVR_OFFSETOF(t, lo) % (w) == 0 && \
	 IVR_OFFSETOF(t, hi) == IVR_OFFSETOF(t, lo) + (w) / 2)
/* Region header: version_major | version_minor << 16, written by the
 * formatter, read by a joiner (format_or_join). */
_Static_assert(IVR_PAIR(struct ivr_region_hdr, version_major, version_minor, 4), "hdr version word");
/* Peer block: doorbell_id | n_vectors << 16 (part_init, read_peer_config),
 * version_major | version_minor << 16 (part_init, peer_compatible),
 * n_queues | pad3 << 16 (part_init, read_peer_config, peer_shape_ok). */
_Static_assert(IVR_PAIR(struct ivr_peer_block, doorbell_id, n_vectors, 4), "doorbell word");
_Static_assert(IVR_PAIR(struct ivr_peer_block, version_major, version_minor, 4), "version word");
_Static_assert(IVR_PAIR(struct ivr_peer_block, n_queues, pad3, 4), "n_queues word");
/* mac[6] and pad4 as one 64-bit word (part_init, read_peer_config). */
_Static_assert(IVR_OFFSETOF(struct ivr_peer_block, mac) % 8 == 0 &&
		IVR_OFFSETOF(struct ivr_peer_block, pad4) ==
		IVR_OFFSETOF(struct ivr_peer_block, mac) + 6, "mac word");
/* part_init zeroes doorbell_id up to heartbeat in 64-bit words. */
_Static_assert(IVR_OFFSETOF(struct ivr_peer_block, doorbell_id) % 8 == 0, "line 0 zeroing");
/* Queue control: armed | vector << 32 | pad0 << 48 as one 64-bit store
 * (ivr_rx_init); vector | pad0 << 16 as one 32-bit load (the producer's
 * read of the vector to ring). */
_Static_assert(IVR_OFFSETOF(struct ivr_queue_ctl, notify.armed) % 8 == 0 &&
		IVR_OFFSETOF(struct ivr_queue_ctl, notify.vector) ==
		IVR_OFFSETOF(struct ivr_queue_ctl, notify.armed) + 4 &&
		IVR_OFFSETOF(struct ivr_queue_ctl, notify.pad0) ==
		IVR_OFFSETOF(struct ivr_queue_ctl, notify.vector) + 2, "notify word");
/* Descriptor as one 64-bit word: offset | len << 32 | id << 48
 * (ivr_tx_push, ivr_rx_read, ivr_rx_next_slow; rings start on a cache
 * line). */
_Static_assert(IVR_OFFSETOF(struct ivr_desc, offset) == 0 &&
		IVR_OFFSETOF(struct ivr_desc, len) == 4 &&
		IVR_OFFSETOF(struct ivr_desc, id) == 6, "descriptor word");
#undef IVR_PAIR

#endif /* IVSHMEM_ABI_H */
