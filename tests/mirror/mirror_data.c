// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_data.c - device READ/WRITE through the mirror core against the
 * CPU's view of anonymous memory across the VMA operations that invalidate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mirror.h"

FIXTURE(mirror) {
	int fd;
	int fd2;
};

FIXTURE_SETUP(mirror)
{
	self->fd2 = -1;
	self->fd = open_dev();
}

FIXTURE_TEARDOWN(mirror)
{
	close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
}

/* A fresh mirror has all counters zero and no mapped pages. */
TEST_F(mirror, fresh_counters_zero)
{
	struct odpt_counters zero = { 0 };
	char *buf = map_anon(4 * PAGE_SZ, 0, MADV_NOHUGEPAGE);
	struct odpt_stats st;

	mirror_at(self->fd, buf, 4 * PAGE_SZ);
	st = get_stats(self->fd);
	ASSERT_MEM_EQ(&zero, &st.mirror, sizeof(zero));
	ASSERT_EQ(0, st.mapped_pages);
	ASSERT_LE(1, st.live_mirrors);
}

/* CREATE adds one live mirror, DESTROY removes it and frees its pages. */
TEST_F(mirror, destroy_releases_mirror)
{
	char *buf = map_anon(4 * PAGE_SZ, 0, MADV_NOHUGEPAGE);
	long long before = odpt_live_mirrors();
	char out[64];

	ASSERT_LE(0, before);
	mirror_at(self->fd, buf, 4 * PAGE_SZ);
	ASSERT_EQ(before + 1, odpt_live_mirrors());
	fill(buf, 4 * PAGE_SZ, 1);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, sizeof(out), W4K));
	ASSERT_EQ(0, odpt_destroy(self->fd));
	ASSERT_EQ(before, odpt_live_mirrors());
	ASSERT_EQ(-ENOENT, odpt_read(self->fd, u64_of(buf), out, 8, W4K));
	/* the fd can hold a new mirror */
	mirror_at(self->fd, buf, 4 * PAGE_SZ);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, sizeof(out), W4K));
	ASSERT_MEM_EQ(buf, out, sizeof(out));
}

/* Device READ sees CPU data, device WRITE is seen by the CPU; counters. */
TEST_F(mirror, anon_read_write)
{
	const size_t n = 16, len = n * PAGE_SZ;
	char *buf = map_anon(2 * len, 0, MADV_NOHUGEPAGE), *b = buf + len;
	char *out = malloc(len), *src = malloc(len);
	struct odpt_stats st, g0 = get_stats(self->fd);
	uint8_t snap[16];

	mirror_at(self->fd, buf, 2 * len);
	fill(buf, len, 1);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_MEM_EQ(buf, out, len);
	st = get_stats(self->fd);
	ASSERT_EQ(1, st.mirror.faults);
	ASSERT_EQ(n, st.mirror.pages_faulted);
	ASSERT_EQ(0, st.mirror.pages_snapshot);
	ASSERT_EQ(n, st.mapped_pages);

	/* device WRITE into untouched memory, then the CPU reads it */
	fill(src, len, 2);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(b), src, len, W4K));
	ASSERT_TRUE(is_filled(b, len, 2));
	st = get_stats(self->fd);
	ASSERT_EQ(2, st.mirror.faults);
	ASSERT_EQ(2 * n, st.mirror.pages_faulted);
	ASSERT_EQ(2 * n, st.mapped_pages);
	ASSERT_EQ(0, st.mirror.fault_errors);
	ASSERT_LE(g0.global.faults + 2, st.global.faults);

	/* both halves are now cached: no new fault */
	memset(out, SENTINEL, len);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_MEM_EQ(buf, out, len);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(b), out, len, W4K));
	ASSERT_TRUE(is_filled(out, len, 2));
	ASSERT_EQ(2, get_stats(self->fd).mirror.faults);

	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_READ | ODPT_SNAP_WRITE));
	ASSERT_EQ(0, snap_count(snap, n, ODPT_SNAP_DIRTY));
	get_snap(self->fd, u64_of(b), n, snap);
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_WRITE));
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_DIRTY));
}

