/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst functions. TX copies each mbuf into the producer's shared buffers
 * (chaining descriptors for frames larger than one buffer); RX copies each
 * validated frame out into mbufs (chaining mbufs for frames larger than
 * one), or with zero_copy=yes lends the producer's buffers as the mbufs'
 * data. They never log: every outcome is a counter.
 */
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_zc.h"

/*
 * Pool TX: whether every segment of m lies in our pool area (by offset in
 * our part), none empty, and the chain fits one frame of descriptors.
 * The caller checked the first segment. The chain is as long as nb_segs
 * says, which room is reserved by: one that is not takes the copy path.
 */
static bool
tx_pool_frame_ok(const struct ivr_tx *t, const struct rte_mbuf *m)
{
	uint16_t segs = m->nb_segs, seen = 1;

	if (segs > IVR_MAX_CHAIN)
		return false;
	for (m = m->next; m != NULL; m = m->next)
		if (++seen > segs || !ivr_tx_ext_ok(t,
				(uintptr_t)rte_pktmbuf_mtod(m, uint8_t *) -
				(uintptr_t)t->part, m->data_len))
			return false;
	return seen == segs;
}

/* Publishes m's segments as they are: each goes back to its pool when
 * the consumer returns its id (ivsh_txq_pool_reap). The caller checked
 * room; returns the descriptors pushed. */
static uint32_t
tx_pool_push(struct ivr_tx *t, struct rte_mbuf *m)
{
	uint32_t n = 0;

	for (; m != NULL; m = m->next, n++) {
		uint32_t off = (uint32_t)((uintptr_t)rte_pktmbuf_mtod(m, uint8_t *) -
				(uintptr_t)t->part);

		ivr_tx_ext_push(t, ivr_tx_ext_get(t), off, m->data_len,
				m->next != NULL ? IVR_DESC_NEXT : 0, m);
	}
	return n;
}

#define IVSH_TX_DONE	64

/*
 * Frame that spans several buffers or comes from a multi-segment mbuf:
 * len bytes (its pkt_len) into at most ceil(len / buf_size) buffers, each
 * taken just before it is filled and pushed right after (a receiver that
 * copies frees buffers by ring slot). A chain holding fewer bytes than
 * pkt_len says (a malformed mbuf) makes a shorter frame, or none: returns
 * the descriptors pushed, 0 for none.
 */
static uint32_t
tx_copy_chain(struct ivr_tx *t, const struct rte_mbuf *m, uint32_t len)
{
	uint32_t seg_off = 0, pushed = 0, room = 0, id = 0, used = 0;
	uint8_t *dst = NULL;

	for (; m != NULL && len != 0; m = m->next, seg_off = 0) {
		while (seg_off < m->data_len && len != 0) {
			uint32_t n;

			if (room == 0) {
				if (dst != NULL) {
					ivr_tx_push(t, id, used, IVR_DESC_NEXT);
					pushed++;
				}
				id = ivr_tx_buf_get(t);
				dst = ivr_tx_buf(t, id);
				room = t->buf_size;
				used = 0;
			}
			n = RTE_MIN(room, (uint32_t)m->data_len - seg_off);
			n = RTE_MIN(n, len);
			rte_memcpy(dst + used, rte_pktmbuf_mtod_offset(m, const uint8_t *, seg_off), n);
			seg_off += n;
			used += n;
			room -= n;
			len -= n;
		}
	}
	if (dst == NULL)
		return 0;
	ivr_tx_push(t, id, used, 0);
	return pushed + 1;
}

/*
 * Frees the n mbufs (chains) of pkts as rte_pktmbuf_free_bulk does, each
 * segment as rte_pktmbuf_free_seg would and a mempool put per run of
 * segments from one pool, but inline: DPDK's is a call per segment, which
 * costs the copy path about as much as the rest of its free.
 */
static inline void
tx_free_bulk(struct rte_mbuf **pkts, uint32_t n)
{
	void *put[IVSH_TX_DONE];
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *next;

		for (; m != NULL; m = next) {
			next = m->next;
			ivsh_free_seg(put, &k, RTE_DIM(put), m);
		}
	}
	ivsh_put_run(put, k);
}

/* A copied (or dropped) mbuf: freed in bulk, after the burst or when
 * done[] is full. Pool mbufs are kept until their buffers come back. */
static inline void
tx_done(struct rte_mbuf **done, uint32_t *n_done, struct rte_mbuf *m)
{
	done[(*n_done)++] = m;
	if (unlikely(*n_done == IVSH_TX_DONE)) {
		tx_free_bulk(done, *n_done);
		*n_done = 0;
	}
}

