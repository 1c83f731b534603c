/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of every ring library call, table-driven where the cases are
 * data: configuration limits, attach errors, adversarial descriptors and
 * return entries, session restarts and the sleep/kick handshake.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr_queue.h"
#include "ivshmem_ring.h"
#include "t_helpers.h"

static const struct ivr_config base_cfg = {
	.n_queues = 2, .ring_size = 256, .buf_size = 2048, .max_frame = 9018,
	.mac = { 2, 0, 0, 0, 0, 1 }, .doorbell_id = IVR_NO_DOORBELL,
	.features = IVR_F_ALL,
};

/*
 * The consumer's configuration in the data-path tests, which run once
 * with a consumer that copies (rx_flags 0: buffers free by consumption)
 * and once with one that lends (IVR_RXF_LEND: buffers back through its
 * return ring). Tests of lending alone set it themselves.
 */
static struct ivr_config cons_cfg;

/* The consumer lends in this run. */
static bool
lends(void)
{
	return (cons_cfg.rx_flags & IVR_RXF_LEND) != 0;
}

static void *
region_new(uint64_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, size) != 0)
		t_fail("posix_memalign of %llu bytes failed", (unsigned long long)size);
	memset(p, 0, size);
	return p;
}

/* ---- configuration limits ---- */

static void
test_config_check(void)
{
	static const struct {
		const char *name;
		struct ivr_config cfg;
		int ok;
	} cases[] = {
		{ "default", { 1, 1024, 2048, 1518, {0}, 0, 0, 0, 0 }, 1 },
		{ "max queues", { IVR_MAX_QUEUES, 64, 128, 64, {0}, 0, 0, 0, 0 }, 1 },
		{ "0 queues", { 0, 1024, 2048, 1518, {0}, 0, 0, 0, 0 }, 0 },
		{ "too many queues", { IVR_MAX_QUEUES + 1, 1024, 2048, 1518, {0}, 0, 0, 0, 0 }, 0 },
		{ "ring not pow2", { 1, 1000, 2048, 1518, {0}, 0, 0, 0, 0 }, 0 },
		{ "ring too small", { 1, 32, 2048, 1518, {0}, 0, 0, 0, 0 }, 0 },
		{ "ring too big", { 1, IVR_MAX_RING * 2, 2048, 1518, {0}, 0, 0, 0, 0 }, 0 },
		{ "buf not x64", { 1, 1024, 2000, 1518, {0}, 0, 0, 0, 0 }, 0 },
		{ "buf too small", { 1, 1024, 64, 64, {0}, 0, 0, 0, 0 }, 0 },
		{ "buf too big", { 1, 1024, IVR_MAX_BUF * 2, 1518, {0}, 0, 0, 0, 0 }, 0 },
		{ "frame too small", { 1, 1024, 2048, 63, {0}, 0, 0, 0, 0 }, 0 },
		{ "frame too big", { 1, 1024, 2048, IVR_MAX_FRAME + 1, {0}, 0, 0, 0, 0 }, 0 },
		{ "frame > chain", { 1, 1024, 128, 128 * IVR_MAX_CHAIN + 1, {0}, 0, 0, 0, 0 }, 0 },
		{ "jumbo", { 4, 1024, 2048, 9018, {0}, 0, 0, 0, 0 }, 1 },
	};
	char msg[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = ivr_config_check(&cases[i].cfg, msg, sizeof(msg));

		T_EXPECT((ret == 0) == cases[i].ok, "config '%s': ret %d (%s)",
				cases[i].name, ret, ret ? msg : "ok");
	}
}

static void
test_layout(void)
{
	struct ivr_layout lay;
	uint64_t used = ivr_layout_compute(&base_cfg, &lay);
	uint64_t size = ivr_region_size_for(&base_cfg);

	T_EXPECT(lay.desc_off == 256 + 2 * 384, "desc_off %llu", (unsigned long long)lay.desc_off);
	T_EXPECT(lay.ret_off == lay.desc_off + 2 * 256 * 8, "ret_off");
	T_EXPECT(lay.data_off % IVR_PART_ALIGN == 0 && lay.data_off >= lay.ret_off + 2 * 256 * 4,
			"data_off %llu", (unsigned long long)lay.data_off);
	T_EXPECT(used == lay.data_off + 2 * 256 * 2048ULL, "used");
	T_EXPECT((size & (size - 1)) == 0 && size >= IVR_HDR_SIZE + 2 * used,
			"region size %llu", (unsigned long long)size);
}

/* ---- attach: each way the region can be wrong ---- */

/*
 * The live peers beat every BEAT_US; a third peer that waited the
 * library's shortest dead time for them to fall silent could take a slot
 * over from a beat thread the scheduler held back that long. It waits
 * LIVE_DEAD_MS instead: it sees both beat at once and gives up, and only
 * a thread held back for a minute could fool it.
 */
#define BEAT_US		5000
#define LIVE_DEAD_MS	60000

struct beat {
	struct ivr_region a, b;
	int stop;
};

static void *
beat_thread(void *arg)
{
	struct beat *bt = arg;

	while (!__atomic_load_n(&bt->stop, __ATOMIC_ACQUIRE)) {
		ivr_heartbeat(&bt->a);
		ivr_heartbeat(&bt->b);
		usleep(BEAT_US);
	}
	return NULL;
}

static void
corrupt_magic(void *base) { ((struct ivr_region_hdr *)base)->magic = 0x1234; }
static void
corrupt_version(void *base) { ((struct ivr_region_hdr *)base)->version_major = 9; }
static void
corrupt_size(void *base) { ((struct ivr_region_hdr *)base)->region_size *= 2; }
static void
stuck_busy(void *base) { ((struct ivr_region_hdr *)base)->magic = IVR_FMT_BUSY; }

static void
test_attach_errors(void)
{
	static const struct {
		const char *name;
		void (*mangle)(void *base);
		int err;
		const char *words;
	} cases[] = {
		{ "foreign magic", corrupt_magic, EPROTO, "not an ivshmem-net region" },
		{ "major version", corrupt_version, EPROTO, "incompatible major version" },
		{ "size mismatch", corrupt_size, EPROTO, "same size" },
		{ "stuck format", stuck_busy, ETIMEDOUT, "still being formatted" },
	};
	uint64_t size = ivr_region_size_for(&base_cfg);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *base = region_new(size);
		struct ivr_region a, b;
		int ret;

		ret = ivr_attach(&a, base, size, &base_cfg, NULL);
		T_EXPECT(ret == 0, "attach: %s", a.errmsg);
		ivr_detach(&a);
		cases[i].mangle(base);
		ret = ivr_attach(&b, base, size, &base_cfg, NULL);
		T_EXPECT(ret == -cases[i].err && strstr(b.errmsg, cases[i].words),
				"'%s' is refused: ret %d, '%s'", cases[i].name, ret, b.errmsg);
		free(base);
	}

	/* Arguments wrong before the region is even looked at. */
	{
		void *base = region_new(size);
		struct ivr_region r;
		struct ivr_config c = base_cfg;
		struct ivr_attach_opts o = { .slot = 2 };

		c.ring_size = 100;
		T_EXPECT(ivr_attach(&r, base, size, &c, NULL) == -EINVAL &&
				strstr(r.errmsg, "ring size 100"), "bad config: %s", r.errmsg);
		T_EXPECT(ivr_attach(&r, base, size, &base_cfg, &o) == -EINVAL &&
				strstr(r.errmsg, "slot 2"), "bad slot: %s", r.errmsg);
		T_EXPECT(ivr_attach(&r, (uint8_t *)base + 64, size - 4096, &base_cfg, NULL) == -EINVAL,
				"misaligned: %s", r.errmsg);
		T_EXPECT(ivr_attach(&r, base, 1 << 16, &base_cfg, NULL) == -ENOSPC &&
				strstr(r.errmsg, "too small"), "small: %s", r.errmsg);
		T_EXPECT(((struct ivr_region_hdr *)base)->magic == 0,
				"failed attach must not format");
		free(base);
	}

	/* Both slots live: a third peer is refused; a silent one is taken. */
	{
		void *base = region_new(size);
		struct beat bt = { .stop = 0 };
		struct ivr_region c;
		pthread_t th;
		int ret;

		T_EXPECT(ivr_attach(&bt.a, base, size, &base_cfg, NULL) == 0, "a: %s", bt.a.errmsg);
		T_EXPECT(ivr_attach(&bt.b, base, size, &base_cfg, NULL) == 0, "b: %s", bt.b.errmsg);
		T_EXPECT(bt.a.slot == 0 && bt.b.slot == 1, "slots %u %u", bt.a.slot, bt.b.slot);
		pthread_create(&th, NULL, beat_thread, &bt);
		ret = ivr_attach(&c, base, size, &base_cfg, &(struct ivr_attach_opts){
				.slot = -1, .dead_ms = LIVE_DEAD_MS, .claim_ms = 1 });
		T_EXPECT(ret == -EBUSY && strstr(c.errmsg, "live peers"),
				"third peer refused: %d %s", ret, c.errmsg);
		__atomic_store_n(&bt.stop, 1, __ATOMIC_RELEASE);
		pthread_join(th, NULL);
		ret = ivr_attach(&c, base, size, &base_cfg, &(struct ivr_attach_opts){
				.slot = 0, .dead_ms = IVR_DEAD_MS_MIN, .claim_ms = 1 });
		T_EXPECT(ret == 0 && c.slot == 0, "takeover of silent slot: %d %s", ret, c.errmsg);
		T_EXPECT(c.epoch == bt.a.epoch + 1, "takeover bumps epoch");
		T_EXPECT(!ivr_heartbeat(&bt.a), "evicted peer must notice");
		T_EXPECT(!ivr_poll_peer(&bt.a, ivr_now_ns()) && bt.a.pv.why == IVR_DOWN_EVICTED,
				"evicted: %s", ivr_down_name(bt.a.pv.why));
		ivr_set_running(&c, true);
		ivr_set_running(&bt.a, false);
		ivr_detach(&bt.a);
		T_EXPECT(c.self->state == IVR_STATE_RUN && c.self->epoch == c.epoch,
				"evicted peer's detach leaves the new owner's part alone");
		free(base);
	}
}

