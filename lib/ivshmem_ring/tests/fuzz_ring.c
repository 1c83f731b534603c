/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the ring's data path with the fuzzer as the hostile
 * peer. Each input is a script: between the victim's bursts (RX copy, RX
 * zero-copy, TX, arm, peer poll) it writes anything into the hostile
 * peer's whole part (peer block, queue control, descriptors, return ring).
 * The first byte says which sides lend (IVR_RXF_LEND): bit 0 the victim,
 * bit 1 the peer, which may also rewrite its rx_flags at any time.
 *
 * The region is a memfd mapped twice:
 *  - the victim's view, between two PROT_NONE guard pages, with the
 *    hostile's part and (after attach) the header mapped read-only: the
 *    victim may only read them, and a stray write faults;
 *  - the hostile's view, all writable: the script writes there.
 * Oracles: every segment the victim hands out lies in the producer's data
 * area as our own layout computes it and within max_frame; every TX buffer
 * lies in our own data area; every byte handed out is read (a fault or
 * ASan report otherwise).
 *
 * Built with clang -fsanitize=fuzzer it is a fuzzer (see
 * lib/test/meson.build); otherwise main() in lib/test/t_fuzz_replay.c
 * replays the files named on the command line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_shm.h"
#include "ivr_queue.h"
#include "ivshmem_ring.h"
#include "t_fuzz.h"

#define QUEUES	2
#define RING	64
#define BUF	256
#define MAXF	2048
#define LENT_MAX	(RING * QUEUES * 2)

static const struct ivr_config cfg = {
	.n_queues = QUEUES, .ring_size = RING, .buf_size = BUF,
	.max_frame = MAXF, .mac = { 2, 0, 0, 0, 0, 1 },
	.doorbell_id = IVR_NO_DOORBELL, .n_vectors = 0,
	.features = IVR_F_ALL,
};

static uint8_t *victim_base;	/* victim's view */
static uint8_t *hostile_base;	/* hostile's view, writable */
static uint64_t region_size, part_size;

static struct ivr_region vr, hr;
static struct ivr_tx *tx[QUEUES];
static struct ivr_tx *htx[QUEUES];	/* the peer's honest producer */
static struct ivr_rx hrx[QUEUES];	/* and consumer */
static struct ivr_rx rx[QUEUES];
static uint32_t lent[QUEUES][LENT_MAX];
static uint32_t n_lent[QUEUES];
static volatile uint8_t sink;

static void
setup_once(void)
{
	region_size = ivr_region_size_for(&cfg);
	victim_base = fuzz_shm_map(region_size, &hostile_base);
	for (unsigned int q = 0; q < QUEUES; q++) {
		tx[q] = malloc(ivr_tx_size(RING));
		htx[q] = malloc(ivr_tx_size(RING));
		if (tx[q] == NULL || htx[q] == NULL)
			abort();
	}
}

/* A fresh pair: the victim in slot 0 (its view), an honest peer in slot 1
 * (the hostile's view), both running, queues bound; modes bit 0: the
 * victim lends, bit 1: the peer does. */
static int
setup_input(uint8_t modes)
{
	struct ivr_attach_opts o = { .slot = 0, .claim_ms = 1 };
	struct ivr_attach_opts ho = { .slot = 1, .claim_ms = 1 };
	struct ivr_config vc = cfg, hc = cfg;

	fuzz_shm_protect(victim_base, region_size, PROT_READ | PROT_WRITE);
	memset(hostile_base, 0, region_size);
	vc.rx_flags = modes & 1 ? IVR_RXF_LEND : 0;
	hc.rx_flags = modes & 2 ? IVR_RXF_LEND : 0;
	if (ivr_attach(&vr, victim_base, region_size, &vc, &o) != 0 ||
			ivr_attach(&hr, hostile_base, region_size, &hc, &ho) != 0) {
		fprintf(stderr, "fuzz_ring: attach: %s%s\n", vr.errmsg, hr.errmsg);
		abort();
	}
	part_size = vr.part_size;
	/* The victim writes neither the header (but to detach) nor the
	 * hostile's part. */
	fuzz_shm_protect(victim_base, IVR_HDR_SIZE, PROT_READ);
	fuzz_shm_protect(victim_base + IVR_HDR_SIZE + part_size, part_size, PROT_READ);
	ivr_set_running(&vr, true);
	ivr_set_running(&hr, true);
	ivr_poll_peer(&vr, ivr_now_ns());
	ivr_poll_peer(&hr, ivr_now_ns());
	for (unsigned int q = 0; q < QUEUES; q++) {
		ivr_tx_init(tx[q], &vr, q);
		ivr_tx_set_notify(tx[q], true);
		ivr_rx_init(&rx[q], &vr, q);
		ivr_tx_init(htx[q], &hr, q);
		ivr_rx_init(&hrx[q], &hr, q);
		n_lent[q] = 0;
	}
	return 0;
}

