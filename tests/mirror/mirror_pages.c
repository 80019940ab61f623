// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_pages.c - kinds of pages (THP, hugetlbfs, shmem) and how the core
 * maps them: fault window, prefetch, dirty tracking.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mirror.h"

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

FIXTURE(pages) {
	int fd;
	void *huge;			/* hugetlb mapping to unmap */
	long long saved_nr_hugepages;	/* to restore, or -1 */
};

FIXTURE_SETUP(pages)
{
	self->saved_nr_hugepages = -1;
	self->fd = open_dev();
}

FIXTURE_TEARDOWN(pages)
{
	close(self->fd);
	if (self->huge)
		munmap(self->huge, HUGE_SZ);
	if (self->saved_nr_hugepages >= 0)
		write_ll(NR_HUGEPAGES, self->saved_nr_hugepages);
}

/* Value of a /proc/meminfo field in kB, or -1. */
static long long meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	long long kb = -1;
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			kb = atoll(line + strlen(field));
	fclose(f);
	return kb;
}

/* Skip unless THP can be used for madvised memory. */
static void require_thp(void)
{
	char line[128] = "";
	FILE *f = fopen(THP_ENABLED, "r");

	if (!f)
		SKIP("no %s", THP_ENABLED);
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	if (strstr(line, "[never]") || !line[0])
		SKIP("THP disabled: %s", line);
}

/* A 2 MiB THP maps as one huge leaf: faulted and snapshot pages split. */
TEST_F(pages, thp_huge_leaf)
{
	const size_t n = ODPT_PAGES_PER_HUGE;
	char *buf, *out = malloc(HUGE_SZ);
	uint8_t *snap = malloc(n);
	struct odpt_stats st;
	long long kb;

	require_thp();
	buf = map_anon(HUGE_SZ, HUGE_SZ, MADV_HUGEPAGE);
	fill(buf, HUGE_SZ, 50);
	kb = smaps_kb(buf, "AnonHugePages:");
	if (kb < 2048)
		SKIP("CPU mapping not huge (AnonHugePages %lld kB)", kb);

	mirror_at(self->fd, buf, HUGE_SZ);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf) + 5 * PAGE_SZ, out,
			       PAGE_SZ, HUGE_SZ));
	ASSERT_MEM_EQ(buf + 5 * PAGE_SZ, out, PAGE_SZ);
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_HUGE));
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_READ | ODPT_SNAP_WRITE));
	st = get_stats(self->fd);
	ASSERT_EQ(1, st.mirror.faults);
	ASSERT_EQ(1, st.mirror.pages_faulted);
	ASSERT_EQ(n - 1, st.mirror.pages_snapshot);
	ASSERT_EQ(n, st.mapped_pages);

	/* the whole 2 MiB is served without another fault */
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, HUGE_SZ, HUGE_SZ));
	ASSERT_MEM_EQ(buf, out, HUGE_SZ);
	ASSERT_EQ(1, get_stats(self->fd).mirror.faults);

	/* zapping the leaf counts 512 pages */
	ASSERT_EQ(0, madvise(buf, HUGE_SZ, MADV_DONTNEED));
	st = get_stats(self->fd);
	ASSERT_EQ(n, st.mirror.pages_invalidated);
	ASSERT_EQ(0, st.mapped_pages);
}

/* Reserve 4 huge pages for the case (restored by the teardown). */
static void reserve_hugepages(struct _tap_fx_pages *self)
{
	long long saved = read_ll(NR_HUGEPAGES);

	if (saved < 0)
		SKIP("no %s", NR_HUGEPAGES);
	if (geteuid())
		SKIP("hugetlb needs root to set %s", NR_HUGEPAGES);
	if (meminfo_kb("Hugepagesize:") != 2048)
		SKIP("default huge page size is not 2 MiB");
	self->saved_nr_hugepages = saved;
	ASSERT_EQ(0, write_ll(NR_HUGEPAGES, 4));
	if (read_ll(NR_HUGEPAGES) < 1)
		SKIP("could not reserve a huge page");
}

/* hugetlbfs 2 MiB page: device WRITE and READ data, snapshot HUGE. */
TEST_F(pages, hugetlb)
{
	const size_t n = ODPT_PAGES_PER_HUGE;
	char *buf, *out = malloc(HUGE_SZ), *src = malloc(HUGE_SZ);
	uint8_t *snap = malloc(n);
	struct odpt_stats st;

	reserve_hugepages(self);
	buf = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT),
		   -1, 0);
	if (buf == MAP_FAILED)
		SKIP("MAP_HUGETLB: %s", strerror(errno));
	self->huge = buf;

	mirror_at(self->fd, buf, HUGE_SZ);
	fill(src, HUGE_SZ, 51);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(buf), src, HUGE_SZ, HUGE_SZ));
	ASSERT_MEM_EQ(src, buf, HUGE_SZ);
	get_snap(self->fd, u64_of(buf), n, snap);
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_HUGE));
	ASSERT_EQ(n, snap_count(snap, n, ODPT_SNAP_WRITE));
	st = get_stats(self->fd);
	ASSERT_EQ(1, st.mirror.faults);
	ASSERT_EQ(n, st.mirror.pages_faulted);

	fill(buf + 1000, 100000, 52);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, HUGE_SZ, HUGE_SZ));
	ASSERT_MEM_EQ(buf, out, HUGE_SZ);
	ASSERT_EQ(1, get_stats(self->fd).mirror.faults);
}

