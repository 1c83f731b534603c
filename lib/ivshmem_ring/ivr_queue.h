/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst-level API: one TX side and one RX side per queue, each used by a
 * single thread. The burst calls are inline, and so are the checks of
 * what they read: descriptors (ivr_rx_next, and ivr_rx_next_slow for
 * chains and bad ones: bad_desc) and the room in the return ring
 * (ivr_rx_ret: ret_full). ivr_queue.c has the rest: session changes,
 * the refresh of the peer's indices with their checks (bad_index),
 * buffer reclaim with the check of returned ids (bad_ret), and the sleep
 * announcement.
 *
 * Buffers come back one of two ways, chosen by the consumer for its
 * incarnation (IVR_RXF_LEND, doc/spec.md 5.5). A consumer that copies
 * releases a buffer by consuming its descriptor: the producer's copy
 * buffer i sits at ring slot i (it fills the buffer of the slot it
 * publishes next), and rx.cons alone gives them back. A consumer that
 * lends returns each id through its return ring, in any order, and the
 * producer hands out free ids oldest first.
 *
 * TX, per burst:
 *	n = ivr_tx_space(t, want);       buffers (and ring slots) we may use
 *	id = ivr_tx_buf_get(t);          then write up to t->buf_size bytes
 *	ivr_tx_push(t, id, len, flags);  at ivr_tx_buf(t, id)
 *	kick = ivr_tx_publish(t, pushed); true: ring the peer's doorbell
 * or, for one-buffer frames, a burst at a time (ivr_tx_take, ivr_tx_push_n).
 *
 * RX, per burst:
 *	ivr_rx_begin(r);                 how many descriptors are waiting
 *	while (ivr_rx_next(r, &f)) ...   a validated frame: copy it out
 *	ok = ivr_rx_end(r, frames);      false: discard what was copied
 * or, for one-descriptor frames, a burst at a time (ivr_rx_take_n), then
 * ivr_rx_next for what it leaves.
 *
 * The burst calls keep the queue's state in locals: a store through a
 * descriptor, a return entry or an inflight flag could alias the queue's
 * own fields, and per frame the compiler would load and store them again.
 *
 * Ordering labels ([P1] ...) are listed in doc/spec.md "Ordering".
 */
#ifndef IVR_QUEUE_H
#define IVR_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "ivr_atomic.h"
#include "ivshmem_abi.h"
#include "ivshmem_ring.h"

#define IVR_LIKELY(x)	__builtin_expect(!!(x), 1)
#define IVR_UNLIKELY(x)	__builtin_expect(!!(x), 0)

/*
 * What a consumer can make the producer do, bounded (doc/spec.md 6.3 and
 * 7.4). A new consumer session rebuilds the free list, O(ring size): a
 * second one within IVR_TX_SESSION_CALLS refreshes (ivr_tx_space calls
 * that looked further than the shadows; every burst does while a session
 * waits) and IVR_TX_SESSION_NS of the previous one waits until either has
 * passed. A consumer restarts by re-attaching, which takes longer than
 * that: only one that fakes restarts ever waits.
 */
#define IVR_TX_SESSION_CALLS	64
#define IVR_TX_SESSION_NS	1000000ULL

struct ivr_tx_stats {
	uint64_t descs;		/* descriptors published */
	uint64_t kicks;		/* peer was asleep: doorbell needed */
	uint64_t kicks_suppressed; /* published to a peer that was awake */
	uint64_t kicks_refused;	/* armed anew, but behind what we had
				 * published: not asleep (7.4), no doorbell */
	uint64_t bad_ret;	/* invalid ids from the peer's return ring */
	uint64_t bad_index;	/* peer indices out of range */
	uint64_t sessions;	/* session (re)starts */
	uint64_t sessions_deferred; /* refreshes that found a new consumer
				 * session too soon after the last one */
	uint64_t dropped_inflight; /* buffers lost to a peer restart */
	uint64_t ext_descs;	/* external (pool) descriptors published */
	uint64_t ext_reclaimed;	/* external buffers taken back without a
				 * return: new consumer session, or release */
};

