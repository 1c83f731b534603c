/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control path: format or join the region, claim a slot, (re)initialise our
 * part, heartbeat, and a validated view of the peer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ivr_atomic.h"
#include "ivshmem_ring.h"

#define FORMAT_WAIT_MS	1000
#define CLAIM_MS_DEFAULT 2000

static int __attribute__((format(printf, 3, 4)))
fail(struct ivr_region *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	return -err;
}

uint64_t
ivr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

uint64_t
ivr_layout_compute(const struct ivr_config *cfg, struct ivr_layout *lay)
{
	uint64_t q = cfg->n_queues, n = cfg->ring_size;

	lay->desc_off = align_up(sizeof(struct ivr_peer_block) +
			q * sizeof(struct ivr_queue_ctl), IVR_CACHE_LINE);
	lay->ret_off = lay->desc_off + q * n * sizeof(struct ivr_desc);
	lay->data_off = align_up(lay->ret_off + q * n * sizeof(uint32_t),
			IVR_PART_ALIGN);
	lay->used = lay->data_off + q * n * cfg->buf_size;
	return lay->used;
}

void
ivr_pool_area(const struct ivr_region *r, uint64_t *off, uint64_t *len)
{
	uint64_t lo = align_up(r->lay.used, IVR_PART_ALIGN);
	uint64_t hi = r->part_size > IVR_MAX_PART ? IVR_MAX_PART : r->part_size;

	*off = lo;
	*len = hi > lo ? hi - lo : 0;
}

static uint64_t
part_size_of(uint64_t region_size)
{
	if (region_size < IVR_HDR_SIZE)
		return 0;
	return ((region_size - IVR_HDR_SIZE) / IVR_SLOTS) &
		~(uint64_t)(IVR_PART_ALIGN - 1);
}

uint64_t
ivr_region_size_for(const struct ivr_config *cfg)
{
	struct ivr_layout lay;
	uint64_t need = IVR_HDR_SIZE + IVR_SLOTS * ivr_layout_compute(cfg, &lay);
	uint64_t size = 1ULL << 20;

	while (size < need)
		size <<= 1;
	return size;
}

int
ivr_config_check(const struct ivr_config *c, char *msg, size_t len)
{
	struct ivr_layout lay;

	if (c->n_queues < 1 || c->n_queues > IVR_MAX_QUEUES)
		snprintf(msg, len, "queues %u not in 1..%u", c->n_queues,
				IVR_MAX_QUEUES);
	else if (!is_pow2(c->ring_size) || c->ring_size < IVR_MIN_RING ||
			c->ring_size > IVR_MAX_RING)
		snprintf(msg, len, "ring size %u is not a power of two in %u..%u",
				c->ring_size, IVR_MIN_RING, IVR_MAX_RING);
	else if (c->buf_size < IVR_MIN_BUF || c->buf_size > IVR_MAX_BUF ||
			c->buf_size % IVR_CACHE_LINE != 0)
		snprintf(msg, len, "buffer size %u is not a multiple of %u in %u..%u",
				c->buf_size, IVR_CACHE_LINE, IVR_MIN_BUF, IVR_MAX_BUF);
	else if (c->max_frame < 64 || c->max_frame > IVR_MAX_FRAME)
		snprintf(msg, len, "max frame %u not in 64..%u", c->max_frame,
				IVR_MAX_FRAME);
	else if (c->max_frame > (uint64_t)c->buf_size * IVR_MAX_CHAIN)
		snprintf(msg, len, "max frame %u needs more than %u buffers of %u bytes",
				c->max_frame, IVR_MAX_CHAIN, c->buf_size);
	else if (ivr_layout_compute(c, &lay) > IVR_MAX_PART)
		snprintf(msg, len, "layout needs %llu bytes per peer, more than %llu",
				(unsigned long long)lay.used,
				(unsigned long long)IVR_MAX_PART);
	else
		return 0;
	return -EINVAL;
}

