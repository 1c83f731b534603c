/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hostile peer of test_ring_hostile: a process that writes adversarial
 * values into everything it may legitimately write, its own part and the
 * region header, in three modes (garbage, smart, header; see
 * test_ring_hostile.c). It keeps no promise but to stay inside the region.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivr_test.h"
#include "test_ring_hostile.h"

#define PHASE_NS	(150 * 1000000ULL)	/* mode changes */
#define CHURN_NS	(20 * 1000000ULL)	/* lifecycle games */

static struct hostile_ctl *C;
static void *base;
static uint64_t size;

struct hostile {
	struct ivt_rng g;
	struct ivr_region r;
	uint8_t *part;			/* ours (hostile) */
	struct ivr_peer_block *b;
	struct ivr_queue_ctl *ctl;
	uint64_t *desc;			/* [q][i], one word each */
	uint32_t *ret;			/* [q][i] */
	const struct ivr_peer_block *vb; /* the victim's */
	const struct ivr_queue_ctl *vctl;
	const uint64_t *vdesc;
	uint64_t part_size, data_off;
	uint32_t epoch;
	bool lend;			/* rx_flags of this epoch: we lend */
	/* protocol state per queue */
	uint32_t prod[QUEUES];		/* as producer */
	uint32_t cons[QUEUES], rprod[QUEUES]; /* as consumer */
	uint64_t silent_until;		/* no heartbeat until then */
};

static void
w32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELEASE);
}

static void
w64(void *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
}

static uint32_t
r32(const void *p)
{
	return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}