/* ---- link state ---- */

struct pair {
	void *base;
	uint64_t size;
	struct ivr_region a, b;
};

static void
pair_open(struct pair *p, const struct ivr_config *ca, const struct ivr_config *cb)
{
	p->size = ivr_region_size_for(ca);
	p->base = region_new(p->size);
	if (ivr_attach(&p->a, p->base, p->size, ca, NULL) != 0 ||
			ivr_attach(&p->b, p->base, p->size, cb, NULL) != 0)
		t_fail("pair_open: %s / %s", p->a.errmsg, p->b.errmsg);
}

static void
pair_close(struct pair *p)
{
	ivr_detach(&p->a);
	ivr_detach(&p->b);
	free(p->base);
}

/* A peer counts as alive once its heartbeat is seen to move. */
static bool
poll_beat(struct ivr_region *me, struct ivr_region *peer, uint64_t now)
{
	ivr_poll_peer(me, now);
	ivr_heartbeat(peer);
	return ivr_poll_peer(me, now);
}

static void
test_link_states(void)
{
	struct pair p;
	struct ivr_config other = base_cfg;
	uint64_t now;

	pair_open(&p, &base_cfg, &base_cfg);
	now = ivr_now_ns();
	T_EXPECT(!ivr_poll_peer(&p.a, now) && p.a.pv.why == IVR_DOWN_NO_PEER,
			"peer not yet seen beating: %s", ivr_down_name(p.a.pv.why));
	T_EXPECT(!poll_beat(&p.a, &p.b, now) && p.a.pv.why == IVR_DOWN_STOPPED,
			"both READY: %s", ivr_down_name(p.a.pv.why));
	ivr_set_running(&p.a, true);
	T_EXPECT(!poll_beat(&p.a, &p.b, now) && p.a.pv.why == IVR_DOWN_PEER_STOPPED,
			"peer READY: %s", ivr_down_name(p.a.pv.why));
	ivr_set_running(&p.b, true);
	T_EXPECT(poll_beat(&p.a, &p.b, now) && poll_beat(&p.b, &p.a, now), "both RUN: up");
	T_EXPECT(memcmp(p.a.pv.cfg.mac, base_cfg.mac, 6) == 0, "peer MAC seen");
	/* heartbeat silence */
	T_EXPECT(!ivr_poll_peer(&p.a, now + 2000000000ULL) && p.a.pv.why == IVR_DOWN_DEAD,
			"silent peer: %s", ivr_down_name(p.a.pv.why));
	ivr_heartbeat(&p.b);
	T_EXPECT(ivr_poll_peer(&p.a, now + 2000000000ULL), "heartbeat again: up");
	/* peer leaves */
	ivr_detach(&p.b);
	T_EXPECT(!ivr_poll_peer(&p.a, now) && p.a.pv.why == IVR_DOWN_NO_PEER,
			"detached peer: %s", ivr_down_name(p.a.pv.why));
	/* a peer with another ring size joins (fits the region: fewer queues) */
	other.ring_size = 512;
	other.n_queues = 1;
	T_EXPECT(ivr_attach(&p.b, p.base, p.size, &other, NULL) == 0, "join: %s", p.b.errmsg);
	ivr_set_running(&p.b, true);
	T_EXPECT(!poll_beat(&p.a, &p.b, ivr_now_ns()) && p.a.pv.why == IVR_DOWN_MISMATCH,
			"mismatch: %s", ivr_down_name(p.a.pv.why));
	/* a peer of another ABI major, older or newer */
	ivr_detach(&p.b);
	T_EXPECT(ivr_attach(&p.b, p.base, p.size, &base_cfg, NULL) == 0, "join: %s", p.b.errmsg);
	ivr_set_running(&p.b, true);
	p.b.self->version_major = IVR_VERSION_MAJOR - 1;
	T_EXPECT(!poll_beat(&p.a, &p.b, ivr_now_ns()) && p.a.pv.why == IVR_DOWN_MISMATCH,
			"ABI major %u: %s", IVR_VERSION_MAJOR - 1, ivr_down_name(p.a.pv.why));
	p.b.self->version_major = IVR_VERSION_MAJOR + 1;
	T_EXPECT(!poll_beat(&p.a, &p.b, ivr_now_ns()) && p.a.pv.why == IVR_DOWN_MISMATCH,
			"ABI major %u: %s", IVR_VERSION_MAJOR + 1, ivr_down_name(p.a.pv.why));
	/* a peer without a v2.0 feature */
	p.b.self->version_major = IVR_VERSION_MAJOR;
	p.b.self->features = IVR_F_CHAIN;
	p.b.self->epoch++;
	T_EXPECT(!poll_beat(&p.a, &p.b, ivr_now_ns()) && p.a.pv.why == IVR_DOWN_MISMATCH,
			"features: %s", ivr_down_name(p.a.pv.why));
	/* a corrupt config line */
	p.b.self->features = IVR_F_ALL;
	p.b.self->buf_size = 100;
	p.b.self->epoch++;
	T_EXPECT(!poll_beat(&p.a, &p.b, ivr_now_ns()) && p.a.pv.why == IVR_DOWN_BAD_CONFIG,
			"bad config: %s", ivr_down_name(p.a.pv.why));
	pair_close(&p);
}

/* ---- data path ---- */

struct qpair {
	struct ivr_tx *tx;
	struct ivr_rx rx;
};

static void
qpair_init(struct qpair *q, struct pair *p, uint16_t qid)
{
	q->tx = calloc(1, ivr_tx_size(p->a.cfg.ring_size));
	ivr_tx_init(q->tx, &p->a, qid);
	ivr_tx_set_notify(q->tx, true);
	ivr_rx_init(&q->rx, &p->b, qid);
}

/* Sends one frame of len bytes filled with seed, chained over buffers. */
static bool
send_frame(struct ivr_tx *t, uint32_t len, uint8_t seed)
{
	uint32_t nseg = (len + t->buf_size - 1) / t->buf_size;

	if (ivr_tx_space(t, nseg) < nseg)
		return false;
	for (uint32_t s = 0; s < nseg; s++) {
		uint32_t id = ivr_tx_buf_get(t);
		uint32_t l = len - s * t->buf_size;

		if (l > t->buf_size)
			l = t->buf_size;
		memset(ivr_tx_buf(t, id), seed, l);
		ivr_tx_push(t, id, l, s + 1 < nseg ? IVR_DESC_NEXT : 0);
	}
	ivr_tx_publish(t, nseg);
	return true;
}

/* Receives up to max frames; checks content; returns frames seen. */
static uint32_t
recv_frames(struct ivr_rx *q, uint32_t max, uint32_t *lens, uint8_t *seeds)
{
	struct ivr_frame f;
	uint32_t n = 0;

	ivr_rx_begin(q);
	while (n < max && ivr_rx_next(q, &f)) {
		lens[n] = f.len;
		seeds[n] = f.seg[0].data[0];
		for (uint32_t s = 0; s < f.nseg; s++)
			for (uint32_t i = 0; i < f.seg[s].len; i++)
				if (f.seg[s].data[i] != seeds[n])
					seeds[n] = 0xee;
		n++;
	}
	if (!ivr_rx_end(q, n))
		return 0;
	return n;
}

static void
test_datapath_basic(void)
{
	struct pair p;
	struct qpair q;
	uint32_t lens[64];
	uint8_t seeds[64];
	static const uint32_t sizes[] = { 60, 64, 2048, 2049, 4096, 9018, 1 };

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 1);
	/* No session yet: the consumer must announce one first. */
	T_EXPECT(ivr_tx_space(q.tx, 1) == 0, "tx before rx session");
	T_EXPECT(ivr_rx_begin(&q.rx) == 0, "rx before tx session");
	T_EXPECT(ivr_tx_space(q.tx, 1) == base_cfg.ring_size, "tx session: all buffers free");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		T_EXPECT(send_frame(q.tx, sizes[i], (uint8_t)(i + 1)), "send %u", sizes[i]);
	T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 7, "7 frames");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		T_EXPECT(lens[i] == sizes[i] && seeds[i] == i + 1,
				"frame %zu: len %u seed %u", i, lens[i], seeds[i]);
	T_EXPECT(q.rx.st.bad_desc == 0 && q.tx->st.bad_ret == 0, "no errors");
	/* Fill the ring: TX must stop, never overwrite. */
	{
		uint32_t sent = 0;

		while (send_frame(q.tx, 100, 9))
			sent++;
		T_EXPECT(sent == base_cfg.ring_size, "ring holds %u frames, sent %u",
				base_cfg.ring_size, sent);
		T_EXPECT(ivr_tx_space(q.tx, 1) == 0, "full");
		sent = 0;
		while (recv_frames(&q.rx, 64, lens, seeds) > 0)
			sent++;
		T_EXPECT(q.rx.st.frames == 7 + base_cfg.ring_size, "all received: %llu",
				(unsigned long long)q.rx.st.frames);
		T_EXPECT(ivr_tx_space(q.tx, 1) == base_cfg.ring_size, "all returned");
	}
	free(q.tx);
	pair_close(&p);
}

