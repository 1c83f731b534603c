/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The only accessors for memory the peer can see. Every load or store the
 * ring library makes to the region (header, peer blocks, queue control,
 * rings) goes through one of these, so the ordering argument can be
 * checked here and at the call sites' comments, which name the release
 * each acquire pairs with (labels such as [P1], listed in doc/spec.md
 * section 9, "Ordering"). Two kinds of access do not use them: frame
 * data, which the library's caller copies into and out of buffers with
 * plain loads and stores, ordered by [P1] (written before the consumer
 * reads it) and [P3] (read before the producer writes the buffer again);
 * and struct ivr_region.evicted, process memory the peer cannot see,
 * accessed with relaxed __atomic builtins.
 *
 * GCC/Clang __atomic builtins on naturally aligned 32/64-bit fields: plain
 * loads and stores on x86-64, and what ThreadSanitizer understands.
 */
#ifndef IVR_ATOMIC_H
#define IVR_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

/* A value the peer may change at any time, read exactly once. */
static inline uint32_t
ivr_read_once32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline uint64_t
ivr_read_once64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
ivr_write_once32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline void
ivr_write_once64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Everything written before this store is visible to whoever acquires it. */
static inline void
ivr_store_release32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void
ivr_store_release64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Pairs with a store_release of the same field by the peer. */
static inline uint32_t
ivr_load_acquire32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t
ivr_load_acquire64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * ThreadSanitizer does not model standalone fences, and GCC says so with
 * -Wtsan (an error under -Werror). That is harmless here: between two
 * threads with an honest peer every edge that orders plain memory (buffer
 * data, descriptors) is a release store paired with an acquire load
 * ([P1], [P3], [P4], [P5], [P9]); the fences only order atomics against
 * atomics ([P6]) or serve the restart paths ([P2]), where a peer rewrites
 * what the other may be reading and the session word re-check, not
 * happens-before, makes that safe.
 */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif

/* Orders earlier loads before later loads and stores (seqlock read end). */
static inline void
ivr_fence_acquire(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/* Orders earlier stores before later stores (invalidate, then rewrite). */
static inline void
ivr_fence_release(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/*
 * Orders an earlier store before a later load: the one edge x86 does not
 * give for free. Used only by the sleep/wake handshake (Dekker pattern:
 * producer "publish, then look for a sleeper", consumer "announce sleep,
 * then look for work"), once per burst that published something.
 */
static inline void
ivr_fence_store_load(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* Format lock and slot claims in the region header. */
static inline bool
ivr_cas64(uint64_t *p, uint64_t *expected, uint64_t desired)
{
	return __atomic_compare_exchange_n(p, expected, desired, false,
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

#endif /* IVR_ATOMIC_H */
