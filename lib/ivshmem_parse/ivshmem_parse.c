/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules are in ivshmem_parse.h. Each step below either moves on or
 * names what is wrong; ivn_parse() adds the key, the value and what the
 * spec allows.
 */
#include "ivshmem_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest part of a value quoted in a message. */
#define IVN_QUOTE_MAX	64

static const char size_suffixes[] = "KMGT";	/* 2^10, 2^20, 2^30, 2^40 */

/* What is wrong with a value, for the message. */
struct why {
	char text[IVN_QUOTE_MAX + 48];
};

static int __attribute__((format(printf, 3, 4)))
wrong(struct why *w, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	return ret;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 10, 20, 30, 40 for K, M, G, T in either case; 0 for anything else. */
static unsigned int
suffix_shift(char c)
{
	switch (c) {
	case 'K': case 'k': return 10;
	case 'M': case 'm': return 20;
	case 'G': case 'g': return 30;
	case 'T': case 't': return 40;
	default: return 0;
	}
}

/* s from its first byte on, short, quoted, unprintables as '?'. */
static const char *
quote(const char *s, char *buf, size_t len)
{
	size_t i, n = strlen(s);
	bool cut = n > len - 4;

	if (cut)
		n = len - 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	if (cut)
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

/*
 * The leading integer of s, decimal, into *v; *end after its last digit.
 * 0, or < 0 with why s does not start with one.
 */
static int
leading_uint(const char *s, const char **end, uint64_t *v, struct why *w)
{
	unsigned long long n;
	char *e;

	if (s[0] == '\0')
		return wrong(w, -EINVAL, "empty value");
	if (s[0] == '-')
		return wrong(w, -EINVAL, "negative");
	if (s[0] == '+')
		return wrong(w, -EINVAL, "a sign is not allowed");
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return wrong(w, -EINVAL, "leading whitespace");
	if (!is_digit(s[0]))
		return wrong(w, -EINVAL, "not a number");
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return wrong(w, -EINVAL, "hexadecimal is not accepted, decimal only");
	if (s[0] == '0' && is_digit(s[1]))
		return wrong(w, -EINVAL, "leading zero: decimal only, not octal");
	/* The first character is a digit: strtoull sees no sign, no
	 * whitespace and no prefix, and base 10 stops at the first
	 * non-digit. */
	errno = 0;
	n = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return wrong(w, -ERANGE, "too large");
	if (errno != 0 || e == s)
		return wrong(w, -EINVAL, "not a number");
	*v = n;
	*end = e;
	return 0;
}

/* 0 when end is the end of the string, or why it is not. */
static int
at_end(const char *end, struct why *w)
{
	char q[IVN_QUOTE_MAX / 2];

	if (*end == '\0')
		return 0;
	return wrong(w, -EINVAL, "trailing characters '%s'",
			quote(end, q, sizeof(q)));
}

static int
parse_uint(const char *s, uint64_t *v, struct why *w)
{
	const char *end = s;
	int ret = leading_uint(s, &end, v, w);

	if (ret != 0)
		return ret;
	if (*end == '.')
		return wrong(w, -EINVAL, "not a whole number");
	return at_end(end, w);
}

static int
parse_size(const char *s, uint64_t *v, struct why *w)
{
	char q[IVN_QUOTE_MAX / 2];
	const char *end = s;
	unsigned int shift;
	int ret = leading_uint(s, &end, v, w);

	if (ret != 0)
		return ret;
	if (*end == '\0')
		return 0;
	if (*end == '.')
		return wrong(w, -EINVAL, "not a whole number");
	shift = suffix_shift(end[0]);
	if (shift == 0 || end[1] != '\0')
		return wrong(w, -EINVAL, "unknown suffix '%s'",
				quote(end, q, sizeof(q)));
	if (*v > UINT64_MAX >> shift)
		return wrong(w, -ERANGE, "too large");
	*v <<= shift;
	return 0;
}

static int
parse_msec(const char *s, uint64_t *v, struct why *w)
{
	const char *end = s;
	uint64_t frac = 0;
	unsigned int n = 0;
	int ret = leading_uint(s, &end, v, w);

	if (ret != 0)
		return ret;
	if (*end == '.') {
		for (end++; is_digit(*end); end++, n++)
			if (n < 3)
				frac = frac * 10 + (uint64_t)(*end - '0');
		if (n == 0)
			return wrong(w, -EINVAL, "no digits after the point");
		if (n > 3)
			return wrong(w, -EINVAL, "more than 3 decimals");
		while (n++ < 3)
			frac *= 10;
	}
	ret = at_end(end, w);
	if (ret != 0)
		return ret;
	if (*v > (UINT64_MAX - frac) / 1000)
		return wrong(w, -ERANGE, "too large");
	*v = *v * 1000 + frac;
	return 0;
}

int
ivn_format_size(uint64_t v, char *buf, size_t len)
{
	unsigned int i = sizeof(size_suffixes) - 1;

	while (v != 0 && i > 0 && (v & ((1ULL << (10 * i)) - 1)) != 0)
		i--;
	if (v == 0 || i == 0)
		return snprintf(buf, len, "%" PRIu64, v);
	return snprintf(buf, len, "%" PRIu64 "%c", v >> (10 * i),
			size_suffixes[i - 1]);
}

/* Milliseconds as seconds, without trailing zeros: 100 -> "0.1". */
static int
format_msec(uint64_t ms, char *buf, size_t len)
{
	uint64_t frac = ms % 1000;
	int digits = 3;

	if (frac == 0)
		return snprintf(buf, len, "%" PRIu64, ms / 1000);
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	return snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, ms / 1000, digits,
			frac);
}

static int
format_value(const struct ivn_spec *sp, uint64_t v, char *buf, size_t len)
{
	switch (sp->type) {
	case IVN_T_SIZE:
		return ivn_format_size(v, buf, len);
	case IVN_T_MSEC:
		return format_msec(v, buf, len);
	case IVN_T_UINT:
	default:
		return snprintf(buf, len, "%" PRIu64, v);
	}
}

int
ivn_allowed(const struct ivn_spec *sp, char *buf, size_t len)
{
	char lo[32], hi[32], mult[32], what[48];

	format_value(sp, sp->min, lo, sizeof(lo));
	format_value(sp, sp->max, hi, sizeof(hi));
	if (sp->type == IVN_T_MSEC)
		return snprintf(buf, len, "seconds in %s..%s (at most 3 decimals)",
				lo, hi);
	if (sp->pow2) {
		snprintf(what, sizeof(what), "a power of two");
	} else if (sp->multiple > 1) {
		format_value(sp, sp->multiple, mult, sizeof(mult));
		snprintf(what, sizeof(what), "a multiple of %s", mult);
	} else {
		snprintf(what, sizeof(what), "%s",
				sp->type == IVN_T_SIZE ? "a size" : "an integer");
	}
	return snprintf(buf, len, "%s in %s..%s%s", what, lo, hi,
			sp->type == IVN_T_SIZE ? " (suffix K, M, G or T)" : "");
}

int
ivn_parse(const char *key, const char *val, const struct ivn_spec *sp,
		uint64_t *out, char *err, size_t errlen)
{
	char shown[IVN_QUOTE_MAX + 4], allowed[128], mult[32];
	struct why w;
	uint64_t v = 0;
	int ret;

	if (val == NULL)
		val = "";
	switch (sp->type) {
	case IVN_T_SIZE:
		ret = parse_size(val, &v, &w);
		break;
	case IVN_T_MSEC:
		ret = parse_msec(val, &v, &w);
		break;
	case IVN_T_UINT:
	default:
		ret = parse_uint(val, &v, &w);
		break;
	}
	if (ret == 0 && (v < sp->min || v > sp->max))
		ret = wrong(&w, -ERANGE, "out of range");
	else if (ret == 0 && sp->pow2 && (v & (v - 1)) != 0)
		ret = wrong(&w, -EINVAL, "not a power of two");
	else if (ret == 0 && sp->multiple > 1 && v % sp->multiple != 0) {
		format_value(sp, sp->multiple, mult, sizeof(mult));
		ret = wrong(&w, -EINVAL, "not a multiple of %s", mult);
	}
	if (ret == 0) {
		*out = v;
		return 0;
	}
	if (errlen == 0)
		return ret;
	ivn_allowed(sp, allowed, sizeof(allowed));
	snprintf(err, errlen, "%s=%s: %s; allowed: %s", key,
			quote(val, shown, sizeof(shown)), w.text, allowed);
	return ret;
}
