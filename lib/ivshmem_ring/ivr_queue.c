/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slow paths of the burst API: session (re)start after either side
 * restarts, buffer reclaim from the consumer's return ring, and the
 * sleep announcement. See doc/spec.md "Sessions" and "Ordering".
 */
#include <stddef.h>
#include <string.h>

#include "ivr_queue.h"

static struct ivr_queue_ctl *
ctl_of(uint8_t *part, uint16_t qid)
{
	return (struct ivr_queue_ctl *)(part + sizeof(struct ivr_peer_block)) + qid;
}

/* free[] holds four arrays of N uint32_t (free, ext_free, ext_done,
 * ext_at), then the cookies: they start pointer aligned when free[] does
 * (ivr_tx_init). */
_Static_assert(offsetof(struct ivr_tx, free) % _Alignof(void *) == 0,
		"external cookies aligned");

size_t
ivr_tx_size(uint32_t ring_size)
{
	/* free, ext_free, ext_done, ext_at; ext_cookie; inflight (2N) */
	return sizeof(struct ivr_tx) + 4 * (size_t)ring_size * sizeof(uint32_t) +
		ring_size * sizeof(void *) + 2 * (size_t)ring_size;
}

/* External id (in flight) is back: free once its cookie is reaped. */
static void
tx_ext_back(struct ivr_tx *t, uint32_t id)
{
	t->inflight[id] = 0;
	t->ext_done[(t->ext_dhead + t->ext_n_done++) & t->mask] = id;
}

/*
 * A consumer that copies consumed up to cons (in [seen, prod], checked):
 * each slot's copy buffer is free again, and so is the external buffer
 * published at a slot. Slots hold no external id when none is out.
 */
static void
tx_take_consumed(struct ivr_tx *t, uint32_t cons)
{
	uint32_t mask = t->mask;

	if (ivr_tx_ext_held(t) == 0) {
		t->n_free += cons - t->seen;
	} else {
		for (uint32_t i = t->seen; i != cons; i++) {
			uint32_t id = t->ext_at[i & mask];

			if (id != 0) {
				t->ext_at[i & mask] = 0;
				tx_ext_back(t, id);
			} else {
				t->n_free++;
			}
		}
	}
	t->seen = cons;
}

/*
 * The ids a lending consumer returned from rcons up to rprod: each valid
 * one in flight is back (a copy buffer free, an external one as in
 * tx_ext_back), anything else is counted (bad_ret). The
 * state is in locals: the stores through inflight[] (bytes) could alias
 * any field of the queue, which would otherwise be loaded and stored
 * again for every id.
 */
static void
tx_take_returns(struct ivr_tx *t, uint32_t rprod)
{
	const uint32_t *ret = t->peer_ret;
	uint8_t *inflight = t->inflight;
	uint32_t *fifo = t->free, *done = t->ext_done;
	uint32_t mask = t->mask, n = mask + 1;
	uint32_t tail = t->fhead + t->n_free, dtail = t->ext_dhead + t->ext_n_done;
	uint32_t freed = 0, done_n = 0, bad = 0;

	for (uint32_t i = t->rcons; i != rprod; i++) {
		uint32_t id = ivr_read_once32(&ret[i & mask]);

		if (IVR_LIKELY(id < n && inflight[id])) {
			inflight[id] = 0;
			fifo[(tail + freed++) & mask] = id;
		} else if (id - n < n && inflight[id]) {
			inflight[id] = 0;
			done[(dtail + done_n++) & mask] = id;
		} else {
			bad++;
		}
	}
	t->n_free += freed;
	t->ext_n_done += done_n;
	t->st.bad_ret += bad;
}

void
ivr_tx_ext_reclaim(struct ivr_tx *t)
{
	uint32_t n = t->mask + 1;

	for (uint32_t id = n; id < 2 * n; id++) {
		if (t->inflight[id]) {
			tx_ext_back(t, id);
			t->st.ext_reclaimed++;
		}
	}
	memset(t->ext_at, 0, n * sizeof(t->ext_at[0]));
}

