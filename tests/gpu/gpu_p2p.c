// SPDX-License-Identifier: GPL-2.0
/*
 * gpu_p2p.c - the mirror core's P2P path into a fake GPU's VRAM.
 *
 * odph_gpu (kernel/ib_odp_hmm/test/odph_gpu.c) migrates process pages into
 * device-private memory backed by an ivshmem BAR; odph_test mirrors the
 * process the way a NIC does.  A mirror in the GPU's owner domain must reach
 * VRAM peer to peer (no page migrated back), see the GPU's migrations and
 * evictions through its notifier (no stale byte), and fall back to
 * migration, counted, when the provider refuses the importer.
 *
 * Needs odph_gpu.ko and the device (tests/vm/run --gpu); tests/run skips the
 * program otherwise (tests/gpu/unavailable).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "odph_gpu_uapi.h"
#include "odpt.h"
#include "tap.h"

#define NPAGES		16
#define LEN		(NPAGES * PAGE_SZ)
#define EVICT_ROUNDS	40

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)((i * 131 + (i >> 12) * 7 + seed * 29 + 1) ^ (seed >> 8));
}

static void fill(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern(i, seed);
}

/* Index of the first byte that differs from fill(seed), or -1. */
static long first_diff(const void *p, size_t len, unsigned int seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pattern(i, seed))
			return (long)i;
	return -1;
}

static int gpu_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static struct odpg_counters gpu_counters(int gfd)
{
	struct odpg_counters c;

	ASSERT_EQ(0, gpu_ioctl(gfd, ODPG_IOC_COUNTERS, &c));
	return c;
}

/* Migrate [p, p + len) to VRAM; returns pages moved (fails the case). */
static uint64_t to_vram(int gfd, void *p, size_t len)
{
	struct odpg_migrate m = { .va = u64_of(p), .length = len };

	ASSERT_EQ(0, gpu_ioctl(gfd, ODPG_IOC_TO_VRAM, &m));
	return m.migrated;
}

static uint64_t evict(int gfd)
{
	struct odpg_migrate m;

	ASSERT_EQ(0, gpu_ioctl(gfd, ODPG_IOC_EVICT, &m));
	return m.migrated;
}

static int vram_rw(int gfd, unsigned long req, uint64_t off, void *buf,
		   size_t len)
{
	struct odpg_vram_rw rw = {
		.off = off, .length = len, .addr = u64_of(buf),
	};

	return gpu_ioctl(gfd, req, &rw);
}

static int create_owner(int fd, void *p, size_t len, uint32_t flags,
			uint32_t domain)
{
	struct odpt_create_owner c = {
		.va = u64_of(p), .length = len, .iova = u64_of(p),
		.flags = flags, .domain = domain,
	};

	return odpt_ioctl(fd, ODPT_IOC_CREATE_OWNER, &c);
}

static struct odpt_p2p_stats p2p_stats(int fd)
{
	struct odpt_p2p_stats s;

	ASSERT_EQ(0, odpt_ioctl(fd, ODPT_IOC_P2P_STATS, &s));
	return s;
}

static void *map_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	return p;
}

FIXTURE(gpu) {
	int gfd;		/* /dev/odph_gpu */
	int fd;			/* /dev/odph_test */
	uint32_t domain;	/* the GPU's P2P owner domain */
};

FIXTURE_SETUP(gpu)
{
	struct odpg_counters c;

	self->fd = -1;
	self->gfd = open(ODPG_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (self->gfd < 0)
		SKIP("%s: %s (odph_gpu.ko and tests/vm/run --gpu)",
		     ODPG_DEV_PATH, strerror(errno));
	c = gpu_counters(self->gfd);
	ASSERT_NE(0, c.domain);
	ASSERT_LE(4 * NPAGES, c.vram_pages);
	self->domain = c.domain;
	self->fd = odpt_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(gpu)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->gfd >= 0)
		close(self->gfd);
}

