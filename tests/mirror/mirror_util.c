// SPDX-License-Identifier: GPL-2.0
/* mirror_util.c - helpers shared by the mirror core tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mirror.h"

int open_dev(void)
{
	int fd = odpt_open();

	ASSERT_MSG(fd >= 0, "open %s: %s (modules not loaded? run via tests/vm/run)",
		   ODPT_DEV_PATH, strerror(-fd));
	return fd;
}

void mirror_at(int fd, void *p, size_t len)
{
	ASSERT_EQ(0, odpt_create(fd, u64_of(p), len, u64_of(p), 0));
}

struct odpt_stats get_stats(int fd)
{
	struct odpt_stats st;

	ASSERT_EQ(0, odpt_stats(fd, &st));
	return st;
}

void get_snap(int fd, uint64_t iova, size_t npages, uint8_t *out)
{
	memset(out, 0xff, npages);
	ASSERT_EQ(0, odpt_snapshot(fd, iova, npages * PAGE_SZ, out));
}

size_t snap_count(const uint8_t *s, size_t npages, uint8_t mask)
{
	size_t i, n = 0;

	for (i = 0; i < npages; i++)
		n += !!(s[i] & mask);
	return n;
}

void *map_anon(size_t len, size_t align, int advice)
{
	size_t extra = align > PAGE_SZ ? align : 0;
	uintptr_t start, end, base;
	char *p;

	p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_MSG(p != MAP_FAILED, "mmap %zu: %s", len + extra,
		   strerror(errno));
	base = (uintptr_t)p;
	start = extra ? (base + align - 1) & ~(uintptr_t)(align - 1) : base;
	end = start + len;
	if (start > base)
		munmap(p, start - base);
	if (base + len + extra > end)
		munmap((void *)end, base + len + extra - end);
	ASSERT_MSG(!madvise((void *)start, len, advice), "madvise: %s",
		   strerror(errno));
	return (void *)start;
}

int make_memfd(size_t len)
{
	int mfd = memfd_create("odpt", MFD_CLOEXEC);

	ASSERT_MSG(mfd >= 0, "memfd_create: %s", strerror(errno));
	ASSERT_MSG(!ftruncate(mfd, len), "ftruncate: %s", strerror(errno));
	return mfd;
}

void *map_memfd(int mfd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		       off);

	ASSERT_MSG(p != MAP_FAILED, "mmap memfd: %s", strerror(errno));
	return p;
}

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 12) * 251 + 1);
}

void fill(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern(i, seed);
}

int is_filled(const void *p, size_t len, unsigned int seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pattern(i, seed))
			return 0;
	return 1;
}

int is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

long long read_ll(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v;
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%lld", &v);
	fclose(f);
	return n == 1 ? v : -EINVAL;
}

int write_ll(const char *path, long long v)
{
	char buf[32];
	int fd, len, n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%lld\n", v);
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : 0;
}

long long smaps_kb(const void *addr, const char *field)
{
	uintptr_t a = (uintptr_t)addr, lo, hi;
	FILE *f = fopen("/proc/self/smaps", "r");
	long long kb = -1;
	int in = 0;
	char line[512];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = lo <= a && a < hi;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field))) {
			kb = atoll(line + strlen(field));
			break;
		}
	}
	fclose(f);
	return kb;
}

int fork_fn(int (*fn)(void *), void *arg)
{
	int pid = fork();

	ASSERT_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		_exit(fn(arg));
	return pid;
}

int wait_child(int pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}
