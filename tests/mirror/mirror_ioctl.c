// SPDX-License-Identifier: GPL-2.0
/* mirror_ioctl.c - argument checking of every odph_test ioctl, table-driven. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mirror.h"

#define NPAGES		16
#define LAST_PAGE	(~0ULL & ~(PAGE_SZ - 1))

struct bad_ioctl {
	const char *name;
	unsigned long req;
	int with_mirror;	/* run on an fd with a mirror of the buffer */
	int err;		/* expected errno */
	union {
		struct odpt_create c;
		struct odpt_rw rw;
		struct odpt_snapshot s;
		struct odpt_prefetch p;
		struct odpt_inject in;
	} a;
};

/*
 * End of the user address space: 1 << 47, or 1 << 56 with 5-level paging
 * (a KVM guest on an LA57 host), when a page above 1 << 47 can be mapped.
 */
static uint64_t user_top(void)
{
	void *hi = (void *)(1ULL << 47), *p;

	p = mmap(hi, PAGE_SZ, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return 1ULL << 47;
	munmap(p, PAGE_SZ);
	return p == hi ? 1ULL << 56 : 1ULL << 47;
}

FIXTURE(ioctl) {
	char *buf;		/* NPAGES pages, mirrored by with_mirror rows */
	char ubuf[2 * PAGE_SZ];	/* user buffer of READ/WRITE/SNAPSHOT */
};

FIXTURE_SETUP(ioctl)
{
	self->buf = map_anon(NPAGES * PAGE_SZ, 0, MADV_NOHUGEPAGE);
	fill(self->buf, NPAGES * PAGE_SZ, 90);
	close(open_dev());
}

FIXTURE_TEARDOWN(ioctl)
{
}

#define CREATE(...)	ODPT_IOC_CREATE, 0, EINVAL, { .c = { __VA_ARGS__ } }
#define RD(e, ...)	ODPT_IOC_READ, 1, e, { .rw = { __VA_ARGS__ } }
#define WR(e, ...)	ODPT_IOC_WRITE, 1, e, { .rw = { __VA_ARGS__ } }
#define SNAP(e, ...)	ODPT_IOC_SNAPSHOT, 1, e, { .s = { __VA_ARGS__ } }
#define PREF(e, ...)	ODPT_IOC_PREFETCH, 1, e, { .p = { __VA_ARGS__ } }
#define INJ(...)	ODPT_IOC_INJECT, 1, EINVAL, { .in = { __VA_ARGS__ } }

/* Runs one row on a fresh fd, then checks the fd is still usable. */
static void run_row(struct _tap_fx_ioctl *self, struct bad_ioctl *r)
{
	uint64_t va = u64_of(self->buf), len = NPAGES * PAGE_SZ;
	int fd = open_dev(), ret;
	char out[8];

	if (r->with_mirror)
		ASSERT_EQ(0, odpt_create(fd, va, len, va, 0));
	ret = odpt_ioctl(fd, r->req, &r->a);
	EXPECT_MSG(ret == -r->err, "%s: expected %s got %s", r->name,
		   strerrorname_np(r->err), ret ? strerrorname_np(-ret) : "0");

	/* the fd is still usable: a rejected CREATE left no mirror behind */
	if (!r->with_mirror && r->req == ODPT_IOC_CREATE)
		EXPECT_MSG(!odpt_create(fd, va, len, va, 0),
			   "%s: CREATE after it failed", r->name);
	if (r->with_mirror || r->req == ODPT_IOC_CREATE)
		EXPECT_MSG(!odpt_read(fd, va, out, sizeof(out), W4K),
			   "%s: READ after it failed", r->name);
	close(fd);
}

/* Invalid arguments of every ioctl fail with the documented errno. */
TEST_F(ioctl, invalid_args)
{
	const uint64_t va = u64_of(self->buf), len = NPAGES * PAGE_SZ;
	const uint64_t ub = u64_of(self->ubuf), P = PAGE_SZ;
	const uint32_t IMPL = ODPT_CREATE_IMPLICIT;
	const uint64_t TOP = user_top();
	struct bad_ioctl rows[] = {
	{ "create unaligned va", CREATE(va + 1, len, va) },
	{ "create unaligned length", CREATE(va, len + 1, va) },
	{ "create unaligned iova", CREATE(va, len, va + 1) },
	{ "create zero length", CREATE(va, 0, va) },
	{ "create va+len overflow", CREATE(LAST_PAGE, 2 * P, 0) },
	{ "create iova+len overflow", CREATE(va, len, LAST_PAGE) },
	{ "create va beyond user space", CREATE(TOP, P, TOP) },
	{ "create va+len beyond user space", CREATE(TOP - P, 2 * P, va) },
	{ "create unknown flag 1<<2", CREATE(va, len, va, 1u << 2) },
	{ "create unknown flag 1<<31", CREATE(va, len, va, 1u << 31) },
	{ "create reserved", CREATE(va, len, va, 0, 1) },
	{ "create implicit with va", CREATE(va, 0, 0, IMPL) },
	{ "create implicit with length", CREATE(0, len, 0, IMPL) },
	{ "create implicit with iova", CREATE(0, 0, va, IMPL) },
	{ "second create", ODPT_IOC_CREATE, 1, EBUSY,
	  { .c = { va, len, va } } },
	{ "second create implicit", ODPT_IOC_CREATE, 1, EBUSY,
	  { .c = { .flags = IMPL } } },

	{ "read without mirror", ODPT_IOC_READ, 0, ENOENT,
	  { .rw = { va, 8, ub, P } } },
	{ "write without mirror", ODPT_IOC_WRITE, 0, ENOENT,
	  { .rw = { va, 8, ub, P } } },
	{ "snapshot without mirror", ODPT_IOC_SNAPSHOT, 0, ENOENT,
	  { .s = { va, P, ub } } },
	{ "prefetch without mirror", ODPT_IOC_PREFETCH, 0, ENOENT,
	  { .p = { va, P } } },
	{ "destroy without mirror", ODPT_IOC_DESTROY, 0, ENOENT, { } },

	{ "read zero length", RD(EINVAL, va, 0, ub, P) },
	{ "read iova+len overflow", RD(EINVAL, va, ~0ULL, ub, P) },
	{ "read unknown flag", RD(EINVAL, va, 8, ub, P, 2) },
	{ "read reserved", RD(EINVAL, va, 8, ub, P, 0, 1) },
	{ "read window not 2^n", RD(EINVAL, va, 8, ub, 3 * P) },
	{ "read window > 1 GiB", RD(EINVAL, va, 8, ub, 2 * GIB) },
	{ "read bad user addr", RD(EFAULT, va, 8, 8, P) },
	{ "write zero length", WR(EINVAL, va, 0, ub, P) },
	{ "write iova+len overflow", WR(EINVAL, va, ~0ULL, ub, P) },
	{ "write unknown flag", WR(EINVAL, va, 8, ub, P, 2) },
	{ "write reserved", WR(EINVAL, va, 8, ub, P, 0, 1) },
	{ "write window not 2^n", WR(EINVAL, va, 8, ub, 3 * P) },
	{ "write window > 1 GiB", WR(EINVAL, va, 8, ub, 2 * GIB) },
	{ "write bad user addr", WR(EFAULT, va, 8, 8, P) },

	{ "snapshot unaligned iova", SNAP(EINVAL, va + 1, P, ub) },
	{ "snapshot unaligned length", SNAP(EINVAL, va, P + 1, ub) },
	{ "snapshot zero length", SNAP(EINVAL, va, 0, ub) },
	{ "prefetch unaligned iova", PREF(EINVAL, va + 1, P) },
	{ "prefetch unaligned length", PREF(EINVAL, va, P + 1) },
	{ "prefetch zero length", PREF(EINVAL, va, 0) },
	{ "prefetch unknown flag", PREF(EINVAL, va, P, 1u << 2) },
	{ "prefetch reserved", PREF(EINVAL, va, P, 0, 1) },

	{ "read past the mirror", RD(ERANGE, va + len, 8, ub, P) },
	{ "read before the mirror", RD(ERANGE, va - P, 8, ub, P) },
	{ "read straddling the end", RD(ERANGE, va + len - 4, 8, ub, P) },
	{ "write past the mirror", WR(ERANGE, va + len, 8, ub, P) },
	{ "snapshot past the mirror", SNAP(ERANGE, va + len, P, ub) },
	{ "snapshot straddling the end", SNAP(ERANGE, va + len - P, 2 * P, ub) },
	{ "prefetch past the mirror", PREF(ERANGE, va + len, P) },
	{ "prefetch straddling the end", PREF(ERANGE, va + len - P, 2 * P) },

	{ "inject error 0", INJ(1, 0) },
	{ "inject error < 0", INJ(1, -EIO) },
	{ "inject error > 4095", INJ(1, 4096) },

	{ "unknown ioctl nr", _IO(ODPT_IOC_MAGIC, 0x7f), 1, ENOTTY, { } },
	{ "read nr with wrong size", _IOW(ODPT_IOC_MAGIC, 0x02, __u32), 1,
	  ENOTTY, { } },
	{ "other magic", _IO('X', 0x00), 1, ENOTTY, { } },
	};

	TAP_LOG("user address space ends at %#llx", (unsigned long long)TOP);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(self, &rows[i]);
}
