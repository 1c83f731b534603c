/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixtures of the ring stress, restart and hostile tests, on top of the
 * common test vocabulary (t_helpers.h: results, time, processes): a
 * seeded PRNG, strict option parsing, CPU pinning, a region in a shared
 * file, and self-checking frames sent and received through the burst API.
 *
 * A frame starts with struct ivt_hdr: the run's stamp, the producer's
 * incarnation (its epoch) and sequence number, the frame length and a
 * checksum of the payload. The payload is a pattern derived from stamp,
 * incarnation and sequence, so a frame delivered twice, late, from another
 * run or torn between two frames fails its check.
 */
#ifndef IVR_TEST_H
#define IVR_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ivr_queue.h"
#include "ivshmem_parse.h"
#include "ivshmem_ring.h"
#include "t_helpers.h"

#define IVT_MAX_BURST	64	/* frames per burst, either side */

/* xoshiro256**, seeded through splitmix64: fast and reproducible. */
struct ivt_rng {
	uint64_t s[4];
};

void ivt_rng_seed(struct ivt_rng *g, uint64_t seed);
uint64_t ivt_rand(struct ivt_rng *g);
/* Uniform in lo..hi, both included. */
uint32_t ivt_range(struct ivt_rng *g, uint32_t lo, uint32_t hi);
/* A seed from getrandom(), for runs without --seed. */
uint64_t ivt_random_seed(void);
/* splitmix64 finaliser: a cheap 64-bit hash. */
uint64_t ivt_mix(uint64_t x);

/* An option's value through lib/ivshmem_parse (seconds: milliseconds);
 * false after printing what is wrong. */
bool ivt_parse(const char *opt, const char *s, const struct ivn_spec *sp,
		uint64_t *out);

/*
 * Up to two CPUs this process may run on, for one side each. Returns how
 * many it found (2 when pinning makes sense) and says so on stdout when it
 * will not pin.
 */
int ivt_cpus(int cpu[2]);
/* Pins the calling thread; returns 0 or -errno. */
int ivt_pin(int cpu);

/*
 * A region in a new file under /dev/shm, mapped MAP_SHARED and zeroed,
 * between two PROT_NONE guard pages; the file is unlinked at once (the
 * mapping, and the children forked after this, keep it). NULL with a
 * reason in err when /dev/shm is not usable: the caller skips.
 */
void *ivt_shm_region(uint64_t size, char *err, size_t errlen);
void ivt_unmap_region(void *p, uint64_t size);

/* Sum of the uint64_t counter at byte offset off of n structs, stride
 * bytes apart (per-queue stats). */
uint64_t ivt_sum_u64(const void *first, size_t stride, unsigned int n,
		size_t off);

void ivt_spin(uint32_t loops);
/* Random short stall: mostly nothing, sometimes a spin, rarely a sleep. */
void ivt_stall(struct ivt_rng *g);

/* Frames */

struct ivt_hdr {
	uint64_t stamp;		/* per run */
	uint64_t seq;		/* per incarnation and queue, from 0 */
	uint32_t len;		/* whole frame, header included */
	uint32_t incarnation;	/* producer's epoch */
	uint64_t csum;		/* of the payload after the header */
};

#define IVT_MIN_FRAME	60
#define IVT_MAX_FRAME	9000

_Static_assert(sizeof(struct ivt_hdr) == 32, "frame header");
_Static_assert(sizeof(struct ivt_hdr) <= IVT_MIN_FRAME, "header fits");
_Static_assert(sizeof(struct ivt_hdr) <= IVR_MIN_BUF, "header in one segment");

struct ivt_sender {
	struct ivr_tx *tx;
	uint64_t stamp;
	uint32_t incarnation;
	uint32_t min_len, max_len;
	uint64_t seq;		/* of the next frame */
	uint64_t frames, bytes, kicks;
};

/*
 * Sends up to burst frames of random length (chained over buffers when
 * longer than one) with one publish; returns how many went out.
 */
uint32_t ivt_send(struct ivt_sender *s, struct ivt_rng *g, uint32_t burst);

struct ivt_receiver {
	struct ivr_rx *rx;
	uint32_t max_frame;
	uint8_t *buf;		/* IVT_MAX_BURST frames of max_frame bytes */
	uint32_t len[IVT_MAX_BURST];
	uint64_t torn;		/* bursts rx_end discarded */
};

bool ivt_receiver_init(struct ivt_receiver *r, struct ivr_rx *rx,
		uint32_t max_frame);
void ivt_receiver_free(struct ivt_receiver *r);

/*
 * Takes up to burst frames, copying each out, and ends the burst. Returns
 * the frames to check (0 when none or when rx_end discarded the burst).
 */
uint32_t ivt_recv(struct ivt_receiver *r, uint32_t burst);

static inline const uint8_t *
ivt_frame(const struct ivt_receiver *r, uint32_t i)
{
	return r->buf + (size_t)i * r->max_frame;
}

enum ivt_verdict {
	IVT_OK = 0,
	IVT_BAD_LEN,		/* shorter than a header, or != header len */
	IVT_BAD_STAMP,		/* not from this run */
	IVT_BAD_CSUM,		/* payload corrupt */
};

/* Checks one received frame; fills h from it (when long enough). */
enum ivt_verdict ivt_check(const uint8_t *frame, uint32_t len, uint64_t stamp,
		struct ivt_hdr *h);
const char *ivt_verdict_name(enum ivt_verdict v);

#endif /* IVR_TEST_H */