/*
 * The burst calls against the per-frame ones: ivr_tx_take/ivr_tx_push_n
 * publish what ivr_tx_push would; ivr_rx_take_n takes one-buffer frames
 * in order and leaves a chain, a bad descriptor and anything past a full
 * return ring to ivr_rx_next, which counts them; ivr_rx_lend_n lends.
 */
static void
test_burst_calls(void)
{
	struct pair p;
	struct qpair q;
	uint32_t ids[64], lens[64], got_len[64], n, k;
	const uint8_t *data[64];
	struct ivr_frame f;
	struct ivr_desc bad = { 0, 64, 0 };	/* offset before the data */

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 0);
	ivr_rx_begin(&q.rx);
	T_EXPECT(ivr_tx_space(q.tx, 1) == base_cfg.ring_size, "session");
	/* 10 one-buffer frames, a chain of 2, a bad descriptor, 5 frames */
	ivr_tx_take(q.tx, ids, 10);
	for (k = 0; k < 10; k++) {
		lens[k] = 60 + k;
		memset(ivr_tx_buf(q.tx, ids[k]), (int)(k + 1), lens[k]);
	}
	ivr_tx_push_n(q.tx, ids, lens, 10);
	ivr_tx_publish(q.tx, 10);
	T_EXPECT(send_frame(q.tx, 3000, 0x77), "chain of 2");
	q.tx->ring[q.tx->prod & q.tx->mask] = bad;
	q.tx->prod++;
	ivr_tx_publish(q.tx, 1);
	ivr_tx_take(q.tx, ids, 5);
	for (k = 0; k < 5; k++) {
		lens[k] = 2048 - k;
		memset(ivr_tx_buf(q.tx, ids[k]), (int)(20 + k), lens[k]);
	}
	ivr_tx_push_n(q.tx, ids, lens, 5);
	ivr_tx_publish(q.tx, 5);

	T_EXPECT(ivr_rx_begin(&q.rx) == 18, "18 descriptors waiting");
	n = ivr_rx_take_n(&q.rx, data, got_len, 64);
	T_EXPECT(n == 10, "the burst stops at the chain: %u frames", n);
	for (k = 0; k < n; k++)
		T_EXPECT(got_len[k] == 60 + k && data[k][0] == k + 1 &&
				data[k][got_len[k] - 1] == k + 1, "frame %u intact", k);
	T_EXPECT(ivr_rx_take_n(&q.rx, data, got_len, 64) == 0, "nothing past the chain");
	T_EXPECT(ivr_rx_next(&q.rx, &f) && f.nseg == 2 && f.len == 3000 &&
			f.seg[1].data[0] == 0x77, "ivr_rx_next takes the chain");
	n = ivr_rx_take_n(&q.rx, data, got_len, 64);
	T_EXPECT(n == 0 && q.rx.st.bad_desc == 0, "the burst leaves the bad one, uncounted");
	T_EXPECT(ivr_rx_next(&q.rx, &f) && q.rx.st.bad_desc == 1,
			"ivr_rx_next skips the bad one (bad_desc 1), then takes the next");
	n = ivr_rx_take_n(&q.rx, data, got_len, 3);
	T_EXPECT(n == 3, "max honoured: %u", n);
	n += ivr_rx_take_n(&q.rx, data + 3, got_len + 3, 64);
	T_EXPECT(n == 4, "the rest: %u", n);
	for (k = 0; k < 4; k++)
		T_EXPECT(got_len[k] == 2047 - k && data[k][0] == 21 + k, "frame %u intact", k);
	T_EXPECT(ivr_rx_end(&q.rx, 10 + 1 + 5), "burst ended");
	T_EXPECT(ivr_tx_space(q.tx, base_cfg.ring_size) == base_cfg.ring_size,
			"every buffer back");
	T_EXPECT(q.tx->st.bad_ret == (lends() ? 1 : 0),
			"%s: the bad descriptor's id (bad_ret %llu)",
			lends() ? "one bad id returned" : "no return", (unsigned long long)q.tx->st.bad_ret);
	if (!lends())
		goto out;

	/* Lent: the ids come out; the producer has them back once returned. */
	ivr_tx_take(q.tx, ids, 32);
	for (k = 0; k < 32; k++)
		lens[k] = 100;
	ivr_tx_push_n(q.tx, ids, lens, 32);
	ivr_tx_publish(q.tx, 32);
	{
		uint32_t lent[32];

		ivr_rx_begin(&q.rx);
		n = ivr_rx_lend_n(&q.rx, data, got_len, lent, 64);
		T_EXPECT(n == 32 && memcmp(lent, ids, sizeof(lent)) == 0,
				"32 lent, the ids in the order sent");
		T_EXPECT(ivr_rx_end(&q.rx, n), "lent burst ended");
		T_EXPECT(ivr_tx_space(q.tx, base_cfg.ring_size) == base_cfg.ring_size - 32,
				"lent buffers are not back");
		for (k = 0; k < n; k++)
			ivr_rx_ret(&q.rx, lent[k]);
		ivr_rx_flush(&q.rx);
		T_EXPECT(ivr_tx_space(q.tx, base_cfg.ring_size) == base_cfg.ring_size,
				"returned: all back");
	}

	/* A copy break: frames up to max_len are taken, a longer one is left
	 * (to be lent), then the run goes on. */
	{
		static const uint32_t sz[] = { 60, 1000, 1001, 100 };

		ivr_tx_take(q.tx, ids, 4);
		memcpy(lens, sz, sizeof(sz));
		ivr_tx_push_n(q.tx, ids, lens, 4);
		ivr_tx_publish(q.tx, 4);
		ivr_rx_begin(&q.rx);
		n = ivr_rx_take_upto_n(&q.rx, data, got_len, 64, 1000);
		T_EXPECT(n == 2 && got_len[0] == 60 && got_len[1] == 1000,
				"up to 1000 bytes: 60 and 1000 taken (%u)", n);
		T_EXPECT(ivr_rx_take_upto_n(&q.rx, data, got_len, 64, 1000) == 0 &&
				ivr_rx_lend(&q.rx, &f) && f.len == 1001,
				"1001 left, and lent");
		n = ivr_rx_take_upto_n(&q.rx, data, got_len, 64, 1000);
		T_EXPECT(n == 1 && got_len[0] == 100, "then 100 taken");
		T_EXPECT(ivr_rx_end(&q.rx, 4), "ended");
		ivr_rx_ret(&q.rx, f.seg[0].id);
		ivr_rx_flush(&q.rx);
		T_EXPECT(ivr_tx_space(q.tx, base_cfg.ring_size) == base_cfg.ring_size &&
				q.rx.st.bad_desc == 1, "all back, nothing counted bad");
	}

	/* The other side of the copy break: frames from min_len up are lent,
	 * a shorter one is left (to be copied), then the run goes on. */
	{
		static const uint32_t sz[] = { 1001, 2048, 1000, 1, 1500 };
		uint32_t lent[8];

		ivr_tx_take(q.tx, ids, 5);
		memcpy(lens, sz, sizeof(sz));
		ivr_tx_push_n(q.tx, ids, lens, 5);
		ivr_tx_publish(q.tx, 5);
		ivr_rx_begin(&q.rx);
		n = ivr_rx_lend_from_n(&q.rx, data, got_len, lent, 8, 1001);
		T_EXPECT(n == 2 && got_len[0] == 1001 && got_len[1] == 2048 &&
				lent[0] == ids[0] && lent[1] == ids[1],
				"from 1001 bytes: 1001 and 2048 lent (%u)", n);
		T_EXPECT(ivr_rx_lend_from_n(&q.rx, data, got_len, lent + 2, 8, 1001) == 0,
				"1000 left");
		n = ivr_rx_take_upto_n(&q.rx, data, got_len, 8, 1000);
		T_EXPECT(n == 2 && got_len[0] == 1000 && got_len[1] == 1,
				"1000 and 1 taken below the break (%u)", n);
		n = ivr_rx_lend_from_n(&q.rx, data, got_len, lent + 2, 8, 0);
		T_EXPECT(n == 1 && got_len[0] == 1500 && lent[2] == ids[4],
				"min_len 0 counts as 1: 1500 lent (%u)", n);
		T_EXPECT(ivr_rx_end(&q.rx, 5), "ended");
		for (k = 0; k < 3; k++)
			ivr_rx_ret(&q.rx, lent[k]);
		ivr_rx_flush(&q.rx);
		T_EXPECT(ivr_tx_space(q.tx, base_cfg.ring_size) == base_cfg.ring_size &&
				q.rx.st.bad_desc == 1, "all back, nothing counted bad");
	}

	/* A lying producer publishes two rings of frames and takes no
	 * returns: the burst stops where the return ring is full, and
	 * ivr_rx_next counts ret_full for what it cannot return. */
	{
		struct ivr_desc d = { (uint32_t)p.a.lay.data_off, 64, 0 };
		uint32_t N = base_cfg.ring_size;

		for (uint32_t round = 0; round < 2 && lends(); round++) {
			uint32_t total = 0;

			for (k = 0; k < N; k++)
				q.tx->ring[(q.tx->prod + k) & q.tx->mask] = d;
			q.tx->prod += N;
			ivr_store_release32(&q.tx->ctl->tx.prod, q.tx->prod);
			ivr_rx_begin(&q.rx);
			while ((n = ivr_rx_take_n(&q.rx, data, got_len, 64)) != 0)
				total += n;
			T_EXPECT(total == (round == 0 ? N : 0),
					"round %u: %u frames taken", round, total);
			if (round == 0)
				T_EXPECT(ivr_rx_end(&q.rx, total), "round 0 ended");
		}
		T_EXPECT(q.rx.rprod - q.rx.peer_rcons == N, "the return ring is full");
		T_EXPECT(ivr_rx_next(&q.rx, &f) && q.rx.st.ret_full == 1,
				"past it, ivr_rx_next counts ret_full (%llu)",
				(unsigned long long)q.rx.st.ret_full);
		/* ivr_rx_ret_n checks the room once for all its ids */
		{
			static const uint32_t three[3] = { 5, 6, 7 };
			uint32_t rprod = q.rx.rprod;

			ivr_rx_ret_n(&q.rx, three, 3);
			T_EXPECT(q.rx.rprod == rprod && q.rx.st.ret_full == 4,
					"ivr_rx_ret_n into the full ring: none written, 3 counted");
			/* the producer says it took two entries */
			ivr_store_release32(&q.tx->ctl->tx.rcons, rprod - N + 2);
			ivr_rx_ret_n(&q.rx, three, 3);
			T_EXPECT(q.rx.rprod == rprod + 2 && q.rx.st.ret_full == 5 &&
					q.rx.ret[rprod & q.rx.mask] == 5 &&
					q.rx.ret[(rprod + 1) & q.rx.mask] == 6,
					"then 2 of 3 fit, in order, and 1 counted");
			ivr_store_release32(&q.tx->ctl->tx.rcons, rprod + 3);
			ivr_rx_ret_n(&q.rx, three, 1);
			T_EXPECT(q.rx.rprod == rprod + 2 && q.rx.st.ret_full == 6,
					"a producer index ahead of ours: no room at all");
		}
	}
