/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of ivn_parse(). The first input byte picks the type and
 * the range (one of specs[]); the rest is the value, cut at its first NUL.
 * Whatever the input, ivn_parse() must not crash, must return 0, -EINVAL or
 * -ERANGE, and:
 *  - on success, the value is in range and of the shape, and the input is
 *    the canonical spelling of a value (digits only, and for a size at most
 *    one suffix letter), which parses to the same value again;
 *  - on failure, *out is untouched and the message is terminated, fits
 *    the buffer, starts with "<key>=" and says what is allowed.
 *
 * Built with clang -fsanitize=fuzzer it is a fuzzer:
 *	CC=clang meson setup build-fuzz -Ddpdk=disabled
 *	ninja -C build-fuzz lib/ivshmem_parse/tests/fuzz_parse
 *	build-fuzz/lib/ivshmem_parse/tests/fuzz_parse \
 *		-max_total_time=60 lib/ivshmem_parse/tests/corpus
 * Otherwise lib/test/t_fuzz_replay.c's main() replays the files named on
 * the command line (the committed corpus, in suite fast).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivshmem_parse.h"
#include "t_fuzz.h"

#define MI	(1ULL << 20)
#define GI	(1ULL << 30)

static const struct ivn_spec specs[] = {
	IVN_UINT(0, UINT64_MAX),
	IVN_UINT(1, 16),
	IVN_UINT_POW2(64, 16384),
	IVN_UINT_MULT(64, 128, 65536),
	IVN_SIZE(0, UINT64_MAX),
	IVN_SIZE(MI, 64 * GI),
	IVN_SIZE_POW2(4096, 1ULL << 40),
	IVN_MSEC(0, UINT64_MAX),
	IVN_MSEC(100, 86400000),
};

#define N_SPECS	(sizeof(specs) / sizeof(specs[0]))
#define SENTINEL	0x5a5a5a5a5a5a5a5aULL

/* Digits, then (sizes) one suffix letter, or (seconds) '.' and 1-3 digits. */
static int
canonical(const struct ivn_spec *sp, const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || (s[0] == '0' && n > 1))
		return 0;
	s += n;
	if (*s == '\0')
		return 1;
	if (sp->type == IVN_T_SIZE)
		return strchr("KMGTkmgt", *s) != NULL && s[1] == '\0';
	if (sp->type == IVN_T_MSEC && *s == '.') {
		n = strspn(s + 1, "0123456789");
		return n >= 1 && n <= 3 && s[1 + n] == '\0';
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char val[256], err[IVN_ERR_LEN], allowed[128];
	const struct ivn_spec *sp;
	uint64_t v = SENTINEL, again = SENTINEL;
	size_t len;
	int ret;

	if (size == 0)
		return 0;
	sp = &specs[data[0] % N_SPECS];
	len = size - 1 < sizeof(val) - 1 ? size - 1 : sizeof(val) - 1;
	memcpy(val, data + 1, len);
	val[len] = '\0';
	memset(err, 'x', sizeof(err));

	ret = ivn_parse("key", val, sp, &v, err, sizeof(err));
	if (ret == 0) {
		if (v < sp->min || v > sp->max)
			abort();
		if (sp->pow2 && (v == 0 || (v & (v - 1)) != 0))
			abort();
		if (sp->multiple > 1 && v % sp->multiple != 0)
			abort();
		if (!canonical(sp, val))
			abort();
		if (ivn_parse("key", val, sp, &again, NULL, 0) != 0 || again != v)
			abort();
		return 0;
	}
	if (ret != -EINVAL && ret != -ERANGE)
		abort();
	if (v != SENTINEL)
		abort();
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	ivn_allowed(sp, allowed, sizeof(allowed));
	if (strncmp(err, "key=", 4) != 0 || strstr(err, allowed) == NULL)
		abort();
	return 0;
}