/*
 * Format a blank region or join a formatted one. The format lock is the
 * magic word itself: 0 -> IVR_FMT_BUSY by compare-and-swap (the loser
 * joins), fields, then IVR_MAGIC with release.
 */
static int
format_or_join(struct ivr_region *r)
{
	struct ivr_region_hdr *h = (struct ivr_region_hdr *)r->base;
	uint64_t expect = 0, psize = part_size_of(r->size), magic;
	uint64_t region_size, part_size, part_off[IVR_SLOTS];
	uint32_t version, hdr_size;
	unsigned int waited = 0;

	if (ivr_cas64(&h->magic, &expect, IVR_FMT_BUSY)) {
		/* Blank means magic == 0; the rest may hold anything. Pads
		 * and reserved bytes must read as zero. */
		for (uint64_t *w = &h->magic + 1; w < (uint64_t *)(h + 1); w++)
			ivr_write_once64(w, 0);
		/* version_major, version_minor: one 32-bit word */
		ivr_write_once32((uint32_t *)&h->version_major,
				(uint32_t)IVR_VERSION_MINOR << 16 | IVR_VERSION_MAJOR);
		ivr_write_once32(&h->hdr_size, IVR_HDR_SIZE);
		ivr_write_once64(&h->region_size, r->size);
		ivr_write_once64(&h->part_size, psize);
		for (unsigned int i = 0; i < IVR_SLOTS; i++) {
			ivr_write_once64(&h->part_off[i], IVR_HDR_SIZE + i * psize);
			ivr_write_once64(&h->slot[i].owner, 0);
		}
		/* [P7] header fields before magic; pairs with the
		 * load-acquire of magic below, in the joiner. */
		ivr_store_release64(&h->magic, IVR_MAGIC);
	}
	/* [P7] */
	while ((magic = ivr_load_acquire64(&h->magic)) == IVR_FMT_BUSY) {
		if (waited >= FORMAT_WAIT_MS)
			return fail(r, ETIMEDOUT, "region is still being formatted after %u ms (a peer died while formatting?): zero the region or use a new file",
					FORMAT_WAIT_MS);
		sleep_ms(1);
		waited++;
	}
	if (magic != IVR_MAGIC)
		return fail(r, EPROTO, "not an ivshmem-net region (magic %#llx): zero it or use a new file",
				(unsigned long long)magic);
	/* The header is the formatter's: read each word once. */
	version = ivr_read_once32((const uint32_t *)&h->version_major);
	hdr_size = ivr_read_once32(&h->hdr_size);
	region_size = ivr_read_once64(&h->region_size);
	part_size = ivr_read_once64(&h->part_size);
	for (unsigned int i = 0; i < IVR_SLOTS; i++)
		part_off[i] = ivr_read_once64(&h->part_off[i]);
	if ((version & 0xffff) != IVR_VERSION_MAJOR)
		return fail(r, EPROTO, "region has ABI v%u.%u, we speak v%u.%u: incompatible major version",
				version & 0xffff, version >> 16,
				IVR_VERSION_MAJOR, IVR_VERSION_MINOR);
	if (hdr_size != IVR_HDR_SIZE || region_size != r->size ||
			part_size != psize ||
			part_off[0] != IVR_HDR_SIZE ||
			part_off[1] != IVR_HDR_SIZE + psize)
		return fail(r, EPROTO, "region formatted for %llu bytes (parts of %llu), but %llu are mapped: both peers must use the same size",
				(unsigned long long)region_size,
				(unsigned long long)part_size,
				(unsigned long long)r->size);
	r->part_size = psize;
	return 0;
}

static struct ivr_peer_block *
block_of(struct ivr_region *r, unsigned int slot)
{
	return (struct ivr_peer_block *)(r->base + IVR_HDR_SIZE +
			slot * r->part_size);
}

