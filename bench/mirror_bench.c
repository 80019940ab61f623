// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_bench: side-by-side measurements of the mirror core through the
 * odph_test device, run inside the VM by bench/run.  Under TCG the absolute
 * numbers mean little, so every row pairs a case with its baseline measured
 * in the same run and reports the ratio.
 *
 * Output: a table on stdout and, with -j FILE, the raw values as JSON for
 * bench/plot.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "odph_test_uapi.h"

#define PG		4096UL
#define HPAGE		(2UL << 20)
#define BUF_BYTES	(32UL << 20)
#define UPSTREAM_BPP	16.0	/* 6.1 ib_umem_odp: pfn_list + dma_list */
#define NOTIFY_ITERS	1000
#define ROUNDS		5	/* interleaved rounds; rows report the median */

static FILE *json;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int dev_open(void)
{
	int fd = open(ODPT_DEV_PATH, O_RDWR);

	if (fd < 0)
		die(ODPT_DEV_PATH);
	return fd;
}

static void dev_create(int fd, void *va, size_t len, unsigned int flags)
{
	struct odpt_create c = {
		.va = flags & ODPT_CREATE_IMPLICIT ? 0 : (uintptr_t)va,
		.length = flags & ODPT_CREATE_IMPLICIT ? 0 : len,
		.iova = flags & ODPT_CREATE_IMPLICIT ? 0 : (uintptr_t)va,
		.flags = flags,
	};

	if (ioctl(fd, ODPT_IOC_CREATE, &c))
		die("ODPT_IOC_CREATE");
}

static void dev_stats(int fd, struct odpt_stats *st)
{
	if (ioctl(fd, ODPT_IOC_STATS, st))
		die("ODPT_IOC_STATS");
}

/* A PMD-aligned anonymous buffer, THP on or off, optionally populated. */
static char *buf_alloc(size_t len, int thp, int populate)
{
	char *raw = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buf;

	if (raw == MAP_FAILED)
		die("mmap");
	buf = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (populate)
		for (size_t off = 0; off < len; off += PG)
			buf[off] = (char)off | 1;
	return buf;
}

static void buf_free(char *buf, size_t len)
{
	munmap(buf, len);
}

/*
 * Device first touch: one 64-byte READ per 4 KiB page, like a NIC doing one
 * small access per page.  Returns pages mapped per second.
 */
static double first_touch(int thp, int populate, uint64_t window,
			  struct odpt_stats *st)
{
	char *buf = buf_alloc(BUF_BYTES, thp, populate);
	int fd = dev_open();
	char tmp[64];
	double t0, t1;

	dev_create(fd, buf, BUF_BYTES, 0);
	t0 = now();
	for (size_t off = 0; off < BUF_BYTES; off += PG) {
		struct odpt_rw rw = {
			.iova = (uintptr_t)buf + off, .length = sizeof(tmp),
			.addr = (uintptr_t)tmp, .window = window,
		};

		if (ioctl(fd, ODPT_IOC_READ, &rw))
			die("ODPT_IOC_READ");
	}
	t1 = now();
	dev_stats(fd, st);
	close(fd);
	buf_free(buf, BUF_BYTES);
	return st->mapped_pages / (t1 - t0);
}

/* PREFETCH NO_FAULT of a populated buffer: pages mapped per second. */
static double snapshot_rate(int thp, struct odpt_stats *st)
{
	char *buf = buf_alloc(BUF_BYTES, thp, 1);
	struct odpt_prefetch pf = {
		.length = BUF_BYTES, .flags = ODPT_PREFETCH_NO_FAULT,
	};
	int fd = dev_open();
	double t0, t1;

	dev_create(fd, buf, BUF_BYTES, 0);
	pf.iova = (uintptr_t)buf;
	t0 = now();
	if (ioctl(fd, ODPT_IOC_PREFETCH, &pf))
		die("ODPT_IOC_PREFETCH");
	t1 = now();
	dev_stats(fd, st);
	close(fd);
	buf_free(buf, BUF_BYTES);
	return st->mapped_pages / (t1 - t0);
}

/* Seconds per mmap + touch + munmap of an unrelated page. */
static double unrelated_invalidation(void)
{
	double t0 = now();

	for (int i = 0; i < NOTIFY_ITERS; i++) {
		char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		p[0] = 1;
		munmap(p, PG);
	}
	return (now() - t0) / NOTIFY_ITERS;
}

/* Seconds per interval notifier insert + remove (a 1-chunk mirror). */
static double notifier_insert_remove(char *chunk)
{
	int fd = dev_open();
	double t0 = now();

	for (int i = 0; i < NOTIFY_ITERS; i++) {
		dev_create(fd, chunk, HPAGE, 0);
		if (ioctl(fd, ODPT_IOC_DESTROY))
			die("ODPT_IOC_DESTROY");
	}
	t0 = (now() - t0) / NOTIFY_ITERS;
	close(fd);
	return t0;
}

