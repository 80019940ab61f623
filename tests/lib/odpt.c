// SPDX-License-Identifier: GPL-2.0
/* odpt.c - odph_test ioctl wrappers returning 0 or -errno. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "odpt.h"

int odpt_open(void)
{
	int fd = open(ODPT_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int odpt_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

int odpt_create(int fd, uint64_t va, uint64_t len, uint64_t iova,
		uint32_t flags)
{
	struct odpt_create c = {
		.va = va, .length = len, .iova = iova, .flags = flags,
	};

	return odpt_ioctl(fd, ODPT_IOC_CREATE, &c);
}

int odpt_create_implicit(int fd)
{
	return odpt_create(fd, 0, 0, 0, ODPT_CREATE_IMPLICIT);
}

int odpt_destroy(int fd)
{
	return odpt_ioctl(fd, ODPT_IOC_DESTROY, NULL);
}

static int odpt_rw(int fd, unsigned long req, uint64_t iova, const void *buf,
		   uint64_t len, uint64_t window, uint32_t flags)
{
	struct odpt_rw rw = {
		.iova = iova, .length = len, .addr = u64_of(buf),
		.window = window, .flags = flags,
	};

	return odpt_ioctl(fd, req, &rw);
}

int odpt_read(int fd, uint64_t iova, void *buf, uint64_t len,
	      uint64_t window)
{
	return odpt_rw(fd, ODPT_IOC_READ, iova, buf, len, window, 0);
}

int odpt_write(int fd, uint64_t iova, const void *buf, uint64_t len,
	       uint64_t window)
{
	return odpt_rw(fd, ODPT_IOC_WRITE, iova, buf, len, window, 0);
}

int odpt_write_flags(int fd, uint64_t iova, const void *buf, uint64_t len,
		     uint64_t window, uint32_t flags)
{
	return odpt_rw(fd, ODPT_IOC_WRITE, iova, buf, len, window, flags);
}

int odpt_snapshot(int fd, uint64_t iova, uint64_t len, uint8_t *out)
{
	struct odpt_snapshot s = {
		.iova = iova, .length = len, .addr = u64_of(out),
	};

	return odpt_ioctl(fd, ODPT_IOC_SNAPSHOT, &s);
}

int odpt_prefetch(int fd, uint64_t iova, uint64_t len, uint32_t flags)
{
	struct odpt_prefetch p = { .iova = iova, .length = len, .flags = flags };

	return odpt_ioctl(fd, ODPT_IOC_PREFETCH, &p);
}

int odpt_stats(int fd, struct odpt_stats *st)
{
	return odpt_ioctl(fd, ODPT_IOC_STATS, st);
}

int odpt_inject(int fd, uint32_t count, int32_t error)
{
	struct odpt_inject in = { .count = count, .error = error };

	return odpt_ioctl(fd, ODPT_IOC_INJECT, &in);
}

long long odpt_live_mirrors(void)
{
	struct odpt_stats st;
	int fd = odpt_open(), ret;

	if (fd < 0)
		return fd;
	ret = odpt_stats(fd, &st);
	close(fd);
	return ret ? ret : (long long)st.live_mirrors;
}