struct ivr_tx {
	/* hot: every burst */
	uint32_t prod;		/* our shadow of ctl->tx.prod */
	uint32_t slots;		/* ring slots free as last computed */
	uint32_t n_free;	/* copy buffers not out: depth of free[] if
				 * the consumer lends, else N - copy
				 * descriptors in flight */
	uint32_t fhead;		/* free[] is a FIFO ring from here */
	uint32_t mask;
	uint32_t buf_size;
	uint32_t last_kick;	/* peer arm sequence we already rang */
	uint32_t armed_prod;	/* prod when we last read the consumer's
				 * armed word: see ivr_tx_publish */
	struct ivr_desc *ring;	/* our descriptor ring */
	uint8_t *part;		/* our part: descriptor offsets are from here */
	uint64_t buf_off;	/* offset of this queue's buffer 0 */
	struct ivr_queue_ctl *ctl;	 /* ours */
	struct ivr_queue_ctl *peer_ctl; /* the consumer's */
	const uint32_t *peer_epoch_p;	/* consumer's block: epoch */
	uint32_t peer_epoch;		/* the consumer incarnation we serve */
	bool in_session;
	bool lend;		/* the consumer lends: ids come back through
				 * its return ring (else rx.cons frees) */
	/* warm: refresh and session */
	uint32_t rcons;		/* consumed from the peer's return ring */
	uint32_t seen;		/* consumer that copies: rx.cons as last
				 * taken (what is below is ours again) */
	uint64_t expect_rx_sync; /* the consumer's rx.sync for our session */
	const uint32_t *peer_ret; /* the consumer's return ring */
	struct ivr_region *r;
	bool resumed;		/* set up again mid-session: see tx_resume */
	bool draining;		/* and waiting for the ids out to come back */
	uint32_t since_session;	/* refreshes since the last new session,
				 * up to IVR_TX_SESSION_CALLS */
	uint64_t session_ns;	/* when it started (ivr_now_ns) */
	struct ivr_tx_stats st;
	uint8_t *inflight;	/* [id], id < 2N: 1 while the peer holds it */
	bool notify;
	/*
	 * External buffers (ids N..2N-1): the caller's own memory in our
	 * part's pool area [ext_lo, ext_hi), sent without a copy. Each id
	 * carries the caller's cookie while the consumer holds it; a returned
	 * (or reclaimed) id waits in ext_done until ivr_tx_ext_reap hands its
	 * cookie back, and only then is it free again, so the three lists
	 * together never hold more than N ids.
	 */
	uint32_t ext_n_free;
	uint32_t ext_fhead;
	uint32_t ext_n_done;
	uint32_t ext_dhead;
	uint64_t ext_lo;
	uint64_t ext_hi;
	uint32_t *ext_free;	/* [N]: FIFO of free external ids */
	uint32_t *ext_done;	/* [N]: FIFO of ids back, cookie not reaped */
	uint32_t *ext_at;	/* [N]: by ring slot, the external id there
				 * (0: a copy buffer); read only when the
				 * consumer copies */
	void **ext_cookie;	/* [N]: by id - N */
	/*
	 * Free buffer ids for a consumer that lends, oldest returned first.
	 * Not a stack: the buffer the consumer returned last is still in its
	 * cache, and writing it again at once pulls every line back across
	 * the cores; the oldest has had time to leave (1500-byte frames: 9.6
	 * -> 15.5 Mpps). Slot-bound buffers, for one that copies, are reused
	 * a ring later, which is oldest first too.
	 */
	uint32_t free[];	/* then the other arrays: ivr_tx_init */
};

struct ivr_rx_stats {
	uint64_t frames;		/* delivered: counted by ivr_rx_end */
	uint64_t bad_desc;	/* frames dropped: bad offset/len/flags/chain */
	uint64_t bad_index;	/* producer index out of range */
	uint64_t ret_full;	/* could not return a buffer (peer's fault) */
	uint64_t stale;		/* frames discarded: producer restarted */
	uint64_t sessions;
	uint64_t arms;		/* times we announced sleep */
};

/* One validated frame: segments point into the producer's part. id is
 * the producer's cookie for the segment's buffer, set by ivr_rx_lend. */
struct ivr_frame {
	uint32_t len;
	uint32_t nseg;
	struct {
		const uint8_t *data;
		uint32_t len;
		uint32_t id;
	} seg[IVR_MAX_CHAIN];
};

struct ivr_rx {
	/* hot: every burst */
	uint32_t cons;		/* our shadow of ctl->rx.cons */
	uint32_t prod;		/* producer index last read */
	uint32_t mask;
	uint32_t rprod;		/* our shadow of ctl->rx.rprod */
	uint32_t peer_rcons;	/* producer's rcons last read */
	uint32_t data_lo;	/* producer's data area, from its part */
	uint32_t data_hi;
	uint32_t max_frame;
	const struct ivr_desc *ring;	/* the producer's ring */
	const uint8_t *peer_part;
	uint32_t *ret;			/* our return ring */
	struct ivr_queue_ctl *ctl;	/* ours */
	const struct ivr_queue_ctl *peer_ctl;
	uint64_t expect_tx_sync;	/* producer's tx.sync for our session */
	bool in_session;
	bool lend;			/* we lend (IVR_RXF_LEND): ids go back
					 * through our return ring */
	/* warm */
	uint32_t armed;		/* our arm sequence: odd = asleep */
	uint32_t peer_epoch;
	struct ivr_region *r;
	struct ivr_rx_stats st;
};

/* Bytes to allocate for a struct ivr_tx of a given ring size. */
size_t ivr_tx_size(uint32_t ring_size);