static uint64_t
r64(const void *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

/* A value chosen to sit on some boundary the victim checks. */
static uint32_t
adv32(struct hostile *h)
{
	uint32_t ps = (uint32_t)h->part_size, d = (uint32_t)h->data_off;
	const uint32_t pick[] = {
		0, 1, 2, 0xffffffffu, 0xfffffffeu, RING - 1, RING, RING + 1,
		2 * RING - 1, 2 * RING, 0x80000000u, 0x7fffffffu, 0x10000, 0xffff,
		d - 1, d, d + 1, ps - 1, ps, ps + 1, ps - BUF, ps + BUF,
		IVR_MAX_CHAIN, IVR_MAX_FRAME, IVR_MAX_FRAME + 1, 9018, 9019,
	};
	uint32_t k = ivt_range(&h->g, 0, sizeof(pick) / sizeof(pick[0]) + 2);

	if (k < sizeof(pick) / sizeof(pick[0]))
		return pick[k];
	if (k == sizeof(pick) / sizeof(pick[0]))
		return (uint32_t)ivt_rand(&h->g);
	/* near one of the victim's live indices */
	return r32(&h->vctl[ivt_range(&h->g, 0, QUEUES - 1)].tx.prod) +
		ivt_range(&h->g, 0, 2 * RING + 2) - RING - 1;
}

static uint64_t
adv64(struct hostile *h)
{
	uint32_t ve = r32(&h->vb->epoch);

	switch (ivt_range(&h->g, 0, 5)) {
	case 0: return ivt_rand(&h->g);
	case 1: return IVR_SYNC(h->epoch, ve);		/* a real session word */
	case 2: return IVR_SYNC(h->epoch + 1, ve);	/* one that may be soon */
	case 3: return IVR_SYNC(h->epoch, ve - 1);	/* a stale one */
	case 4: return ~0ULL;
	default: return (uint64_t)adv32(h) << 32 | adv32(h);
	}
}

/* garbage: one adversarial write into a random field of our part */
static void
hostile_garbage(struct hostile *h)
{
	uint32_t q = ivt_range(&h->g, 0, QUEUES - 1), i = ivt_range(&h->g, 0, RING - 1);
	struct ivr_queue_ctl *c = &h->ctl[q];
	struct ivr_peer_block *b = h->b;

	switch (ivt_range(&h->g, 0, 22)) {
	case 0: w32(&b->state, ivt_range(&h->g, 0, 5)); break;
	case 1: w32(&b->state, adv32(h)); break;
	case 2: w32(&b->epoch, adv32(h)); break;
	case 3: w64(&b->features, adv64(h)); break;
	case 4: w32(&b->doorbell_id, adv32(h)); break;	/* and n_vectors */
	case 5: w32(&b->version_major, adv32(h)); break;	/* and minor */
	case 6: w64(&b->heartbeat, adv64(h)); break;
	case 7: w32(&b->n_queues, adv32(h)); break;
	case 8: w32(&b->ring_size, adv32(h)); break;
	case 9: w32(&b->buf_size, adv32(h)); break;
	case 10: w32(&b->max_frame, adv32(h)); break;
	case 11: w64(b->mac, adv64(h)); break;
	case 12: w32(&b->data_off, adv32(h)); break;
	case 13: w32(&c->tx.prod, adv32(h)); break;
	case 14: w32(&c->tx.rcons, adv32(h)); break;
	case 15: w64(&c->tx.sync, adv64(h)); break;
	case 16: w32(&c->rx.cons, adv32(h)); break;
	case 17: w32(&c->rx.rprod, adv32(h)); break;
	case 18: w64(&c->rx.sync, adv64(h)); break;
	case 19: w64(&c->notify.armed, adv64(h)); break;	/* and vector */
	case 20: w64(&h->desc[(size_t)q * RING + i], adv64(h)); break;
	case 21: w32(&b->rx_flags, adv32(h)); break;
	default: w32(&h->ret[(size_t)q * RING + i], adv32(h)); break;
	}
	C->writes[0]++;
}

/* Our block as a valid v2.0 peer would keep it, with our epoch, lending
 * or not as chosen for it. */
static void
hostile_be_valid(struct hostile *h)
{
	struct ivr_peer_block *b = h->b;

	w64(&b->features, IVR_F_ALL);
	w32(&b->doorbell_id, IVR_NO_DOORBELL);
	w32(&b->version_major, IVR_VERSION_MAJOR | IVR_VERSION_MINOR << 16);
	w32(&b->n_queues, QUEUES);
	w32(&b->ring_size, RING);
	w32(&b->buf_size, BUF);
	w32(&b->max_frame, hostile_cfg.max_frame);
	w32(&b->data_off, (uint32_t)h->data_off);
	w32(&b->rx_flags, h->lend ? IVR_RXF_LEND : 0);
	w32(&b->epoch, h->epoch);
	w32(&b->state, IVR_STATE_RUN);
}

/* A descriptor of some kind at ring position pos; returns descs written. */
static uint32_t
hostile_desc(struct hostile *h, uint32_t q, uint32_t pos, uint32_t room)
{
	uint64_t *ring = &h->desc[(size_t)q * RING];
	uint32_t d = (uint32_t)h->data_off, ps = (uint32_t)h->part_size;
	uint32_t off = d + ivt_range(&h->g, 0, (ps - d - BUF) / 64) * 64;
	uint32_t len = ivt_range(&h->g, 1, BUF), n = 1, flags = 0;
	uint32_t id = ivt_range(&h->g, 0, 3) ? ivt_range(&h->g, 0, RING - 1) : adv32(h);

	/* offset, len and id as the descriptor's fields hold them: ids and
	 * lengths of more than 15 and 16 bits lose their high bits */
#define PUT(k, o, l, i, f) do {						\
		uint32_t s_ = (pos + (k)) & (RING - 1);			\
		w64(&ring[s_], (uint64_t)(((i) & IVR_DESC_ID_MASK) | (f)) << 48 | \
				(uint64_t)((l) & 0xffff) << 32 | (o));	\
	} while (0)

	switch (ivt_range(&h->g, 0, 13)) {
	case 0: case 1: case 2:		/* valid */
		break;
	case 3:				/* valid chain */
		n = ivt_range(&h->g, 2, 5);
		if (n > room)
			n = room;
		for (uint32_t k = 0; k + 1 < n; k++)
			PUT(k, off, BUF, id + k, IVR_DESC_NEXT);
		PUT(n - 1, off, len, id + n - 1, 0);
		return n;
	case 4:				/* before the data area */
		off = ivt_range(&h->g, 0, d - 1);
		break;
	case 5:				/* past it */
		off = ivt_range(&h->g, 0, 1) ? ps : ps + ivt_range(&h->g, 0, 1 << 20);
		break;
	case 6:				/* just past the end */
		off = ps - 10;
		len = 11;
		break;
	case 7:				/* just fits: valid */
		off = ps - 10;
		len = 10;
		break;
	case 8:				/* len 0 or the largest */
		len = ivt_range(&h->g, 0, 1) ? 0 : 0xffff;
		break;
	case 9:				/* any id: echoed or ignored */
		id = adv32(h);
		break;
	case 10:			/* open chain */
		flags = IVR_DESC_NEXT;
		break;
	case 11:			/* longer than IVR_MAX_CHAIN */
		n = room < IVR_MAX_CHAIN + 1 ? room : IVR_MAX_CHAIN + 1;
		for (uint32_t k = 0; k < n; k++)
			PUT(k, off, 64, id, IVR_DESC_NEXT);
		return n;
	case 12:			/* over max_frame: 5 full buffers */
		n = room < 5 ? room : 5;
		for (uint32_t k = 0; k + 1 < n; k++)
			PUT(k, off, BUF, id, IVR_DESC_NEXT);
		PUT(n - 1, off, BUF, id, 0);
		return n;
	default:			/* a random word */
		w64(&ring[pos & (RING - 1)], adv64(h));
		return 1;
	}
	PUT(0, off, len, id, flags);
	return n;
#undef PUT
}