out:
	free(q.tx);
	pair_close(&p);
}

/* Each case writes one adversarial descriptor (or chain) straight into
 * the producer's ring and publishes it: the consumer must count and skip. */
static void
test_hostile_descs(void)
{
	struct pair p;
	struct qpair q;
	uint32_t lens[8];
	uint8_t seeds[8];
	const uint32_t data_off = 0; /* filled per pair */
	struct {
		const char *name;
		uint32_t n;
		struct ivr_desc d[3];
	} cases[] = {
		{ "offset before data", 1, { { 0, 64, 0 } } },
		{ "offset past part", 1, { { 0xfffffff0u, 64, 0 } } },
		{ "len zero", 1, { { 1, 0, 0 } } },
		{ "len past part", 1, { { 2, 128, 0 } } },
		{ "open chain at prod", 2, { { 1, 64, IVR_DESC_NEXT },
				{ 1, 64, 1 | IVR_DESC_NEXT } } },
		{ "frame over max", 3, { { 1, 4000, IVR_DESC_NEXT },
				{ 1, 4000, 1 | IVR_DESC_NEXT },
				{ 1, 4000, 2 } } },
		{ "bad id is fine", 1, { { 1, 64, IVR_DESC_ID_MASK } } },
	};
	(void)data_off;

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 0);
	ivr_rx_begin(&q.rx);
	ivr_tx_space(q.tx, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t bad0 = q.rx.st.bad_desc;
		int want_bad = strcmp(cases[i].name, "bad id is fine") != 0;

		for (uint32_t k = 0; k < cases[i].n; k++) {
			struct ivr_desc d = cases[i].d[k];

			/* offset 1 means "a valid offset in the data area",
			 * 2 "64 bytes before its end" */
			if (d.offset == 1)
				d.offset = (uint32_t)p.a.lay.data_off;
			else if (d.offset == 2)
				d.offset = q.rx.data_hi - 64;
			q.tx->ring[(q.tx->prod + k) & q.tx->mask] = d;
		}
		q.tx->prod += cases[i].n;
		ivr_store_release32(&q.tx->ctl->tx.prod, q.tx->prod);
		recv_frames(&q.rx, 8, lens, seeds);
		T_EXPECT((q.rx.st.bad_desc == bad0 + 1) == want_bad,
				"'%s': bad_desc %llu -> %llu", cases[i].name,
				(unsigned long long)bad0,
				(unsigned long long)q.rx.st.bad_desc);
		T_EXPECT(q.rx.cons == q.tx->prod, "'%s': consumer moved past it",
				cases[i].name);
	}
	/* The producer validates returned ids: all those were bogus. */
	q.tx->n_free = 0;
	ivr_tx_refresh(q.tx);
	T_EXPECT(!lends() || q.tx->st.bad_ret >= 1, "bogus return ids counted: %llu",
			(unsigned long long)q.tx->st.bad_ret);
	/* A producer index too far ahead: counted, nothing consumed. */
	ivr_store_release32(&q.tx->ctl->tx.prod, q.tx->prod + 100000);
	T_EXPECT(recv_frames(&q.rx, 8, lens, seeds) == 0 && q.rx.st.bad_index >= 1,
			"bad prod index counted");
	/* A return index (a consumer that lends) or a consumer index (one
	 * that copies, past what was published) too far ahead. */
	if (lends())
		ivr_store_release32(&q.rx.ctl->rx.rprod, q.rx.rprod + 100000);
	else
		ivr_store_release32(&q.rx.ctl->rx.cons, q.rx.cons + 100000);
	q.tx->n_free = 0;
	ivr_tx_refresh(q.tx);
	T_EXPECT(q.tx->st.bad_index >= 1, "bad %s index counted", lends() ? "return" : "consumer");
	free(q.tx);
	pair_close(&p);
}

/* A producer restart: frames published before it are never delivered. */
static void
test_sessions(void)
{
	struct pair p;
	struct qpair q;
	uint32_t lens[64];
	uint8_t seeds[64];
	uint32_t epoch0;

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 0);
	ivr_rx_begin(&q.rx);
	for (int i = 0; i < 10; i++)
		send_frame(q.tx, 64, 1);
	/* producer re-attaches: new epoch; its 10 old frames must vanish */
	epoch0 = p.a.epoch;
	ivr_detach(&p.a);
	T_EXPECT(ivr_attach(&p.a, p.base, p.size, &base_cfg, NULL) == 0, "re-attach: %s", p.a.errmsg);
	T_EXPECT(p.a.epoch == epoch0 + 1, "epoch %u -> %u", epoch0, p.a.epoch);
	ivr_tx_init(q.tx, &p.a, 0);
	T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 0, "nothing from the old producer");
	T_EXPECT(ivr_tx_space(q.tx, 1) > 0, "new session");
	send_frame(q.tx, 64, 2);
	T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 1 && seeds[0] == 2,
			"only the new frame");

	/* consumer restarts: producer reclaims what the old one held */
	for (int i = 0; i < 5; i++)
		send_frame(q.tx, 64, 3);
	ivr_detach(&p.b);
	T_EXPECT(ivr_attach(&p.b, p.base, p.size, &cons_cfg, NULL) == 0, "re-attach b");
	ivr_rx_init(&q.rx, &p.b, 0);
	T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 0, "new consumer: session first");
	/* so soon after the producer's own session start, the new one waits
	 * (a consumer cannot really restart this fast: test_hostile_consumer).
	 * The last session is placed a minute ahead, so that however slowly
	 * this runs, the new one is within IVR_TX_SESSION_NS of it. */
	q.tx->session_ns = ivr_now_ns() + 60000000000ULL;
	T_EXPECT(ivr_tx_space(q.tx, 1) == 0 && q.tx->st.sessions_deferred == 1,
			"a new session within IVR_TX_SESSION_NS of the last waits");
	q.tx->session_ns = ivr_now_ns() - IVR_TX_SESSION_NS;
	T_EXPECT(ivr_tx_space(q.tx, 1) == base_cfg.ring_size, "all buffers back");
	/* 5 unread frames plus frame "2", returned by the old consumer but
	 * not yet reclaimed: the producer never got those buffers back. */
	T_EXPECT(q.tx->st.dropped_inflight == 6, "6 in flight dropped: %llu",
			(unsigned long long)q.tx->st.dropped_inflight);
	send_frame(q.tx, 64, 4);
	T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 1 && seeds[0] == 4,
			"new consumer gets only new frames");
	free(q.tx);
	pair_close(&p);
}

/* A producer that comes back with fewer queues: a consumer of a queue it
 * no longer has must not stay in session with the old one. */
static void
test_restart_fewer_queues(void)
{
	struct ivr_config big = base_cfg, small = base_cfg;
	struct pair p;
	struct qpair q;
	uint32_t lens[8];
	uint8_t seeds[8];

	big.n_queues = 4;
	small.n_queues = 1;
	pair_open(&p, &big, &big);
	qpair_init(&q, &p, 3);
	ivr_rx_begin(&q.rx);
	send_frame(q.tx, 64, 1);
	T_EXPECT(recv_frames(&q.rx, 8, lens, seeds) == 1, "queue 3 flows");
	send_frame(q.tx, 64, 2);
	ivr_detach(&p.a);
	T_EXPECT(ivr_attach(&p.a, p.base, p.size, &small, NULL) == 0, "re-attach with 1 queue");
	T_EXPECT(recv_frames(&q.rx, 8, lens, seeds) == 0 && !q.rx.in_session,
			"queue 3 has no session with a 1-queue producer");
	free(q.tx);
	pair_close(&p);
}

/* A chain of full-length segments, longer than any frame may be. */
static void
test_len_wrap(void)
{
	struct pair p;
	struct qpair q;
	uint32_t lens[8];
	uint8_t seeds[8];

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 0);
	ivr_rx_begin(&q.rx);
	ivr_tx_space(q.tx, 1);
	/* pretend the data area is 4 GiB so only the frame bound can catch it */
	q.rx.data_hi = 0xffffffffu;
	{
		struct ivr_desc d0 = { (uint32_t)p.a.lay.data_off, 0xffff, IVR_DESC_NEXT };
		struct ivr_desc d1 = { (uint32_t)p.a.lay.data_off, 0xffc0, 1 };

		q.tx->ring[0] = d0;
		q.tx->ring[1] = d1;
	}
	ivr_store_release32(&q.tx->ctl->tx.prod, 2);
	T_EXPECT(recv_frames(&q.rx, 8, lens, seeds) == 0 && q.rx.st.bad_desc == 1,
			"wrapping chain dropped: bad_desc %llu",
			(unsigned long long)q.rx.st.bad_desc);
	free(q.tx);
	pair_close(&p);
}