static uint8_t *
hpart(void)
{
	return hostile_base + IVR_HDR_SIZE + part_size;
}

static void
check_frame(unsigned int q, const struct ivr_frame *f)
{
	const uint8_t *lo = victim_base + IVR_HDR_SIZE + part_size +
			vr.lay.data_off;
	const uint8_t *hi = victim_base + IVR_HDR_SIZE + 2 * part_size;
	uint32_t total = 0;

	if (f->nseg == 0 || f->nseg > IVR_MAX_CHAIN || f->len > MAXF)
		abort();
	for (uint32_t s = 0; s < f->nseg; s++) {
		const uint8_t *d = f->seg[s].data;

		if (f->seg[s].len == 0 || d < lo || d >= hi ||
				f->seg[s].len > (uint64_t)(hi - d))
			abort();
		for (uint32_t i = 0; i < f->seg[s].len; i++)
			sink ^= d[i];
		total += f->seg[s].len;
	}
	if (total != f->len)
		abort();
	(void)q;
}

/* The application keeps a lent buffer, or, past LENT_MAX, returns it. */
static void
victim_keep(unsigned int q, uint32_t id)
{
	if (n_lent[q] < LENT_MAX)
		lent[q][n_lent[q]++] = id;
	else
		ivr_rx_ret(&rx[q], id);
}

/* A burst: first (n_api) what the burst call takes, then frame by frame. */
static void
victim_rx(unsigned int q, unsigned int burst, bool lend, bool n_api)
{
	struct ivr_rx *r = &rx[q];
	uint32_t avail = ivr_rx_begin(r), frames = 0;
	uint32_t lent_before = n_lent[q];
	struct ivr_frame f;

	if (n_api && avail != 0) {
		const uint8_t *data[64];
		uint32_t len[64], ids[64];

		/* an even burst: as behind a copy break of 4 * burst bytes
		 * (lending: from it up) */
		if (lend && (burst & 1))
			frames = ivr_rx_lend_n(r, data, len, ids, burst);
		else if (lend)
			frames = ivr_rx_lend_from_n(r, data, len, ids, burst, 4 * burst);
		else if (burst & 1)
			frames = ivr_rx_take_n(r, data, len, burst);
		else
			frames = ivr_rx_take_upto_n(r, data, len, burst, 4 * burst);
		if (frames > burst)
			abort();
		for (uint32_t i = 0; i < frames; i++) {
			f.nseg = 1;
			f.len = len[i];
			f.seg[0].data = data[i];
			f.seg[0].len = len[i];
			check_frame(q, &f);
			if (!(burst & 1) && (lend ? len[i] < 4 * burst : len[i] > 4 * burst))
				abort();
			if (lend)
				victim_keep(q, ids[i]);
		}
	}
	while (frames < burst && avail != 0 &&
			(lend ? ivr_rx_lend(r, &f) : ivr_rx_next(r, &f))) {
		check_frame(q, &f);
		for (uint32_t s = 0; lend && s < f.nseg; s++)
			victim_keep(q, f.seg[s].id);
		frames++;
	}
	if (!ivr_rx_end(r, frames) && lend) {
		/* Stale: the burst's frames are dropped, their ids go back
		 * (a PMD frees the mbufs it had filled). */
		for (uint32_t i = lent_before; i < n_lent[q]; i++)
			ivr_rx_ret(r, lent[q][i]);
		n_lent[q] = lent_before;
		ivr_rx_flush(r);
	}
}

/* The application frees k lent buffers, oldest first: an odd k one at a
 * time, an even one all at once. */