uint16_t
ivsh_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct ivsh_txq *txq = q;
	struct ivr_tx *t = &txq->ring;
	uint32_t space = ivr_tx_space(t, n), pushed = 0, dropped = 0;
	uint32_t bsize = t->buf_size;
	/* ours and the peer's largest frame, whichever is smaller */
	uint32_t max = __atomic_load_n(&txq->max_frame, __ATOMIC_RELAXED);
	uint32_t fast_max = RTE_MIN(bsize, max);
	/* our pool area by address, for the quick test of each mbuf */
	uintptr_t pool_lo = (uintptr_t)t->part + t->ext_lo, pool_span = t->ext_hi - t->ext_lo;
	uint32_t pool_min = txq->copy_break;	/* shorter ones are copied */
	uint64_t bytes = 0;
	struct rte_mbuf *done[IVSH_TX_DONE];
	uint32_t n_done = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = m->pkt_len;
		uintptr_t at = (uintptr_t)rte_pktmbuf_mtod(m, uint8_t *) - pool_lo;

		/* pool TX: the first segment in our pool area (as
		 * ivr_tx_ext_ok, in locals: it starts there and its 1..
		 * pool_span - at bytes end there), then the rest; a short
		 * frame is copied (cheaper than a buffer out and back) */
		if (unlikely(at < pool_span) && len >= pool_min && len <= max &&
				m->data_len - 1u < pool_span - at && tx_pool_frame_ok(t, m)) {
			if (space < m->nb_segs) {
				/* returned ids count once reaped */
				ivr_tx_space(t, m->nb_segs);
				ivsh_txq_pool_reap(txq);
				space = ivr_tx_space(t, m->nb_segs);
				if (space < m->nb_segs) {
					txq->full++;
					break;
				}
			}
			space -= tx_pool_push(t, m);
			pushed += m->nb_segs;
			bytes += len;
			continue;
		}
		/* 1 <= len <= fast_max: one buffer, one descriptor */
		if (likely(len - 1 < fast_max && m->nb_segs == 1 && len == m->data_len &&
				space != 0)) {
			uint32_t id = ivr_tx_buf_get(t);

			rte_memcpy(ivr_tx_buf(t, id), rte_pktmbuf_mtod(m, void *), len);
			ivr_tx_push(t, id, len, 0);
			space--;
			pushed++;
		} else {
			uint32_t need = (len + bsize - 1) / bsize, k;

			if (unlikely(len == 0 || len > max)) {
				/* Cannot be sent, ever: drop it, as a NIC would;
				 * counted as oversize, not as sent. */
				dropped++;
				tx_done(done, &n_done, m);
				continue;
			}
			if (space < need) {
				space = ivr_tx_space(t, need);
				if (space < need) {
					txq->full++;
					break;
				}
			}
			space -= need;
			k = tx_copy_chain(t, m, len);
			if (unlikely(k == 0)) {
				/* no byte in its segments: dropped too */
				dropped++;
				tx_done(done, &n_done, m);
				continue;
			}
			pushed += k;
		}
		bytes += len;
		tx_done(done, &n_done, m);
	}
	if (ivr_tx_publish(t, pushed))
		ivsh_bell_ring(&txq->bell);
	txq->pkts += i - dropped;
	txq->oversize += dropped;
	txq->bytes += bytes;
	tx_free_bulk(done, n_done);
	/* pool buffers out: take back what came back (one load when
	 * nothing did), so the pool refills at every burst */
	if (t->ext_n_free != t->mask + 1) {
		if (ivr_tx_returns_pending(t))
			ivr_tx_refresh(t);
		ivsh_txq_pool_reap(txq);
	}
	return i;
}

/*
 * rte_eth_tx_done_cleanup: looks for returned ids and frees the pool TX
 * mbufs whose buffers came back, for an application that cannot build a
 * burst until its pool has mbufs again (copied mbufs are freed at once by
 * tx_burst: nothing to do for them). All of them whatever free_cnt says;
 * returns the frames whose last segment it freed.
 */
int
ivsh_tx_done_cleanup(void *q, uint32_t free_cnt __rte_unused)
{
	struct ivsh_txq *txq = q;

	ivr_tx_refresh(&txq->ring);
	return (int)ivsh_txq_pool_reap(txq);
}

/*
 * rte_eth_tx_descriptor_status: offset 0 is the slot the next descriptor
 * goes to, so the slot at offset k holds the one published n - k
 * descriptors ago, which the consumer may not have taken yet (FULL) or
 * has (DONE). Offset n - 1, the newest: DONE once the consumer has taken
 * everything (or the session ended).
 */
