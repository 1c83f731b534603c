/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the parser: one table row per rule and edge of
 * ivshmem_parse.h (value, return code, and the reason in the message),
 * then the allowed texts, the sizes' spelling and the message itself
 * (quoting, truncation, a NULL value, no buffer).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ivshmem_parse.h"
#include "t_helpers.h"

#define KI	(1ULL << 10)
#define MI	(1ULL << 20)
#define GI	(1ULL << 30)
#define TI	(1ULL << 40)

static const struct ivn_spec queues = IVN_UINT(1, 16);
static const struct ivn_spec u64 = IVN_UINT(0, UINT64_MAX);
static const struct ivn_spec ring = IVN_UINT_POW2(64, 16384);
static const struct ivn_spec bufsz = IVN_UINT_MULT(64, 128, 65536);
static const struct ivn_spec region = IVN_SIZE(MI, 64 * GI);
static const struct ivn_spec bytes = IVN_SIZE(0, UINT64_MAX);
static const struct ivn_spec bar = IVN_SIZE_POW2(4 * KI, TI);
static const struct ivn_spec chunk = IVN_SIZE(0, GI);
static const struct ivn_spec chunk4k = IVN_UINT_MULT(4 * KI, 0, GI);
static const struct ivn_spec secs = IVN_MSEC(100, 86400000);
static const struct ivn_spec anyms = IVN_MSEC(0, UINT64_MAX);

struct pcase {
	const struct ivn_spec *sp;
	const char *val;
	int ret;		/* 0, -EINVAL or -ERANGE */
	uint64_t want;		/* when ret == 0 */
	const char *why;	/* when ret != 0: between ": " and "; allowed" */
};

