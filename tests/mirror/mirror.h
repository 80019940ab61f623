/* SPDX-License-Identifier: GPL-2.0 */
/* mirror.h - helpers shared by the mirror core tests. */
#ifndef MIRROR_H
#define MIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "odpt.h"
#include "tap.h"

#define W4K		PAGE_SZ		/* window: demanded pages only */
#define GIB		(1ULL << 30)
#define SENTINEL	0xa5

/* Open /dev/odph_test or fail the case. */
int open_dev(void);
/* Explicit mirror of [p, p + len) at iova == va, or fail the case. */
void mirror_at(int fd, void *p, size_t len);
/* STATS or fail the case. */
struct odpt_stats get_stats(int fd);
/* Snapshot of npages pages at iova into out, or fail the case. */
void get_snap(int fd, uint64_t iova, size_t npages, uint8_t *out);
/* Number of the npages snapshot bytes that have any bit of mask set. */
size_t snap_count(const uint8_t *s, size_t npages, uint8_t mask);

/*
 * Anonymous private RW mapping of len bytes aligned to align; advice is
 * MADV_HUGEPAGE or MADV_NOHUGEPAGE.  Fails the case on error.
 */
void *map_anon(size_t len, size_t align, int advice);
/* memfd of len bytes, or fail the case. */
int make_memfd(size_t len);
/* Shared mapping of the memfd at offset, or fail the case. */
void *map_memfd(int mfd, size_t len, off_t off);

/* Deterministic bytes, different for every seed, page and offset. */
void fill(void *p, size_t len, unsigned int seed);
/* Is len bytes at p equal to fill(.., seed) (p being at byte offset 0)? */
int is_filled(const void *p, size_t len, unsigned int seed);
int is_zero(const void *p, size_t len);

/* Small file helpers: -errno on failure. */
long long read_ll(const char *path);
int write_ll(const char *path, long long v);
/* Value (kB) of field in the /proc/self/smaps entry holding addr, or -1. */
long long smaps_kb(const void *addr, const char *field);

/* Fork a child that runs fn(arg) and _exits with its return value. */
int fork_fn(int (*fn)(void *), void *arg);
/* waitpid; returns the exit status, or 128 + signal. */
int wait_child(int pid);

#endif /* MIRROR_H */