static void
victim_free_lent(unsigned int q, unsigned int k)
{
	uint32_t i;

	if (k > n_lent[q])
		k = n_lent[q];
	if (k & 1)
		for (i = 0; i < k; i++)
			ivr_rx_ret(&rx[q], lent[q][i]);
	else
		ivr_rx_ret_n(&rx[q], lent[q], k);
	memmove(lent[q], lent[q] + k, (n_lent[q] - k) * sizeof(lent[q][0]));
	n_lent[q] -= k;
	ivr_rx_flush(&rx[q]);
}

/* A burst: one-buffer frames through the burst calls (n_api), or frame
 * by frame, a chain of two first when asked. */
static void
victim_tx(unsigned int q, unsigned int want, uint32_t len, bool chain, bool n_api)
{
	struct ivr_tx *t = tx[q];
	const uint8_t *lo = victim_base + IVR_HDR_SIZE + vr.lay.data_off;
	const uint8_t *hi = victim_base + IVR_HDR_SIZE + part_size;
	uint32_t n = ivr_tx_space(t, want), pushed = 0;

	if (n > RING)
		abort();
	if (n_api) {
		uint32_t ids[64], lens[64];

		pushed = n < want ? n : want;
		ivr_tx_take(t, ids, pushed);
		for (uint32_t i = 0; i < pushed; i++) {
			uint8_t *b = ivr_tx_buf(t, ids[i]);

			if (ids[i] >= RING || b < lo || b + BUF > hi)
				abort();
			memset(b, (int)ids[i], BUF);
			lens[i] = (len + i) % BUF + 1;
		}
		ivr_tx_push_n(t, ids, lens, pushed);
		ivr_tx_publish(t, pushed);
		return;
	}
	while (pushed < n && pushed < want) {
		uint32_t id = ivr_tx_buf_get(t);
		uint8_t *b;
		uint16_t flags = 0;

		if (id >= RING)
			abort();
		b = ivr_tx_buf(t, id);
		if (b < lo || b + BUF > hi)
			abort();
		memset(b, (int)id, BUF);
		pushed++;
		/* A chain of two needs a second buffer. */
		if (chain && pushed < n && pushed < want)
			flags = IVR_DESC_NEXT;
		else
			chain = false;
		ivr_tx_push(t, id, len % BUF + 1, flags);
		chain = false;
	}
	ivr_tx_publish(t, pushed);
}

/* Where a hostile write goes: anywhere in the part before the data area
 * (block, queue control, rings), as an aligned word. */
static void *
hword(uint32_t idx, unsigned int size)
{
	uint64_t span = vr.lay.data_off / size;

	return hpart() + (idx % span) * size;
}

/* The hostile as a (possibly lying) producer: n descriptors at its
 * current prod, from its data area or anywhere, then prod published. */
