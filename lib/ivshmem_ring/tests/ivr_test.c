/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixtures of the ring tests (ivr_test.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "ivr_test.h"

/* ---- PRNG ---- */

uint64_t
ivt_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void
ivt_rng_seed(struct ivt_rng *g, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		seed += 0x9e3779b97f4a7c15ULL;
		g->s[i] = ivt_mix(seed);
	}
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
ivt_rand(struct ivt_rng *g)
{
	uint64_t *s = g->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

uint32_t
ivt_range(struct ivt_rng *g, uint32_t lo, uint32_t hi)
{
	uint64_t span = (uint64_t)hi - lo + 1;

	/* Multiply-shift: uniform enough for test traffic, no division. */
	return lo + (uint32_t)(((ivt_rand(g) >> 32) * span) >> 32);
}

uint64_t
ivt_random_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = t_now_ns() ^ ((uint64_t)getpid() << 32);
	return s;
}

/* ---- options ---- */

bool
ivt_parse(const char *opt, const char *s, const struct ivn_spec *sp,
		uint64_t *out)
{
	char err[IVN_ERR_LEN];

	if (ivn_parse(opt, s, sp, out, err, sizeof(err)) == 0)
		return true;
	t_log("%s", err);
	return false;
}

/* ---- CPUs ---- */

int
ivt_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		t_log("sched_getaffinity: %s: not pinning", strerror(errno));
		return 0;
	}
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	if (n < 2)
		t_log("only %d CPU available: both sides share it, not pinning", n);
	return n;
}

int
ivt_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* 0 = the calling thread, with the raw syscall semantics glibc keeps */
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	return 0;
}

/* ---- memory ---- */

void *
ivt_shm_region(uint64_t size, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	char path[64];
	uint8_t *res;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/ivr-test-%d-XXXXXX", (int)getpid());
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in /dev/shm: %s", strerror(errno));
		return NULL;
	}
	/* From here on nothing can leak the file. */
	unlink(path);
	if (ftruncate(fd, (off_t)size) != 0) {
		snprintf(err, errlen, "ftruncate %s to %llu: %s", path,
				(unsigned long long)size, strerror(errno));
		close(fd);
		return NULL;
	}
	/* A guard page either side: an access past the region faults even
	 * where no sanitizer watches (shared mappings are not instrumented). */
	res = mmap(NULL, size + 2 * (uint64_t)page, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED) {
		snprintf(err, errlen, "reserving %llu bytes: %s",
				(unsigned long long)size, strerror(errno));
		close(fd);
		return NULL;
	}
	p = mmap(res + page, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "mmap %s: %s", path, strerror(errno));
		munmap(res, size + 2 * (uint64_t)page);
		return NULL;
	}
	return p;
}

void
ivt_unmap_region(void *p, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);

	if (p != NULL)
		munmap((uint8_t *)p - page, size + 2 * (uint64_t)page);
}

uint64_t
ivt_sum_u64(const void *first, size_t stride, unsigned int n, size_t off)
{
	const uint8_t *p = (const uint8_t *)first + off;
	uint64_t t = 0, v;

	for (unsigned int i = 0; i < n; i++, p += stride) {
		memcpy(&v, p, sizeof(v));
		t += v;
	}
	return t;
}

/* ---- time ---- */

void
ivt_spin(uint32_t loops)
{
	for (uint32_t i = 0; i < loops; i++)
		__builtin_ia32_pause();
}

void
ivt_stall(struct ivt_rng *g)
{
	uint32_t r = (uint32_t)ivt_rand(g);

	if ((r & 0xfff) == 0)
		usleep(1 + (r >> 24) % 100);
	else if ((r & 0x3f) == 0)
		ivt_spin((r >> 16) & 0x3ff);
}

/* ---- frames ---- */

#define GOLDEN	0x9e3779b97f4a7c15ULL

/*
 * Payload checksum: four Fletcher lanes over little-endian 64-bit words
 * (lane = word index mod 4), the payload zero-padded to a multiple of 32
 * bytes. Segments other than a frame's last hold a multiple of 32 payload
 * bytes (buffer sizes are multiples of 64, the header is 32), so the
 * producer can fold segment by segment what the consumer folds at once.
 */
