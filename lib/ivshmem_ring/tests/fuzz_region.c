/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the region format, attach and peer watch
 * (ivr_region.c) against a hostile header and peer block.
 *
 * The input is a script. First the victim's configuration and the region
 * size (the smallest that fits it, or twice that). Then, before the
 * victim attaches: words written into the header, an honest peer formatting
 * and joining as slot 1 (with its own configuration), words written into
 * that peer's block. Then the victim attaches; on success, more hostile
 * writes (peer block, header: slot owners, magic) between the victim's
 * ivr_poll_peer, ivr_heartbeat, ivr_set_running and ivr_peer_vector, and
 * the victim detaches. A raw configuration may also be checked at any
 * point (ivr_config_check, ivr_layout_compute, ivr_region_size_for).
 *
 * Two things a hostile can do only cost time, so the harness does not
 * let it: a magic word left at IVR_FMT_BUSY (the victim waits a second
 * for the formatter) and both slots held (the victim waits for a dead
 * owner's silence): the first reads as blank, slot 0 is left free.
 *
 * The region is a memfd mapped twice, as in fuzz_ring.c: the victim's view
 * ends at a PROT_NONE guard page, with another before the largest region,
 * and the peer's part is read-only there once the victim has attached.
 * Oracles: attach fails with a reason or succeeds with our layout; a link
 * reported up has a valid, compatible, running peer; a peer vector is
 * IVR_NO_VECTOR or one both sides have, never 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_shm.h"
#include "ivshmem_ring.h"
#include "t_fuzz.h"

#define MAX_REGION	(8ULL << 20)

static uint8_t *victim_top;	/* end of the victim's view */
static uint8_t *hostile_top;	/* end of the hostile's view */

static void
setup_once(void)
{
	uint8_t *h;

	victim_top = fuzz_shm_map(MAX_REGION, &h) + MAX_REGION;
	hostile_top = h + MAX_REGION;
}

/* A valid configuration, small enough for MAX_REGION, from 4 bytes. */
static void
config_from(struct t_fuzz_in *in, struct ivr_config *c)
{
	uint8_t b[4];
	uint32_t span;

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)t_fuzz_take(in, 1);
	memset(c, 0, sizeof(*c));
	c->n_queues = b[0] % 4 + 1;
	c->ring_size = IVR_MIN_RING << (b[1] % 3);
	c->buf_size = IVR_MIN_BUF + IVR_CACHE_LINE * (b[2] % 15);
	span = c->buf_size * IVR_MAX_CHAIN;
	if (span > IVR_MAX_FRAME)
		span = IVR_MAX_FRAME;
	c->max_frame = 64 + (b[3] * 997u) % (span - 63);
	c->mac[0] = 2;
	c->mac[5] = b[0];
	c->doorbell_id = b[1] & 1 ? IVR_NO_DOORBELL : b[1];
	c->n_vectors = b[2] % 5;
	c->features = b[3] & 1 ? IVR_F_ALL : IVR_F_CHAIN;
}

/* Any configuration at all: the checks must agree with each other. */
static void
check_raw_config(struct t_fuzz_in *in)
{
	struct ivr_config c = { 0 };
	struct ivr_layout lay;
	char msg[128];

	c.n_queues = (uint16_t)t_fuzz_take(in, 2);
	c.ring_size = (uint32_t)t_fuzz_take(in, 4);
	c.buf_size = (uint32_t)t_fuzz_take(in, 4);
	c.max_frame = (uint32_t)t_fuzz_take(in, 4);
	c.features = t_fuzz_take(in, 1);
	msg[0] = '\0';
	if (ivr_config_check(&c, msg, sizeof(msg)) != 0) {
		if (msg[0] == '\0')
			abort();
		return;
	}
	{
		uint64_t used = ivr_layout_compute(&c, &lay), size;

		size = ivr_region_size_for(&c);
		if (used > IVR_MAX_PART || used != lay.used ||
				lay.desc_off >= lay.ret_off ||
				lay.ret_off >= lay.data_off ||
				lay.data_off > lay.used ||
				(size & (size - 1)) != 0 ||
				size < IVR_HDR_SIZE + 2 * used)
			abort();
	}
}

/* The words of the peer's first queue control block that the victim reads
 * (by name: the layout may move them), after the 32 of its peer block. */
static const uint32_t ctl_words[] = {
	IVR_OFFSETOF(struct ivr_queue_ctl, tx.prod),
	IVR_OFFSETOF(struct ivr_queue_ctl, tx.sync),
	IVR_OFFSETOF(struct ivr_queue_ctl, rx.cons),
	IVR_OFFSETOF(struct ivr_queue_ctl, rx.sync),
	IVR_OFFSETOF(struct ivr_queue_ctl, notify.armed),
	IVR_OFFSETOF(struct ivr_queue_ctl, reserved),
};

/* The k-th of those words (k taken modulo their number) in part. */
static uint8_t *
peer_word(uint8_t *part, unsigned int k)
{
	const unsigned int nb = sizeof(struct ivr_peer_block) / 8;

	k %= nb + sizeof(ctl_words) / sizeof(ctl_words[0]);
	return part + (k < nb ? k * 8 : sizeof(struct ivr_peer_block) + ctl_words[k - nb]);
}

