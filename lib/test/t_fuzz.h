/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the libFuzzer harnesses share: the input read as a script, a field
 * at a time, big-endian, zeros past its end (so every input is a whole
 * script). main() of a replay build is t_fuzz_replay.c's.
 */
#ifndef T_FUZZ_H
#define T_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

struct t_fuzz_in {
	const uint8_t *p;
	size_t n;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next @bytes (at most 8) of the input as a number. */
static inline uint64_t
t_fuzz_take(struct t_fuzz_in *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

/* The lowest fd not open: the same before and after an input, or the
 * code under test leaked one. */
static inline int
t_fuzz_lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

#endif /* T_FUZZ_H */