struct csum {
	uint64_t a[4], b[4];
};

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline void
store64(uint8_t *p, uint64_t w)
{
	memcpy(p, &w, sizeof(w));
}

/* One 32-byte block; the lanes are separate variables so that they stay
 * in registers (an array round trip through the stack stalls store
 * forwarding and made the producer 5x slower). */
#define CSUM_BLOCK(a, b, w0, w1, w2, w3) do {				\
	a##0 += (w0); b##0 += a##0;					\
	a##1 += (w1); b##1 += a##1;					\
	a##2 += (w2); b##2 += a##2;					\
	a##3 += (w3); b##3 += a##3;					\
} while (0)

static uint64_t
csum_final(const struct csum *c, uint32_t len)
{
	uint64_t h = len;

	for (int j = 0; j < 4; j++) {
		h = ivt_mix(h ^ c->a[j]);
		h = ivt_mix(h ^ c->b[j]);
	}
	return h;
}

static uint64_t
csum_bytes(const uint8_t *p, uint32_t len)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
	struct csum c;
	uint32_t i;

	for (i = 0; i + 32 <= len; i += 32)
		CSUM_BLOCK(a, b, load64(p + i), load64(p + i + 8),
				load64(p + i + 16), load64(p + i + 24));
	if (i < len) {
		uint8_t t[32] = { 0 };

		memcpy(t, p + i, len - i);
		CSUM_BLOCK(a, b, load64(t), load64(t + 8), load64(t + 16),
				load64(t + 24));
	}
	c = (struct csum){ { a0, a1, a2, a3 }, { b0, b1, b2, b3 } };
	return csum_final(&c, len);
}

static uint64_t
frame_key(uint64_t stamp, uint32_t incarnation, uint64_t seq)
{
	return ivt_mix(stamp ^ ivt_mix(seq ^ ((uint64_t)incarnation << 44)));
}

/*
 * Writes n payload bytes of the pattern for key at dst, starting at
 * payload word *pw (a multiple of 4), and folds them into c.
 */
static void
gen_payload(struct csum *c, uint8_t *dst, uint32_t n, uint64_t key, uint64_t *pw)
{
	uint64_t a0 = c->a[0], a1 = c->a[1], a2 = c->a[2], a3 = c->a[3];
	uint64_t b0 = c->b[0], b1 = c->b[1], b2 = c->b[2], b3 = c->b[3];
	uint64_t v = key + *pw * GOLDEN;
	uint32_t i;

	for (i = 0; i + 32 <= n; i += 32, v += 4 * GOLDEN) {
		store64(dst + i, v);
		store64(dst + i + 8, v + GOLDEN);
		store64(dst + i + 16, v + 2 * GOLDEN);
		store64(dst + i + 24, v + 3 * GOLDEN);
		CSUM_BLOCK(a, b, v, v + GOLDEN, v + 2 * GOLDEN, v + 3 * GOLDEN);
	}
	*pw += i / 8;
	if (i < n) {
		uint8_t t[32];

		for (int j = 0; j < 4; j++)
			store64(t + 8 * j, v + (uint64_t)j * GOLDEN);
		memcpy(dst + i, t, n - i);
		memset(t + (n - i), 0, 32 - (n - i));
		CSUM_BLOCK(a, b, load64(t), load64(t + 8), load64(t + 16),
				load64(t + 24));
	}
	*c = (struct csum){ { a0, a1, a2, a3 }, { b0, b1, b2, b3 } };
}