static void row(const char *key, const char *what, double value,
		const char *unit, double ratio, const char *vs)
{
	static int rows;

	printf("%-34s %12.4g %-8s %8.3f  %s\n", what, value, unit, ratio, vs);
	if (json)
		fprintf(json, "%s\"%s\": {\"what\": \"%s\", \"value\": %g, "
			"\"unit\": \"%s\", \"ratio\": %g, \"vs\": \"%s\"}",
			rows++ ? ",\n " : "", key, what, value, unit, ratio, vs);
}

static void bench_faults(void)
{
	static const uint64_t windows[] = { PG, 64 << 10, HPAGE };
	static const char *const wname[] = { "4K", "64K", "2M" };
	double r[6][ROUNDS], cold[ROUNDS], snap[ROUNDS], base, v;
	struct odpt_stats st;
	char key[64], what[96];

	first_touch(0, 1, PG, &st);	/* warm up */
	for (int k = 0; k < ROUNDS; k++) {
		for (int c = 0; c < 6; c++)
			r[c][k] = first_touch(c / 3, 1, windows[c % 3], &st);
		cold[k] = first_touch(0, 0, PG, &st);
		snap[k] = snapshot_rate(0, &st);
	}
	base = median(r[0], ROUNDS);
	for (int c = 0; c < 6; c++) {
		v = median(r[c], ROUNDS);
		snprintf(key, sizeof(key), "fault_%s_w%s",
			 c / 3 ? "thp" : "4k", wname[c % 3]);
		snprintf(what, sizeof(what), "fault %s pages, window %s",
			 c / 3 ? "THP" : "4 KiB", wname[c % 3]);
		row(key, what, v, "pages/s", v / base, "4 KiB pages, window 4K");
	}
	v = median(cold, ROUNDS);
	row("fault_cold_4k", "fault never-touched 4 KiB pages", v, "pages/s",
	    v / base, "populated, window 4K");
	v = median(snap, ROUNDS);
	row("snapshot_4k", "snapshot-map (prefetch no-fault)", v, "pages/s",
	    v / base, "fault, window 4K");
}

static void bench_memory(void)
{
	struct odpt_stats st;
	double bpp;

	snapshot_rate(0, &st);
	bpp = (double)st.table_bytes / st.mapped_pages;
	row("bytes_per_page_4k", "core bytes per mapped page (4 KiB)", bpp,
	    "B/page", bpp / UPSTREAM_BPP, "upstream ib_umem_odp 16 B");
	snapshot_rate(1, &st);
	bpp = (double)st.table_bytes / st.mapped_pages;
	row("bytes_per_page_thp", "core bytes per mapped page (THP)", bpp,
	    "B/page", bpp / UPSTREAM_BPP, "upstream ib_umem_odp 16 B");
}

/*
 * Implicit mirrors: one notifier over the whole address space (ours) sees
 * every unrelated munmap; per-chunk notifiers (the alternative) see only
 * their chunks but pay an insert + remove per chunk.  The per-chunk
 * baseline for an unrelated munmap is a process whose only mirror lies
 * elsewhere: the notifier machinery runs, no callback of ours does.
 */
static void bench_notifier(void)
{
	double none[ROUNDS], elsewhere[ROUNDS], implicit[ROUNDS], ins[ROUNDS];
	char *chunk = buf_alloc(HPAGE, 0, 1);
	double n, e, i, in, extra;
	int fd;

	unrelated_invalidation();	/* warm up */
	for (int k = 0; k < ROUNDS; k++) {
		none[k] = unrelated_invalidation();
		fd = dev_open();
		dev_create(fd, chunk, HPAGE, 0);
		elsewhere[k] = unrelated_invalidation();
		close(fd);
		fd = dev_open();
		dev_create(fd, NULL, 0, ODPT_CREATE_IMPLICIT);
		implicit[k] = unrelated_invalidation();
		close(fd);
		ins[k] = notifier_insert_remove(chunk);
	}
	n = median(none, ROUNDS);
	e = median(elsewhere, ROUNDS);
	i = median(implicit, ROUNDS);
	in = median(ins, ROUNDS);
	extra = i - e > 0 ? i - e : 1e-9;

	row("notify_elsewhere", "unrelated munmap, mirror elsewhere", e * 1e6,
	    "us", e / n, "no mirror at all");
	row("notify_implicit", "unrelated munmap, implicit mirror", i * 1e6,
	    "us", i / e, "mirror elsewhere");
	row("notify_insert", "notifier insert+remove (1 chunk)", in * 1e6,
	    "us", in / extra, "filtering cost per unrelated munmap");
	buf_free(chunk, HPAGE);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-j")) {
		json = fopen(argv[2], "w");
		if (!json)
			die(argv[2]);
		fputs("{", json);
	}
	printf("%-34s %12s %-8s %8s  %s\n", "case", "value", "unit", "ratio",
	       "ratio against");
	bench_faults();
	bench_memory();
	bench_notifier();
	if (json) {
		fputs("}\n", json);
		fclose(json);
	}
	return 0;
}