int
ivsh_tx_descriptor_status(void *q, uint16_t offset)
{
	const struct ivsh_txq *txq = q;
	uint32_t n = txq->ring.mask + 1;

	if (offset >= n)
		return -EINVAL;
	return offset >= n - ivr_tx_unread(&txq->ring) ? RTE_ETH_TX_DESC_FULL :
		RTE_ETH_TX_DESC_DONE;
}

/* Frame larger than one mbuf, or in several shared buffers. */
static struct rte_mbuf *
rx_copy_chain(struct ivsh_rxq *rxq, struct rte_mbuf *head, const struct ivr_frame *f)
{
	struct rte_mbuf *m = head;
	uint32_t room = rte_pktmbuf_tailroom(m);

	for (uint32_t s = 0; s < f->nseg; s++) {
		const uint8_t *src = f->seg[s].data;
		uint32_t left = f->seg[s].len;

		while (left != 0) {
			uint32_t n;

			if (room == 0) {
				struct rte_mbuf *next = rte_pktmbuf_alloc(rxq->mp);

				if (next == NULL)
					return NULL;
				m->next = next;
				head->nb_segs++;
				m = next;
				room = rte_pktmbuf_tailroom(m);
			}
			n = RTE_MIN(room, left);
			rte_memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len), src, n);
			m->data_len += n;
			src += n;
			left -= n;
			room -= n;
		}
	}
	head->pkt_len = f->len;
	return head;
}

/* Copies frame f into m (chaining more mbufs as needed). -1: out of
 * mbufs, m is left for the caller to free. */
static inline int
rx_copy_frame(struct ivsh_rxq *rxq, struct rte_mbuf *m, const struct ivr_frame *f)
{
	if (likely(f->nseg == 1 && f->len <= rte_pktmbuf_tailroom(m))) {
		rte_memcpy(rte_pktmbuf_mtod(m, void *), f->seg[0].data, f->len);
		m->data_len = (uint16_t)f->len;
		m->pkt_len = f->len;
		return 0;
	}
	return rx_copy_chain(rxq, m, f) == NULL ? -1 : 0;
}

/*
 * Ends a burst of got frames (bytes in all) in pkts[0..want): publishes
 * the consumption, or, if the producer restarted mid-burst, drops the
 * burst (what was copied may be the new incarnation's; what was lent is
 * freed here and goes back at the queue's next burst, or is counted stale
 * there if its session is over); frees the unused mbufs, each once
 * (pkts[got] may be NULL: the bulk free skips it).
 */
static inline uint16_t
rx_burst_end(struct ivsh_rxq *rxq, struct rte_mbuf **pkts, uint16_t got,
		uint16_t want, uint64_t bytes)
{
	if (unlikely(!ivr_rx_end(&rxq->ring, got))) {
		/* the burst's frames and the unused mbufs alike */
		rte_pktmbuf_free_bulk(pkts, want);
		return 0;
	}
	if (got < want)
		rte_pktmbuf_free_bulk(&pkts[got], want - got);
	rxq->bytes += bytes;
	return got;
}

/*
 * Copies the one-descriptor frames data[i], len[i] (each fits an mbuf)
 * into the fresh mbufs src[0..k), which become pkts[0..k) (src may be
 * pkts). Returns their bytes.
 */
static inline uint64_t
rx_copy_batch(const struct ivsh_rxq *rxq, struct rte_mbuf **pkts, struct rte_mbuf **src,
		const uint8_t *const *data, const uint32_t *len, uint32_t k)
{
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < k; i++) {
		struct rte_mbuf *m = src[i];

		pkts[i] = m;
		rte_memcpy(rte_pktmbuf_mtod(m, void *), data[i], len[i]);
		m->data_len = (uint16_t)len[i];
		m->pkt_len = len[i];
		m->port = rxq->port_id;
		bytes += len[i];
	}
	return bytes;
}

/*
 * The frames of a burst come a batch at a time: the one-descriptor frames
 * of at most max_len bytes in a row (ivr_rx_take_upto_n: each descriptor
 * read once and checked, no struct ivr_frame, and for a consumer that
 * lends the return entries written in the same loop), then one frame by
 * the general path (a chain, a longer frame, a bad descriptor).
 */
#define IVSH_RX_BATCH	32

