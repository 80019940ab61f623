// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_race.c - device writes racing munmap: once munmap has returned, no
 * device byte may land in the page that was unmapped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mirror.h"

#define RACE_PAGES	1000
#define RACE_SECONDS	10

struct writer {
	int fd;
	uint64_t iova;
	uint32_t flags;		/* ODPT_RW_* for every WRITE */
	atomic_int stop;
	atomic_long ok;		/* WRITEs that succeeded */
	atomic_long efault;	/* WRITEs that hit the unmapped VA */
	atomic_long ebusy;	/* WRITEs whose fault gave up retrying */
	atomic_int bad_err;	/* first unexpected -errno, or 0 */
};

FIXTURE(race) {
	int fd;
	struct writer w;
	pthread_t thread;
	int running;
};

FIXTURE_SETUP(race)
{
	self->fd = open_dev();
}

FIXTURE_TEARDOWN(race)
{
	if (self->running) {
		atomic_store(&self->w.stop, 1);
		pthread_join(self->thread, NULL);
	}
	close(self->fd);
}

/* Writes whole pages of a changing byte at w->iova until told to stop. */
static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	char page[PAGE_SZ];
	long n = 0;
	int ret;

	while (!atomic_load(&w->stop)) {
		memset(page, 1 + n++ % 254, sizeof(page));
		ret = odpt_write_flags(w->fd, w->iova, page, sizeof(page), W4K,
				       w->flags);
		if (!ret)
			atomic_fetch_add(&w->ok, 1);
		else if (ret == -EFAULT)
			atomic_fetch_add(&w->efault, 1);
		else if (ret == -EBUSY)	/* invalidated on every try */
			atomic_fetch_add(&w->ebusy, 1);
		else if (!atomic_load(&w->bad_err))
			atomic_store(&w->bad_err, ret);
	}
	return NULL;
}

/* Until two more WRITEs succeeded (so one surely hit the new page) or 1 s. */
static int wait_writes(struct writer *w)
{
	long target = atomic_load(&w->ok) + 2;

	for (int i = 0; i < 100000; i++) {
		if (atomic_load(&w->ok) >= target)
			return 1;
		usleep(10);
	}
	return 0;
}

/* Busy-wait about us microseconds (no syscall, to keep the race tight). */
static void spin_us(int us)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000 +
	       (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

/*
 * One run of the race: a writer thread streams WRITEs (with @flags) at one
 * VA while memfd page n is mapped there, unmapped, snapshotted (s1) and
 * replaced by page n + 1.  Afterwards every page must still equal its
 * snapshot.  One iteration in four lets the writer write the page first;
 * the others unmap it a few microseconds after mapping it, to race the
 * writer's fault.
 */
static void run_race(struct _tap_fx_race *self, uint32_t flags, int pages)
{
	const int mflags = MAP_SHARED | MAP_FIXED;
	int mfd = make_memfd(pages * PAGE_SZ), i, n, written = 0;
	char *va = map_memfd(mfd, PAGE_SZ, 0), *got = malloc(PAGE_SZ);
	char *s1 = malloc(pages * PAGE_SZ);
	time_t t0 = time(NULL), end = t0 + RACE_SECONDS;

	mirror_at(self->fd, va, PAGE_SZ);
	self->w.fd = self->fd;
	self->w.iova = u64_of(va);
	self->w.flags = flags;
	ASSERT_EQ(0, pthread_create(&self->thread, NULL, writer_fn, &self->w));
	self->running = 1;

	for (n = 0; n < pages && time(NULL) < end; n++) {
		if (n % 4)
			spin_us(n % 16);
		else
			written += wait_writes(&self->w);
		ASSERT_EQ(0, munmap(va, PAGE_SZ));
		ASSERT_EQ((ssize_t)PAGE_SZ, pread(mfd, s1 + n * PAGE_SZ,
						  PAGE_SZ, n * PAGE_SZ));
		if (n + 1 < pages)
			ASSERT_TRUE(mmap(va, PAGE_SZ, PROT_READ | PROT_WRITE,
					 mflags, mfd, (n + 1) * PAGE_SZ) == va);
	}
	atomic_store(&self->w.stop, 1);
	pthread_join(self->thread, NULL);
	self->running = 0;

	TAP_LOG("%d pages in %ld s, %d written while mapped, %ld writes ok, %ld EFAULT, %ld EBUSY",
		n, (long)(time(NULL) - t0), written, atomic_load(&self->w.ok),
		atomic_load(&self->w.efault), atomic_load(&self->w.ebusy));
	ASSERT_EQ(0, atomic_load(&self->w.bad_err));
	ASSERT_LE(n / 8, written);
	for (i = 0; i < n; i++) {
		ASSERT_EQ((ssize_t)PAGE_SZ, pread(mfd, got, PAGE_SZ,
						  i * PAGE_SZ));
		ASSERT_MSG(!memcmp(got, s1 + i * PAGE_SZ, PAGE_SZ),
			   "page %d changed after its munmap returned", i);
	}
	close(mfd);
}

/* No device write lands in a memfd page after its munmap returned. */
TEST_F(race, write_vs_munmap)
{
	run_race(self, 0, RACE_PAGES);
}

/*
 * Same with every device copy held ~1 ms inside its access section: munmap
 * must wait for the copy in flight (the lookup/zap fence), or it lands late.
 */
TEST_F(race, slow_write_vs_munmap)
{
	run_race(self, ODPT_RW_SLOW, RACE_PAGES / 5);
}