static void
write_word(uint8_t *p, struct t_fuzz_in *in)
{
	uint64_t v = t_fuzz_take(in, 8);

	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
}

static void
check_up(const struct ivr_region *r, uint16_t n_ours)
{
	char msg[128];

	if (!r->pv.cfg_ok || r->pv.why != IVR_DOWN_NONE ||
			r->pv.state != IVR_STATE_RUN || !r->running ||
			ivr_config_check(&r->pv.cfg, msg, sizeof(msg)) != 0 ||
			r->pv.cfg.n_queues != r->cfg.n_queues ||
			r->pv.cfg.ring_size != r->cfg.ring_size)
		abort();
	for (uint16_t q = 0; q < r->cfg.n_queues; q++) {
		uint32_t v = ivr_peer_vector(r, q, n_ours);

		if (v != IVR_NO_VECTOR && (v == 0 || v >= n_ours ||
				v >= r->pv.cfg.n_vectors))
			abort();
	}
	(void)ivr_down_name(r->pv.why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct t_fuzz_in in = { data, size };
	struct ivr_attach_opts o = { .slot = -1, .claim_ms = 1 };
	struct ivr_attach_opts ho = { .slot = 1, .claim_ms = 1 };
	struct ivr_region vr, hr;
	struct ivr_region_hdr *hh;
	struct ivr_config cfg, hcfg;
	uint8_t *vbase, *hbase, *hpart = NULL;
	uint64_t rsize, psize = 0, now = 1000000000ULL;
	bool hostile = false;
	unsigned int steps = 0;

	if (victim_top == NULL)
		setup_once();
	config_from(&in, &cfg);
	rsize = ivr_region_size_for(&cfg) << (t_fuzz_take(&in, 1) & 1);
	if (rsize > MAX_REGION)
		abort();
	vbase = victim_top - rsize;
	hbase = hostile_top - rsize;
	hh = (struct ivr_region_hdr *)hbase;
	memset(hbase, 0, rsize);

	/* Before the victim attaches. */
	while (in.n && steps++ < 64) {
		uint8_t op = (uint8_t)t_fuzz_take(&in, 1);

		if (op == 0xff)
			break;
		switch (op % 4) {
		case 0: /* header: the first three lines */
			write_word(hbase + (op >> 2) % 24 * 8, &in);
			break;
		case 1: /* an honest peer joins as slot 1 */
			config_from(&in, &hcfg);
			if (hh->magic == IVR_FMT_BUSY)
				hh->magic = 0;
			hh->slot[1].owner = 0;
			if (!hostile && ivr_attach(&hr, hbase, rsize, &hcfg, &ho) == 0) {
				hostile = true;
				psize = hr.part_size;
				hpart = hbase + IVR_HDR_SIZE + psize;
				ivr_set_running(&hr, op & 0x80);
			}
			break;
		case 2: /* a word of the peer's block or first queue control */
			if (hpart != NULL)
				write_word(peer_word(hpart, op >> 2), &in);
			break;
		default:
			check_raw_config(&in);
			break;
		}
	}
	/* Only time to lose, not tried: see above. */
	if (hh->magic == IVR_FMT_BUSY)
		hh->magic = 0;
	hh->slot[0].owner = 0;

	if (ivr_attach(&vr, vbase, rsize, &cfg, &o) != 0) {
		if (vr.errmsg[0] == '\0')
			abort();
		return 0;
	}
	if (vr.slot != 0 || vr.part_size * 2 + IVR_HDR_SIZE > rsize ||
			vr.lay.used > vr.part_size)
		abort();
	psize = vr.part_size;
	hpart = hbase + IVR_HDR_SIZE + psize;
	fuzz_shm_protect(vbase + IVR_HDR_SIZE + psize, psize, PROT_READ);
	ivr_set_running(&vr, true);

	while (in.n && steps++ < 256) {
		uint8_t op = (uint8_t)t_fuzz_take(&in, 1);

		switch (op % 8) {
		case 0:
			write_word(hpart + (op >> 3) % 32 * 8, &in);
			break;
		case 1:
			write_word(hbase + (op >> 3) % 24 * 8, &in);
			break;
		case 2:
			now += t_fuzz_take(&in, 1) * 10000000ULL;
			if (ivr_poll_peer(&vr, now))
				check_up(&vr, (uint16_t)(op >> 3));
			break;
		case 3:
			ivr_heartbeat(&vr);
			break;
		case 4:
			ivr_set_running(&vr, op & 0x80);
			break;
		case 5:
			if (hostile)
				ivr_heartbeat(&hr);
			break;
		case 6:
			if (hostile)
				ivr_set_running(&hr, op & 0x80);
			break;
		default:
			check_raw_config(&in);
			break;
		}
	}
	ivr_detach(&vr);
	fuzz_shm_protect(vbase + IVR_HDR_SIZE + psize, psize,
			PROT_READ | PROT_WRITE);
	return 0;
}