uint32_t
ivr_tx_export(const struct ivr_tx *t, uint8_t *inflight, void **cookies,
		uint32_t *ext_at)
{
	uint32_t n = t->mask + 1, out = 0;

	memcpy(inflight, t->inflight, 2 * (size_t)n);
	memcpy(ext_at, t->ext_at, n * sizeof(ext_at[0]));
	for (uint32_t i = 0; i < n; i++)
		cookies[i] = t->inflight[n + i] ? t->ext_cookie[i] : NULL;
	for (uint32_t id = 0; id < 2 * n; id++)
		out += inflight[id] != 0;
	/* to a consumer that copies, copy buffers are out by slot */
	if (!t->lend)
		out += n - t->n_free;
	return out;
}

/*
 * The external ids of the record, resumed for a consumer that copies: one
 * still at a slot not consumed ([seen, prod)) is out there again; one
 * consumed meanwhile is back, its cookie to be reaped.
 */
static void
tx_import_slots(struct ivr_tx *t, const uint32_t *ext_at)
{
	uint32_t n = t->mask + 1;

	for (uint32_t i = t->seen; i != t->prod; i++) {
		uint32_t id = ext_at[i & t->mask];

		/* 2 = placed, so that an id is placed once */
		if (id - n < n && t->inflight[id] == 1) {
			t->inflight[id] = 2;
			t->ext_at[i & t->mask] = id;
			/* tx_resume counted the slot as a copy buffer's */
			t->n_free++;
		}
	}
	for (uint32_t id = n; id < 2 * n; id++) {
		if (t->inflight[id] == 2)
			t->inflight[id] = 1;
		else if (t->inflight[id] == 1)
			tx_ext_back(t, id);
	}
}

bool
ivr_tx_import(struct ivr_tx *t, const uint8_t *inflight, void *const *cookies,
		const uint32_t *ext_at)
{
	uint32_t n = t->mask + 1, out = 0;

	/* a consumer that lends: only while the drain lasts (once it ended,
	 * the record's ids came back as bad returns, and their cookies are
	 * the caller's) */
	if (!t->resumed || (t->lend && !t->draining))
		return false;
	/* ext_free holds every external id after ivr_tx_init: keep those
	 * not out, in order */
	t->ext_fhead = 0;
	t->ext_n_free = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (inflight[n + i]) {
			t->ext_cookie[i] = cookies[i];
			t->inflight[n + i] = 1;
			out++;
		} else {
			t->ext_free[t->ext_n_free++] = n + i;
		}
	}
	if (!t->lend) {
		tx_import_slots(t, ext_at);
		return true;
	}
	for (uint32_t id = 0; id < n; id++)
		out += inflight[id] != 0;
	/* A record that does not add up to what the region says is out
	 * (prod - rcons, tx_resume) is not ours: the copy ids drain. The
	 * id budget (ivr_tx_avail) is meaningless meanwhile, n_free being
	 * 0; slots stays 0 until the drain ends, which caps it. */
	if (out != t->prod - t->rcons)
		return true;
	t->fhead = 0;
	t->n_free = 0;
	for (uint32_t id = 0; id < n; id++) {
		t->inflight[id] = inflight[id] != 0;
		if (!inflight[id])
			t->free[t->n_free++] = id;
	}
	t->draining = false;
	return true;
}

/*
 * A queue set up again while attached (say, a PMD's queue setup after a
 * port stop) finds its session word still naming our current epoch. That
 * word cannot change without a new epoch, so restarting our indices at 0
 * would go unnoticed by the consumer, and both sides would see garbage
 * indices (bad_index) for good. Resume instead, from what we published.
 * To a consumer that copies, what is out is the slots from its rx.cons to
 * prod, each with its own buffer. To one that lends, which buffers are in
 * flight is written nowhere (ids may come back in any order, spec 5.5),
 * only how many: prod - rcons. So accept any copy id back once, send
 * nothing until that many have come back (draining, ended in
 * ivr_tx_refresh), and then every buffer is ours again; unless
 * ivr_tx_import brings the old queue's record, which ends the drain.
 */