static void
send_frame(struct ivt_sender *s, uint32_t len)
{
	struct ivr_tx *t = s->tx;
	struct ivt_hdr h = {
		.stamp = s->stamp, .seq = s->seq, .len = len,
		.incarnation = s->incarnation,
	};
	uint64_t key = frame_key(s->stamp, s->incarnation, s->seq), pw = 0;
	struct csum c = { { 0 }, { 0 } };
	uint8_t *first = NULL;

	for (uint32_t off = 0; off < len;) {
		uint32_t id = ivr_tx_buf_get(t);
		uint8_t *b = ivr_tx_buf(t, id);
		uint32_t l = len - off < t->buf_size ? len - off : t->buf_size;
		uint32_t skip = off == 0 ? (uint32_t)sizeof(h) : 0;

		if (off == 0)
			first = b;
		gen_payload(&c, b + skip, l - skip, key, &pw);
		ivr_tx_push(t, id, l, off + l < len ? IVR_DESC_NEXT : 0);
		off += l;
	}
	h.csum = csum_final(&c, len - (uint32_t)sizeof(h));
	memcpy(first, &h, sizeof(h));
	s->seq++;
	s->frames++;
	s->bytes += len;
}

uint32_t
ivt_send(struct ivt_sender *s, struct ivt_rng *g, uint32_t burst)
{
	struct ivr_tx *t = s->tx;
	uint32_t len[IVT_MAX_BURST], need = 0, room, sent = 0, pushed = 0;

	if (burst > IVT_MAX_BURST)
		burst = IVT_MAX_BURST;
	for (uint32_t i = 0; i < burst; i++) {
		len[i] = ivt_range(g, s->min_len, s->max_len);
		need += (len[i] + t->buf_size - 1) / t->buf_size;
	}
	room = ivr_tx_space(t, need);
	for (uint32_t i = 0; i < burst; i++) {
		uint32_t nseg = (len[i] + t->buf_size - 1) / t->buf_size;

		if (nseg > room)
			break;
		send_frame(s, len[i]);
		room -= nseg;
		pushed += nseg;
		sent++;
	}
	if (ivr_tx_publish(t, pushed))
		s->kicks++;
	return sent;
}

bool
ivt_receiver_init(struct ivt_receiver *r, struct ivr_rx *rx, uint32_t max_frame)
{
	memset(r, 0, sizeof(*r));
	r->rx = rx;
	r->max_frame = max_frame;
	r->buf = malloc((size_t)IVT_MAX_BURST * max_frame);
	return r->buf != NULL;
}

void
ivt_receiver_free(struct ivt_receiver *r)
{
	free(r->buf);
	r->buf = NULL;
}

uint32_t
ivt_recv(struct ivt_receiver *r, uint32_t burst)
{
	struct ivr_frame f;
	uint32_t n = 0;

	if (burst > IVT_MAX_BURST)
		burst = IVT_MAX_BURST;
	if (ivr_rx_begin(r->rx) == 0)
		return 0;
	while (n < burst && ivr_rx_next(r->rx, &f)) {
		uint8_t *d = r->buf + (size_t)n * r->max_frame;

		/* The library bounds f.len by its max_frame, which is ours:
		 * a longer frame is recorded, not copied, and fails the check. */
		if (f.len <= r->max_frame)
			for (uint32_t i = 0; i < f.nseg; i++) {
				memcpy(d, f.seg[i].data, f.seg[i].len);
				d += f.seg[i].len;
			}
		r->len[n++] = f.len;
	}
	if (!ivr_rx_end(r->rx, n)) {
		r->torn++;
		return 0;
	}
	return n;
}

enum ivt_verdict
ivt_check(const uint8_t *frame, uint32_t len, uint64_t stamp, struct ivt_hdr *h)
{
	if (len < sizeof(*h)) {
		memset(h, 0, sizeof(*h));
		return IVT_BAD_LEN;
	}
	memcpy(h, frame, sizeof(*h));
	if (h->stamp != stamp)
		return IVT_BAD_STAMP;
	if (h->len != len)
		return IVT_BAD_LEN;
	if (h->csum != csum_bytes(frame + sizeof(*h), len - (uint32_t)sizeof(*h)))
		return IVT_BAD_CSUM;
	return IVT_OK;
}

const char *
ivt_verdict_name(enum ivt_verdict v)
{
	switch (v) {
	case IVT_OK: return "ok";
	case IVT_BAD_LEN: return "bad length";
	case IVT_BAD_STAMP: return "bad stamp";
	case IVT_BAD_CSUM: return "bad checksum";
	}
	return "?";
}
