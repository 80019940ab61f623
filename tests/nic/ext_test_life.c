// SPDX-License-Identifier: GPL-2.0
/*
 * ext_test: cases about who may do what and when things go away.
 *	not_odph	a stock rxe device: not odph; advice, ODP MRs and
 *			counters EOPNOTSUPP; install ENODEV
 *	stats_noadmin	counters without CAP_NET_ADMIN: EPERM
 *	async_teardown	async advice left pending while its MR, PD and
 *			process go away: no crash, the device still works
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ext_test.h"

/* On a device that is not odph (no QPs: the env has only ctx and pd). */
void case_not_odph(struct env *e)
{
	char *buf = map_aligned(PAGE, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr = ibv_reg_mr(e->v.pd, buf, PAGE,
				       IBV_ACCESS_LOCAL_WRITE);
	struct ibv_sge sge = { .addr = (uintptr_t)buf, .length = PAGE };
	struct odp_ext_stats s;
	int st;

	if (!mr)
		die("reg_mr: %s", strerror(errno));
	sge.lkey = mr->lkey;
	CHECK(odp_ext_is_odph(e->v.ctx) == 0, "%s taken for odph",
	      ibv_get_device_name(e->v.ctx->device));
	st = odp_ext_advise(e->v.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(st == EOPNOTSUPP, "advice on non-odph: %s, want EOPNOTSUPP",
	      strerror(st));
	st = odp_ext_install(e->v.ctx);
	CHECK(st == ENODEV, "install on non-odph: %s, want ENODEV",
	      strerror(st));
	st = odp_ext_mr_stats(mr, &s);
	CHECK(st == EOPNOTSUPP, "stats on non-odph: %s, want EOPNOTSUPP",
	      strerror(st));
	errno = 0;
	CHECK(!odp_ext_reg_implicit(e->v.pd, IBV_ACCESS_LOCAL_WRITE) &&
	      errno == EOPNOTSUPP, "implicit MR on non-odph: %s, want EOPNOTSUPP",
	      strerror(errno));
	errno = 0;
	CHECK(!odp_ext_reg_window(e->v.pd, buf, PAGE, IBV_ACCESS_LOCAL_WRITE,
				  0) && errno == EOPNOTSUPP,
	      "window MR on non-odph: %s, want EOPNOTSUPP", strerror(errno));
	errno = 0;
	CHECK(!odp_ext_reg_window(e->v.pd, buf, PAGE, IBV_ACCESS_LOCAL_WRITE,
				  64 * 1024) && errno == EOPNOTSUPP,
	      "window hint on non-odph: %s, want EOPNOTSUPP", strerror(errno));
	ibv_dereg_mr(mr);
}

/*
 * After odp_ext_install(), libibverbs' own ibv_advise_mr() reaches the
 * kernel: a FLUSH PREFETCH_WRITE maps all 16 pages, a bad lkey is EINVAL.
 */
void case_install(struct env *e)
{
	size_t len = 16 * PAGE;
	char *buf = map_aligned(len, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr = reg_odp(e, buf, len, RW);
	struct ibv_sge sge = { .addr = (uintptr_t)buf, .length = len };
	struct odp_ext_stats s;
	int st;

	sge.lkey = mr->lkey;
	st = ibv_advise_mr(e->v.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			   IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(st == EOPNOTSUPP, "ibv_advise_mr before install: %s, want EOPNOTSUPP",
	      strerror(st));
	st = odp_ext_install(e->v.ctx);
	CHECK(st == 0, "odp_ext_install: %s", strerror(st));
	st = ibv_advise_mr(e->v.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			   IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(st == 0, "ibv_advise_mr: %s", strerror(st));
	s = stats_of(mr);
	print_stats("after ibv_advise_mr", &s);
	CHECK(s.prefetches == 1 && s.pages_faulted == 16 && s.faults == 0,
	      "want 1 prefetch of 16 pages, no fault");
	sge.lkey = mr->lkey + 1;
	st = ibv_advise_mr(e->v.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
			   IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(st == EINVAL, "bad lkey: %s, want EINVAL", strerror(st));
	ibv_dereg_mr(mr);
}

static int set_net_admin(bool on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[0].effective |= 1U << CAP_NET_ADMIN;
	else
		d[0].effective &= ~(1U << CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, d);
}

void case_stats_noadmin(struct env *e)
{
	char *buf = map_aligned(PAGE, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr = ibv_reg_mr(e->v.pd, buf, PAGE,
				       IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_ON_DEMAND);
	struct odp_ext_stats s;
	int st;

	if (!mr)
		die("reg_mr: %s", strerror(errno));
	if (set_net_admin(false))
		die("capset: %s", strerror(errno));
	st = odp_ext_mr_stats(mr, &s);
	CHECK(st == EPERM, "stats without CAP_NET_ADMIN: %s, want EPERM",
	      strerror(st));
	if (set_net_admin(true))
		die("capset: %s", strerror(errno));
	st = odp_ext_mr_stats(mr, &s);
	CHECK(st == 0, "stats with CAP_NET_ADMIN again: %s", strerror(st));
	ibv_dereg_mr(mr);
}

#define TEARDOWN_ROUNDS	20
#define TEARDOWN_LEN	(16UL << 20)

/*
 * A child queues async PREFETCH_WRITE of 16 MiB and then either tears
 * down explicitly (MR, PD, context) or just exits, leaving it to uverbs.
 */
static void teardown_child(struct ibv_device *dev, int round)
{
	struct ibv_context *ctx = ibv_open_device(dev);
	struct ibv_pd *pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	char *buf = map_aligned(TEARDOWN_LEN, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr = pd ? ibv_reg_mr(pd, buf, TEARDOWN_LEN,
					    IBV_ACCESS_LOCAL_WRITE |
					    IBV_ACCESS_ON_DEMAND) : NULL;
	struct ibv_sge sge = { .addr = (uintptr_t)buf,
			       .length = TEARDOWN_LEN };

	if (!mr)
		_exit(3);
	sge.lkey = mr->lkey;
	if (odp_ext_advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0,
			   &sge, 1))
		_exit(4);
	if (round % 2)
		_exit(0);
	if (ibv_dereg_mr(mr) || ibv_dealloc_pd(pd) || ibv_close_device(ctx))
		_exit(5);
	_exit(0);
}

void case_async_teardown(struct env *e)
{
	char *src = map_aligned(PAGE, PAGE, PROT_READ | PROT_WRITE);
	char *dst = map_aligned(PAGE, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *ms, *md;
	int i, status, st;
	pid_t pid;

	for (i = 0; i < TEARDOWN_ROUNDS; i++) {
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid)
			teardown_child(e->v.ctx->device, i);
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid: %s", strerror(errno));
		CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
		      "round %d: child status 0x%x", i, status);
	}
	ms = ibv_reg_mr(e->v.pd, src, PAGE, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_ON_DEMAND);
	md = ibv_reg_mr(e->v.pd, dst, PAGE, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND);
	if (!ms || !md)
		die("reg_mr: %s", strerror(errno));
	fill(src, PAGE, 11);
	st = rdma_op(e, IBV_WR_RDMA_WRITE, src, ms->lkey, dst, md->rkey, PAGE);
	CHECK(st == 0 && !memcmp(src, dst, PAGE),
	      "WRITE after the teardowns: status %d", st);
	ibv_dereg_mr(ms);
	ibv_dereg_mr(md);
}