static const struct pcase cases[] = {
	/* integers: accepted */
	{ &queues, "1", 0, 1, NULL },
	{ &queues, "16", 0, 16, NULL },
	{ &u64, "0", 0, 0, NULL },
	{ &u64, "18446744073709551615", 0, UINT64_MAX, NULL },
	/* integers: the syntax */
	{ &queues, "", -EINVAL, 0, "empty value" },
	{ &queues, "-1", -EINVAL, 0, "negative" },
	{ &u64, "-0", -EINVAL, 0, "negative" },
	{ &u64, "-18446744073709551615", -EINVAL, 0, "negative" },
	{ &queues, "+1", -EINVAL, 0, "a sign is not allowed" },
	{ &queues, " 7", -EINVAL, 0, "leading whitespace" },
	{ &queues, "\t7", -EINVAL, 0, "leading whitespace" },
	{ &queues, "\n7", -EINVAL, 0, "leading whitespace" },
	{ &queues, "7 ", -EINVAL, 0, "trailing characters ' '" },
	{ &queues, "4x", -EINVAL, 0, "trailing characters 'x'" },
	{ &queues, "4\n", -EINVAL, 0, "trailing characters '?'" },
	{ &queues, "1e1", -EINVAL, 0, "trailing characters 'e1'" },
	{ &queues, "4.0", -EINVAL, 0, "not a whole number" },
	{ &queues, "0x10", -EINVAL, 0, "hexadecimal is not accepted, decimal only" },
	{ &queues, "0X1", -EINVAL, 0, "hexadecimal is not accepted, decimal only" },
	{ &queues, "010", -EINVAL, 0, "leading zero: decimal only, not octal" },
	{ &u64, "00", -EINVAL, 0, "leading zero: decimal only, not octal" },
	{ &queues, "abc", -EINVAL, 0, "not a number" },
	{ &queues, "x1", -EINVAL, 0, "not a number" },
	{ &queues, ".5", -EINVAL, 0, "not a number" },
	{ &queues, "four", -EINVAL, 0, "not a number" },
	/* integers: 64 bits, then the range */
	{ &u64, "18446744073709551616", -ERANGE, 0, "too large" },
	{ &u64, "99999999999999999999999999", -ERANGE, 0, "too large" },
	{ &queues, "18446744073709551617", -ERANGE, 0, "too large" },
	{ &queues, "0", -ERANGE, 0, "out of range" },
	{ &queues, "17", -ERANGE, 0, "out of range" },
	{ &queues, "4294967297", -ERANGE, 0, "out of range" },
	/* integers: the shape, after the range */
	{ &ring, "64", 0, 64, NULL },
	{ &ring, "16384", 0, 16384, NULL },
	{ &ring, "1000", -EINVAL, 0, "not a power of two" },
	{ &ring, "32", -ERANGE, 0, "out of range" },
	{ &ring, "32768", -ERANGE, 0, "out of range" },
	{ &ring, "0", -ERANGE, 0, "out of range" },
	{ &bufsz, "128", 0, 128, NULL },
	{ &bufsz, "65536", 0, 65536, NULL },
	{ &bufsz, "1000", -EINVAL, 0, "not a multiple of 64" },
	{ &bufsz, "64", -ERANGE, 0, "out of range" },
	{ &bufsz, "65600", -ERANGE, 0, "out of range" },
	{ &chunk4k, "8192", 0, 8192, NULL },
	{ &chunk4k, "6144", -EINVAL, 0, "not a multiple of 4096" },
	/* sizes: suffixes, either case, powers of 1024 */
	{ &bytes, "0", 0, 0, NULL },
	{ &bytes, "1000", 0, 1000, NULL },
	{ &bytes, "4k", 0, 4 * KI, NULL },
	{ &bytes, "4K", 0, 4 * KI, NULL },
	{ &bytes, "3m", 0, 3 * MI, NULL },
	{ &bytes, "3M", 0, 3 * MI, NULL },
	{ &bytes, "5g", 0, 5 * GI, NULL },
	{ &bytes, "5G", 0, 5 * GI, NULL },
	{ &bytes, "2t", 0, 2 * TI, NULL },
	{ &bytes, "2T", 0, 2 * TI, NULL },
	{ &bytes, "0K", 0, 0, NULL },
	{ &bytes, "18446744073709551615", 0, UINT64_MAX, NULL },
	/* sizes: what is not a suffix */
	{ &bytes, "1Q", -EINVAL, 0, "unknown suffix 'Q'" },
	{ &bytes, "4KB", -EINVAL, 0, "unknown suffix 'KB'" },
	{ &bytes, "4KiB", -EINVAL, 0, "unknown suffix 'KiB'" },
	{ &bytes, "4kb", -EINVAL, 0, "unknown suffix 'kb'" },
	{ &bytes, "4MM", -EINVAL, 0, "unknown suffix 'MM'" },
	{ &bytes, "4 K", -EINVAL, 0, "unknown suffix ' K'" },
	{ &bytes, "4K ", -EINVAL, 0, "unknown suffix 'K '" },
	{ &bytes, "4P", -EINVAL, 0, "unknown suffix 'P'" },
	{ &bytes, "4B", -EINVAL, 0, "unknown suffix 'B'" },
	{ &bytes, "1.5G", -EINVAL, 0, "not a whole number" },
	{ &bytes, "K", -EINVAL, 0, "not a number" },
	{ &bytes, "", -EINVAL, 0, "empty value" },
	{ &bytes, "-1M", -EINVAL, 0, "negative" },
	{ &bytes, "-1", -EINVAL, 0, "negative" },
	{ &bytes, "+4K", -EINVAL, 0, "a sign is not allowed" },
	{ &bytes, " 4K", -EINVAL, 0, "leading whitespace" },
	{ &bytes, "0x10M", -EINVAL, 0, "hexadecimal is not accepted, decimal only" },
	{ &bytes, "01M", -EINVAL, 0, "leading zero: decimal only, not octal" },
	/* sizes: the multiply does not wrap */
	{ &bytes, "16777215T", 0, 16777215 * TI, NULL },
	{ &bytes, "16777216T", -ERANGE, 0, "too large" },
	{ &bytes, "17179869183G", 0, 17179869183 * GI, NULL },
	{ &bytes, "17179869184G", -ERANGE, 0, "too large" },
	{ &bytes, "18014398509481983K", 0, 18014398509481983 * KI, NULL },
	{ &bytes, "18014398509481984K", -ERANGE, 0, "too large" },
	{ &bytes, "99999999999999999999K", -ERANGE, 0, "too large" },
	{ &region, "99999G", -ERANGE, 0, "out of range" },
	{ &region, "99999999999G", -ERANGE, 0, "too large" },
	/* sizes: range and shape in bytes */
	{ &region, "1M", 0, MI, NULL },
	{ &region, "1024K", 0, MI, NULL },
	{ &region, "1048576", 0, MI, NULL },
	{ &region, "64G", 0, 64 * GI, NULL },
	{ &region, "3M", 0, 3 * MI, NULL },
	{ &region, "1023K", -ERANGE, 0, "out of range" },
	{ &region, "1048575", -ERANGE, 0, "out of range" },
	{ &region, "65G", -ERANGE, 0, "out of range" },
	{ &region, "1T", -ERANGE, 0, "out of range" },
	{ &bar, "4K", 0, 4 * KI, NULL },
	{ &bar, "1T", 0, TI, NULL },
	{ &bar, "3M", -EINVAL, 0, "not a power of two" },
	{ &bar, "1k", -ERANGE, 0, "out of range" },
	{ &bar, "2T", -ERANGE, 0, "out of range" },
	{ &chunk, "1G", 0, GI, NULL },
	/* seconds */
	{ &secs, "0.1", 0, 100, NULL },
	{ &secs, "0.10", 0, 100, NULL },
	{ &secs, "0.100", 0, 100, NULL },
	{ &secs, "1", 0, 1000, NULL },
	{ &secs, "1.25", 0, 1250, NULL },
	{ &secs, "86400", 0, 86400000, NULL },
	{ &secs, "86400.000", 0, 86400000, NULL },
	{ &anyms, "0", 0, 0, NULL },
	{ &anyms, "0.001", 0, 1, NULL },
	{ &secs, "0.099", -ERANGE, 0, "out of range" },
	{ &secs, "0", -ERANGE, 0, "out of range" },
	{ &secs, "86400.001", -ERANGE, 0, "out of range" },
	{ &secs, "1.", -EINVAL, 0, "no digits after the point" },
	{ &secs, "1.x", -EINVAL, 0, "no digits after the point" },
	{ &secs, ".5", -EINVAL, 0, "not a number" },
	{ &secs, "1.2345", -EINVAL, 0, "more than 3 decimals" },
	{ &secs, "0.0005", -EINVAL, 0, "more than 3 decimals" },
	{ &secs, "1s", -EINVAL, 0, "trailing characters 's'" },
	{ &secs, "1.5s", -EINVAL, 0, "trailing characters 's'" },
	{ &secs, "1,5", -EINVAL, 0, "trailing characters ',5'" },
	{ &secs, "1e3", -EINVAL, 0, "trailing characters 'e3'" },
	{ &secs, "inf", -EINVAL, 0, "not a number" },
	{ &secs, "nan", -EINVAL, 0, "not a number" },
	{ &secs, "0x1p3", -EINVAL, 0, "hexadecimal is not accepted, decimal only" },
	{ &secs, "-1", -EINVAL, 0, "negative" },
	{ &secs, "+1", -EINVAL, 0, "a sign is not allowed" },
	{ &secs, " 1", -EINVAL, 0, "leading whitespace" },
	{ &secs, "01.5", -EINVAL, 0, "leading zero: decimal only, not octal" },
	{ &secs, "", -EINVAL, 0, "empty value" },
	/* seconds: the conversion to milliseconds does not wrap */
	{ &anyms, "18446744073709551", 0, 18446744073709551000ULL, NULL },
	{ &anyms, "18446744073709551.615", 0, UINT64_MAX, NULL },
	{ &anyms, "18446744073709551.616", -ERANGE, 0, "too large" },
	{ &anyms, "18446744073709552", -ERANGE, 0, "too large" },
	{ &anyms, "18446744073709551616", -ERANGE, 0, "too large" },
};

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		char err[IVN_ERR_LEN], allowed[128], want[IVN_ERR_LEN];
		uint64_t v = 12345;
		int ret;

		err[0] = '\0';
		ret = ivn_parse("k", c->val, c->sp, &v, err, sizeof(err));
		T_EXPECT(ret == c->ret, "'%s' returns %d (%d, \"%s\")", c->val,
				c->ret, ret, err);
		if (c->ret == 0) {
			T_EXPECT(v == c->want, "'%s' is %llu (%llu)", c->val,
					(unsigned long long)c->want,
					(unsigned long long)v);
			continue;
		}
		T_EXPECT(v == 12345, "'%s': *out untouched on error", c->val);
		ivn_allowed(c->sp, allowed, sizeof(allowed));
		/* the value as quoted: unprintables as '?' */
		snprintf(want, sizeof(want), "k=%s: %s; allowed: %s", c->val,
				c->why, allowed);
		for (char *p = want; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';
		T_EXPECT(strcmp(err, want) == 0, "'%s': the message is\n  '%s'\n  got '%s'",
				c->val, want, err);
	}
}

