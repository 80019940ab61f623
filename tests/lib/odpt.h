/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odpt.h - thin wrappers around the odph_test ioctls.  Every call returns 0
 * on success or -errno, so tests can write ASSERT_EQ(-EFAULT, odpt_read(..)).
 */
#ifndef ODPT_H
#define ODPT_H

#include <stdint.h>

#include "odph_test_uapi.h"

#define PAGE_SZ		4096UL
#define HUGE_SZ		(2UL << 20)
#define ODPT_PAGES_PER_HUGE	(HUGE_SZ / PAGE_SZ)

static inline uint64_t u64_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

int odpt_open(void);				/* fd or -errno */
int odpt_ioctl(int fd, unsigned long req, void *arg);
int odpt_create(int fd, uint64_t va, uint64_t len, uint64_t iova,
		uint32_t flags);
int odpt_create_implicit(int fd);
int odpt_destroy(int fd);
int odpt_read(int fd, uint64_t iova, void *buf, uint64_t len,
	      uint64_t window);
int odpt_write(int fd, uint64_t iova, const void *buf, uint64_t len,
	       uint64_t window);
int odpt_write_flags(int fd, uint64_t iova, const void *buf, uint64_t len,
		     uint64_t window, uint32_t flags);
int odpt_snapshot(int fd, uint64_t iova, uint64_t len, uint8_t *out);
int odpt_prefetch(int fd, uint64_t iova, uint64_t len, uint32_t flags);
int odpt_stats(int fd, struct odpt_stats *st);
int odpt_inject(int fd, uint32_t count, int32_t error);

/* live_mirrors read through a fresh fd, or -errno */
long long odpt_live_mirrors(void);

#endif /* ODPT_H */