/* A DMA-mapped mirror (ODPT_CREATE_DMA) moves the same data and unmaps. */
TEST_F(mirror, dma_mirror)
{
	const size_t n = 8, len = n * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	char *src = malloc(len);

	ASSERT_EQ(0, odpt_create(self->fd, u64_of(buf), len, u64_of(buf),
				 ODPT_CREATE_DMA));
	fill(buf, len / 2, 5);
	fill(src, len / 2, 6);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len / 2, W4K));
	ASSERT_MEM_EQ(buf, out, len / 2);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(buf) + len / 2, src, len / 2,
				W4K));
	ASSERT_MEM_EQ(src, buf + len / 2, len / 2);
	ASSERT_EQ(n, get_stats(self->fd).mapped_pages);
	ASSERT_EQ(0, munmap(buf, len));
	ASSERT_EQ(0, get_stats(self->fd).mapped_pages);
	ASSERT_EQ(-EFAULT, odpt_read(self->fd, u64_of(buf), out, 8, W4K));
}

/* Byte-granular READ/WRITE crossing page boundaries at odd offsets. */
TEST_F(mirror, unaligned_bytes)
{
	const size_t len = 4 * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE);
	char out[5000], in[3001];

	mirror_at(self->fd, buf, len);
	fill(buf, len, 3);
	memset(out, SENTINEL, sizeof(out));
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf) + 4000, out, 4999, W4K));
	ASSERT_MEM_EQ(buf + 4000, out, 4999);
	ASSERT_EQ(SENTINEL, (uint8_t)out[4999]);
	fill(in, sizeof(in), 4);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(buf) + 2 * PAGE_SZ - 7, in,
				sizeof(in), W4K));
	ASSERT_MEM_EQ(in, buf + 2 * PAGE_SZ - 7, sizeof(in));
	ASSERT_TRUE(is_filled(buf, 2 * PAGE_SZ - 7, 3));
}

/* Read-only VMA: device READ works, device WRITE fails with EPERM. */
TEST_F(mirror, readonly_vma)
{
	const size_t len = 4 * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	char in[64];

	fill(buf, 2 * PAGE_SZ, 5);	/* pages 2, 3 stay unpopulated */
	ASSERT_EQ(0, mprotect(buf, len, PROT_READ));
	mirror_at(self->fd, buf, len);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_TRUE(is_filled(out, 2 * PAGE_SZ, 5));
	ASSERT_TRUE(is_zero(out + 2 * PAGE_SZ, 2 * PAGE_SZ));

	fill(in, sizeof(in), 6);
	ASSERT_EQ(-EPERM, odpt_write(self->fd, u64_of(buf), in, sizeof(in),
				     W4K));
	ASSERT_EQ(-EPERM, odpt_write(self->fd, u64_of(buf) + 3 * PAGE_SZ, in,
				     sizeof(in), W4K));
	ASSERT_TRUE(is_filled(buf, 2 * PAGE_SZ, 5));
	ASSERT_TRUE(is_zero(buf + 2 * PAGE_SZ, 2 * PAGE_SZ));
	ASSERT_EQ(2, get_stats(self->fd).mirror.fault_errors);
}

/* PROT_NONE: device READ fails with EFAULT and leaves the buffer alone. */
TEST_F(mirror, prot_none)
{
	const size_t len = 4 * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), out[PAGE_SZ];
	char *none = map_anon(len, 0, MADV_NOHUGEPAGE);

	ASSERT_EQ(0, mprotect(none, len, PROT_NONE));
	ASSERT_EQ(0, odpt_create_implicit(self->fd));
	memset(out, SENTINEL, sizeof(out));
	ASSERT_EQ(-EFAULT, odpt_read(self->fd, u64_of(none), out, 16, W4K));

	/* populated and device-mapped, then PROT_NONE */
	fill(buf, len, 7);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, 16, W4K));
	ASSERT_EQ(0, mprotect(buf, len, PROT_NONE));
	memset(out, SENTINEL, sizeof(out));
	ASSERT_EQ(-EFAULT, odpt_read(self->fd, u64_of(buf), out, PAGE_SZ,
				     W4K));
	ASSERT_EQ(-EFAULT, odpt_write(self->fd, u64_of(buf), out, 16, W4K));
	for (size_t i = 0; i < sizeof(out); i++)
		ASSERT_EQ(SENTINEL, (uint8_t)out[i]);
}