static void
tx_resume(struct ivr_tx *t)
{
	uint64_t sync = ivr_read_once64(&t->ctl->tx.sync);
	uint32_t n = t->mask + 1, prod, rcons, cons;
	bool lend;

	if ((uint32_t)(sync >> 32) != t->r->epoch || (uint32_t)sync == 0)
		return;
	prod = ivr_read_once32(&t->ctl->tx.prod);
	rcons = ivr_read_once32(&t->ctl->tx.rcons);
	/* the consumer's incarnation named by the session word, whose
	 * rx_flags are constant; if it is gone, the next refresh ends the
	 * session anyway */
	lend = (ivr_read_once32(&t->r->peer->rx_flags) & IVR_RXF_LEND) != 0;
	/* [P5] pairs with the store-release of rx.cons in ivr_rx_end */
	cons = ivr_load_acquire32(&t->peer_ctl->rx.cons);
	if (lend && prod - rcons > n)
		return;
	/* a consumer index out of range (V14): everything counts as out,
	 * and nothing is freed until a valid one comes */
	if (prod - cons > n)
		cons = prod - n;
	t->lend = lend;
	t->prod = prod;
	t->rcons = rcons;
	t->seen = cons;
	t->peer_epoch = (uint32_t)sync;
	t->expect_rx_sync = IVR_SYNC(t->peer_epoch, t->r->epoch);
	t->resumed = true;
	if (lend) {
		memset(t->inflight, 1, n);
		t->n_free = 0;
		t->draining = true;
	} else {
		t->n_free = n - (prod - cons);
	}
	/* slots = 0 and in_session = false: the next ivr_tx_space checks
	 * the session again (tx_session resumes it) and counts the slots.
	 * last_kick = 0 costs at most one spurious doorbell. */
	t->armed_prod = prod - n;
}

void
ivr_tx_init(struct ivr_tx *t, struct ivr_region *r, uint16_t qid)
{
	uint32_t n = r->cfg.ring_size;

	memset(t, 0, ivr_tx_size(n));
	t->r = r;
	t->mask = n - 1;
	t->buf_size = r->cfg.buf_size;
	t->part = r->part[r->slot];
	t->ring = (struct ivr_desc *)(t->part + r->lay.desc_off) + (size_t)qid * n;
	t->buf_off = r->lay.data_off + (uint64_t)qid * n * r->cfg.buf_size;
	t->ctl = ctl_of(t->part, qid);
	/* The peer's rings sit where ours do: a session needs equal queue
	 * counts and ring sizes (checked in tx_session). */
	t->peer_ctl = ctl_of(r->part[!r->slot], qid);
	t->peer_epoch_p = &r->peer->epoch;
	t->peer_ret = (const uint32_t *)(r->part[!r->slot] + r->lay.ret_off) +
		(size_t)qid * n;
	t->ext_free = &t->free[n];
	t->ext_done = &t->free[2 * n];
	t->ext_at = &t->free[3 * n];
	/* free[] holds four arrays of N: the cookies start 8-byte aligned */
	t->ext_cookie = (void **)&t->free[4 * n];
	t->inflight = (uint8_t *)&t->ext_cookie[n];
	for (uint32_t i = 0; i < n; i++) {
		t->free[i] = n - 1 - i;
		t->ext_free[i] = n + i;
	}
	t->n_free = n;
	t->ext_n_free = n;
	ivr_pool_area(r, &t->ext_lo, &t->ext_hi);
	t->ext_hi += t->ext_lo;
	t->fhead = 0;
	/* Nothing read of armed yet: any consumer index within a ring of
	 * prod will do (ivr_tx_publish). */
	t->armed_prod = 0 - n;
	tx_resume(t);
}

/*
 * One side's two indices restart at 0 under a new session word: the old
 * word is invalidated first, so a peer that reads the indices meanwhile
 * sees the change at its next session check.
 */
static void
session_publish(uint64_t *sync, uint32_t *a, uint32_t *b, uint64_t word)
{
	ivr_write_once64(sync, 0);
	/* [P2] invalidation before the index rewrite; pairs with the acquire
	 * fence in ivr_rx_end (tx.sync) and in ivr_tx_refresh (rx.sync). */
	ivr_fence_release();
	ivr_write_once32(a, 0);
	ivr_write_once32(b, 0);
	/* [P9] indices before the session word; pairs with the load-acquire
	 * of tx.sync in rx_session and of rx.sync in ivr_tx_refresh. */
	ivr_store_release64(sync, word);
}