/* memfd MAP_SHARED: device WRITE visible through another mapping and pread. */
TEST_F(pages, memfd_shared)
{
	const size_t len = 8 * PAGE_SZ;
	int mfd = make_memfd(len);
	char *m1 = map_memfd(mfd, len, 0), *m2 = map_memfd(mfd, len, 0);
	char *src = malloc(len), *out = malloc(len);

	mirror_at(self->fd, m1, len);
	fill(src, len, 53);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(m1), src, len, W4K));
	ASSERT_MEM_EQ(src, m2, len);
	ASSERT_EQ((ssize_t)len, pread(mfd, out, len, 0));
	ASSERT_MEM_EQ(src, out, len);

	/* and the other way: CPU writes through m2, the device reads m1 */
	fill(m2 + 3 * PAGE_SZ, PAGE_SZ, 54);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(m1) + 3 * PAGE_SZ, out,
			       PAGE_SZ, W4K));
	ASSERT_TRUE(is_filled(out, PAGE_SZ, 54));
	close(mfd);
}

static int in_list(size_t p, const size_t *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == p)
			return 1;
	return 0;
}

/* The window snapshot-maps populated neighbours; demanded pages are faulted. */
TEST_F(pages, fault_window)
{
	const size_t n = 64, len = n * PAGE_SZ, win = 64 * PAGE_SZ;
	const size_t touched[] = { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
				   20, 40 };
	const size_t nt = sizeof(touched) / sizeof(touched[0]);
	const size_t d0 = 12, d1 = 14;	/* demanded pages [d0, d1) */
	char *buf = map_anon(len, win, MADV_NOHUGEPAGE), out[2 * PAGE_SZ];
	uint64_t va = u64_of(buf), w0, w1;
	size_t p, expect_snap = 0;
	struct odpt_stats st;
	uint8_t snap[64];

	for (p = 0; p < nt; p++)
		fill(buf + touched[p] * PAGE_SZ, PAGE_SZ, 60 + touched[p]);
	mirror_at(self->fd, buf, len);
	ASSERT_EQ(0, odpt_read(self->fd, va + d0 * PAGE_SZ, out,
			       (d1 - d0) * PAGE_SZ, win));
	ASSERT_MEM_EQ(buf + d0 * PAGE_SZ, out, (d1 - d0) * PAGE_SZ);

	/* window: demanded range aligned out to win, clipped to the mirror */
	w0 = (va + d0 * PAGE_SZ) & ~(win - 1);
	w1 = (va + d1 * PAGE_SZ + win - 1) & ~(win - 1);
	w0 = w0 < va ? va : w0;
	w1 = w1 > va + len ? va + len : w1;
	for (p = 0; p < n; p++) {
		uint64_t a = va + p * PAGE_SZ;

		if (a >= w0 && a < w1 && in_list(p, touched, nt) &&
		    (p < d0 || p >= d1))
			expect_snap++;
	}
	TAP_LOG("window pages %llu..%llu, expect %zu snapshot pages",
		(unsigned long long)(w0 - va) / PAGE_SZ,
		(unsigned long long)(w1 - va) / PAGE_SZ, expect_snap);

	st = get_stats(self->fd);
	ASSERT_EQ(1, st.mirror.faults);
	ASSERT_EQ(d1 - d0, st.mirror.pages_faulted);
	ASSERT_EQ(expect_snap, st.mirror.pages_snapshot);
	ASSERT_EQ(expect_snap + d1 - d0, st.mapped_pages);

	get_snap(self->fd, va, n, snap);
	for (p = 0; p < n; p++) {
		uint64_t a = va + p * PAGE_SZ;
		int mapped = (p >= d0 && p < d1) ||
			     (a >= w0 && a < w1 && in_list(p, touched, nt));

		EXPECT_MSG(!!(snap[p] & (ODPT_SNAP_READ | ODPT_SNAP_WRITE)) ==
			   mapped, "page %zu: snapshot 0x%x, expected %s", p,
			   snap[p], mapped ? "mapped" : "absent");
	}
	/* the snapshot-mapped neighbours serve reads without faulting */
	ASSERT_EQ(0, odpt_read(self->fd, va + 40 * PAGE_SZ, out, PAGE_SZ, W4K));
	ASSERT_TRUE(is_filled(out, PAGE_SZ, 100));
	ASSERT_EQ(1, get_stats(self->fd).mirror.faults);
}

