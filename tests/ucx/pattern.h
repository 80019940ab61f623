/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pattern.h - the byte pattern ucp_check and mpi_check move and check: a
 * linear congruential stream per seed, so a byte in the wrong place, a
 * stale buffer or a short transfer shows as a mismatch.
 */
#ifndef UCX_PATTERN_H
#define UCX_PATTERN_H

#include <stddef.h>
#include <stdint.h>

static inline uint8_t pattern_next(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 16;
}

static inline void pattern_fill(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_next(&x);
}

/* The first byte of @p that is not pattern(@seed), or -1; *@want: its value. */
static inline long pattern_find_bad(const uint8_t *p, size_t len,
				    uint32_t seed, uint8_t *want)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		*want = pattern_next(&x);
		if (p[i] != *want)
			return (long)i;
	}
	return -1;
}

#endif /* UCX_PATTERN_H */