/* The peer's queue count and ring size, each read once, must equal ours. */
static bool
peer_shape_ok(const struct ivr_region *r)
{
	const struct ivr_peer_block *b = r->peer;

	return (ivr_read_once32((const uint32_t *)&b->n_queues) & 0xffff) ==
		r->cfg.n_queues &&
		ivr_read_once32(&b->ring_size) == r->cfg.ring_size;
}

/* Returns the peer's epoch if its part is valid and shaped like ours. */
static uint32_t
peer_epoch_if_ready(const struct ivr_region *r)
{
	/* [P8] pairs with the store-release of state in part_init. */
	uint32_t st = ivr_load_acquire32(&r->peer->state);

	if (st != IVR_STATE_READY && st != IVR_STATE_RUN)
		return 0;
	if (!peer_shape_ok(r))
		return 0;
	return ivr_read_once32(&r->peer->epoch);
}

/*
 * Whether a new consumer session may start now. Each one costs a rebuild
 * of the free list (O(ring size)), and a consumer can ask for one before
 * every burst of ours by faking restarts (new epoch, matching rx.sync). So
 * after the first, one waits until IVR_TX_SESSION_CALLS refreshes or
 * IVR_TX_SESSION_NS have passed since the last: while it waits, each
 * burst comes back here (not in session), so a faked restart per burst
 * costs a rebuild per IVR_TX_SESSION_CALLS bursts at most, plus one per
 * IVR_TX_SESSION_NS; a real restart is never that close to the last.
 */
static bool
tx_session_due(struct ivr_tx *t, uint64_t *now)
{
	if (t->st.sessions == 0 || t->since_session >= IVR_TX_SESSION_CALLS)
		return true;
	*now = ivr_now_ns();
	/* signed: a session_ns ahead of the clock (tests set one) defers */
	if ((int64_t)(*now - t->session_ns) >= (int64_t)IVR_TX_SESSION_NS)
		return true;
	t->st.sessions_deferred++;
	return false;
}

/*
 * TX session: starts once the consumer's rx.sync names our epoch and its
 * own current one. All our buffers come back (whatever the old consumer
 * held is ours again) and our indices restart at 0, then tx.sync tells
 * the consumer it may read.
 */
static bool
tx_session(struct ivr_tx *t, uint64_t rx_sync)
{
	struct ivr_region *r = t->r;
	uint32_t pe = peer_epoch_if_ready(r), n = t->mask + 1;
	uint64_t now = 0;

	if (pe == 0 || rx_sync != IVR_SYNC(pe, r->epoch)) {
		t->in_session = false;
		return false;
	}
	/* Same consumer incarnation: resume. Restarting our indices under a
	 * consumer whose session did not change would look like garbage. */
	if (rx_sync == t->expect_rx_sync) {
		t->in_session = true;
		return true;
	}
	if (!tx_session_due(t, &now)) {
		t->in_session = false;
		return false;
	}
	t->st.dropped_inflight += n - t->n_free;
	/* what the old consumer held of our external buffers is ours again */
	ivr_tx_ext_reclaim(t);
	for (uint32_t i = 0; i < n; i++) {
		t->free[i] = n - 1 - i;
		t->inflight[i] = 0;
	}
	t->n_free = n;
	t->fhead = 0;
	t->draining = false;
	t->resumed = false;
	t->prod = 0;
	t->rcons = 0;
	t->seen = 0;
	/* how this consumer incarnation gives buffers back: its rx_flags
	 * are constant while its epoch is pe, which rx_sync names */
	t->lend = (ivr_read_once32(&r->peer->rx_flags) & IVR_RXF_LEND) != 0;
	t->last_kick = 0;
	t->armed_prod = 0 - n;
	t->slots = n;
	session_publish(&t->ctl->tx.sync, &t->ctl->tx.prod, &t->ctl->tx.rcons,
			IVR_SYNC(r->epoch, pe));
	t->peer_epoch = pe;
	t->expect_rx_sync = rx_sync;
	t->in_session = true;
	t->st.sessions++;
	t->since_session = 0;
	t->session_ns = now != 0 ? now : ivr_now_ns();
	return true;
}