/* Waits up to dead_ms for a heartbeat to move; true if it did not. */
static bool
silent_for(struct ivr_region *r, unsigned int slot, uint32_t ms)
{
	const uint64_t *hb = &block_of(r, slot)->heartbeat;
	uint64_t first = ivr_read_once64(hb);

	for (uint32_t t = 0; t < ms; t += 10) {
		sleep_ms(10);
		if (ivr_read_once64(hb) != first)
			return false;
	}
	return true;
}

static int
claim_slot(struct ivr_region *r, int want, uint32_t claim_ms)
{
	struct ivr_region_hdr *h = (struct ivr_region_hdr *)r->base;
	uint64_t start = ivr_now_ns();

	for (;;) {
		for (unsigned int s = 0; s < IVR_SLOTS; s++) {
			uint64_t expect = 0;

			if (want >= 0 && (unsigned int)want != s)
				continue;
			if (ivr_cas64(&h->slot[s].owner, &expect, r->token)) {
				r->slot = s;
				return 0;
			}
		}
		/* Every slot we may use is taken: take over one whose owner
		 * has stopped beating. */
		for (unsigned int s = 0; s < IVR_SLOTS; s++) {
			uint64_t owner;

			if (want >= 0 && (unsigned int)want != s)
				continue;
			owner = ivr_read_once64(&h->slot[s].owner);
			if (owner != 0 && silent_for(r, s, r->dead_ms) &&
					ivr_cas64(&h->slot[s].owner, &owner, r->token)) {
				r->slot = s;
				return 0;
			}
		}
		if (ivr_now_ns() - start > (uint64_t)claim_ms * 1000000ULL)
			break;
	}
	if (want >= 0)
		return fail(r, EBUSY, "slot %d of the region is held by a live peer", want);
	return fail(r, EBUSY, "both slots of the region are held by live peers");
}

/*
 * Make every session word in our part invalid before anything else in it
 * changes, so a peer reading concurrently sees the change at its next
 * session check ([P2]). All IVR_MAX_QUEUES blocks: an earlier incarnation
 * may have had more queues than we do, and a peer still in session on one
 * of those must lose it too.
 */
static void
part_invalidate(struct ivr_region *r)
{
	struct ivr_queue_ctl *ctl = (struct ivr_queue_ctl *)(r->part[r->slot] +
			sizeof(struct ivr_peer_block));

	ivr_store_release32(&r->self->state, IVR_STATE_INIT);
	for (unsigned int q = 0; q < IVR_MAX_QUEUES; q++) {
		ivr_write_once64(&ctl[q].tx.sync, 0);
		ivr_write_once64(&ctl[q].rx.sync, 0);
	}
	/* [P2] invalidation before the rewrite; pairs with the acquire
	 * fences in ivr_rx_end and ivr_tx_refresh. */
	ivr_fence_release();
}