/*
 * A queue set up again while the region stays attached (a PMD's queue
 * setup after a port stop): the session word cannot change without a new
 * epoch, so the queue must resume where it left off, with the frames and
 * buffers in flight, instead of restarting indices under a peer that would
 * not notice. Both directions, with a ring that has wrapped.
 */
static void
test_queue_resetup(void)
{
	struct pair p;
	struct qpair q;
	uint32_t lens[64], got = 0, n;
	uint8_t seeds[64];
	uint64_t kicks;
	int bad_seed = 0;

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 0);
	ivr_rx_begin(&q.rx);
	for (int i = 0; i < 300; i++) {
		send_frame(q.tx, 100, 1);
		recv_frames(&q.rx, 64, lens, seeds);
	}
	/* 10 frames in flight, 2 of them chained */
	for (int i = 0; i < 8; i++)
		send_frame(q.tx, 100, 2);
	send_frame(q.tx, 3000, 2);
	send_frame(q.tx, 3000, 2);
	ivr_tx_init(q.tx, &p.a, 0);
	ivr_tx_set_notify(q.tx, true);	/* as the PMD does after setup */
	/* To a consumer that lends, which buffers it holds is unknown (any
	 * return order is allowed): nothing goes out until the 12 in flight
	 * are back. One that copies frees them by slot: a frame goes at once. */
	T_EXPECT(send_frame(q.tx, 100, 3) == !lends(), "TX set up again: %s",
			lends() ? "waits for its buffers" : "sends at once");
	while ((n = recv_frames(&q.rx, 64, lens, seeds)) > 0)
		for (uint32_t i = 0; i < n; i++, got++)
			bad_seed += seeds[i] != (got < 10 ? 2 : 3);
	for (int i = 0; i < 5; i++)
		T_EXPECT(send_frame(q.tx, 100, 3), "send after TX set up again");
	while ((n = recv_frames(&q.rx, 64, lens, seeds)) > 0)
		for (uint32_t i = 0; i < n; i++, got++)
			bad_seed += seeds[i] != (got < 10 ? 2 : 3);
	T_EXPECT(got == (lends() ? 15u : 16u) && bad_seed == 0,
			"TX set up again: %u of %u frames, %d wrong", got, lends() ? 15 : 16, bad_seed);
	T_EXPECT(ivr_tx_space(q.tx, base_cfg.ring_size) == base_cfg.ring_size,
			"TX set up again: every buffer comes back");

	/* one sleep and kick before: the producer remembers that arm value */
	T_EXPECT(ivr_rx_arm(&q.rx), "arm before RX set up again");
	send_frame(q.tx, 64, 4);
	ivr_rx_disarm(&q.rx);
	kicks = q.tx->st.kicks;
	T_EXPECT(kicks == 1, "kicked once: %llu", (unsigned long long)kicks);
	for (int i = 0; i < 9; i++)
		send_frame(q.tx, 100, 4);
	ivr_rx_init(&q.rx, &p.b, 0);
	got = 0;
	bad_seed = 0;
	while ((n = recv_frames(&q.rx, 64, lens, seeds)) > 0)
		for (uint32_t i = 0; i < n; i++, got++)
			bad_seed += seeds[i] != 4;
	T_EXPECT(got == 10 && bad_seed == 0, "RX set up again: %u of 10 frames, %d wrong",
			got, bad_seed);
	T_EXPECT(ivr_tx_space(q.tx, base_cfg.ring_size) == base_cfg.ring_size,
			"RX set up again: every buffer comes back");
	/* the sleep handshake survives it: a new arm is kicked */
	T_EXPECT(ivr_rx_arm(&q.rx), "arm after RX set up again");
	send_frame(q.tx, 64, 5);
	T_EXPECT(q.tx->st.kicks == kicks + 1, "kick after RX set up again: %llu",
			(unsigned long long)q.tx->st.kicks);
	T_EXPECT(q.rx.st.bad_index == 0 && q.tx->st.bad_index == 0 &&
			q.tx->st.bad_ret == 0 && q.rx.st.bad_desc == 0,
			"no errors: rx bad_index %llu, tx bad_index %llu bad_ret %llu, bad_desc %llu",
			(unsigned long long)q.rx.st.bad_index,
			(unsigned long long)q.tx->st.bad_index,
			(unsigned long long)q.tx->st.bad_ret,
			(unsigned long long)q.rx.st.bad_desc);
	free(q.tx);
	pair_close(&p);
}

/* A producer that restarts while the consumer is mid-burst: rx_end says so. */
static void
test_torn_burst(void)
{
	struct pair p;
	struct qpair q;
	struct ivr_frame f;

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 0);
	ivr_rx_begin(&q.rx);
	send_frame(q.tx, 64, 1);
	T_EXPECT(ivr_rx_begin(&q.rx) == 1 && ivr_rx_next(&q.rx, &f), "frame there");
	ivr_detach(&p.a);	/* invalidates tx.sync */
	T_EXPECT(!ivr_rx_end(&q.rx, 1) && q.rx.st.stale == 1, "burst discarded");
	free(q.tx);
	pair_close(&p);
}

static void
test_notify(void)
{
	struct pair p;
	struct qpair q;
	uint32_t lens[8];
	uint8_t seeds[8];

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 0);
	ivr_rx_begin(&q.rx);
	ivr_tx_space(q.tx, 1);
	T_EXPECT(ivr_rx_begin(&q.rx) == 0, "session, empty");
	/* awake consumer: no kick */
	send_frame(q.tx, 64, 1);
	T_EXPECT(q.tx->st.kicks == 0 && q.tx->st.kicks_suppressed == 1, "no kick when awake");
	/* work pending: arming must refuse */
	T_EXPECT(!ivr_rx_arm(&q.rx), "arm with work pending refused");
	T_EXPECT((q.rx.ctl->notify.armed & 1) == 0, "disarmed after refusal");
	recv_frames(&q.rx, 8, lens, seeds);
	/* idle: arm succeeds; first publish kicks, second does not */
	T_EXPECT(ivr_rx_arm(&q.rx), "arm when idle");
	send_frame(q.tx, 64, 2);
	send_frame(q.tx, 64, 3);
	T_EXPECT(q.tx->st.kicks == 1, "one kick per sleep: %llu",
			(unsigned long long)q.tx->st.kicks);
	ivr_rx_disarm(&q.rx);
	recv_frames(&q.rx, 8, lens, seeds);
	T_EXPECT(ivr_rx_arm(&q.rx), "arm again");
	send_frame(q.tx, 64, 4);
	T_EXPECT(q.tx->st.kicks == 2, "next sleep kicks again");
	/* woken, but armed again without a disarm: still one kick per arm */
	recv_frames(&q.rx, 8, lens, seeds);
	T_EXPECT(ivr_rx_arm(&q.rx), "arm without disarm");
	send_frame(q.tx, 64, 5);
	T_EXPECT(q.tx->st.kicks == 3, "re-arm without disarm kicks: %llu",
			(unsigned long long)q.tx->st.kicks);
	free(q.tx);
	pair_close(&p);
}

/* ---- a consumer that makes the producer work or ring ---- */

/* One burst of up to n 64-byte frames, published at once. */
static uint32_t
send_burst(struct ivr_tx *t, uint32_t n)
{
	uint32_t space = ivr_tx_space(t, n), i;

	for (i = 0; i < n && i < space; i++) {
		uint32_t id = ivr_tx_buf_get(t);

		memset(ivr_tx_buf(t, id), 7, 64);
		ivr_tx_push(t, id, 64, 0);
	}
	ivr_tx_publish(t, i);
	return i;
}

/* Reads all that waits but the last `leave` frames; returns them. (A
 * refresh, not ivr_rx_begin: that counts from the last index it read.) */
static void
recv_leaving(struct ivr_rx *q, uint32_t leave)
{
	uint32_t avail = ivr_rx_refresh(q), n = 0;
	struct ivr_frame f;

	while (n + leave < avail && ivr_rx_next(q, &f))
		n++;
	ivr_rx_end(q, n);
}

enum hostile_arm {
	ARM_NONE,	/* never sleeps */
	ARM_RAW,	/* writes a fresh odd value before each burst */
	ARM_API,	/* ivr_rx_arm, as an honest consumer about to sleep */
};

#define HOSTILE_BURSTS	4096
#define HOSTILE_BURST	4
#define KICKS_PER_SESSION UINT64_MAX	/* max_kicks: one per session */

/*
 * Before each burst of the producer, the consumer does what its row says.
 * Rows that fake restarts count new sessions (each rebuilds the free
 * list); rows that arm count doorbells. The bounds are the producer's
 * (ivr_queue.h): a new session per IVR_TX_SESSION_CALLS bursts or per
 * IVR_TX_SESSION_NS, a doorbell per time the consumer caught up. The
 * honest sleeper is kicked for every sleep: no bound may cost a wakeup.
 */