/* After munmap the device READ fails with EFAULT, never old data. */
TEST_F(mirror, munmap_then_read_efault)
{
	const size_t n = 8, len = n * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	struct odpt_stats st;
	uint8_t snap[8];

	mirror_at(self->fd, buf, len);
	fill(buf, len, 8);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_EQ(0, munmap(buf, len));

	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(0, snap_count(snap, n, 0xff));
	st = get_stats(self->fd);
	ASSERT_EQ(0, st.mapped_pages);
	ASSERT_LE(1, st.mirror.invalidations);
	ASSERT_EQ(n, st.mirror.pages_invalidated);

	memset(out, SENTINEL, len);
	ASSERT_EQ(-EFAULT, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_EQ(-EFAULT, odpt_read(self->fd, u64_of(buf) + len - 1, out, 1,
				     W4K));
	for (size_t i = 0; i < len; i++)
		ASSERT_EQ(SENTINEL, (uint8_t)out[i]);
}

/* A new mapping at the same VA (after munmap, or MAP_FIXED over it) is seen. */
TEST_F(mirror, remap_same_va_new_data)
{
	const size_t len = 8 * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	const int prot = PROT_READ | PROT_WRITE;
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;

	mirror_at(self->fd, buf, len);
	fill(buf, len, 9);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_MEM_EQ(buf, out, len);

	ASSERT_EQ(0, munmap(buf, len));
	ASSERT_TRUE(mmap(buf, len, prot, flags, -1, 0) == buf);
	fill(buf, len, 10);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_TRUE(is_filled(out, len, 10));

	/* MAP_FIXED straight over the live mapping */
	ASSERT_TRUE(mmap(buf, len, prot, flags, -1, 0) == buf);
	fill(buf, len, 11);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_TRUE(is_filled(out, len, 11));
}

struct cow_child {
	const char *buf;
	size_t len;
	int go;		/* read end: parent says "check now" */
};

static int cow_child_fn(void *arg)
{
	struct cow_child *c = arg;
	char x;

	if (read(c->go, &x, 1) != 1)
		return 2;
	return is_filled(c->buf, c->len, 12) ? 0 : 1;
}

/* After fork the device follows the parent's COW copies; the child keeps its own. */
TEST_F(mirror, fork_cow)
{
	const size_t n = 8, len = n * PAGE_SZ, half = len / 2;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	char *src = malloc(half);
	struct cow_child c = { .buf = buf, .len = len };
	int pfd[2], pid;
	uint8_t snap[8];

	mirror_at(self->fd, buf, len);
	fill(buf, len, 12);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(buf), buf, 16, W4K));
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_EQ(n, get_stats(self->fd).mapped_pages);

	ASSERT_EQ(0, pipe(pfd));
	c.go = pfd[0];
	pid = fork_fn(cow_child_fn, &c);
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(0, snap_count(snap, n, 0xff));	/* invalidated by fork */

	/* device WRITE breaks COW of the first half, CPU of the second */
	fill(src, half, 13);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(buf), src, half, W4K));
	fill(buf + half, half, 14);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_TRUE(is_filled(out, half, 13));
	ASSERT_TRUE(is_filled(out + half, half, 14));
	ASSERT_TRUE(is_filled(buf, half, 13));

	ASSERT_EQ(1, write(pfd[1], "x", 1));
	ASSERT_EQ(0, wait_child(pid));
}