uint16_t
ivsh_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct ivsh_rxq *rxq = q;
	struct ivr_rx *r = &rxq->ring;
	struct ivr_frame f;
	uint32_t avail = ivr_rx_begin(r), room;
	uint16_t want, got = 0;
	uint64_t bytes = 0;

	want = (uint16_t)RTE_MIN(avail, (uint32_t)n);
	if (want == 0)
		return 0;	/* (n == 0: pkts[] is not ours to read) */
	/* the descriptors' lines arrive while the mbufs are allocated */
	ivr_rx_prefetch(r, want);
	if (unlikely(rte_pktmbuf_alloc_bulk(rxq->mp, pkts, want) != 0)) {
		rxq->nombuf++;
		return 0;
	}
	room = rte_pktmbuf_tailroom(pkts[0]);
	while (got < want) {
		const uint8_t *data[IVSH_RX_BATCH];
		uint32_t len[IVSH_RX_BATCH], k;
		struct rte_mbuf *m;

		k = ivr_rx_take_upto_n(r, data, len, RTE_MIN(want - got, IVSH_RX_BATCH), room);
		bytes += rx_copy_batch(rxq, &pkts[got], &pkts[got], data, len, k);
		got += k;
		if (got == want || !ivr_rx_next(r, &f))
			break;
		m = pkts[got];
		if (unlikely(rx_copy_frame(rxq, m, &f) != 0)) {
			/* Out of mbufs mid-frame: the frame is consumed and
			 * lost, counted as an allocation failure, not as
			 * received. */
			rxq->nombuf++;
			rte_pktmbuf_free(m);
			pkts[got] = rte_pktmbuf_alloc(rxq->mp);
			if (pkts[got] == NULL)
				break;
			continue;
		}
		m->port = rxq->port_id;
		bytes += f.len;
		got++;
	}
	return rx_burst_end(rxq, pkts, got, want, bytes);
}

/* Lends frame f's buffers: the mbufs of their ids, chained. */
static inline struct rte_mbuf *
rx_lend_frame(struct ivsh_zc *zc, const struct ivr_frame *f, uint64_t gen)
{
	struct rte_mbuf *m, *last;

	m = ivsh_zc_lend(zc, f->seg[0].data, f->seg[0].len, f->seg[0].id, gen);
	m->pkt_len = f->len;
	m->nb_segs = (uint16_t)f->nseg;
	last = m;
	for (uint32_t s = 1; s < f->nseg; s++) {
		last->next = ivsh_zc_lend(zc, f->seg[s].data, f->seg[s].len, f->seg[s].id, gen);
		last = last->next;
	}
	return m;
}

/*
 * A one-descriptor frame of a lend batch whose buffer cannot be lent (the
 * producer sent an id that is not ours, or one the application still
 * holds): its id returned at once, and copied into a new mbuf. NULL: out
 * of mbufs, the frame is lost (counted).
 */
static __rte_noinline struct rte_mbuf *
rx_copy_unlendable(struct ivsh_rxq *rxq, const uint8_t *data, uint32_t len, uint32_t id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(rxq->mp);
	struct ivr_frame f = { .len = len, .nseg = 1 };

	f.seg[0].data = data;
	f.seg[0].len = len;
	f.seg[0].id = id;
	ivr_rx_ret(&rxq->ring, id);
	rxq->zc->copied++;
	if (m != NULL && rx_copy_frame(rxq, m, &f) == 0)
		return m;
	rxq->nombuf++;
	rte_pktmbuf_free(m);
	return NULL;
}

/*
 * Zero-copy RX: frames of at least copy_break bytes are lent (their
 * buffers come back when the application frees the mbufs), shorter ones
 * and those whose buffer the application still holds are copied and
 * their buffers returned at once. The one-descriptor frames come a batch
 * at a time, as in ivsh_rx_burst: those below the copy break that fit an
 * mbuf (ivr_rx_take_upto_n), then those from the copy break up
 * (ivr_rx_lend_from_n); anything else (a chain, a frame between the two,
 * a bad descriptor) by the general path, a frame at a time.
 *
 * A lent frame needs no mbuf of the queue's mempool (its buffers have
 * their own); a copied one does. Those come from spare[], filled before
 * a step that may copy: for a batch when the next descriptor says it is
 * short (a hint: the batch checks), one for the general path. A pool run
 * dry stops a copy batch before its first frame; the general path goes
 * on lending, and loses (counts) a frame it must copy.
 */