/* The GPU alone: RAM -> VRAM lands the bytes in VRAM; a CPU read brings them back. */
TEST_F(gpu, migrate_roundtrip)
{
	char *buf = map_buf(LEN), *out = malloc(LEN);
	struct odpg_counters c0, c1;

	fill(buf, LEN, 1);
	c0 = gpu_counters(self->gfd);
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	ASSERT_EQ(0, vram_rw(self->gfd, ODPG_IOC_READ_VA, u64_of(buf), out, LEN));
	ASSERT_EQ(-1, first_diff(out, LEN, 1));
	c1 = gpu_counters(self->gfd);
	ASSERT_EQ(NPAGES, c1.pages_to_vram - c0.pages_to_vram);
	ASSERT_EQ(0, c1.cpu_faults - c0.cpu_faults);

	ASSERT_EQ(-1, first_diff(buf, LEN, 1));	/* CPU touch */
	c1 = gpu_counters(self->gfd);
	ASSERT_EQ(NPAGES, c1.cpu_faults - c0.cpu_faults);
	ASSERT_EQ(NPAGES, c1.pages_to_ram - c0.pages_to_ram);
	ASSERT_EQ(-ENOENT, vram_rw(self->gfd, ODPG_IOC_READ_VA, u64_of(buf),
				   out, PAGE_SZ));
}

/*
 * Mirror read that retries -EBUSY a few times.  Outside the GPU's domain
 * hmm_range_fault() migrates one page per walk and every migration
 * restarts the chunk, so 16 pages may outlast HMM_RANGE_DEFAULT_TIMEOUT
 * (1 s) under KASAN and TCG; a NIC would retry the same way.
 */
static int read_retry(int fd, void *p, void *out, size_t len, int *busy)
{
	int i, ret = -EBUSY;

	for (i = 0; i < 20 && ret == -EBUSY; i++) {
		ret = odpt_read(fd, u64_of(p), out, len, PAGE_SZ);
		*busy += ret == -EBUSY;
	}
	return ret;
}

/* Without the GPU's owner, a mirror read migrates VRAM pages back (upstream behaviour). */
TEST_F(gpu, other_owner_migrates_back)
{
	char *buf = map_buf(LEN), *out = malloc(LEN);
	struct odpg_counters c0, c1;
	int busy = 0;

	fill(buf, LEN, 2);
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	c0 = gpu_counters(self->gfd);
	ASSERT_EQ(0, odpt_create(self->fd, u64_of(buf), LEN, u64_of(buf), 0));
	ASSERT_EQ(0, read_retry(self->fd, buf, out, LEN, &busy));
	if (busy)
		TAP_LOG("%d reads gave -EBUSY before one completed", busy);
	ASSERT_EQ(-1, first_diff(out, LEN, 2));
	c1 = gpu_counters(self->gfd);
	ASSERT_EQ(NPAGES, c1.pages_to_ram - c0.pages_to_ram);
}

/* Mirror in the GPU's domain reads VRAM peer to peer: nothing migrates back. */
TEST_F(gpu, p2p_read_no_migration)
{
	char *buf = map_buf(LEN), *out = malloc(LEN);
	struct odpg_counters c0, c1;
	struct odpt_p2p_stats s;
	uint8_t snap[NPAGES];
	int i;

	fill(buf, LEN, 3);
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	ASSERT_EQ(0, create_owner(self->fd, buf, LEN, 0, self->domain));
	c0 = gpu_counters(self->gfd);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, LEN, PAGE_SZ));
	ASSERT_EQ(-1, first_diff(out, LEN, 3));
	c1 = gpu_counters(self->gfd);
	EXPECT_EQ(0, c1.pages_to_ram - c0.pages_to_ram);
	EXPECT_EQ(0, c1.cpu_faults - c0.cpu_faults);
	EXPECT_LE(NPAGES, c1.vram_used);
	s = p2p_stats(self->fd);
	EXPECT_EQ(NPAGES, s.mirror.pages_resolved);
	EXPECT_EQ(0, s.mirror.pages_refused);
	EXPECT_EQ(0, s.mirror.pages_migrated_back);
	ASSERT_EQ(0, odpt_snapshot(self->fd, u64_of(buf), LEN, snap));
	for (i = 0; i < NPAGES; i++)
		EXPECT_EQ(ODPT_SNAP_WRITE | ODPT_SNAP_PEER, snap[i]);
	/* still in VRAM */
	ASSERT_EQ(0, vram_rw(self->gfd, ODPG_IOC_READ_VA, u64_of(buf), out, LEN));
	ASSERT_EQ(-1, first_diff(out, LEN, 3));
}