/*
 * Lifecycle games, a few times a phase: fall silent (DEAD), an invalid
 * config (BAD_CONFIG), a valid but incompatible one (MISMATCH), a restart
 * (new epoch), or back to valid.
 */
static void
hostile_churn(struct hostile *h)
{
	struct ivr_config c = hostile_cfg;
	struct ivr_layout lay;

	if (t_now_ns() < h->silent_until)
		return;		/* let the victim see it dead */
	hostile_be_valid(h);
	switch (ivt_range(&h->g, 0, 5)) {
	case 0:
		h->silent_until = t_now_ns() + 2 * IVR_DEAD_MS_MIN * 1000000ULL;
		break;
	case 1:
		w32(&h->b->buf_size, 100);
		w32(&h->b->epoch, ++h->epoch);
		break;
	case 2:		/* one queue fewer, laid out consistently */
		c.n_queues = QUEUES - 1;
		ivr_layout_compute(&c, &lay);
		w32(&h->b->n_queues, c.n_queues);
		w32(&h->b->data_off, (uint32_t)lay.data_off);
		w32(&h->b->epoch, ++h->epoch);
		break;
	case 3:
		w64(&h->b->features, IVR_F_CHAIN);
		w32(&h->b->epoch, ++h->epoch);
		break;
	case 4:		/* a restart, lending or not this time */
		w32(&h->b->state, IVR_STATE_INIT);
		h->lend = ivt_range(&h->g, 0, 1);
		w32(&h->b->rx_flags, h->lend ? IVR_RXF_LEND : 0);
		w32(&h->b->epoch, ++h->epoch);
		w32(&h->b->state, IVR_STATE_RUN);
		break;
	default:
		break;
	}
}

