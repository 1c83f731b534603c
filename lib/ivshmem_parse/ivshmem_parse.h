/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One strict parser for every number a user types: devargs, the server's
 * and the tools' command lines. No DPDK, no allocation, no output: a
 * failure is a message in the caller's buffer, which names the key, the
 * value and what is allowed:
 *
 *	queues=0: out of range; allowed: an integer in 1..16
 *	size=1Q: unknown suffix 'Q'; allowed: a size in 1M..64G (suffix K, M, G or T)
 *
 * The rules, the same for every type:
 *  - decimal digits only, and all of the string: no sign ("-1" does not
 *    wrap, "+1" is refused too), no leading or trailing whitespace, no
 *    0x (hexadecimal) and no leading zero ("010" is not octal 8, nor 10:
 *    it is refused); "0" itself is fine;
 *  - the digits must fit in 64 bits (strtoull's ERANGE is an error);
 *  - IVN_SIZE: the number may end in one of K, M, G or T, upper or lower
 *    case, meaning powers of 1024 ("4k" = "4K" = 4096); nothing else after
 *    it: no "KB", "KiB" or "MB" (one spelling, and "KB" could be read as
 *    1000), no fraction ("1.5G"); a suffix that would overflow 64 bits is
 *    an error, never a wrapped value;
 *  - IVN_MSEC: seconds, with at most three decimals ("0.5", "2", "0.001"),
 *    returned in milliseconds; the range is in milliseconds too;
 *  - then the range [min, max], both included, and the shape: a power of
 *    two, or a multiple of a number (IVN_UINT and IVN_SIZE only).
 */
#ifndef IVSHMEM_PARSE_H
#define IVSHMEM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ivn_type {
	IVN_T_UINT,	/* an unsigned integer */
	IVN_T_SIZE,	/* bytes, with an optional K/M/G/T suffix */
	IVN_T_MSEC,	/* seconds with up to 3 decimals, in milliseconds */
};

/* What a value may be. Build it with the initializers below. */
struct ivn_spec {
	enum ivn_type type;
	uint64_t min, max;	/* both included */
	uint64_t multiple;	/* 0: any; else the value is a multiple of it */
	bool pow2;		/* the value is a power of two */
};

/* Initializers, for tables and named constants:
 *	static const struct ivn_spec ring_spec = IVN_UINT_POW2(64, 16384);
 */
#define IVN_UINT(lo, hi) \
	{ .type = IVN_T_UINT, .min = (lo), .max = (hi) }
#define IVN_UINT_POW2(lo, hi) \
	{ .type = IVN_T_UINT, .min = (lo), .max = (hi), .pow2 = true }
#define IVN_UINT_MULT(m, lo, hi) \
	{ .type = IVN_T_UINT, .min = (lo), .max = (hi), .multiple = (m) }
#define IVN_SIZE(lo, hi) \
	{ .type = IVN_T_SIZE, .min = (lo), .max = (hi) }
#define IVN_SIZE_POW2(lo, hi) \
	{ .type = IVN_T_SIZE, .min = (lo), .max = (hi), .pow2 = true }
#define IVN_MSEC(lo_ms, hi_ms) \
	{ .type = IVN_T_MSEC, .min = (lo_ms), .max = (hi_ms) }

/* Room for any message (a longer value is cut short with "..."). */
#define IVN_ERR_LEN	256

/*
 * Parses val as sp says. Returns 0 and sets *out, or returns -EINVAL (not
 * a number of that type, or not of the shape) or -ERANGE (too large for 64
 * bits, or out of [min, max]), leaves *out alone and writes
 * "<key>=<val>: <what is wrong>; allowed: <ivn_allowed()>" into err (up to
 * errlen bytes, NUL-terminated; err may be NULL when errlen is 0). The
 * value is quoted with its unprintable bytes as '?'.
 */
int ivn_parse(const char *key, const char *val, const struct ivn_spec *sp,
		uint64_t *out, char *err, size_t errlen);

/*
 * What sp allows, in words, for error messages and --help texts: "an
 * integer in 1..16", "a power of two in 64..16384", "a multiple of 64 in
 * 128..65536", "a size in 1M..64G (suffix K, M, G or T)", "seconds in
 * 0.1..3600 (at most 3 decimals)". Sizes are written with the largest
 * suffix that divides them. Returns what snprintf() would.
 */
int ivn_allowed(const struct ivn_spec *sp, char *buf, size_t len);

/*
 * A size as ivn_allowed() writes it: 1048576 -> "1M", 4096 -> "4K",
 * 1000 -> "1000". Returns what snprintf() would.
 */
int ivn_format_size(uint64_t v, char *buf, size_t len);

#endif /* IVSHMEM_PARSE_H */