/* A mirror write lands in VRAM (checked through the GPU), then the CPU sees it. */
TEST_F(gpu, p2p_write_lands_in_vram)
{
	char *buf = map_buf(LEN), *src = malloc(LEN), *out = malloc(LEN);
	struct odpg_counters c0, c1;
	struct odpt_p2p_stats s;

	fill(buf, LEN, 4);
	fill(src, LEN, 5);
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	ASSERT_EQ(0, create_owner(self->fd, buf, LEN, 0, self->domain));
	c0 = gpu_counters(self->gfd);
	ASSERT_EQ(0, odpt_write(self->fd, u64_of(buf), src, LEN, PAGE_SZ));
	c1 = gpu_counters(self->gfd);
	EXPECT_EQ(0, c1.pages_to_ram - c0.pages_to_ram);
	EXPECT_EQ(0, c1.cpu_faults - c0.cpu_faults);
	s = p2p_stats(self->fd);
	EXPECT_EQ(NPAGES, s.mirror.pages_resolved);
	EXPECT_EQ(0, s.mirror.pages_migrated_back);

	ASSERT_EQ(0, vram_rw(self->gfd, ODPG_IOC_READ_VA, u64_of(buf), out, LEN));
	ASSERT_EQ(-1, first_diff(out, LEN, 5));

	/* The CPU read migrates back (zapping the mirror) and sees the write. */
	ASSERT_EQ(-1, first_diff(buf, LEN, 5));
	c1 = gpu_counters(self->gfd);
	EXPECT_EQ(NPAGES, c1.cpu_faults - c0.cpu_faults);
	/* ... and the mirror, refaulted, reads the RAM copy. */
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, LEN, PAGE_SZ));
	ASSERT_EQ(-1, first_diff(out, LEN, 5));
	s = p2p_stats(self->fd);
	EXPECT_EQ(NPAGES, s.mirror.pages_resolved);
}

/* Evict, poison the freed VRAM, write new data from the CPU: the mirror must not see VRAM. */
TEST_F(gpu, evict_zaps_peer_leaves)
{
	char *buf = map_buf(LEN), *out = malloc(LEN), *junk = malloc(LEN);
	unsigned int r;

	memset(junk, 0xee, LEN);
	ASSERT_EQ(0, create_owner(self->fd, buf, LEN, 0, self->domain));
	for (r = 0; r < 8; r++) {
		fill(buf, LEN, 100 + 2 * r);
		ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
		ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, LEN, PAGE_SZ));
		ASSERT_EQ(-1, first_diff(out, LEN, 100 + 2 * r));
		ASSERT_LE(NPAGES, evict(self->gfd));
		ASSERT_EQ(0, gpu_counters(self->gfd).vram_used);
		ASSERT_EQ(0, vram_rw(self->gfd, ODPG_IOC_WRITE_OFF, 0, junk, LEN));
		ASSERT_EQ(0, vram_rw(self->gfd, ODPG_IOC_WRITE_OFF, LEN, junk, LEN));
		fill(buf, LEN, 101 + 2 * r);
		ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, LEN, PAGE_SZ));
		ASSERT_EQ(-1, first_diff(out, LEN, 101 + 2 * r));
	}
}