static void
test_allowed(void)
{
	static const struct {
		struct ivn_spec sp;
		const char *want;
	} rows[] = {
		{ IVN_UINT(1, 16), "an integer in 1..16" },
		{ IVN_UINT(0, UINT64_MAX), "an integer in 0..18446744073709551615" },
		{ IVN_UINT_POW2(64, 16384), "a power of two in 64..16384" },
		{ IVN_UINT_MULT(64, 128, 65536), "a multiple of 64 in 128..65536" },
		{ IVN_SIZE(MI, 64 * GI), "a size in 1M..64G (suffix K, M, G or T)" },
		{ IVN_SIZE(1000, 1536), "a size in 1000..1536 (suffix K, M, G or T)" },
		{ IVN_SIZE_POW2(4 * KI, TI),
			"a power of two in 4K..1T (suffix K, M, G or T)" },
		{ { .type = IVN_T_SIZE, .min = 0, .max = GI, .multiple = 4 * KI },
			"a multiple of 4K in 0..1G (suffix K, M, G or T)" },
		{ IVN_MSEC(100, 86400000),
			"seconds in 0.1..86400 (at most 3 decimals)" },
		{ IVN_MSEC(1, 1250), "seconds in 0.001..1.25 (at most 3 decimals)" },
		{ IVN_MSEC(0, 60010), "seconds in 0..60.01 (at most 3 decimals)" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[128];
		int n = ivn_allowed(&rows[i].sp, buf, sizeof(buf));

		T_EXPECT(strcmp(buf, rows[i].want) == 0, "allowed: '%s' (got '%s')",
				rows[i].want, buf);
		T_EXPECT(n == (int)strlen(rows[i].want), "ivn_allowed returns the length, %d",
				n);
	}
}

static void
test_format_size(void)
{
	static const struct {
		uint64_t v;
		const char *want;
	} rows[] = {
		{ 0, "0" }, { 1, "1" }, { 1000, "1000" }, { KI, "1K" },
		{ 1536, "1536" }, { 3 * KI, "3K" }, { MI, "1M" },
		{ MI + KI, "1025K" }, { 64 * GI, "64G" }, { TI, "1T" },
		{ 1024 * TI, "1024T" }, { UINT64_MAX, "18446744073709551615" },
		{ 1ULL << 63, "8388608T" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[32];

		ivn_format_size(rows[i].v, buf, sizeof(buf));
		T_EXPECT(strcmp(buf, rows[i].want) == 0, "%llu is written '%s' (got '%s')",
				(unsigned long long)rows[i].v, rows[i].want, buf);
	}
}

/* Whole messages, as the devargs, the server and the tools print them. */
static void
test_messages(void)
{
	static const struct ivn_spec sizes = IVN_SIZE(MI, 64 * GI);
	static const struct {
		const char *key, *val;
		const struct ivn_spec *sp;
		const char *want;
	} rows[] = {
		{ "queues", "0", &queues,
			"queues=0: out of range; allowed: an integer in 1..16" },
		{ "queues", "4x", &queues,
			"queues=4x: trailing characters 'x'; allowed: an integer in 1..16" },
		{ "size", "1Q", &sizes,
			"size=1Q: unknown suffix 'Q'; allowed: a size in 1M..64G (suffix K, M, G or T)" },
		{ "ring_size", "-1", &ring,
			"ring_size=-1: negative; allowed: a power of two in 64..16384" },
		{ "ring_size", "1000", &ring,
			"ring_size=1000: not a power of two; allowed: a power of two in 64..16384" },
		{ "--duration", "1e3", &secs,
			"--duration=1e3: trailing characters 'e3'; allowed: seconds in 0.1..86400 (at most 3 decimals)" },
		/* a NULL value is an empty one */
		{ "queues", NULL, &queues,
			"queues=: empty value; allowed: an integer in 1..16" },
		/* unprintable bytes are shown as '?' */
		{ "queues", "1\x1b[2J", &queues,
			"queues=1?[2J: trailing characters '?[2J'; allowed: an integer in 1..16" },
		{ "queues", "\xff", &queues,
			"queues=?: not a number; allowed: an integer in 1..16" },
	};
	char err[IVN_ERR_LEN], tiny[12], longval[200];
	uint64_t v = 7;
	int ret;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ivn_parse(rows[i].key, rows[i].val, rows[i].sp, &v, err, sizeof(err));
		T_EXPECT(strcmp(err, rows[i].want) == 0, "the message is\n  '%s'\n  got '%s'",
				rows[i].want, err);
	}

	/* A long value is cut short; the reason and what is allowed stay. */
	memset(longval, '7', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	ret = ivn_parse("queues", longval, &queues, &v, err, sizeof(err));
	T_EXPECT(ret == -ERANGE, "a 199-digit value is too large (%d)", ret);
	T_EXPECT(strstr(err, "...: too large; allowed: an integer in 1..16") != NULL &&
			strlen(err) < 160, "a long value is cut short, the reason and "
			"what is allowed stay: %s", err);

	/* A short buffer gets a cut, terminated message; none gets nothing. */
	memset(tiny, 'x', sizeof(tiny));
	ret = ivn_parse("queues", "0", &queues, &v, tiny, sizeof(tiny));
	T_EXPECT(ret == -ERANGE && strlen(tiny) == sizeof(tiny) - 1 &&
			strncmp(tiny, "queues=0: o", sizeof(tiny) - 1) == 0,
			"a short buffer gets a cut, terminated message: '%s'", tiny);
	ret = ivn_parse("queues", "0", &queues, &v, NULL, 0);
	T_EXPECT(ret == -ERANGE && v == 7, "no buffer: the error, *out untouched (%d)",
			ret);
	ret = ivn_parse("queues", "3", &queues, &v, NULL, 0);
	T_EXPECT(ret == 0 && v == 3, "no buffer: a good value parses (%d, %llu)", ret,
			(unsigned long long)v);
}

int
main(void)
{
	t_init("test_parse");
	test_table();
	test_allowed();
	test_format_size();
	test_messages();
	return t_finish();
}