/* Bind queue qid of region r. The region must stay attached. */
void ivr_tx_init(struct ivr_tx *t, struct ivr_region *r, uint16_t qid);

/* Whether this producer can ring the consumer (doorbells); until set,
 * ivr_tx_publish never looks for a sleeping consumer. */
static inline void
ivr_tx_set_notify(struct ivr_tx *t, bool on)
{
	t->notify = on;
}
void ivr_rx_init(struct ivr_rx *q, struct ivr_region *r, uint16_t qid);

/* Slow paths (ivr_queue.c). */
uint32_t ivr_tx_refresh(struct ivr_tx *t);
uint32_t ivr_rx_refresh(struct ivr_rx *q);

/*
 * How many buffers TX may fill now, each taking one ring slot. Reclaims
 * returned buffers only when fewer than want are at hand, so the consumer's
 * index line is read once per many bursts rather than every burst. The
 * consumer's epoch is read every burst: its line changes only when the
 * consumer restarts, so this is a cache hit, and a restarted consumer is
 * served at once instead of after a ring's worth of lost frames.
 */
/* Whether the session we count on still holds, without a refresh. */
static inline bool
ivr_tx_current(const struct ivr_tx *t)
{
	/* evicted: set by our own control thread (local memory, a cache
	 * hit); the refresh path then stops writing the part. */
	return t->in_session && ivr_read_once32(t->peer_epoch_p) == t->peer_epoch &&
		!__atomic_load_n(&t->r->evicted, __ATOMIC_RELAXED);
}

/*
 * Ids we may hand out now, copy or external: together never more than N
 * out (taken and not yet free again), so that the consumer's return ring
 * (N entries) has room for every id it holds. Capped by the ring slots.
 */
static inline uint32_t
ivr_tx_avail(const struct ivr_tx *t)
{
	uint32_t budget = t->n_free + t->ext_n_free - (t->mask + 1);

	return budget < t->slots ? budget : t->slots;
}

static inline uint32_t
ivr_tx_space(struct ivr_tx *t, uint32_t want)
{
	uint32_t n = ivr_tx_avail(t);

	if (IVR_LIKELY(n >= want && ivr_tx_current(t)))
		return n;
	return ivr_tx_refresh(t);
}

/* The oldest of a FIFO of ids (the free lists) that holds at least one. */
static inline uint32_t
ivr_fifo_pop(const uint32_t *fifo, uint32_t *head, uint32_t *count, uint32_t mask)
{
	(*count)--;
	return fifo[(*head)++ & mask];
}

/*
 * A copy buffer for the next descriptor: fill it, then push it before any
 * other descriptor (a consumer that copies frees buffers by ring slot).
 */
static inline uint32_t
ivr_tx_buf_get(struct ivr_tx *t)
{
	uint32_t id;

	if (!t->lend) {
		t->n_free--;
		return t->prod & t->mask;
	}
	id = ivr_fifo_pop(t->free, &t->fhead, &t->n_free, t->mask);
	t->inflight[id] = 1;
	return id;
}

static inline uint8_t *
ivr_tx_buf(const struct ivr_tx *t, uint32_t id)
{
	return t->part + t->buf_off + (uint64_t)id * t->buf_size;
}

/* A descriptor as the one 64-bit word of struct ivr_desc; len 1..65535 (a
 * longer one cannot spill into the id: the consumer drops its frame). */
static inline uint64_t
ivr_desc_word(uint32_t off, uint32_t len, uint32_t id, uint16_t flags)
{
	return (uint64_t)(id | flags) << 48 | (uint64_t)(len & 0xffff) << 32 | off;
}

/* Writes one descriptor for copy buffer id (from ivr_tx_buf_get or
 * ivr_tx_take), len 1..min(buf_size, 65535), flags 0 or IVR_DESC_NEXT;
 * the peer sees it after ivr_tx_publish. */
static inline void
ivr_tx_push(struct ivr_tx *t, uint32_t id, uint32_t len, uint16_t flags)
{
	uint64_t *d = (uint64_t *)&t->ring[t->prod & t->mask];
	uint32_t off = (uint32_t)(t->buf_off + (uint64_t)id * t->buf_size);

	ivr_write_once64(d, ivr_desc_word(off, len, id, flags));
	t->prod++;
	t->slots--;
}

/* n copy buffers, for the next n descriptors, which ivr_tx_push_n (or n
 * ivr_tx_push in this order) writes next (n <= what ivr_tx_space said). */
static inline void
ivr_tx_take(struct ivr_tx *t, uint32_t *ids, uint32_t n)
{
	const uint32_t *fifo = t->free;
	uint32_t head = t->fhead, mask = t->mask;

	t->n_free -= n;
	if (!t->lend) {
		for (uint32_t i = 0; i < n; i++)
			ids[i] = (t->prod + i) & mask;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = fifo[(head + i) & mask];
		t->inflight[ids[i]] = 1;
	}
	t->fhead = head + n;
}