/* MADV_DONTNEED invalidates; the next device READ refaults zeros. */
TEST_F(mirror, dontneed_refaults_zeros)
{
	const size_t n = 8, len = n * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	struct odpt_stats st;
	uint8_t snap[8];

	mirror_at(self->fd, buf, len);
	fill(buf, len, 15);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_MEM_EQ(buf, out, len);
	ASSERT_EQ(0, get_stats(self->fd).mirror.invalidations);

	ASSERT_EQ(0, madvise(buf, len, MADV_DONTNEED));
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(0, snap_count(snap, n, 0xff));
	st = get_stats(self->fd);
	ASSERT_LE(1, st.mirror.invalidations);
	ASSERT_EQ(n, st.mirror.pages_invalidated);
	ASSERT_EQ(0, st.mapped_pages);

	memset(out, SENTINEL, len);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_TRUE(is_zero(out, len));
	ASSERT_EQ(2, get_stats(self->fd).mirror.faults);
}

/* mremap moves the range: the old VA faults, the implicit mirror sees the new. */
TEST_F(mirror, mremap_move)
{
	const size_t n = 8, len = n * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	char *dst = map_anon(len, 0, MADV_NOHUGEPAGE);
	uint8_t snap[8];

	self->fd2 = open_dev();
	mirror_at(self->fd, buf, len);
	ASSERT_EQ(0, odpt_create_implicit(self->fd2));
	fill(buf, len, 16);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_EQ(0, odpt_read(self->fd2, u64_of(buf), out, len, W4K));
	ASSERT_MEM_EQ(buf, out, len);

	ASSERT_TRUE(mremap(buf, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst) == dst);
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(0, snap_count(snap, n, 0xff));
	ASSERT_EQ(n, get_stats(self->fd).mirror.pages_invalidated);

	memset(out, SENTINEL, len);
	ASSERT_EQ(-EFAULT, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_EQ(-EFAULT, odpt_read(self->fd2, u64_of(buf), out, len, W4K));
	ASSERT_EQ(SENTINEL, (uint8_t)out[0]);
	ASSERT_EQ(0, odpt_read(self->fd2, u64_of(dst), out, len, W4K));
	ASSERT_TRUE(is_filled(out, len, 16));
}

/* mprotect to read-only revokes device write but keeps device read. */
TEST_F(mirror, mprotect_revokes_write)
{
	const size_t n = 4, len = n * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), *out = malloc(len);
	char *src = malloc(len);
	uint8_t snap[4];

	mirror_at(self->fd, buf, len);
	fill(src, len, 17);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(buf), src, len, W4K));
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_WRITE));

	ASSERT_EQ(0, mprotect(buf, len, PROT_READ));
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(0, snap_count(snap, n, 0xff));
	ASSERT_EQ(-EPERM, odpt_write(self->fd, u64_of(buf), src, 8, W4K));
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, len, W4K));
	ASSERT_MEM_EQ(src, out, len);
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_READ));
	ASSERT_EQ(0, snap_count(snap, n, ODPT_SNAP_WRITE));
	ASSERT_MEM_EQ(src, buf, len);
}

/* Explicit mirror at iova = va + off: iova X is CPU byte X - off. */
TEST_F(mirror, iova_offset)
{
	const long long offs[] = { (long long)GIB, -(long long)GIB,
				   1LL << 40 };
	const size_t len = 8 * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), out[6000], in[3000];

	fill(buf, len, 18);
	for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
		uint64_t base = u64_of(buf) + offs[k];
		int fd = open_dev();

		TAP_LOG("offset %lld", offs[k]);
		ASSERT_EQ(0, odpt_create(fd, u64_of(buf), len, base, 0));
		ASSERT_EQ(0, odpt_read(fd, base + 3 * PAGE_SZ + 100, out,
				       sizeof(out), W4K));
		ASSERT_MEM_EQ(buf + 3 * PAGE_SZ + 100, out, sizeof(out));
		fill(in, sizeof(in), 19 + k);
		ASSERT_EQ(0, odpt_write(fd, base + 7 * PAGE_SZ + 50, in,
					sizeof(in), W4K));
		ASSERT_MEM_EQ(in, buf + 7 * PAGE_SZ + 50, sizeof(in));

		ASSERT_EQ(-ERANGE, odpt_read(fd, u64_of(buf), out, 8, W4K));
		ASSERT_EQ(-ERANGE, odpt_read(fd, base - 1, out, 1, W4K));
		ASSERT_EQ(-ERANGE, odpt_read(fd, base + len, out, 1, W4K));
		ASSERT_EQ(-ERANGE, odpt_read(fd, base + len - 8, out, 16,
					     W4K));
		ASSERT_EQ(-ERANGE, odpt_write(fd, base + len, in, 1, W4K));
		close(fd);
		fill(buf, len, 18);
	}
}