struct reader {
	int fd;
	char *buf;
	unsigned int seed;
	volatile int stop;
	long reads, busy, errors, bad_off;
	int err;
};

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	char *out = malloc(LEN);
	long d;
	int ret;

	while (!rd->stop) {
		ret = odpt_read(rd->fd, u64_of(rd->buf), out, LEN, PAGE_SZ);
		/* invalidations kept racing with the fault: a NIC retries */
		if (ret == -EBUSY) {
			rd->busy++;
			continue;
		}
		if (ret) {
			rd->err = ret;
			break;
		}
		d = first_diff(out, LEN, rd->seed);
		if (d >= 0) {
			rd->errors++;
			rd->bad_off = d;
		}
		rd->reads++;
	}
	free(out);
	return NULL;
}

/*
 * Mirror reads race with the GPU evicting and re-migrating the buffer; each
 * freed VRAM page is poisoned before it is reused.  No read may return a
 * poisoned or otherwise wrong byte.
 */
TEST_F(gpu, evict_during_mirror_reads)
{
	char *buf = map_buf(LEN), *junk = malloc(LEN);
	struct reader rd = { .fd = self->fd, .buf = buf, .seed = 7 };
	struct odpg_counters c;
	struct odpt_p2p_stats s;
	pthread_t t;
	unsigned int r;

	memset(junk, 0xee, LEN);
	fill(buf, LEN, 7);
	ASSERT_EQ(0, create_owner(self->fd, buf, LEN, 0, self->domain));
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	ASSERT_EQ(0, pthread_create(&t, NULL, reader_fn, &rd));
	for (r = 0; r < EVICT_ROUNDS && !rd.err; r++) {
		evict(self->gfd);
		c = gpu_counters(self->gfd);
		if (!c.vram_used) {
			vram_rw(self->gfd, ODPG_IOC_WRITE_OFF, 0, junk, LEN);
			vram_rw(self->gfd, ODPG_IOC_WRITE_OFF, LEN, junk, LEN);
		}
		to_vram(self->gfd, buf, LEN);
		usleep(1000);
	}
	rd.stop = 1;
	pthread_join(t, NULL);
	TAP_LOG("%ld mirror reads (%ld -EBUSY) over %u evictions", rd.reads,
		rd.busy, r);
	ASSERT_EQ(0, rd.err);
	ASSERT_MSG(!rd.errors, "%ld reads saw a wrong byte (last at %ld)",
		   rd.errors, rd.bad_off);
	ASSERT_LT(0, rd.reads);
	s = p2p_stats(self->fd);
	EXPECT_EQ(0, s.mirror.pages_migrated_back);
	EXPECT_EQ(0, s.mirror.pages_refused);
	ASSERT_EQ(-1, first_diff(buf, LEN, 7));
}

/*
 * A DMA importer that is no PCI device has no P2P path to the BAR
 * (pci_p2pdma_distance() < 0): the provider refuses, the core migrates the
 * pages back, counts it, and the data is right.
 */
TEST_F(gpu, refused_falls_back_to_migration)
{
	char *buf = map_buf(LEN), *out = malloc(LEN);
	struct odpg_counters c0, c1;
	struct odpt_p2p_stats s;
	uint8_t snap[NPAGES];
	int i;

	fill(buf, LEN, 8);
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	ASSERT_EQ(0, create_owner(self->fd, buf, LEN, ODPT_CREATE_DMA,
				  self->domain));
	c0 = gpu_counters(self->gfd);
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, LEN, PAGE_SZ));
	ASSERT_EQ(-1, first_diff(out, LEN, 8));
	c1 = gpu_counters(self->gfd);
	EXPECT_EQ(NPAGES, c1.pages_to_ram - c0.pages_to_ram);
	s = p2p_stats(self->fd);
	EXPECT_EQ(0, s.mirror.pages_resolved);
	EXPECT_LE(NPAGES, s.mirror.pages_refused);
	EXPECT_EQ(NPAGES, s.mirror.pages_migrated_back);
	ASSERT_EQ(0, odpt_snapshot(self->fd, u64_of(buf), LEN, snap));
	for (i = 0; i < NPAGES; i++)
		EXPECT_EQ(0, snap[i] & ODPT_SNAP_PEER);
	ASSERT_EQ(-ENOENT, vram_rw(self->gfd, ODPG_IOC_READ_VA, u64_of(buf),
				   out, PAGE_SZ));
	ASSERT_EQ(-1, first_diff(buf, LEN, 8));
}