/* n one-buffer frames: ids[i] (from ivr_tx_take), lens[i] bytes each
 * (1..buf_size); as n calls of ivr_tx_push with no flags. */
static inline void
ivr_tx_push_n(struct ivr_tx *t, const uint32_t *ids, const uint32_t *lens, uint32_t n)
{
	uint64_t *ring = (uint64_t *)t->ring;
	uint32_t prod = t->prod, mask = t->mask, size = t->buf_size;
	uint32_t base = (uint32_t)t->buf_off;

	for (uint32_t i = 0; i < n; i++)
		ivr_write_once64(&ring[(prod + i) & mask],
				ivr_desc_word(base + ids[i] * size, lens[i], ids[i], 0));
	t->prod = prod + n;
	t->slots -= n;
}

/*
 * External buffers: memory of the caller's in our part's pool area (see
 * ivr_pool_area), published without a copy under ids N..2N-1, which the
 * consumer returns like any other id. Per frame:
 *	n = ivr_tx_space(t, nseg);       ids of either kind (and ring slots)
 *	id = ivr_tx_ext_get(t);
 *	ivr_tx_ext_push(t, id, off, len, flags, cookie);
 * and, after the burst, ivr_tx_ext_reap gives back the cookies of the
 * buffers the consumer is done with (their ids count again only then).
 */

/* Whether [off, off + len) is in the pool area; len >= 1. */
static inline bool
ivr_tx_ext_ok(const struct ivr_tx *t, uint64_t off, uint32_t len)
{
	return off - t->ext_lo < t->ext_hi - t->ext_lo && len - 1 < t->ext_hi - off;
}

static inline uint32_t
ivr_tx_ext_get(struct ivr_tx *t)
{
	return ivr_fifo_pop(t->ext_free, &t->ext_fhead, &t->ext_n_free, t->mask);
}

/* One descriptor for [off, off + len) of our part (ivr_tx_ext_ok), len
 * 1..65535. */
static inline void
ivr_tx_ext_push(struct ivr_tx *t, uint32_t id, uint32_t off, uint32_t len,
		uint16_t flags, void *cookie)
{
	uint32_t slot = t->prod & t->mask;

	ivr_write_once64((uint64_t *)&t->ring[slot], ivr_desc_word(off, len, id, flags));
	t->ext_cookie[id - (t->mask + 1)] = cookie;
	t->inflight[id] = 1;
	t->ext_at[slot] = id;
	t->prod++;
	t->slots--;
	t->st.ext_descs++;
}

/* Up to max cookies of external buffers we own again; their ids are free. */
static inline uint32_t
ivr_tx_ext_reap(struct ivr_tx *t, void **cookies, uint32_t max)
{
	uint32_t n = t->ext_n_done < max ? t->ext_n_done : max, nb = t->mask + 1;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = t->ext_done[t->ext_dhead++ & t->mask];

		cookies[i] = t->ext_cookie[id - nb];
		t->ext_cookie[id - nb] = NULL;
		t->ext_free[(t->ext_fhead + t->ext_n_free++) & t->mask] = id;
	}
	t->ext_n_done -= n;
	return n;
}

/* Descriptors published whose buffers have not come back yet (by
 * consumption or return, as the consumer gives them back). */
static inline uint32_t
ivr_tx_out(const struct ivr_tx *t)
{
	return t->prod - (t->lend ? t->rcons : t->seen);
}

/* External buffers the consumer holds now. */
static inline uint32_t
ivr_tx_ext_held(const struct ivr_tx *t)
{
	return t->mask + 1 - t->ext_n_free - t->ext_n_done;
}

/* Whether the consumer gave buffers back that we have not taken
 * (ivr_tx_refresh takes them): one load, for a producer with external
 * buffers out that wants them back at every burst. [P3] pairs with the
 * store-release of rx.rprod in ivr_rx_end, [P5] with that of rx.cons. */
static inline bool
ivr_tx_returns_pending(const struct ivr_tx *t)
{
	if (!t->lend)
		return ivr_load_acquire32(&t->peer_ctl->rx.cons) != t->seen;
	return ivr_load_acquire32(&t->peer_ctl->rx.rprod) != t->rcons;
}

/* Takes back every external buffer the consumer holds, as if returned
 * (before the queue goes): ivr_tx_ext_reap then has all their cookies. */
void ivr_tx_ext_reclaim(struct ivr_tx *t);