static void
part_init(struct ivr_region *r)
{
	struct ivr_peer_block *b = r->self;
	uint32_t epoch = ivr_read_once32(&b->epoch) + 1;
	uint64_t mac = 0;

	part_invalidate(r);
	if (epoch == 0)
		epoch = 1;
	r->epoch = epoch;
	/* Queue control lines and rings. The peer reads some of these words
	 * at any time (it polls our rx.sync before it looks at our state),
	 * so they are cleared with atomic stores, not memset: a plain store
	 * there would be a data race when both peers are threads of one
	 * process, and ThreadSanitizer reports it. */
	for (uint64_t *w = (uint64_t *)(b + 1);
			w < (uint64_t *)((uint8_t *)b + r->lay.data_off); w++)
		ivr_write_once64(w, 0);
	/* Our block, but for state, epoch and heartbeat, which the peer
	 * watches: pads and reserved bytes read as zero. 16-bit fields are
	 * written with their neighbour as one aligned word, as the peer
	 * reads them (ivshmem_abi.h asserts each pair). */
	for (uint64_t *w = (uint64_t *)&b->doorbell_id;
			w < (uint64_t *)&b->heartbeat; w++)
		ivr_write_once64(w, 0);
	for (uint64_t *w = &b->heartbeat + 1; w < (uint64_t *)(b + 1); w++)
		ivr_write_once64(w, 0);
	ivr_write_once64(&b->features, r->cfg.features);
	ivr_write_once32((uint32_t *)&b->doorbell_id,
			(uint32_t)r->cfg.n_vectors << 16 | r->cfg.doorbell_id);
	ivr_write_once32((uint32_t *)&b->version_major,
			(uint32_t)IVR_VERSION_MINOR << 16 | IVR_VERSION_MAJOR);
	ivr_write_once32((uint32_t *)&b->n_queues, r->cfg.n_queues); /* pad3 = 0 */
	ivr_write_once32(&b->ring_size, r->cfg.ring_size);
	ivr_write_once32(&b->buf_size, r->cfg.buf_size);
	ivr_write_once32(&b->max_frame, r->cfg.max_frame);
	memcpy(&mac, r->cfg.mac, sizeof(r->cfg.mac));	/* pad4 = 0 */
	ivr_write_once64((uint64_t *)b->mac, mac);
	ivr_write_once32(&b->data_off, (uint32_t)r->lay.data_off);
	ivr_write_once32(&b->rx_flags, r->cfg.rx_flags);
	ivr_write_once32(&b->epoch, epoch);
	ivr_write_once64(&b->heartbeat, ivr_read_once64(&b->heartbeat) + 1);
	/* [P8] config and epoch before state; pairs with the load-acquire
	 * of state in ivr_poll_peer and the queue resync paths. */
	ivr_store_release32(&b->state, IVR_STATE_READY);
}

int
ivr_attach(struct ivr_region *r, void *base, uint64_t size,
		const struct ivr_config *cfg, const struct ivr_attach_opts *o)
{
	uint64_t token = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = size;
	r->cfg = *cfg;
	r->dead_ms = o && o->dead_ms ? o->dead_ms : IVR_DEAD_MS_DEFAULT;
	if (r->dead_ms < IVR_DEAD_MS_MIN)
		r->dead_ms = IVR_DEAD_MS_MIN;
	if (ivr_config_check(cfg, r->errmsg, sizeof(r->errmsg)) != 0)
		return -EINVAL;
	if (o && o->slot >= IVR_SLOTS)
		return fail(r, EINVAL, "slot %d not in 0..%d", o->slot, IVR_SLOTS - 1);
	if ((uintptr_t)base % IVR_PART_ALIGN != 0)
		return fail(r, EINVAL, "region is not %u-byte aligned", IVR_PART_ALIGN);
	ivr_layout_compute(cfg, &r->lay);
	if (part_size_of(size) < r->lay.used)
		return fail(r, ENOSPC, "region of %llu bytes is too small: this configuration needs %llu bytes per peer, so a region of at least %llu bytes",
				(unsigned long long)size,
				(unsigned long long)r->lay.used,
				(unsigned long long)ivr_region_size_for(cfg));
	ret = format_or_join(r);
	if (ret != 0)
		return ret;
	while (token == 0)
		if (getrandom(&token, sizeof(token), 0) != sizeof(token))
			return fail(r, errno, "getrandom: %s", strerror(errno));
	r->token = token;
	ret = claim_slot(r, o ? o->slot : -1,
			o && o->claim_ms ? o->claim_ms : CLAIM_MS_DEFAULT);
	if (ret != 0)
		return ret;
	r->part[r->slot] = r->base + IVR_HDR_SIZE + r->slot * r->part_size;
	r->part[!r->slot] = r->base + IVR_HDR_SIZE + !r->slot * r->part_size;
	r->self = (struct ivr_peer_block *)r->part[r->slot];
	r->peer = (struct ivr_peer_block *)r->part[!r->slot];
	part_init(r);
	r->pv.why = IVR_DOWN_NO_PEER;
	return 0;
}