static void
test_hostile_consumer(void)
{
	static const struct {
		const char *name;
		bool restart;		/* new epoch and matching rx.sync */
		enum hostile_arm arm;
		int leave;		/* frames left unread; -1: reads nothing */
		uint64_t min_kicks, max_kicks;
	} cases[] = {
		{ "fakes a restart before each burst", true, ARM_NONE, -1, 0, 0 },
		{ "fakes a restart and arms before each burst", true, ARM_RAW, -1,
		  0, KICKS_PER_SESSION },
		{ "arms before each burst, reads nothing", false, ARM_RAW, -1, 1, 1 },
		{ "arms before each burst, leaves one frame", false, ARM_RAW, 1, 1, 1 },
		{ "honest sleeper: reads all, arms", false, ARM_API, 0,
		  HOSTILE_BURSTS, HOSTILE_BURSTS },
		{ "reads all, arms raw (as honest as it looks)", false, ARM_RAW, 0,
		  HOSTILE_BURSTS, HOSTILE_BURSTS },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pair p;
		struct qpair q;
		uint64_t t0, ns, sessions, max_sessions, kicks;
		uint32_t armed = 0;

		pair_open(&p, &base_cfg, &cons_cfg);
		qpair_init(&q, &p, 0);
		ivr_rx_begin(&q.rx);
		send_burst(q.tx, HOSTILE_BURST);
		recv_leaving(&q.rx, 0);
		t0 = ivr_now_ns();
		for (int b = 0; b < HOSTILE_BURSTS; b++) {
			if (cases[c].restart) {
				uint32_t e = p.b.self->epoch + 1;

				p.b.self->epoch = e != 0 ? e : 1;
				q.rx.ctl->rx.cons = 0;
				q.rx.ctl->rx.rprod = 0;
				q.rx.ctl->rx.sync = IVR_SYNC(p.b.self->epoch, p.a.epoch);
			}
			if (cases[c].leave >= 0)
				recv_leaving(&q.rx, (uint32_t)cases[c].leave);
			if (cases[c].arm == ARM_RAW) {
				armed = (armed + 1) | 1;
				q.rx.ctl->notify.armed = armed;
			} else if (cases[c].arm == ARM_API) {
				if (!ivr_rx_arm(&q.rx))
					t_failed("'%s': arm refused at burst %d",
							cases[c].name, b);
			}
			send_burst(q.tx, HOSTILE_BURST);
			if (cases[c].arm == ARM_API)
				ivr_rx_disarm(&q.rx);
		}
		ns = ivr_now_ns() - t0;
		sessions = q.tx->st.sessions;
		kicks = q.tx->st.kicks;
		/* the first session, then the bound over the run */
		max_sessions = 1 + (cases[c].restart ? 1 + HOSTILE_BURSTS /
				IVR_TX_SESSION_CALLS + ns / IVR_TX_SESSION_NS : 0);
		T_EXPECT(sessions <= max_sessions,
				"'%s': %llu sessions in %d bursts (%.3f per burst), at most %llu (%.1f ms)",
				cases[c].name, (unsigned long long)sessions,
				HOSTILE_BURSTS, (double)sessions / HOSTILE_BURSTS,
				(unsigned long long)max_sessions, ns / 1e6);
		if (cases[c].max_kicks == KICKS_PER_SESSION)
			T_EXPECT(kicks <= sessions, "'%s': %llu kicks, no more than the %llu sessions",
					cases[c].name, (unsigned long long)kicks,
					(unsigned long long)sessions);
		else
			T_EXPECT(kicks >= cases[c].min_kicks && kicks <= cases[c].max_kicks,
				"'%s': %llu kicks in %d bursts (%.3f per burst), want %llu..%llu",
				cases[c].name, (unsigned long long)kicks, HOSTILE_BURSTS,
				(double)kicks / HOSTILE_BURSTS,
				(unsigned long long)cases[c].min_kicks,
				(unsigned long long)cases[c].max_kicks);
		t_log("hostile consumer '%s': %llu sessions, %llu kicks in %d bursts",
				cases[c].name, (unsigned long long)sessions,
				(unsigned long long)kicks, HOSTILE_BURSTS);
		/* The consumer behaves again: a real restart a quiet while later
		 * is served at once; a sleep after catching up is kicked. */
		usleep(2 * IVR_TX_SESSION_NS / 1000);
		ivr_detach(&p.b);
		T_EXPECT(ivr_attach(&p.b, p.base, p.size, &cons_cfg, NULL) == 0,
				"re-attach b: %s", p.b.errmsg);
		ivr_rx_init(&q.rx, &p.b, 0);
		ivr_rx_begin(&q.rx);
		T_EXPECT(send_burst(q.tx, HOSTILE_BURST) == HOSTILE_BURST &&
				q.tx->st.sessions == sessions + 1,
				"'%s': a real restart is served at once", cases[c].name);
		recv_leaving(&q.rx, 0);
		T_EXPECT(ivr_rx_arm(&q.rx), "'%s': arm when idle", cases[c].name);
		send_burst(q.tx, HOSTILE_BURST);
		T_EXPECT(q.tx->st.kicks == kicks + 1, "'%s': the honest sleep is kicked",
				cases[c].name);
		free(q.tx);
		pair_close(&p);
	}
}

/* ---- external (pool) buffers: ids N..2N-1 ---- */

static int ext_cookies[4096];

/* One single-descriptor frame of len bytes of pool buffer k (buf_size
 * apart), filled with seed; its cookie is &ext_cookies[k]. */
static bool
send_ext(struct ivr_tx *t, uint32_t k, uint32_t len, uint8_t seed)
{
	uint64_t off = t->ext_lo + (uint64_t)k * t->buf_size;
	uint32_t id;

	if (!ivr_tx_ext_ok(t, off, len) || ivr_tx_space(t, 1) < 1)
		return false;
	id = ivr_tx_ext_get(t);
	memset(t->part + off, seed, len);
	ivr_tx_ext_push(t, id, (uint32_t)off, len, 0, &ext_cookies[k]);
	ivr_tx_publish(t, 1);
	return true;
}

/* Reaps every cookie the producer has back; counts each in seen[]. */
static uint32_t
reap_all(struct ivr_tx *t, uint32_t *seen)
{
	void *c[64];
	uint32_t n, total = 0;

	while ((n = ivr_tx_ext_reap(t, c, 64)) != 0) {
		for (uint32_t i = 0; i < n; i++)
			seen[(int *)c[i] - ext_cookies]++;
		total += n;
	}
	return total;
}

/* How many of seen[0..n) are exactly 1. */
static uint32_t
count_ones(const uint32_t *seen, uint32_t n)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n; i++)
		c += seen[i] == 1;
	return c;
}

/* The consumer lends up to max frames and keeps their ids in ids[]. */
static uint32_t
lend_frames(struct ivr_rx *q, uint32_t max, uint32_t *ids, const uint8_t **data)
{
	struct ivr_frame f;
	uint32_t n = 0;

	ivr_rx_begin(q);
	while (n < max && ivr_rx_lend(q, &f)) {
		ids[n] = f.seg[0].id;
		data[n] = f.seg[0].data;
		n++;
	}
	ivr_rx_end(q, n);
	return n;
}