/* smart: the protocol, then adversarial content */
static void
hostile_smart(struct hostile *h, bool churn)
{
	uint32_t q = ivt_range(&h->g, 0, QUEUES - 1);
	struct ivr_queue_ctl *c = &h->ctl[q];
	const struct ivr_queue_ctl *vc = &h->vctl[q];
	uint32_t ve = r32(&h->vb->epoch), vp, k, room;
	uint64_t now = t_now_ns();

	/* keep looking like a live peer, unless falling silent */
	if (now >= h->silent_until)
		w64(&h->b->heartbeat, r64(&h->b->heartbeat) + 1);

	/* As producer: answer the victim's rx.sync, then send. */
	if (r64(&vc->rx.sync) == IVR_SYNC(ve, h->epoch) &&
			r64(&c->tx.sync) != IVR_SYNC(h->epoch, ve)) {
		h->prod[q] = 0;
		w64(&c->tx.sync, 0);
		w32(&c->tx.prod, 0);
		w32(&c->tx.rcons, 0);
		w64(&c->tx.sync, IVR_SYNC(h->epoch, ve));
	}
	k = ivt_range(&h->g, 1, 40);
	for (uint32_t i = 0; i < k;)
		i += hostile_desc(h, q, h->prod[q] + i, k - i);
	switch (ivt_range(&h->g, 0, 9)) {
	case 0:			/* too far ahead */
		w32(&c->tx.prod, h->prod[q] + RING + ivt_range(&h->g, 1, 1000));
		break;
	case 1:			/* backwards */
		w32(&c->tx.prod, h->prod[q] - ivt_range(&h->g, 1, 1000));
		break;
	case 2:			/* the victim's return ring: bad rcons */
		w32(&c->tx.rcons, adv32(h));
		break;
	default:
		/* within the victim's consumption, as an honest producer */
		if (h->prod[q] + k - r32(&vc->rx.cons) <= RING)
			h->prod[q] += k;
		w32(&c->tx.prod, h->prod[q]);
		w32(&c->tx.rcons, r32(&vc->rx.rprod));
		break;
	}

	/* As consumer: announce a session with the victim, then consume with
	 * bad returns and bad indices mixed in. */
	if (r64(&c->rx.sync) != IVR_SYNC(h->epoch, ve)) {
		h->cons[q] = h->rprod[q] = 0;
		w64(&c->rx.sync, 0);
		w32(&c->rx.cons, 0);
		w32(&c->rx.rprod, 0);
		w64(&c->rx.sync, IVR_SYNC(h->epoch, ve));
	}
	vp = r32(&vc->tx.prod);
	/* Bad return entries only where the victim will read them: within a
	 * ring of what it has reclaimed (beyond that it only counts
	 * bad_index, which other cases cover). */
	room = RING - (h->rprod[q] - r32(&vc->tx.rcons));
	if (room > RING)
		room = 0;
	switch (ivt_range(&h->g, 0, 9)) {
	case 0:			/* return garbage ids */
		for (uint32_t i = 0; i < 8 && i < room; i++)
			w32(&h->ret[(size_t)q * RING + (h->rprod[q]++ & (RING - 1))],
					adv32(h));
		w32(&c->rx.rprod, h->rprod[q]);
		break;
	case 1:			/* rprod too far ahead */
		w32(&c->rx.rprod, h->rprod[q] + RING + ivt_range(&h->g, 1, 1000));
		break;
	case 2:			/* cons past the victim's prod */
		w32(&c->rx.cons, vp + ivt_range(&h->g, 1, 1000));
		break;
	case 3:			/* arm storm */
		w32(&c->notify.armed, (uint32_t)ivt_rand(&h->g) | 1);
		break;
	case 4:			/* return one id four times */
		for (uint32_t i = 0; i < 4 && i < room; i++)
			w32(&h->ret[(size_t)q * RING + (h->rprod[q]++ & (RING - 1))],
					(uint32_t)(r64(&h->vdesc[(size_t)q * RING +
						((vp - 1) & (RING - 1))]) >> 48) &
					IVR_DESC_ID_MASK);
		w32(&c->rx.rprod, h->rprod[q]);
		break;
	default:		/* honest: consume and return in order */
		for (uint32_t i = h->cons[q]; i != vp && i - h->cons[q] < RING; i++) {
			uint32_t id = (uint32_t)(r64(&h->vdesc[(size_t)q * RING +
						(i & (RING - 1))]) >> 48) & IVR_DESC_ID_MASK;

			w32(&h->ret[(size_t)q * RING + (h->rprod[q]++ & (RING - 1))], id);
		}
		h->cons[q] = vp;
		w32(&c->rx.rprod, h->rprod[q]);
		w32(&c->rx.cons, vp);
		break;
	}
	C->writes[churn ? 2 : 1]++;
}