/* The implicit mirror reaches far-apart ranges at iova == va. */
TEST_F(mirror, implicit_far_ranges)
{
	char stack_buf[777], *heap = malloc(3 * PAGE_SZ + 123);
	void *hints[] = { (void *)(1ULL << 40), (void *)0x7e0000000000ULL };
	struct { char *p; size_t len; } r[4] = {
		{ stack_buf, sizeof(stack_buf) },
		{ heap, 3 * PAGE_SZ + 123 },
	};
	char *out = malloc(4 * PAGE_SZ), *in = malloc(4 * PAGE_SZ);

	for (int i = 0; i < 2; i++) {
		r[2 + i].len = 2 * PAGE_SZ;
		r[2 + i].p = mmap(hints[i], r[2 + i].len,
				  PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(r[2 + i].p != MAP_FAILED);
	}
	ASSERT_EQ(0, odpt_create_implicit(self->fd));
	for (int i = 0; i < 4; i++) {
		TAP_LOG("range %d at %p", i, (void *)r[i].p);
		fill(r[i].p, r[i].len, 20 + i);
		ASSERT_EQ(0, odpt_read(self->fd, u64_of(r[i].p), out,
				       r[i].len, W4K));
		ASSERT_TRUE(is_filled(out, r[i].len, 20 + i));
		fill(in, r[i].len, 30 + i);
		ASSERT_EQ(0, odpt_write(self->fd, u64_of(r[i].p), in,
					r[i].len, W4K));
		ASSERT_TRUE(is_filled(r[i].p, r[i].len, 30 + i));
	}
	ASSERT_LE(1 + 4 + 2 + 2, get_stats(self->fd).mapped_pages);
}

/* An injected fault error fails exactly the next count device accesses. */
TEST_F(mirror, inject_fault_error)
{
	const size_t len = 4 * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), out[64];

	mirror_at(self->fd, buf, len);
	fill(buf, len, 40);
	ASSERT_EQ(0, odpt_inject(self->fd, 1, EIO));
	memset(out, SENTINEL, sizeof(out));
	ASSERT_EQ(-EIO, odpt_read(self->fd, u64_of(buf), out, sizeof(out),
				  W4K));
	ASSERT_EQ(SENTINEL, (uint8_t)out[0]);
	ASSERT_EQ(1, get_stats(self->fd).mirror.fault_errors);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, sizeof(out), W4K));
	ASSERT_MEM_EQ(buf, out, sizeof(out));

	ASSERT_EQ(0, odpt_inject(self->fd, 2, ENXIO));
	ASSERT_EQ(-ENXIO, odpt_write(self->fd, u64_of(buf) + PAGE_SZ, out, 8,
				     W4K));
	ASSERT_EQ(-ENXIO, odpt_read(self->fd, u64_of(buf) + 2 * PAGE_SZ, out,
				    8, W4K));
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf) + 2 * PAGE_SZ, out, 8,
			       W4K));
	ASSERT_MEM_EQ(buf + 2 * PAGE_SZ, out, 8);
	ASSERT_EQ(3, get_stats(self->fd).mirror.fault_errors);
}