static void
test_ext_ids(void)
{
	const uint32_t n = base_cfg.ring_size;
	static uint32_t seen[4096], ids[4096];
	static const uint8_t *data[4096];
	uint64_t lo, len;
	uint32_t lens[64];
	uint8_t seeds[64];
	struct pair p;
	struct qpair q;

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 1);
	ivr_pool_area(&p.a, &lo, &len);
	T_EXPECT(lo % IVR_PART_ALIGN == 0 && lo >= p.a.lay.used &&
			lo + len <= p.a.part_size && len >= (uint64_t)n * base_cfg.buf_size,
			"pool area %#llx + %#llx past the copy buffers, in the part",
			(unsigned long long)lo, (unsigned long long)len);
	/* bounds of the pool area, by offset */
	T_EXPECT(ivr_tx_ext_ok(q.tx, lo, 1) && ivr_tx_ext_ok(q.tx, lo + len - 1, 1) &&
			ivr_tx_ext_ok(q.tx, lo, (uint32_t)(len < 65536 ? len : 65536)),
			"inside the pool area");
	T_EXPECT(!ivr_tx_ext_ok(q.tx, lo - 1, 1) && !ivr_tx_ext_ok(q.tx, lo + len, 1) &&
			!ivr_tx_ext_ok(q.tx, lo + len - 1, 2) && !ivr_tx_ext_ok(q.tx, lo, 0) &&
			!ivr_tx_ext_ok(q.tx, p.a.lay.data_off, 64) &&
			!ivr_tx_ext_ok(q.tx, lo + len - 8, UINT32_MAX),
			"outside the pool area (copy buffers, past the end, wrapping)");

	ivr_rx_begin(&q.rx);
	/* returned once each, mixed with copy frames: every cookie back once */
	for (uint32_t k = 0; k < 32; k++) {
		T_EXPECT(send_ext(q.tx, k, 60 + k, (uint8_t)(k + 1)), "ext frame %u", k);
		T_EXPECT(send_frame(q.tx, 100, 0x55), "copy frame %u", k);
	}
	T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 64, "64 frames");
	for (uint32_t k = 0; k < 32; k++)
		T_EXPECT(lens[2 * k] == 60 + k && seeds[2 * k] == k + 1 &&
				lens[2 * k + 1] == 100 && seeds[2 * k + 1] == 0x55,
				"frame pair %u in order, intact", k);
	T_EXPECT(ivr_tx_space(q.tx, n) == n - 32 && q.tx->n_free == n,
			"every copy id back, the external ones count once reaped");
	memset(seen, 0, sizeof(seen));
	T_EXPECT(reap_all(q.tx, seen) == 32 && ivr_tx_avail(q.tx) == n,
			"32 cookies back, every id free");
	T_EXPECT(count_ones(seen, 32) == 32, "each cookie back once");
	T_EXPECT(q.tx->st.bad_ret == 0 && ivr_tx_ext_held(q.tx) == 0, "none held, no errors");

	/* never returned: the ids run out, copy frames still go */
	for (uint32_t k = 0; k < n; k++)
		if (!send_ext(q.tx, k, 64, 7))
			t_failed("ext frame %u of a ring not sent", k);
	T_EXPECT(lend_frames(&q.rx, n, ids, data) == n, "consumer keeps %u", n);
	for (uint32_t k = 0; k < n; k++)
		if (ids[k] < n || ids[k] >= 2 * n ||
				data[k] != q.rx.peer_part + lo + (uint64_t)k * base_cfg.buf_size)
			t_failed("lent id %u not at its offset", ids[k]);
	T_EXPECT(!send_ext(q.tx, 0, 64, 7) && ivr_tx_ext_held(q.tx) == n,
			"no external id while the consumer holds all %u", n);
	/* N ids out of either kind fill the consumer's return ring: no more */
	T_EXPECT(!send_frame(q.tx, 200, 9) && ivr_tx_space(q.tx, 1) == 0,
			"nor a copy id: N ids out in all");
	memset(seen, 0, sizeof(seen));
	T_EXPECT(reap_all(q.tx, seen) == 0, "nothing to reap while held");

	/* returned twice, and ids never sent: counted, no cookie twice */
	ivr_rx_ret(&q.rx, ids[0]);
	ivr_rx_ret(&q.rx, ids[0]);
	ivr_rx_ret(&q.rx, ids[1]);
	ivr_rx_ret(&q.rx, 2 * n);
	ivr_rx_ret(&q.rx, UINT32_MAX);
	ivr_rx_ret(&q.rx, n - 1);	/* a copy id not in flight */
	ivr_rx_flush(&q.rx);
	ivr_tx_space(q.tx, n);
	T_EXPECT(ivr_tx_avail(q.tx) == 0 && q.tx->ext_n_done == 2, "two ids back");
	T_EXPECT(q.tx->st.bad_ret == 4, "duplicate and never-sent ids counted: %llu",
			(unsigned long long)q.tx->st.bad_ret);
	T_EXPECT(reap_all(q.tx, seen) == 2 && seen[0] == 1 && seen[1] == 1,
			"cookies 0 and 1 back once each");
	/* ... and the same id again, after it was reaped and is free */
	ivr_rx_ret(&q.rx, ids[0]);
	ivr_rx_flush(&q.rx);
	ivr_tx_space(q.tx, n);
	T_EXPECT(q.tx->st.bad_ret == 5 && reap_all(q.tx, seen) == 0 &&
			ivr_tx_ext_held(q.tx) == n - 2, "a third return of id %u counted", ids[0]);

	/* the consumer's session ends: what it held is reclaimed */
	ivr_detach(&p.b);
	T_EXPECT(ivr_attach(&p.b, p.base, p.size, &cons_cfg, NULL) == 0, "re-attach b");
	ivr_rx_init(&q.rx, &p.b, 1);
	ivr_rx_begin(&q.rx);
	usleep(IVR_TX_SESSION_NS / 1000 + 100);
	ivr_tx_space(q.tx, n);
	T_EXPECT(q.tx->st.ext_reclaimed == n - 2, "new consumer session: %llu reclaimed",
			(unsigned long long)q.tx->st.ext_reclaimed);
	T_EXPECT(reap_all(q.tx, seen) == n - 2 && ivr_tx_avail(q.tx) == n,
			"their cookies back, every id free");
	T_EXPECT(count_ones(seen, n) == n, "each of the %u cookies back once in all", n);
	/* a late return from the old session is a never-sent id now */
	T_EXPECT(send_ext(q.tx, 3, 64, 3) && recv_frames(&q.rx, 64, lens, seeds) == 1 &&
			seeds[0] == 3, "the new session carries pool frames");

	/* set up again mid-session (6.7) while the consumer holds two pool
	 * ids, one copy frame is unread and the return of frame 3 above is
	 * not read yet: the old queue hands its record over, and the new one
	 * sends at once and takes each id back once, with its cookie, no
	 * bad_ret */
	{
		static void *kept[4096];
		static uint8_t out[8192];
		static uint32_t at[4096];
		uint32_t nk;

		memset(seen, 0, sizeof(seen));
		T_EXPECT(send_ext(q.tx, 5, 64, 5) && send_ext(q.tx, 6, 64, 6) &&
				lend_frames(&q.rx, 2, ids, data) == 2 &&
				send_frame(q.tx, 100, 8), "two held, one copy frame unread");
		nk = ivr_tx_export(q.tx, out, kept, at);
		T_EXPECT(nk == 4 && kept[ids[0] - n] == &ext_cookies[5] &&
				kept[ids[1] - n] == &ext_cookies[6] && kept[2] == NULL,
				"export: four ids out, the held two with their cookies (%u)", nk);
		ivr_tx_init(q.tx, &p.a, 1);
		T_EXPECT(q.tx->draining, "resumed without the record: it would send nothing until all is back");
		ivr_tx_init(q.tx, &p.a, 1);
		T_EXPECT(ivr_tx_import(q.tx, out, kept, at) && !q.tx->draining &&
				ivr_tx_ext_held(q.tx) == 3 && q.tx->ext_n_free == n - 3 &&
				q.tx->n_free == n - 1, "import: three pool ids and a copy id out");
		T_EXPECT(send_frame(q.tx, 100, 9), "a frame goes at once");
		T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 2 && seeds[0] == 8 &&
				seeds[1] == 9, "the unread frame, then the new one");
		ivr_rx_ret(&q.rx, ids[1]);
		ivr_rx_ret(&q.rx, ids[0]);
		ivr_rx_flush(&q.rx);
		T_EXPECT(ivr_tx_space(q.tx, n) == n - 3 && q.tx->n_free == n,
				"every copy id free, three pool ids to reap");
		T_EXPECT(reap_all(q.tx, seen) == 3 && seen[3] == 1 && seen[5] == 1 &&
				seen[6] == 1 && ivr_tx_avail(q.tx) == n && q.tx->st.bad_ret == 0,
				"the three cookies back once, no bad_ret (%llu)",
				(unsigned long long)q.tx->st.bad_ret);
		/* a record that does not add up to what the region says is
		 * out (a queue set up in between without it read a return):
		 * the copy ids drain, the pool ids still come back once, with
		 * their cookies */
		memset(seen, 0, sizeof(seen));
		T_EXPECT(send_ext(q.tx, 8, 64, 8) && send_ext(q.tx, 9, 64, 9) &&
				lend_frames(&q.rx, 2, ids, data) == 2 &&
				send_frame(q.tx, 100, 10), "two pool ids held, a copy frame unread");
		nk = ivr_tx_export(q.tx, out, kept, at);
		T_EXPECT(nk == 3 && recv_frames(&q.rx, 64, lens, seeds) == 1 && seeds[0] == 10,
				"three out (%u); the copy frame read and returned", nk);
		ivr_tx_init(q.tx, &p.a, 1);
		ivr_tx_space(q.tx, 1);	/* reads that return */
		ivr_tx_init(q.tx, &p.a, 1);
		T_EXPECT(ivr_tx_import(q.tx, out, kept, at) && q.tx->draining &&
				ivr_tx_ext_held(q.tx) == 2 && ivr_tx_space(q.tx, 1) == 0,
				"a record of 3 for 2 out: pool ids in flight, draining, nothing sent");
		ivr_rx_ret(&q.rx, ids[0]);
		ivr_rx_ret(&q.rx, ids[1]);
		ivr_rx_flush(&q.rx);
		T_EXPECT(ivr_tx_space(q.tx, n) == n - 2 && !q.tx->draining && q.tx->n_free == n,
				"drained once both came back");
		T_EXPECT(reap_all(q.tx, seen) == 2 && seen[8] == 1 && seen[9] == 1 &&
				q.tx->st.bad_ret == 0 && ivr_tx_avail(q.tx) == n,
				"both cookies back once, no bad_ret (%llu)",
				(unsigned long long)q.tx->st.bad_ret);

		/* the consumer restarts while the queue is away: the record is
		 * taken (our session word still names the old consumer), and
		 * the new consumer session reclaims it */
		T_EXPECT(send_ext(q.tx, 10, 64, 10) && lend_frames(&q.rx, 1, ids, data) == 1 &&
				ivr_tx_export(q.tx, out, kept, at) == 1, "one held, exported");
		ivr_detach(&p.b);
		T_EXPECT(ivr_attach(&p.b, p.base, p.size, &cons_cfg, NULL) == 0,
				"the consumer attaches again");
		ivr_rx_init(&q.rx, &p.b, 1);
		ivr_rx_begin(&q.rx);
		ivr_tx_init(q.tx, &p.a, 1);
		T_EXPECT(ivr_tx_import(q.tx, out, kept, at) && ivr_tx_ext_held(q.tx) == 1,
				"imported");
		ivr_tx_space(q.tx, n);
		T_EXPECT(q.tx->st.ext_reclaimed == 1 && reap_all(q.tx, seen) == 1 &&
				seen[10] == 1 && ivr_tx_ext_held(q.tx) == 0 && ivr_tx_avail(q.tx) == n,
				"the new consumer session reclaims it: its cookie back once");

		/* a drain that ended before the import (a refresh in between
		 * took the returns as bad ones): the record is not taken, its
		 * cookies stay the caller's */
		T_EXPECT(send_ext(q.tx, 12, 64, 12) && lend_frames(&q.rx, 1, ids, data) == 1 &&
				ivr_tx_export(q.tx, out, kept, at) == 1, "one held, exported");
		ivr_tx_init(q.tx, &p.a, 1);
		ivr_rx_ret(&q.rx, ids[0]);
		ivr_rx_flush(&q.rx);
		T_EXPECT(ivr_tx_space(q.tx, 1) == n && !q.tx->draining && q.tx->st.bad_ret == 1,
				"drained before the import: the return counted bad (%llu)",
				(unsigned long long)q.tx->st.bad_ret);
		T_EXPECT(!ivr_tx_import(q.tx, out, kept, at) && ivr_tx_ext_held(q.tx) == 0,
				"not imported after the drain");
		q.tx->st.bad_ret = 0;

		/* without a session to resume, nothing is taken: the caller
		 * frees what it kept */
		T_EXPECT(send_ext(q.tx, 7, 64, 7) && lend_frames(&q.rx, 1, ids, data) == 1 &&
				ivr_tx_export(q.tx, out, kept, at) == 1, "one held, exported");
		ivr_write_once64(&q.tx->ctl->tx.sync, 0);
		ivr_tx_init(q.tx, &p.a, 1);
		T_EXPECT(!ivr_tx_import(q.tx, out, kept, at) && ivr_tx_ext_held(q.tx) == 0,
				"no session word: not imported");
		ivr_rx_ret(&q.rx, ids[0]);
		ivr_rx_flush(&q.rx);
		ivr_detach(&p.b);
		T_EXPECT(ivr_attach(&p.b, p.base, p.size, &cons_cfg, NULL) == 0,
				"re-attach b");
		ivr_rx_init(&q.rx, &p.b, 1);
		ivr_rx_begin(&q.rx);
		usleep(IVR_TX_SESSION_NS / 1000 + 100);
		ivr_tx_space(q.tx, n);
	}

	/* release: ivr_tx_ext_reclaim gives back what is held */
	memset(seen, 0, sizeof(seen));
	T_EXPECT(send_ext(q.tx, 4, 64, 4) && lend_frames(&q.rx, 1, ids, data) == 1,
			"one held");
	ivr_tx_ext_reclaim(q.tx);
	T_EXPECT(reap_all(q.tx, seen) == 1 && seen[4] == 1 &&
			ivr_tx_ext_held(q.tx) == 0, "reclaimed at release");
	free(q.tx);
	pair_close(&p);
}

