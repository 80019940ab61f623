// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_demo: what the mirror core does, step by step, through the
 * odph_test device.  Runs inside the VM (make demo); exits non-zero if the
 * device ever disagrees with the CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "odph_test_uapi.h"

#define NPAGES	16
#define OFFSET	(1ULL << 30)	/* device iova = va + 1 GiB */

static long pg;
static int failures;

static void check(int ok, const char *what)
{
	printf("  [%s] %s\n", ok ? " ok " : "FAIL", what);
	failures += !ok;
}

static int dev_rw(int fd, unsigned long req, uint64_t iova, void *buf,
		  size_t len, uint64_t window)
{
	struct odpt_rw rw = {
		.iova = iova, .length = len, .addr = (uintptr_t)buf,
		.window = window,
	};

	return ioctl(fd, req, &rw) ? -errno : 0;
}

static void show_snapshot(int fd, uint64_t iova)
{
	struct odpt_snapshot s;
	unsigned char b[NPAGES];
	int i;

	s = (struct odpt_snapshot){ iova, NPAGES * pg, (uintptr_t)b };
	if (ioctl(fd, ODPT_IOC_SNAPSHOT, &s))
		return perror("snapshot");
	printf("  device page table: ");
	for (i = 0; i < NPAGES; i++)
		putchar(b[i] & ODPT_SNAP_WRITE ? 'W' : b[i] ? 'R' : '.');
	printf("   (. absent, R read, W write)\n");
}

static struct odpt_counters show_counters(int fd)
{
	struct odpt_stats st;

	if (ioctl(fd, ODPT_IOC_STATS, &st))
		perror("stats");
	printf("  counters: faults %llu, pages faulted %llu, snapshot-mapped %llu, "
	       "invalidations %llu, pages zapped %llu, dirtied %llu\n",
	       (unsigned long long)st.mirror.faults,
	       (unsigned long long)st.mirror.pages_faulted,
	       (unsigned long long)st.mirror.pages_snapshot,
	       (unsigned long long)st.mirror.invalidations,
	       (unsigned long long)st.mirror.pages_invalidated,
	       (unsigned long long)st.mirror.pages_dirtied);
	return st.mirror;
}

int main(void)
{
	struct odpt_counters c;
	struct odpt_create cr;
	char *buf, out[64];
	uint64_t iova;
	int fd, i, ret;

	pg = sysconf(_SC_PAGESIZE);
	fd = open(ODPT_DEV_PATH, O_RDWR);
	if (fd < 0) {
		perror(ODPT_DEV_PATH " (is odph_test loaded?)");
		return 1;
	}
	/* Align to the mirror size so the window's pages are predictable. */
	buf = mmap(NULL, 2 * NPAGES * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return perror("mmap"), 1;
	buf = (char *)(((uintptr_t)buf + NPAGES * pg - 1) & ~(NPAGES * pg - 1));
	for (i = 4; i < 12; i += 2)	/* populate every other page */
		snprintf(buf + i * pg, pg, "CPU wrote page %d", i);

	iova = (uintptr_t)buf + OFFSET;
	cr = (struct odpt_create){ .va = (uintptr_t)buf,
				   .length = NPAGES * pg, .iova = iova };
	printf("1. mirror %d pages of va %p at device iova 0x%llx\n", NPAGES,
	       (void *)buf, (unsigned long long)iova);
	if (ioctl(fd, ODPT_IOC_CREATE, &cr))
		return perror("create"), 1;
	show_snapshot(fd, iova);

	printf("2. device reads page 6 with an 8-page window: page 6 is faulted,\n"
	   "   populated page 4 in the window is mapped without a fault\n");
	ret = dev_rw(fd, ODPT_IOC_READ, iova + 6 * pg, out, sizeof(out), 8 * pg);
	check(!ret && !strcmp(out, "CPU wrote page 6"), "device read what the CPU wrote");
	show_snapshot(fd, iova);
	c = show_counters(fd);
	check(c.faults == 1 && c.pages_faulted == 1 && c.pages_snapshot == 1,
	      "one fault, one demanded page, one neighbour (page 4) snapshot-mapped");

	printf("3. device writes page 9; the CPU sees it\n");
	ret = dev_rw(fd, ODPT_IOC_WRITE, iova + 9 * pg, "hello from the device",
		     22, 0);
	check(!ret && !strcmp(buf + 9 * pg, "hello from the device"),
	      "CPU reads the device's bytes");
	show_snapshot(fd, iova);

	printf("4. munmap page 9: the notifier zaps it before munmap returns\n");
	munmap(buf + 9 * pg, pg);
	show_snapshot(fd, iova);
	ret = dev_rw(fd, ODPT_IOC_READ, iova + 9 * pg, out, 8, 0);
	check(ret == -EFAULT, "device read of the unmapped page fails with EFAULT");
	c = show_counters(fd);
	check(c.invalidations == 1 && c.pages_invalidated == 1,
	      "one invalidation zapped one page");

	printf("%s\n", failures ? "demo FAILED" : "demo passed");
	close(fd);
	return failures ? 1 : 0;
}