/* PREFETCH: NO_FAULT maps only populated pages; plain faults; WRITE writable. */
TEST_F(pages, prefetch)
{
	const size_t n = 32, len = n * PAGE_SZ;
	char *buf = map_anon(len, 0, MADV_NOHUGEPAGE), out[PAGE_SZ];
	uint64_t va = u64_of(buf);
	unsigned char vec[32];
	struct odpt_stats st;
	uint8_t snap[32];

	fill(buf, 8 * PAGE_SZ, 70);	/* pages 0..7 populated */
	mirror_at(self->fd, buf, len);

	ASSERT_EQ(0, odpt_prefetch(self->fd, va, len, ODPT_PREFETCH_NO_FAULT));
	get_snap(self->fd, va, n, snap);
	ASSERT_EQ(8, snap_count(snap, 8, ODPT_SNAP_READ | ODPT_SNAP_WRITE));
	ASSERT_EQ(0, snap_count(snap + 8, n - 8, 0xff));
	ASSERT_EQ(0, mincore(buf, len, vec));
	for (size_t i = 8; i < n; i++)
		ASSERT_EQ(0, vec[i] & 1);
	st = get_stats(self->fd);
	ASSERT_EQ(1, st.mirror.prefetches);
	ASSERT_EQ(8, st.mirror.pages_snapshot);
	ASSERT_EQ(0, st.mirror.pages_faulted);
	ASSERT_EQ(0, st.mirror.faults);

	/* plain prefetch faults pages 16..23 in */
	ASSERT_EQ(0, odpt_prefetch(self->fd, va + 16 * PAGE_SZ, 8 * PAGE_SZ, 0));
	get_snap(self->fd, va, n, snap);
	ASSERT_EQ(8, snap_count(snap + 16, 8, ODPT_SNAP_READ | ODPT_SNAP_WRITE));
	ASSERT_EQ(0, snap_count(snap + 8, 8, 0xff));
	st = get_stats(self->fd);
	ASSERT_EQ(2, st.mirror.prefetches);
	ASSERT_EQ(8, st.mirror.pages_faulted);

	/* PREFETCH_WRITE makes 24..31 device-writable */
	ASSERT_EQ(0, odpt_prefetch(self->fd, va + 24 * PAGE_SZ, 8 * PAGE_SZ,
				   ODPT_PREFETCH_WRITE));
	get_snap(self->fd, va, n, snap);
	ASSERT_EQ(8, snap_count(snap + 24, 8, ODPT_SNAP_WRITE));
	ASSERT_EQ(0, snap_count(snap + 8, 8, 0xff));
	st = get_stats(self->fd);
	ASSERT_EQ(3, st.mirror.prefetches);
	ASSERT_EQ(16, st.mirror.pages_faulted);
	ASSERT_EQ(24, st.mapped_pages);

	/* prefetched pages serve device READ and WRITE without faults */
	ASSERT_EQ(0, odpt_read(self->fd, va + 3 * PAGE_SZ, out, PAGE_SZ, W4K));
	ASSERT_MEM_EQ(buf + 3 * PAGE_SZ, out, PAGE_SZ);
	fill(out, PAGE_SZ, 71);
	ASSERT_EQ(0, odpt_write(self->fd, va + 30 * PAGE_SZ, out, PAGE_SZ,
				W4K));
	ASSERT_TRUE(is_filled(buf + 30 * PAGE_SZ, PAGE_SZ, 71));
	ASSERT_EQ(0, get_stats(self->fd).mirror.faults);
}

/* Device-written shared pages are dirtied at invalidation; read ones not. */
TEST_F(pages, dirty_on_invalidate)
{
	const size_t n = 8, len = n * PAGE_SZ;
	int mfd = make_memfd(len);
	char *m = map_memfd(mfd, len, 0), *src = malloc(len);
	char *out = malloc(len);
	struct odpt_stats st;
	uint8_t snap[8];

	mirror_at(self->fd, m, len);
	fill(src, len, 80);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(m), src, 2 * PAGE_SZ, W4K));
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(m) + 4 * PAGE_SZ, out,
			       2 * PAGE_SZ, W4K));
	get_snap(self->fd, u64_of(m), n, snap);
	ASSERT_EQ(2, snap_count(snap, 2, ODPT_SNAP_DIRTY));
	ASSERT_EQ(0, snap_count(snap + 2, n - 2, ODPT_SNAP_DIRTY));
	ASSERT_EQ(2, snap_count(snap + 4, 2, ODPT_SNAP_READ | ODPT_SNAP_WRITE));

	ASSERT_EQ(0, madvise(m, len, MADV_DONTNEED));
	st = get_stats(self->fd);
	ASSERT_LE(1, st.mirror.invalidations);
	ASSERT_EQ(4, st.mirror.pages_invalidated);
	ASSERT_EQ(2, st.mirror.pages_dirtied);
	ASSERT_EQ(0, st.mapped_pages);
	ASSERT_EQ((ssize_t)len, pread(mfd, out, len, 0));
	ASSERT_MEM_EQ(src, out, 2 * PAGE_SZ);
	ASSERT_TRUE(is_zero(out + 2 * PAGE_SZ, len - 2 * PAGE_SZ));
	close(mfd);
}