uint32_t
ivr_tx_refresh(struct ivr_tx *t)
{
	uint32_t n = t->mask + 1, rprod, cons, used;
	uint64_t sync;

	/* Evicted from our slot: the part is someone else's now. */
	if (IVR_UNLIKELY(__atomic_load_n(&t->r->evicted, __ATOMIC_RELAXED))) {
		t->in_session = false;
		return 0;
	}
	if (t->since_session < IVR_TX_SESSION_CALLS)
		t->since_session++;
	/* [P9] pairs with the store-release of rx.sync in rx_session. */
	sync = ivr_load_acquire64(&t->peer_ctl->rx.sync);

	if ((sync != t->expect_rx_sync || !t->in_session) &&
			!tx_session(t, sync))
		return 0;
	/* [P3] pairs with the store-release of rx.rprod in ivr_rx_end; a
	 * consumer that copies has no return entries. */
	rprod = t->lend ? ivr_load_acquire32(&t->peer_ctl->rx.rprod) : 0;
	/* [P5] pairs with the store-release of rx.cons in ivr_rx_end. */
	cons = ivr_load_acquire32(&t->peer_ctl->rx.cons);
	/* A consumer restarting under us rewrites these: check that the
	 * session word still holds before blaming it for odd values.
	 * [P2] pairs with the release fences in rx_session and
	 * part_invalidate. */
	ivr_fence_acquire();
	if (ivr_read_once64(&t->peer_ctl->rx.sync) != sync) {
		t->in_session = false;
		return 0;
	}
	if (!t->lend) {
		/* what it consumed is ours again: cons in [seen, prod] */
		if (t->prod - cons > t->prod - t->seen)
			t->st.bad_index++;
		else if (cons != t->seen)
			tx_take_consumed(t, cons);
		t->slots = n - (t->prod - t->seen);
		return ivr_tx_avail(t);
	}
	if (rprod - t->rcons > n) {
		t->st.bad_index++;
	} else if (rprod != t->rcons) {
		tx_take_returns(t, rprod);
		t->rcons = rprod;
		/* [P4] our reads of the return entries before rcons; pairs
		 * with the load-acquire of tx.rcons in ivr_rx_ret. */
		ivr_store_release32(&t->ctl->tx.rcons, rprod);
	}
	if (IVR_UNLIKELY(t->draining)) {
		/* slots stays 0 meanwhile: ivr_tx_space keeps coming here */
		if (t->rcons != t->prod)
			return 0;
		/* everything published before tx_resume has come back */
		for (uint32_t i = 0; i < n; i++) {
			t->free[i] = n - 1 - i;
			t->inflight[i] = 0;
		}
		t->n_free = n;
		t->fhead = 0;
		t->draining = false;
	}
	used = t->prod - cons;
	if (used > n) {
		t->st.bad_index++;
		t->slots = 0;
	} else {
		t->slots = n - used;
	}
	return ivr_tx_avail(t);
}

/*
 * The consumer's side of tx_resume: a queue set up again while attached
 * resumes the session its rx.sync names, from the indices it published
 * (frames read but not ended are read again), and carries on its arm
 * sequence awake, since the producer kicks once per arm value.
 */
static void
rx_resume(struct ivr_rx *q)
{
	uint64_t sync = ivr_read_once64(&q->ctl->rx.sync);
	uint32_t armed;

	if ((uint32_t)(sync >> 32) != q->r->epoch || (uint32_t)sync == 0)
		return;
	q->peer_epoch = (uint32_t)sync;
	q->expect_tx_sync = IVR_SYNC(q->peer_epoch, q->r->epoch);
	q->cons = ivr_read_once32(&q->ctl->rx.cons);
	q->prod = q->cons;
	q->rprod = ivr_read_once32(&q->ctl->rx.rprod);
	/* unknown: ivr_rx_ret reads tx.rcons before it returns anything */
	q->peer_rcons = q->rprod - (q->mask + 1);
	armed = ivr_read_once32(&q->ctl->notify.armed);
	q->armed = armed + (armed & 1);
}