/*
 * Pool buffers to a consumer that copies: each is back once its
 * descriptor is consumed, with no return ring, mixed with copy frames that
 * free by slot; a queue set up again mid-session keeps the ones still
 * unread at their slots and gives back those read meanwhile; a new
 * consumer session reclaims the rest. Every cookie comes back once.
 */
static void
test_ext_slots(void)
{
	const uint32_t n = base_cfg.ring_size;
	static uint32_t seen[4096], at[4096];
	static void *kept[4096];
	static uint8_t out[8192];
	uint32_t lens[64], nk;
	uint8_t seeds[64];
	struct pair p;
	struct qpair q;

	pair_open(&p, &base_cfg, &cons_cfg);
	qpair_init(&q, &p, 1);
	ivr_rx_begin(&q.rx);
	for (uint32_t round = 0; round < 3; round++) {
		for (uint32_t k = 0; k < 32; k++) {
			T_EXPECT(send_ext(q.tx, k, 60 + k, (uint8_t)(k + 1)), "ext frame %u", k);
			T_EXPECT(send_frame(q.tx, 100, 0x55), "copy frame %u", k);
		}
		T_EXPECT(ivr_tx_ext_held(q.tx) == 32 && ivr_tx_out(q.tx) == 64,
				"round %u: 32 pool buffers and 64 descriptors out", round);
		T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 64, "64 frames");
		for (uint32_t k = 0; k < 32; k++)
			T_EXPECT(lens[2 * k] == 60 + k && seeds[2 * k] == k + 1 &&
					lens[2 * k + 1] == 100 && seeds[2 * k + 1] == 0x55,
					"frame pair %u in order, intact", k);
		memset(seen, 0, sizeof(seen));
		T_EXPECT(ivr_tx_space(q.tx, n) == n - 32 && reap_all(q.tx, seen) == 32 &&
				count_ones(seen, 32) == 32 && ivr_tx_avail(q.tx) == n &&
				ivr_tx_out(q.tx) == 0,
				"round %u: consumed, so back: each cookie once, every slot free", round);
	}
	T_EXPECT(q.rx.rprod == 0 && q.tx->rcons == 0 && q.tx->st.bad_ret == 0,
			"nothing went through the return ring");

	/* set up again with three pool frames and a copy frame unread; one
	 * pool frame is read between the export and the import */
	memset(seen, 0, sizeof(seen));
	T_EXPECT(send_ext(q.tx, 5, 64, 5) && send_frame(q.tx, 100, 8) &&
			send_ext(q.tx, 6, 64, 6) && send_ext(q.tx, 7, 64, 7),
			"three pool frames and a copy frame out");
	nk = ivr_tx_export(q.tx, out, kept, at);
	T_EXPECT(nk == 4 && at[(q.tx->prod - 4) & q.tx->mask] >= n &&
			kept[at[(q.tx->prod - 4) & q.tx->mask] - n] == &ext_cookies[5] &&
			at[(q.tx->prod - 3) & q.tx->mask] == 0,
			"export: four out (%u), the first a pool buffer with its cookie", nk);
	T_EXPECT(recv_frames(&q.rx, 1, lens, seeds) == 1 && seeds[0] == 5,
			"the first pool frame read meanwhile");
	ivr_tx_init(q.tx, &p.a, 1);
	ivr_tx_set_notify(q.tx, true);
	T_EXPECT(q.tx->resumed && !q.tx->draining && ivr_tx_out(q.tx) == 3,
			"resumed at once: three descriptors unread");
	T_EXPECT(ivr_tx_import(q.tx, out, kept, at) && ivr_tx_ext_held(q.tx) == 2 &&
			q.tx->ext_n_done == 1, "import: two pool buffers out, the read one back");
	T_EXPECT(send_frame(q.tx, 100, 9), "a frame goes at once");
	/* the consumer sees the new frame at its next refresh */
	nk = recv_frames(&q.rx, 64, lens, seeds);
	nk += recv_frames(&q.rx, 64 - nk, lens + nk, seeds + nk);
	T_EXPECT(nk == 4 && seeds[0] == 8 && seeds[1] == 6 && seeds[2] == 7 && seeds[3] == 9,
			"the unread frames, then the new one (%u)", nk);
	T_EXPECT(ivr_tx_space(q.tx, n) == n - 3 && reap_all(q.tx, seen) == 3 &&
			seen[5] == 1 && seen[6] == 1 && seen[7] == 1 && ivr_tx_avail(q.tx) == n,
			"the three cookies back once, every slot free");

	/* set up again while the consumer's index is out of range: resumed
	 * with everything out, nothing sent or freed until a valid index */
	{
		uint32_t good = q.rx.cons;

		T_EXPECT(send_frame(q.tx, 100, 1), "a frame out");
		ivr_store_release32(&q.rx.ctl->rx.cons, good + 5 * n);
		ivr_tx_init(q.tx, &p.a, 1);
		ivr_tx_set_notify(q.tx, true);
		T_EXPECT(q.tx->resumed && ivr_tx_out(q.tx) == n && ivr_tx_space(q.tx, 1) == 0 &&
				q.tx->st.bad_index >= 1, "bad consumer index: resumed, all out, nothing sent");
		ivr_store_release32(&q.rx.ctl->rx.cons, good);
		T_EXPECT(recv_frames(&q.rx, 64, lens, seeds) == 1 && seeds[0] == 1 &&
				ivr_tx_space(q.tx, n) == n && ivr_tx_out(q.tx) == 0,
				"a valid index again: the frame read, every slot free");
		q.tx->st.bad_index = 0;
	}

	/* the consumer restarts with pool frames unread: reclaimed */
	memset(seen, 0, sizeof(seen));
	T_EXPECT(send_ext(q.tx, 10, 64, 10) && send_ext(q.tx, 11, 64, 11),
			"two pool frames unread");
	ivr_detach(&p.b);
	T_EXPECT(ivr_attach(&p.b, p.base, p.size, &cons_cfg, NULL) == 0, "re-attach b");
	ivr_rx_init(&q.rx, &p.b, 1);
	ivr_rx_begin(&q.rx);
	ivr_tx_space(q.tx, n);
	T_EXPECT(q.tx->st.ext_reclaimed == 2 && reap_all(q.tx, seen) == 2 &&
			seen[10] == 1 && seen[11] == 1 && ivr_tx_avail(q.tx) == n,
			"new consumer session: both reclaimed, cookies back once");
	T_EXPECT(send_ext(q.tx, 3, 64, 3) && recv_frames(&q.rx, 64, lens, seeds) == 1 &&
			seeds[0] == 3, "the new session carries pool frames");
	free(q.tx);
	pair_close(&p);
}

int
main(void)
{
	t_init("test_ring_unit");
	test_config_check();
	test_layout();
	test_attach_errors();
	test_link_states();
	for (int lend = 0; lend < 2; lend++) {
		cons_cfg = base_cfg;
		cons_cfg.rx_flags = lend ? IVR_RXF_LEND : 0;
		t_log("data path, a consumer that %s", lend ? "lends" : "copies");
		test_datapath_basic();
		test_hostile_descs();
		test_burst_calls();
		test_sessions();
		test_torn_burst();
		test_restart_fewer_queues();
		test_len_wrap();
		test_queue_resetup();
		test_notify();
		test_hostile_consumer();
		if (lends())
			test_ext_ids();
		else
			test_ext_slots();
	}
	return t_finish();
}
