/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst functions. TX copies each mbuf into the producer's shared buffers
 * (chaining descriptors for frames larger than one buffer); RX copies each
 * validated frame out into mbufs (chaining mbufs for frames larger than
 * one). They never log: every outcome is a counter.
 */
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "ivshmem_ethdev.h"

/* Frame that spans several buffers or comes from a multi-segment mbuf. */
static uint32_t
tx_copy_chain(struct ivr_tx *t, const struct rte_mbuf *m)
{
	uint32_t seg_off = 0, pushed = 0, room = 0, id = 0, used = 0;
	uint8_t *dst = NULL;

	for (; m != NULL; m = m->next, seg_off = 0) {
		while (seg_off < m->data_len) {
			uint32_t n;

			if (room == 0) {
				if (dst != NULL) {
					ivr_tx_push(t, id, used, IVR_DESC_F_NEXT);
					pushed++;
				}
				id = ivr_tx_buf_get(t);
				dst = ivr_tx_buf(t, id);
				room = t->buf_size;
				used = 0;
			}
			n = RTE_MIN(room, (uint32_t)m->data_len - seg_off);
			rte_memcpy(dst + used, rte_pktmbuf_mtod_offset(m, const uint8_t *, seg_off), n);
			seg_off += n;
			used += n;
			room -= n;
		}
	}
	ivr_tx_push(t, id, used, 0);
	return pushed + 1;
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
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = m->pkt_len;

		/* 1 <= len <= fast_max: one buffer, one descriptor */
		if (likely(len - 1 < fast_max && m->nb_segs == 1 && space != 0)) {
			uint32_t id = ivr_tx_buf_get(t);

			rte_memcpy(ivr_tx_buf(t, id), rte_pktmbuf_mtod(m, void *), len);
			ivr_tx_push(t, id, len, 0);
			space--;
			pushed++;
		} else {
			uint32_t need = (len + bsize - 1) / bsize;

			if (unlikely(len == 0 || len > max)) {
				/* Cannot be sent, ever: drop it, as a NIC would;
				 * counted as oversize, not as sent. */
				dropped++;
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
			pushed += tx_copy_chain(t, m);
		}
		bytes += len;
	}
	if (ivr_tx_publish(t, pushed))
		ivsh_bell_ring(&txq->bell);
	txq->pkts += i - dropped;
	txq->oversize += dropped;
	txq->bytes += bytes;
	rte_pktmbuf_free_bulk(pkts, i);
	return i;
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

uint16_t
ivsh_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct ivsh_rxq *rxq = q;
	struct ivr_rx *r = &rxq->ring;
	struct ivr_frame f;
	uint32_t avail = ivr_rx_begin(r);
	uint16_t want, got = 0;
	uint64_t bytes = 0;

	if (avail == 0)
		return 0;
	want = (uint16_t)RTE_MIN(avail, (uint32_t)n);
	if (unlikely(rte_pktmbuf_alloc_bulk(rxq->mp, pkts, want) != 0)) {
		rxq->nombuf++;
		return 0;
	}
	while (got < want && ivr_rx_next(r, &f)) {
		struct rte_mbuf *m = pkts[got];

		if (likely(f.nseg == 1 && f.len <= rte_pktmbuf_tailroom(m))) {
			rte_memcpy(rte_pktmbuf_mtod(m, void *), f.seg[0].data, f.len);
			m->data_len = (uint16_t)f.len;
			m->pkt_len = f.len;
		} else if (rx_copy_chain(rxq, m, &f) == NULL) {
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
	if (unlikely(!ivr_rx_end(r, got))) {
		/* The producer restarted mid-burst: nothing copied counts. */
		rte_pktmbuf_free_bulk(pkts, got);
		got = 0;
		bytes = 0;
	}
	if (got < want)
		rte_pktmbuf_free_bulk(&pkts[got], want - got);
	rxq->bytes += bytes;
	return got;
}

uint16_t
ivsh_dummy_burst(void *q __rte_unused, struct rte_mbuf **pkts __rte_unused,
		uint16_t n __rte_unused)
{
	return 0;
}
