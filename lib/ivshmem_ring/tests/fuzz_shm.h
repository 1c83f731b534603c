/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ring harnesses' shared memory: one memfd of @size mapped twice. The
 * victim's view (returned) lies between two PROT_NONE guard pages, so an
 * access past either end faults where no sanitizer watches; the hostile's
 * view (*hostile) is all writable. Aborts on failure: there is no input
 * to blame.
 */
#ifndef FUZZ_SHM_H
#define FUZZ_SHM_H

#include <stdint.h>

uint8_t *fuzz_shm_map(uint64_t size, uint8_t **hostile);
/* mprotect that aborts on failure */
void fuzz_shm_protect(void *p, uint64_t len, int prot);

#endif /* FUZZ_SHM_H */