void
ivr_detach(struct ivr_region *r)
{
	struct ivr_region_hdr *h = (struct ivr_region_hdr *)r->base;
	uint64_t token = r->token;

	if (r->self == NULL)
		return;
	/* Evicted: the part belongs to another peer now; leave it alone. */
	if (ivr_read_once64(&h->slot[r->slot].owner) == token) {
		part_invalidate(r);
		ivr_store_release32(&r->self->state, IVR_STATE_RESET);
		ivr_cas64(&h->slot[r->slot].owner, &token, 0);
	}
	r->self = NULL;
	r->running = false;
}

void
ivr_set_running(struct ivr_region *r, bool run)
{
	if (__atomic_load_n(&r->evicted, __ATOMIC_RELAXED))
		return;
	r->running = run;
	/* [P8] */
	ivr_store_release32(&r->self->state,
			run ? IVR_STATE_RUN : IVR_STATE_READY);
}

bool
ivr_heartbeat(struct ivr_region *r)
{
	struct ivr_region_hdr *h = (struct ivr_region_hdr *)r->base;

	if (ivr_read_once64(&h->slot[r->slot].owner) != r->token) {
		r->pv.why = IVR_DOWN_EVICTED;
		/* The data path stops writing the part at its next refresh. */
		__atomic_store_n(&r->evicted, 1, __ATOMIC_RELAXED);
		return false;
	}
	ivr_write_once64(&r->self->heartbeat,
			ivr_read_once64(&r->self->heartbeat) + 1);
	return true;
}

/* Reads the peer's config line once and checks it against the ABI limits
 * and its part: a hostile peer gets IVR_DOWN_BAD_CONFIG, nothing else. */
static bool
read_peer_config(struct ivr_region *r, struct ivr_config *c)
{
	const struct ivr_peer_block *b = r->peer;
	struct ivr_layout lay;
	char msg[128];

	/* 16-bit fields are read as the aligned 32-bit words holding them,
	 * so each shared word is still read exactly once. */
	c->n_queues = ivr_read_once32((const uint32_t *)&b->n_queues) & 0xffff;
	c->ring_size = ivr_read_once32(&b->ring_size);
	c->buf_size = ivr_read_once32(&b->buf_size);
	c->max_frame = ivr_read_once32(&b->max_frame);
	c->features = ivr_read_once64(&b->features);
	c->rx_flags = ivr_read_once32(&b->rx_flags);
	{
		uint32_t w = ivr_read_once32((const uint32_t *)&b->doorbell_id);

		c->doorbell_id = w & 0xffff;
		c->n_vectors = w >> 16;
	}
	{
		uint64_t m = ivr_read_once64((const uint64_t *)b->mac);

		memcpy(c->mac, &m, sizeof(c->mac));
	}
	if (ivr_config_check(c, msg, sizeof(msg)) != 0)
		return false;
	ivr_layout_compute(c, &lay);
	return lay.used <= r->part_size &&
		ivr_read_once32(&b->data_off) == lay.data_off;
}

/* What a v2.0 link needs of the peer beyond a valid config. */
static bool
peer_compatible(const struct ivr_region *r, const struct ivr_config *c)
{
	uint32_t v = ivr_read_once32((const uint32_t *)&r->peer->version_major);

	return (v & 0xffff) == IVR_VERSION_MAJOR &&
		(c->features & IVR_F_ALL) == IVR_F_ALL &&
		c->n_queues == r->cfg.n_queues &&
		c->ring_size == r->cfg.ring_size;
}