/*
 * A queue set up again mid-session (spec 6.7) resumes its indices from the
 * region, but which ids the consumer holds is written nowhere there: on its
 * own, the new queue sends nothing to a consumer that lends until every id
 * out has come back, which one that keeps buffers until more frames come
 * never does. So the old queue hands its record over. Before the old
 * ivr_tx goes, ivr_tx_export copies which ids are in flight
 * (inflight[2N]), the cookies of the external ones (cookies[N], NULL for
 * those not in flight) and the ring slot of each (ext_at[N]), and returns
 * how many ids are in flight. After ivr_tx_init of the new one,
 * ivr_tx_import takes the record: the external ids go back in flight with
 * their cookies, to be reaped when they come back (or consumed); the copy
 * ids too, and the queue sends at once. It returns true once it took the
 * cookies;
 * false if the queue did not resume (our side has no session word: it
 * never had a session, or attached again), and then the caller owns them.
 * A consumer that left or restarted meanwhile ends the resumed session at
 * the next refresh, which reclaims what was imported.
 */
uint32_t ivr_tx_export(const struct ivr_tx *t, uint8_t *inflight, void **cookies,
		uint32_t *ext_at);
bool ivr_tx_import(struct ivr_tx *t, const uint8_t *inflight, void *const *cookies,
		const uint32_t *ext_at);

/*
 * Makes pushed descriptors visible, then looks for a sleeping consumer.
 * Returns true when the caller must ring the peer's doorbell.
 *
 * A consumer that arms anew (an odd value we have not seen) without having
 * consumed all we had published when we last read its armed word is not
 * asleep on it. Asleep, it wrote that value after the one we last read, so
 * its re-check (after its [P6] fence, which follows ours of that read) saw
 * our index of then or a later one, and it sleeps only having consumed all
 * it saw; and since it did not see what we publish now, its fence precedes
 * ours, so its rx.cons, stored before that fence, is what we read after
 * ours. Such an arm is not kicked, now or later: a consumer gets at most
 * one doorbell per burst in which it caught up, whatever it writes to
 * armed (doc/spec.md 7.4).
 */
static inline bool
ivr_tx_publish(struct ivr_tx *t, uint32_t pushed)
{
	uint32_t armed;

	if (pushed == 0)
		return false;
	t->st.descs += pushed;
	/* [P1] descriptors and buffer data before prod; pairs with the
	 * load-acquire of tx.prod in ivr_rx_refresh (also reached from
	 * ivr_rx_arm). */
	ivr_store_release32(&t->ctl->tx.prod, t->prod);
	/* Without doorbells a sleeping consumer could not be rung anyway:
	 * skip the store-load fence and the armed read. */
	if (!t->notify)
		return false;
	/* [P6] prod store before the armed load; pairs with the fence in
	 * ivr_rx_arm (armed store before prod load). */
	ivr_fence_store_load();
	armed = ivr_read_once32(&t->peer_ctl->notify.armed);
	if (IVR_UNLIKELY((armed & 1) && armed != t->last_kick)) {
		/* [P6] the consumer's rx.cons, stored before its fence */
		uint32_t cons = ivr_read_once32(&t->peer_ctl->rx.cons);
		bool behind = t->prod - cons > t->prod - t->armed_prod;

		t->last_kick = armed;
		t->armed_prod = t->prod;
		if (behind) {
			t->st.kicks_refused++;
			return false;
		}
		t->st.kicks++;
		return true;
	}
	t->armed_prod = t->prod;
	t->st.kicks_suppressed++;
	return false;
}

/*
 * Descriptors we published that the consumer has not taken yet, at most
 * the ring's size (its index is the peer's word); 0 when there is no
 * session, or the consumer's has ended (it left or restarted: its rx.sync
 * changed), so nothing can be taken any more. Reads only: the session
 * itself ends at the next refresh.
 */
static inline uint32_t
ivr_tx_unread(const struct ivr_tx *t)
{
	uint64_t sync;
	uint32_t unread;

	if (!ivr_tx_current(t))
		return 0;
	/* [P9] as in ivr_tx_refresh */
	sync = ivr_load_acquire64(&t->peer_ctl->rx.sync);
	if (sync != t->expect_rx_sync)
		return 0;
	/* [P5] pairs with the store-release of rx.cons in ivr_rx_end. */
	unread = t->prod - ivr_load_acquire32(&t->peer_ctl->rx.cons);
	/* [P2] a consumer restarting under us rewrites rx.cons: its
	 * session word changed first */
	ivr_fence_acquire();
	if (ivr_read_once64(&t->peer_ctl->rx.sync) != sync)
		return 0;
	return unread > t->mask + 1 ? t->mask + 1 : unread;
}

/* True when the consumer has taken every descriptor we published (or
 * when there is no session). */
static inline bool
ivr_tx_drained(const struct ivr_tx *t)
{
	return ivr_tx_unread(t) == 0;
}

/* Descriptors waiting, 0 when none or when no session. */
static inline uint32_t
ivr_rx_begin(struct ivr_rx *q)
{
	uint32_t avail = q->prod - q->cons;

	if (IVR_LIKELY(avail != 0 && q->in_session &&
			!__atomic_load_n(&q->r->evicted, __ATOMIC_RELAXED)))
		return avail;
	return ivr_rx_refresh(q);
}