static void
hostile_produce(struct t_fuzz_in *in)
{
	unsigned int q = (unsigned int)t_fuzz_take(in, 1) % QUEUES;
	unsigned int n = (unsigned int)t_fuzz_take(in, 1) % (RING + 2);
	uint8_t mode = (uint8_t)t_fuzz_take(in, 1);
	struct ivr_queue_ctl *ctl = (struct ivr_queue_ctl *)(hpart() +
			sizeof(struct ivr_peer_block)) + q;
	struct ivr_desc *ring = (struct ivr_desc *)(hpart() + hr.lay.desc_off) +
			(size_t)q * RING;
	uint32_t prod = __atomic_load_n(&ctl->tx.prod, __ATOMIC_RELAXED);

	if (mode & 4) {
		/* Honestly, through the ring's own producer: a session, and
		 * frames of one or (mode & 2) two buffers. */
		uint32_t room = ivr_tx_space(htx[q], n), pushed = 0;

		while (pushed < room && pushed < n) {
			uint16_t flags = (mode & 2) && pushed + 1 < room &&
					pushed + 1 < n && !(pushed & 1) ?
					IVR_DESC_NEXT : 0;

			ivr_tx_push(htx[q], ivr_tx_buf_get(htx[q]),
					(uint32_t)t_fuzz_take(in, 1) % BUF + 1, flags);
			pushed++;
		}
		ivr_tx_publish(htx[q], pushed);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct ivr_desc *d = &ring[(prod + i) & (RING - 1)];

		if (mode & 1) {
			d->offset = (uint32_t)t_fuzz_take(in, 4);
			d->len = (uint16_t)t_fuzz_take(in, 2);
			d->id = (uint16_t)t_fuzz_take(in, 2);
		} else {
			uint32_t id = (uint32_t)(q * RING + (prod + i) % RING);

			d->offset = (uint32_t)(hr.lay.data_off + (uint64_t)id * BUF);
			d->len = (uint16_t)(t_fuzz_take(in, 1) + 1);
			d->id = (uint16_t)(((prod + i) % RING) |
					((mode & 2) && i + 1 < n ? IVR_DESC_NEXT : 0));
		}
	}
	__atomic_store_n(&ctl->tx.prod, prod + n, __ATOMIC_RELEASE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct t_fuzz_in in = { data, size };
	unsigned int steps = 0;

	if (victim_base == NULL)
		setup_once();
	setup_input((uint8_t)t_fuzz_take(&in, 1));
	while (in.n && steps++ < 256) {
		uint8_t op = (uint8_t)t_fuzz_take(&in, 1);
		unsigned int q = (op >> 4) % QUEUES;

		switch (op & 0xf) {
		case 0: /* hostile: 64-bit word */
			*(volatile uint64_t *)hword((uint32_t)t_fuzz_take(&in, 2), 8) =
					t_fuzz_take(&in, 8);
			break;
		case 1: /* hostile: 32-bit word */
			*(volatile uint32_t *)hword((uint32_t)t_fuzz_take(&in, 2), 4) =
					(uint32_t)t_fuzz_take(&in, 4);
			break;
		case 2: /* hostile: 16-bit word */
			*(volatile uint16_t *)hword((uint32_t)t_fuzz_take(&in, 2), 2) =
					(uint16_t)t_fuzz_take(&in, 2);
			break;
		case 3:
			hostile_produce(&in);
			break;
		case 4: /* the peer's consumer set up anew, as after a
			 * queue setup, then as case 5 */
			ivr_rx_init(&hrx[q], &hr, q);
			/* fall through */
		case 5: { /* the peer's consumer takes and returns */
			struct ivr_frame f;
			uint32_t frames = 0;

			if (ivr_rx_begin(&hrx[q]) != 0) {
				while (ivr_rx_next(&hrx[q], &f))
					frames++;
				ivr_rx_end(&hrx[q], frames);
			}
			break;
		}
		case 6: /* bit 6: the burst call first */
			victim_rx(q, (unsigned int)t_fuzz_take(&in, 1) % 65, false, op & 0x40);
			break;
		case 7: /* lends if the victim does, else copies */
			victim_rx(q, (unsigned int)t_fuzz_take(&in, 1) % 65, rx[q].lend,
					op & 0x40);
			break;
		case 8:
			victim_free_lent(q, (unsigned int)t_fuzz_take(&in, 1));
			break;
		case 9: {
			uint8_t a = (uint8_t)t_fuzz_take(&in, 1);

			victim_tx(q, a % 40 + 1, (uint32_t)t_fuzz_take(&in, 2), a & 0x80,
					op & 0x40);
			break;
		}
		case 10:
			if (ivr_rx_arm(&rx[q]))
				ivr_rx_disarm(&rx[q]);
			break;
		case 11:
			ivr_poll_peer(&vr, ivr_now_ns() + t_fuzz_take(&in, 1) * 10000000ULL);
			ivr_heartbeat(&vr);
			ivr_poll_peer(&hr, ivr_now_ns());
			break;
		case 12: /* the hostile bumps its epoch: a restart */
			__atomic_store_n(&((struct ivr_peer_block *)hpart())->epoch,
					(uint32_t)t_fuzz_take(&in, 4), __ATOMIC_RELEASE);
			break;
		case 13: /* a queue set up again on our side */
			ivr_tx_init(tx[q], &vr, q);
			ivr_tx_set_notify(tx[q], true);
			break;
		case 14:
			ivr_heartbeat(&hr);
			ivr_set_running(&hr, op & 0x20);
			break;
		default:
			ivr_tx_drained(tx[q]);
			break;
		}
	}
	/* Everything lent goes back at the end, as a port stop does. */
	for (unsigned int q = 0; q < QUEUES; q++)
		victim_free_lent(q, n_lent[q]);
	return 0;
}