bool
ivr_poll_peer(struct ivr_region *r, uint64_t now_ns)
{
	struct ivr_peer_view *pv = &r->pv;
	uint32_t state, epoch;
	uint64_t hb;

	if (pv->why == IVR_DOWN_EVICTED)
		return false;
	/* [P8] pairs with the store-release of state in part_init and
	 * ivr_set_running. */
	state = ivr_load_acquire32(&r->peer->state);
	epoch = ivr_read_once32(&r->peer->epoch);
	hb = ivr_read_once64(&r->peer->heartbeat);
	if (epoch != pv->epoch) {
		/* A new incarnation proves it is alive by beating. */
		pv->alive = false;
		pv->heartbeat = hb;
		pv->hb_change_ns = now_ns;
	} else if (hb != pv->heartbeat) {
		pv->alive = true;
		pv->heartbeat = hb;
		pv->hb_change_ns = now_ns;
	}
	if (epoch != pv->cfg_epoch || state != pv->state) {
		pv->cfg_ok = state >= IVR_STATE_READY &&
			read_peer_config(r, &pv->cfg);
		pv->cfg_epoch = epoch;
		/* The peer may have restarted while we read: then the copy
		 * mixes two incarnations. part_init stores INIT and a release
		 * fence before it rewrites the config, and the new epoch
		 * before READY with release: so state (acquire), then epoch,
		 * tells. Read again at the next poll if anything moved. */
		ivr_fence_acquire();
		if (ivr_load_acquire32(&r->peer->state) != state ||
				ivr_read_once32(&r->peer->epoch) != epoch) {
			pv->cfg_ok = false;
			pv->cfg_epoch = 0;
		}
	}
	pv->epoch = epoch;
	pv->state = state;

	if (state < IVR_STATE_READY || state > IVR_STATE_RUN)
		pv->why = IVR_DOWN_NO_PEER;
	else if (now_ns - pv->hb_change_ns > (uint64_t)r->dead_ms * 1000000ULL)
		pv->why = IVR_DOWN_DEAD;
	else if (!pv->alive)
		pv->why = IVR_DOWN_NO_PEER;	/* not seen beating yet */
	else if (!pv->cfg_ok)
		pv->why = IVR_DOWN_BAD_CONFIG;
	else if (!peer_compatible(r, &pv->cfg))
		pv->why = IVR_DOWN_MISMATCH;
	else if (!r->running)
		pv->why = IVR_DOWN_STOPPED;
	else if (state != IVR_STATE_RUN)
		pv->why = IVR_DOWN_PEER_STOPPED;
	else
		pv->why = IVR_DOWN_NONE;
	return pv->why == IVR_DOWN_NONE;
}

uint32_t
ivr_peer_vector(const struct ivr_region *r, uint16_t q, uint16_t n_ours)
{
	uint32_t nv = n_ours < r->pv.cfg.n_vectors ? n_ours : r->pv.cfg.n_vectors;
	const struct ivr_queue_ctl *ctl = (const struct ivr_queue_ctl *)
		((const uint8_t *)r->peer + sizeof(struct ivr_peer_block)) + q;
	/* vector and its pad are one aligned 32-bit word */
	uint32_t v = ivr_read_once32((const uint32_t *)&ctl->notify.vector) & 0xffff;

	if (v >= 1 && v < nv)
		return v;
	return 1u + q < nv ? 1u + q : IVR_NO_VECTOR;
}

const char *
ivr_state_name(uint32_t state)
{
	static const char *const names[] = { "RESET", "INIT", "READY", "RUN" };

	return state < 4 ? names[state] : "INVALID";
}

const char *
ivr_down_name(enum ivr_down_reason why)
{
	switch (why) {
	case IVR_DOWN_NONE: return "up";
	case IVR_DOWN_STOPPED: return "port stopped";
	case IVR_DOWN_NO_PEER: return "no peer";
	case IVR_DOWN_PEER_STOPPED: return "peer stopped";
	case IVR_DOWN_DEAD: return "peer heartbeat stopped";
	case IVR_DOWN_BAD_CONFIG: return "peer config invalid";
	case IVR_DOWN_MISMATCH: return "peer incompatible (queues, ring size, ABI major or features differ)";
	case IVR_DOWN_EVICTED: return "our slot was taken over";
	}
	return "unknown";
}