/*
 * Asks for the cache lines of the next n descriptors (n <= what
 * ivr_rx_begin said) all at once; the caller does, once per burst, before
 * work that can overlap the transfers (the driver: the mbuf allocation).
 * Each line comes from the producer's core, and with the checks between
 * one descriptor's read and the next the CPU would have about one line in
 * flight at a time (measured in doc/performance.md, "The ring alone after
 * ABI 2"). A hint: nothing is read.
 */
static inline void
ivr_rx_prefetch(const struct ivr_rx *q, uint32_t n)
{
	const struct ivr_desc *ring = q->ring;
	uint32_t cons = q->cons, mask = q->mask;

	for (uint32_t i = 0; i < n; i += IVR_CACHE_LINE / sizeof(*ring))
		__builtin_prefetch(&ring[(cons + i) & mask]);
	if (n != 0)
		__builtin_prefetch(&ring[(cons + n - 1) & mask]);
}

/*
 * The length the next descriptor claims, unchecked; 0 when none waits. A
 * hint only, for what to prepare before reading it with the checks (the
 * producer may rewrite it meanwhile): the one exception to the read-once
 * rule (doc/spec.md 8), never used for an access.
 */
static inline uint32_t
ivr_rx_next_len(const struct ivr_rx *q)
{
	if (q->cons == q->prod)
		return 0;
	return (uint16_t)(ivr_read_once64((const uint64_t *)&q->ring[q->cons & q->mask]) >> 32);
}

/* Gives buffer id back through our return ring (we lend). */
static inline void
ivr_rx_ret(struct ivr_rx *q, uint32_t id)
{
	if (IVR_UNLIKELY(q->rprod - q->peer_rcons >= q->mask + 1)) {
		/* [P4] pairs with the store-release of tx.rcons in
		 * ivr_tx_refresh: the producer has read those entries. */
		q->peer_rcons = ivr_load_acquire32(&q->peer_ctl->tx.rcons);
		if (q->rprod - q->peer_rcons >= q->mask + 1) {
			q->st.ret_full++;
			return;
		}
	}
	ivr_write_once32(&q->ret[q->rprod & q->mask], id);
	q->rprod++;
}

/* Gives n buffer ids back through our return ring (we lend), as n calls
 * of ivr_rx_ret would: with the room checked once. */