uint16_t
ivsh_rx_burst_zc(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct ivsh_rxq *rxq = q;
	struct ivr_rx *r = &rxq->ring;
	struct ivsh_zc *zc = rxq->zc;
	uint32_t back = ivsh_zc_take_back(zc, r);
	uint32_t avail = ivr_rx_begin(r);
	uint16_t want, got = 0;
	uint64_t bytes = 0, gen;
	uint32_t short_max, lend_min, zn = zc->n, ns = 0;
	bool batch = true;	/* try the batch calls first */
	const struct ivsh_zc_slot *slots = zc->slot;
	struct rte_mbuf *spare[IVSH_RX_BATCH];
	struct ivr_frame f;

	want = (uint16_t)RTE_MIN(avail, (uint32_t)n);
	/* want 0: nothing waiting, or n == 0 (pkts[] is not ours to read) */
	if (want == 0) {
		if (back != 0) {
			ivr_rx_flush(r);
			ivsh_zc_note_held(zc);
		}
		return 0;
	}
	ivr_rx_prefetch(r, want);	/* as in ivsh_rx_burst */
	gen = r->expect_tx_sync;
	short_max = rxq->copy_break == 0 ? 0 : RTE_MIN(rxq->copy_break - 1, rxq->mbuf_room);
	lend_min = RTE_MAX(rxq->copy_break, 1u);
	while (got < want) {
		const uint8_t *data[IVSH_RX_BATCH];
		uint32_t len[IVSH_RX_BATCH], ids[IVSH_RX_BATCH], k, i;
		struct rte_mbuf *m;

		/* (next_len 0: nothing waits) */
		if (short_max != 0 && batch && ivr_rx_next_len(r) - 1 < short_max) {
			k = RTE_MIN(want - got, IVSH_RX_BATCH);
			if (ns < k && rte_pktmbuf_alloc_bulk(rxq->mp, &spare[ns], k - ns) == 0)
				ns = k;
			if (ns == 0) {
				rxq->nombuf++;
				break;
			}
			k = ivr_rx_take_upto_n(r, data, len, RTE_MIN(k, ns), short_max);
			ns -= k;
			bytes += rx_copy_batch(rxq, &pkts[got], &spare[ns], data, len, k);
			zc->copied += k;
			got += k;
			if (got == want)
				break;
		}
		k = !batch ? 0 : ivr_rx_lend_from_n(r, data, len, ids,
				RTE_MIN(want - got, IVSH_RX_BATCH), lend_min);
		for (i = 0; i < k; i++) {
			/* ivsh_zc_free_id, with zc's fields in locals: the
			 * stores to the mbufs could alias them */
			if (likely(ids[i] < zn && !slots[ids[i]].busy)) {
				m = ivsh_zc_lend(zc, data[i], len[i], ids[i], gen);
			} else {
				m = rx_copy_unlendable(rxq, data[i], len[i], ids[i]);
				if (m == NULL)
					continue;
				m->port = rxq->port_id;
			}
			pkts[got++] = m;
			bytes += len[i];
		}
		if (got == want)
			break;
		/* the general path: an mbuf first, should the frame be copied
		 * (a dry pool does not stop lending) */
		if (ns == 0 && (spare[0] = rte_pktmbuf_alloc(rxq->mp)) != NULL)
			ns = 1;
		if (!ivr_rx_lend(r, &f))
			break;
		/* after a chain, most likely another (jumbo frames in smaller
		 * buffers): the general path takes the next frame too */
		batch = f.nseg == 1;
		if (f.len >= rxq->copy_break && ivsh_zc_can_lend(zc, &f)) {
			m = rx_lend_frame(zc, &f, gen);
		} else {
			for (uint32_t s = 0; s < f.nseg; s++)
				ivr_rx_ret(r, f.seg[s].id);
			zc->copied++;
			/* Out of mbufs: the frame is lost, counted as an
			 * allocation failure, not as received. */
			if (unlikely(ns == 0)) {
				rxq->nombuf++;
				continue;
			}
			m = spare[--ns];
			if (unlikely(rx_copy_frame(rxq, m, &f) != 0)) {
				rxq->nombuf++;
				rte_pktmbuf_free(m);
				continue;
			}
			m->port = rxq->port_id;
		}
		pkts[got++] = m;
		bytes += f.len;
	}
	if (ns != 0)
		rte_pktmbuf_free_bulk(spare, ns);
	got = rx_burst_end(rxq, pkts, got, got, bytes);
	ivsh_zc_note_held(zc);
	return got;
}

uint16_t
ivsh_dummy_burst(void *q __rte_unused, struct rte_mbuf **pkts __rte_unused,
		uint16_t n __rte_unused)
{
	return 0;
}