/* The header as formatted, so that the victim can attach again. */
static void
hostile_header_valid(struct hostile *h)
{
	struct ivr_region_hdr *hd = base;

	w32(&hd->version_major, IVR_VERSION_MAJOR | IVR_VERSION_MINOR << 16);
	w64(&hd->region_size, size);
	w64(&hd->part_size, h->part_size);
	w64(&hd->magic, IVR_MAGIC);
}

/* header: slot claims, magic and sizes; sometimes put them right again */
static void
hostile_header(struct hostile *h)
{
	struct ivr_region_hdr *hd = base;

	switch (ivt_range(&h->g, 0, 9)) {
	case 0: w64(&hd->slot[0].owner, ivt_range(&h->g, 0, 1) ? 0 : ivt_rand(&h->g)); break;
	case 1: w64(&hd->slot[1].owner, ivt_rand(&h->g)); break;
	case 2: w64(&hd->magic, ivt_range(&h->g, 0, 1) ? IVR_FMT_BUSY : ivt_rand(&h->g)); break;
	case 3: w64(&hd->magic, 0); break;
	case 4: w32(&hd->version_major, adv32(h)); break;
	case 5: w64(&hd->part_size, adv64(h)); break;
	case 6: w64(&hd->region_size, adv64(h)); break;
	default:
		hostile_header_valid(h);
		break;
	}
	C->header_writes++;
}

void
hostile_main(void *region, uint64_t region_size, struct hostile_ctl *ctl,
		uint64_t seed)
{
	struct hostile h;
	struct ivr_attach_opts ao = { .slot = 1 };
	uint64_t t0, n = 0, last_phase = ~0ULL, next_churn = 0;

	base = region;
	size = region_size;
	C = ctl;
	memset(&h, 0, sizeof(h));
	ivt_rng_seed(&h.g, seed);
	if (ivr_attach(&h.r, base, size, &hostile_cfg, &ao) != 0)
		t_fail("hostile: attach: %s", h.r.errmsg);
	ivr_set_running(&h.r, true);
	h.part = h.r.part[1];
	h.b = (struct ivr_peer_block *)h.part;
	h.ctl = (struct ivr_queue_ctl *)(h.b + 1);
	h.desc = (uint64_t *)(h.part + h.r.lay.desc_off);
	h.ret = (uint32_t *)(h.part + h.r.lay.ret_off);
	h.vb = (const struct ivr_peer_block *)h.r.part[0];
	h.vctl = (const struct ivr_queue_ctl *)(h.vb + 1);
	h.vdesc = (const uint64_t *)(h.r.part[0] + h.r.lay.desc_off);
	h.part_size = h.r.part_size;
	h.data_off = h.r.lay.data_off;
	h.epoch = h.r.epoch;
	t0 = t_now_ns();
	while (!__atomic_load_n(&C->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = t_now_ns(), phase = (now - t0) / PHASE_NS % 4;

		if (phase != last_phase) {
			/* a smart phase starts from a valid block; the header
			 * phase leaves a header the victim can attach to */
			if (phase != 0)
				hostile_be_valid(&h);
			if (last_phase == 3)
				hostile_header_valid(&h);
			last_phase = phase;
		}
		if (phase >= 2 && now >= next_churn) {
			next_churn = now + CHURN_NS;
			hostile_churn(&h);
		}
		if (phase == 0) {
			hostile_garbage(&h);
		} else if (phase == 3) {
			hostile_smart(&h, true);
			if ((++n & 1023) == 0)
				hostile_header(&h);
		} else {
			hostile_smart(&h, phase == 2);
		}
	}
	_exit(0);
}