static inline void
ivr_rx_ret_n(struct ivr_rx *q, const uint32_t *ids, uint32_t n)
{
	uint32_t *ret = q->ret;
	uint32_t rprod = q->rprod, mask = q->mask, used = rprod - q->peer_rcons;

	if (IVR_UNLIKELY(used > mask + 1 || n > mask + 1 - used)) {
		/* [P4] as in ivr_rx_ret */
		q->peer_rcons = ivr_load_acquire32(&q->peer_ctl->tx.rcons);
		used = rprod - q->peer_rcons;
		if (used > mask + 1) {
			q->st.ret_full += n;
			return;
		}
		if (n > mask + 1 - used) {
			q->st.ret_full += n - (mask + 1 - used);
			n = mask + 1 - used;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		ivr_write_once32(&ret[(rprod + i) & mask], ids[i]);
	q->rprod = rprod + n;
}

/*
 * The general case of ivr_rx_next: chains, bad descriptors, a full return
 * ring. w is the first descriptor, already read by the caller. Buffers go
 * back through the return ring only if we lend (q->lend), and then for
 * frames not lent to the caller (lend false) and for bad ones.
 */
static inline bool
ivr_rx_next_slow(struct ivr_rx *q, struct ivr_frame *f, uint64_t w, bool lend)
{
	bool ret = q->lend && !lend;
	uint32_t off, len, idf;

	for (;;) {
		uint32_t avail = q->prod - q->cons;
		uint32_t n = 0, total = 0;
		bool bad = false;

		/* The loop bound keeps a hostile chain from running past what
		 * was published, or past IVR_MAX_CHAIN segments. */
		do {
			if (n != 0)
				w = ivr_read_once64((const uint64_t *)
						&q->ring[(q->cons + n) & q->mask]);
			off = (uint32_t)w;
			len = (uint16_t)(w >> 32);
			idf = (uint32_t)(w >> 48);
			/* len <= max_frame - total also keeps total from
			 * wrapping however long the chain is. */
			if (IVR_LIKELY(!bad && off >= q->data_lo &&
					off < q->data_hi && len != 0 &&
					len <= q->data_hi - off &&
					len <= q->max_frame - total)) {
				f->seg[n].data = q->peer_part + off;
				f->seg[n].len = len;
				total += len;
			} else {
				bad = true;
			}
			f->seg[n].id = idf & IVR_DESC_ID_MASK;
			if (ret)
				ivr_rx_ret(q, f->seg[n].id);
			n++;
		} while ((idf & IVR_DESC_NEXT) && n < avail && n < IVR_MAX_CHAIN);

		q->cons += n;
		/* A chain left open (at prod or at IVR_MAX_CHAIN) is a
		 * protocol error too: producers publish whole frames. */
		if (IVR_LIKELY(!bad && !(idf & IVR_DESC_NEXT))) {
			f->nseg = n;
			f->len = total;
			return true;
		}
		q->st.bad_desc++;
		/* A bad frame is never lent: its buffers go back now. */
		for (uint32_t i = 0; lend && q->lend && i < n; i++)
			ivr_rx_ret(q, f->seg[i].id);
		if (q->prod == q->cons)
			return false;
		w = ivr_read_once64((const uint64_t *)&q->ring[q->cons & q->mask]);
	}
}

/*
 * Takes the next frame from the producer's ring: each descriptor is read
 * once into a local copy and checked against our own idea of the
 * producer's data area before anything is dereferenced. Bad frames are
 * counted, their buffers returned, and skipped. Returns false when no
 * complete frame is waiting.
 *
 * The fast path is the common frame: one descriptor, no flags, and room in
 * our return ring; the same checks as the general case, as unsigned range
 * compares on locals. Anything else goes to ivr_rx_next_slow with the
 * words already read.
 */
static inline bool
ivr_rx_read(struct ivr_rx *q, struct ivr_frame *f, bool lend)
{
	uint32_t cons = q->cons, rprod = q->rprod;
	bool ret = q->lend && !lend;
	uint64_t w;
	uint32_t off, len, lim;

	if (cons == q->prod)
		return false;
	w = ivr_read_once64((const uint64_t *)&q->ring[cons & q->mask]);
	off = (uint32_t)w;
	len = (uint16_t)(w >> 32);
	lim = q->data_hi - off;
	if (lim > q->max_frame)
		lim = q->max_frame;
	if (IVR_LIKELY(!(w >> 63) &&				/* NEXT */
			off - q->data_lo < q->data_hi - q->data_lo &&
			len - 1 < lim &&			/* 1 <= len <= lim */
			(!ret || rprod - q->peer_rcons < q->mask + 1))) {
		uint32_t id = (uint32_t)(w >> 48);

		if (lend) {
			f->seg[0].id = id;
		} else if (ret) {
			ivr_write_once32(&q->ret[rprod & q->mask], id);
			q->rprod = rprod + 1;
		}
		q->cons = cons + 1;
		f->seg[0].data = q->peer_part + off;
		f->seg[0].len = len;
		f->nseg = 1;
		f->len = len;
		return true;
	}
	return ivr_rx_next_slow(q, f, w, lend);
}

/*
 * Up to max one-descriptor frames of min_len (>= 1) to max_len bytes in a
 * row, each read once and checked as in ivr_rx_read, into data[i] and
 * len[i]; lent (ids[i], the caller returns them) or returned at ivr_rx_end
 * (ids NULL). Stops at the first descriptor that is not such a frame (a
 * chain, a flag, a bad one, a shorter or a longer one) and, returning,
 * where the return ring is full: ivr_rx_next (or ivr_rx_lend) takes it,
 * and counts what it must.
 */
static inline uint32_t
ivr_rx_read_n(struct ivr_rx *q, const uint8_t **data, uint32_t *len, uint32_t *ids,
		uint32_t max, uint32_t min_len, uint32_t max_len)
{
	const uint64_t *ring = (const uint64_t *)q->ring;
	const uint8_t *part = q->peer_part;
	uint32_t *ret = q->ret;
	uint32_t cons = q->cons, rprod = q->rprod, mask = q->mask;
	uint32_t lo = q->data_lo, hi = q->data_hi;
	uint32_t maxf = max_len < q->max_frame ? max_len : q->max_frame;
	uint32_t n = q->prod - cons, span, i;
	bool back = ids == NULL && q->lend;	/* through the return ring */

	if (min_len == 0)
		min_len = 1;	/* a frame is never empty */
	span = maxf - min_len;	/* min_len <= len <= maxf: len - min_len <= span */
	if (n > max)
		n = max;
	if (maxf < min_len)
		n = 0;
	if (back) {
		uint32_t used = rprod - q->peer_rcons;

		if (n > mask + 1 - used || used > mask + 1) {
			/* [P4] as in ivr_rx_ret */
			q->peer_rcons = ivr_load_acquire32(&q->peer_ctl->tx.rcons);
			used = rprod - q->peer_rcons;
			if (used > mask + 1)
				n = 0;
			else if (n > mask + 1 - used)
				n = mask + 1 - used;
		}
	}
	for (i = 0; i < n; i++) {
		uint64_t w = ivr_read_once64(&ring[(cons + i) & mask]);
		uint32_t off = (uint32_t)w, l = (uint16_t)(w >> 32);

		/* min_len >= 1 also refuses len 0; off < hi makes hi - off
		 * the room left in the data area */
		if (!(!(w >> 63) && off - lo < hi - lo && l - min_len <= span &&
				l <= hi - off))
			break;
		if (ids != NULL)
			ids[i] = (uint32_t)(w >> 48);
		else if (back)
			ivr_write_once32(&ret[(rprod + i) & mask], (uint32_t)(w >> 48));
		data[i] = part + off;
		len[i] = l;
	}
	q->cons = cons + i;
	if (back)
		q->rprod = rprod + i;
	return i;
}

/* Up to max one-descriptor frames, their buffers returned at ivr_rx_end. */
static inline uint32_t
ivr_rx_take_n(struct ivr_rx *q, const uint8_t **data, uint32_t *len, uint32_t max)
{
	return ivr_rx_read_n(q, data, len, NULL, max, 1, UINT32_MAX);
}

/* The same, of frames up to max_len bytes: a consumer that lends longer
 * ones copies these (a copy break). */
static inline uint32_t
ivr_rx_take_upto_n(struct ivr_rx *q, const uint8_t **data, uint32_t *len, uint32_t max,
		uint32_t max_len)
{
	return ivr_rx_read_n(q, data, len, NULL, max, 1, max_len);
}

/* Up to max one-descriptor frames, their buffers lent (ivr_rx_lend). */
static inline uint32_t
ivr_rx_lend_n(struct ivr_rx *q, const uint8_t **data, uint32_t *len, uint32_t *ids,
		uint32_t max)
{
	return ivr_rx_read_n(q, data, len, ids, max, 1, UINT32_MAX);
}

/* The same, of frames of at least min_len (>= 1) bytes: a consumer that
 * copies shorter ones (ivr_rx_take_upto_n) lends these. */
static inline uint32_t
ivr_rx_lend_from_n(struct ivr_rx *q, const uint8_t **data, uint32_t *len, uint32_t *ids,
		uint32_t max, uint32_t min_len)
{
	return ivr_rx_read_n(q, data, len, ids, max, min_len, UINT32_MAX);
}

/* The next frame, its buffers returned to the producer at ivr_rx_end. */
static inline bool
ivr_rx_next(struct ivr_rx *q, struct ivr_frame *f)
{
	return ivr_rx_read(q, f, false);
}

/*
 * The next frame, its buffers lent to the caller (zero-copy; only when we
 * lend, IVR_RXF_LEND in our config): each
 * segment's id goes back later through ivr_rx_ret, from this queue's
 * thread, and ivr_rx_end (or ivr_rx_flush) publishes it. The producer's
 * buffer stays the caller's until then; the producer may still write it
 * (it is the producer's memory), so the caller treats the data as
 * untrusted input. A bad frame is never lent.
 */
static inline bool
ivr_rx_lend(struct ivr_rx *q, struct ivr_frame *f)
{
	return ivr_rx_read(q, f, true);
}

/*
 * Ends the burst: returns buffers and consumption to the producer. Returns
 * false if the producer restarted while we were reading, in which case
 * every frame of this burst must be discarded (already copied data may be
 * from the new incarnation).
 */
static inline bool
ivr_rx_end(struct ivr_rx *q, uint32_t frames)
{
	uint64_t sync;

	/* [P2] our reads of descriptors and data before the sync re-check;
	 * pairs with the release fences in part_invalidate (ivr_region.c)
	 * and tx_session (ivr_queue.c), which precede any rewrite. */
	ivr_fence_acquire();
	sync = ivr_read_once64(&q->peer_ctl->tx.sync);
	if (IVR_UNLIKELY(sync != q->expect_tx_sync)) {
		q->st.stale += frames;
		q->in_session = false;
		return false;
	}
	/* [P3] return entries before rprod, and our reads of the data
	 * before both; pairs with the load-acquire of rx.rprod in
	 * ivr_tx_refresh. */
	if (q->lend)
		ivr_store_release32(&q->ctl->rx.rprod, q->rprod);
	/* [P5] our reads of the descriptors before cons; pairs with the
	 * load-acquire of rx.cons in ivr_tx_refresh. */
	ivr_store_release32(&q->ctl->rx.cons, q->cons);
	q->st.frames += frames;
	return true;
}

/* Publishes buffers returned with ivr_rx_ret outside a burst (we lend). */
static inline void
ivr_rx_flush(struct ivr_rx *q)
{
	/* [P3] as in ivr_rx_end */
	if (q->lend)
		ivr_store_release32(&q->ctl->rx.rprod, q->rprod);
}

/*
 * Before sleeping: announce it, then look again. Returns true if the
 * caller may sleep until the doorbell; false if work arrived meanwhile
 * (we are disarmed again then).
 */
bool ivr_rx_arm(struct ivr_rx *q);
void ivr_rx_disarm(struct ivr_rx *q);

#endif /* IVR_QUEUE_H */