/* An unknown domain is refused at CREATE_OWNER. */
TEST_F(gpu, unknown_domain)
{
	char *buf = map_buf(LEN);

	ASSERT_EQ(-ENODEV, create_owner(self->fd, buf, LEN, 0,
					self->domain + 1000));
}

/*
 * A NO_FAULT prefetch (the snapshot walk) maps VRAM pages as peers in the
 * GPU's domain, and maps nothing, migrating nothing, outside it.
 */
TEST_F(gpu, snapshot_prefetch_maps_peers)
{
	char *buf = map_buf(LEN);
	struct odpg_counters c0, c1;
	struct odpt_stats st;
	uint8_t snap[NPAGES];
	int fd2, i;

	fill(buf, LEN, 9);
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	c0 = gpu_counters(self->gfd);
	ASSERT_EQ(0, create_owner(self->fd, buf, LEN, 0, self->domain));
	ASSERT_EQ(0, odpt_prefetch(self->fd, u64_of(buf), LEN,
				   ODPT_PREFETCH_NO_FAULT));
	ASSERT_EQ(0, odpt_snapshot(self->fd, u64_of(buf), LEN, snap));
	for (i = 0; i < NPAGES; i++)
		EXPECT_EQ(ODPT_SNAP_WRITE | ODPT_SNAP_PEER, snap[i]);
	EXPECT_EQ(NPAGES, p2p_stats(self->fd).mirror.pages_resolved);

	fd2 = odpt_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, odpt_create(fd2, u64_of(buf), LEN, u64_of(buf), 0));
	ASSERT_EQ(0, odpt_prefetch(fd2, u64_of(buf), LEN,
				   ODPT_PREFETCH_NO_FAULT));
	ASSERT_EQ(0, odpt_stats(fd2, &st));
	EXPECT_EQ(0, st.mapped_pages);
	close(fd2);
	c1 = gpu_counters(self->gfd);
	EXPECT_EQ(0, c1.pages_to_ram - c0.pages_to_ram);
}

/* munmap of a buffer in VRAM zaps its peer leaves and frees the VRAM. */
TEST_F(gpu, munmap_zaps_peer_leaves)
{
	char *buf = map_buf(LEN), *out = malloc(LEN);
	struct odpg_counters c0;
	struct odpt_stats st;

	fill(buf, LEN, 10);
	c0 = gpu_counters(self->gfd);
	ASSERT_EQ(NPAGES, to_vram(self->gfd, buf, LEN));
	ASSERT_EQ(0, create_owner(self->fd, buf, LEN, 0, self->domain));
	ASSERT_EQ(0, odpt_read(self->fd, u64_of(buf), out, LEN, PAGE_SZ));
	ASSERT_EQ(-1, first_diff(out, LEN, 10));
	ASSERT_EQ(0, odpt_stats(self->fd, &st));
	ASSERT_EQ(NPAGES, st.mapped_pages);
	ASSERT_EQ(0, munmap(buf, LEN));
	ASSERT_EQ(0, odpt_stats(self->fd, &st));
	EXPECT_EQ(0, st.mapped_pages);
	EXPECT_EQ(NPAGES, st.mirror.pages_invalidated);
	EXPECT_EQ(c0.vram_used, gpu_counters(self->gfd).vram_used);
	ASSERT_EQ(-EFAULT, odpt_read(self->fd, u64_of(buf), out, PAGE_SZ,
				     PAGE_SZ));
}