void
ivr_rx_init(struct ivr_rx *q, struct ivr_region *r, uint16_t qid)
{
	uint32_t n = r->cfg.ring_size;
	uint8_t *peer_part = r->part[!r->slot];

	memset(q, 0, sizeof(*q));
	q->r = r;
	q->mask = n - 1;
	q->max_frame = r->cfg.max_frame;
	q->peer_part = peer_part;
	q->ring = (const struct ivr_desc *)(peer_part + r->lay.desc_off) +
		(size_t)qid * n;
	q->peer_ctl = ctl_of(peer_part, qid);
	q->ctl = ctl_of(r->part[r->slot], qid);
	q->ret = (uint32_t *)(r->part[r->slot] + r->lay.ret_off) + (size_t)qid * n;
	/* The producer's data area runs from its data_off (the same as
	 * ours: it follows from queue count and ring size) to the end of
	 * its part, capped where 32-bit offsets end. */
	q->data_lo = (uint32_t)r->lay.data_off;
	q->data_hi = r->part_size > IVR_MAX_PART ? (uint32_t)IVR_MAX_PART :
		(uint32_t)r->part_size;
	q->lend = (r->cfg.rx_flags & IVR_RXF_LEND) != 0;
	rx_resume(q);
	/* armed, vector = 1 + qid (one 64-bit word, with the pad) */
	ivr_write_once64((uint64_t *)&q->ctl->notify.armed,
			(uint64_t)(qid + 1) << 32 | q->armed);
}

/*
 * RX session: follows the producer's epoch. When it changes we restart our
 * indices at 0 and say so in rx.sync; frames flow once the producer
 * answers with a tx.sync naming both epochs.
 */
static bool
rx_session(struct ivr_rx *q)
{
	struct ivr_region *r = q->r;
	uint32_t pe = peer_epoch_if_ready(r);
	uint64_t sync;

	if (pe == 0)
		return false;
	if (pe != q->peer_epoch) {
		q->cons = 0;
		q->prod = 0;
		q->rprod = 0;
		q->peer_rcons = 0;
		session_publish(&q->ctl->rx.sync, &q->ctl->rx.cons, &q->ctl->rx.rprod,
				IVR_SYNC(r->epoch, pe));
		q->peer_epoch = pe;
		q->expect_tx_sync = IVR_SYNC(pe, r->epoch);
		q->st.sessions++;
	}
	/* [P9] pairs with the store-release of tx.sync in tx_session. */
	sync = ivr_load_acquire64(&q->peer_ctl->tx.sync);
	q->in_session = sync == q->expect_tx_sync;
	return q->in_session;
}

uint32_t
ivr_rx_refresh(struct ivr_rx *q)
{
	uint32_t p;

	if (IVR_UNLIKELY(__atomic_load_n(&q->r->evicted, __ATOMIC_RELAXED)))
		return 0;
	/* A producer that restarted is a new session even if the session
	 * word we watch was not rewritten (its new layout may not have a
	 * control block where this queue's was). The epoch line changes
	 * only at restarts: a cache hit. */
	if (q->in_session && ivr_read_once32(&q->r->peer->epoch) != q->peer_epoch)
		q->in_session = false;
	if (!q->in_session && !rx_session(q))
		return 0;
	/* [P1] pairs with the store-release of tx.prod in ivr_tx_publish. */
	p = ivr_load_acquire32(&q->peer_ctl->tx.prod);
	if (ivr_read_once64(&q->peer_ctl->tx.sync) != q->expect_tx_sync) {
		/* Producer restarted or left: nothing it published counts. */
		q->in_session = false;
		return 0;
	}
	if (p - q->cons > q->mask + 1) {
		q->st.bad_index++;
		return 0;
	}
	q->prod = p;
	return p - q->cons;
}

bool
ivr_rx_arm(struct ivr_rx *q)
{
	/* A new odd value every time, even if the caller did not disarm
	 * after the last wakeup: the producer kicks once per value. */
	q->armed = (q->armed + 1) | 1;
	ivr_write_once32(&q->ctl->notify.armed, q->armed);
	q->st.arms++;
	/* [P6] armed store before the prod load; pairs with the fence in
	 * ivr_tx_publish (prod store before the armed load). */
	ivr_fence_store_load();
	if (ivr_rx_refresh(q) != 0) {
		ivr_rx_disarm(q);
		return false;
	}
	return true;
}

void
ivr_rx_disarm(struct ivr_rx *q)
{
	if (q->armed & 1) {
		q->armed++;
		ivr_write_once32(&q->ctl->notify.armed, q->armed);
	}
}
