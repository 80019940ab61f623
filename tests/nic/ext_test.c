// SPDX-License-Identifier: GPL-2.0
/*
 * ext_test - libodpext (libibverbs-ext/) on an odph device, one case per run:
 *
 *	ext_test -d DEV [-g GIDX] CASE     (-g: cases that move data)
 *
 * Each case prints what it saw and "FAIL: ..." for every broken
 * expectation; the exit status is 0 only if there was none.  Counters come
 * from odp_ext_mr_stats() (RDMA netlink), so this runs as root.  Data
 * moves between two RC QPs of the same device (loopback): QP b's side is
 * the responder, so a buffer written by RDMA WRITE takes responder faults.
 * tests/nic/ext_tests.sh runs every case in the VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ext_test.h"

struct ibv_mr *reg_odp(struct env *e, void *p, size_t len, int access)
{
	struct ibv_mr *mr = ibv_reg_mr(e->v.pd, p, len,
				       access | IBV_ACCESS_ON_DEMAND);

	if (!mr)
		die("reg_mr ODP: %s", strerror(errno));
	return mr;
}

static int advise1(struct env *e, int advice, uint32_t flags, void *addr,
		   uint32_t len, uint32_t lkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr, .length = len, .lkey = lkey,
	};

	return odp_ext_advise(e->v.pd, advice, flags, &sge, 1);
}

static void expect_same(const void *a, const void *b, size_t len,
			const char *what)
{
	CHECK(!memcmp(a, b, len), "%s: data differs", what);
}

/* ---- cases ---- */

static void case_probe(struct env *e)
{
	CHECK(odp_ext_is_odph(e->v.ctx) == 1, "odph device not recognised");
}

/* Advice through an implicit MR: 8 fresh pages, then a hole. */
static void implicit_advice(struct env *e, struct ibv_mr *mr,
			    const struct odp_ext_stats *s)
{
	char *fresh = map_aligned(9 * PAGE, PAGE, PROT_READ | PROT_WRITE);
	struct odp_ext_stats t;
	int st;

	munmap(fresh + 8 * PAGE, PAGE);
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		     IBV_ADVISE_MR_FLAG_FLUSH, fresh, 8 * PAGE, mr->lkey);
	CHECK(st == 0, "implicit PREFETCH_WRITE: %s", strerror(st));
	t = stats_of(mr);
	CHECK(t.prefetches == s->prefetches + 1 &&
	      t.pages_faulted == s->pages_faulted + 8,
	      "implicit prefetch: want +1 prefetch, +8 pages");
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH,
		     IBV_ADVISE_MR_FLAG_FLUSH, fresh + 8 * PAGE, PAGE, mr->lkey);
	CHECK(st == EFAULT, "implicit PREFETCH of a hole: %s, want EFAULT",
	      strerror(st));
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH,
		     IBV_ADVISE_MR_FLAG_FLUSH, (void *)0xffff800000000000UL,
		     PAGE, mr->lkey);
	CHECK(st == EFAULT, "implicit PREFETCH beyond user space: %s, want "
	      "EFAULT", strerror(st));
}

/* Heap, stack and mmap memory through one implicit MR, both directions. */
static void case_implicit(struct env *e)
{
	char stack[8192] __attribute__((aligned(64)));
	size_t len = 6000;
	char *heap = malloc(len), *heap2 = calloc(1, len);
	char *map = map_aligned(4 * PAGE, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr = odp_ext_reg_implicit(e->v.pd, RW);
	struct odp_ext_stats s;
	int st;

	if (!mr)
		die("odp_ext_reg_implicit: %s", strerror(errno));
	fill(heap, len, 1);
	memset(stack, 0, sizeof(stack));
	st = rdma_op(e, IBV_WR_RDMA_WRITE, heap, mr->lkey, map + 100, mr->rkey,
		     len);
	CHECK(st == 0, "WRITE heap->mmap: status %d", st);
	expect_same(heap, map + 100, len, "heap->mmap");
	st = rdma_op(e, IBV_WR_RDMA_WRITE, map + 100, mr->lkey, stack + 8,
		     mr->rkey, len);
	CHECK(st == 0, "WRITE mmap->stack: status %d", st);
	expect_same(heap, stack + 8, len, "mmap->stack");
	st = rdma_op(e, IBV_WR_RDMA_READ, heap2, mr->lkey, stack + 8, mr->rkey,
		     len);
	CHECK(st == 0, "READ stack->heap: status %d", st);
	expect_same(heap, heap2, len, "stack->heap (READ)");
	s = stats_of(mr);
	print_stats("implicit", &s);
	CHECK(s.faults >= 1 && s.fault_errors == 0, "implicit MR counters");

	implicit_advice(e, mr, &s);
	ibv_dereg_mr(mr);
	free(heap);
	free(heap2);
}

/*
 * The window: a 4-byte write into a populated, window-aligned buffer
 * faults exactly one page and maps the rest of the window as snapshot.
 */
static void case_window(struct env *e)
{
	size_t w = odp_ext_window(), n;
	char *dst, *src;
	struct ibv_mr *md, *ms;
	struct odp_ext_stats s;
	int st;

	CHECK(w >= PAGE && !(w & (w - 1)), "module window %zu", w);
	if (failures)
		return;
	n = w / PAGE;
	dst = map_aligned(w, w, PROT_READ | PROT_WRITE);
	src = map_aligned(PAGE, PAGE, PROT_READ | PROT_WRITE);
	memset(dst, 0x5a, w);
	fill(src, 64, 9);

	errno = 0;
	CHECK(!odp_ext_reg_window(e->v.pd, dst, w, RW, 3000) && errno == EINVAL,
	      "window 3000: errno %d, want EINVAL", errno);
	errno = 0;
	CHECK(!odp_ext_reg_window(e->v.pd, dst, w, RW, 2 * w) &&
	      errno == ENOTSUP, "window 2x module's: errno %d, want ENOTSUP",
	      errno);
	md = odp_ext_reg_window(e->v.pd, dst, w, RW, w);
	ms = odp_ext_reg_window(e->v.pd, src, PAGE, RW, 0);
	if (!md || !ms)
		die("odp_ext_reg_window: %s", strerror(errno));

	st = rdma_op(e, IBV_WR_RDMA_WRITE, src, ms->lkey,
		     dst + (n / 2) * PAGE + 100, md->rkey, 4);
	CHECK(st == 0, "WRITE: status %d", st);
	expect_same(src, dst + (n / 2) * PAGE + 100, 4, "window write");
	CHECK(dst[(n / 2) * PAGE + 104] == 0x5a, "wrote past the 4 bytes");
	s = stats_of(md);
	print_stats("window dst", &s);
	CHECK(s.faults == 1 && s.pages_faulted == 1 &&
	      s.pages_snapshot == n - 1 && s.fault_errors == 0,
	      "want 1 fault, 1 page faulted, %zu snapshot", n - 1);
	ibv_dereg_mr(md);
	ibv_dereg_mr(ms);
}

/*
 * Prefetch @src for read and @dst for write, with FLUSH or not, then
 * move 64 KiB: no fault may be needed.
 */
static void prefetch_then_move(struct env *e, bool flush)
{
	size_t len = 16 * PAGE;
	char *src = map_aligned(len, PAGE, PROT_READ | PROT_WRITE);
	char *dst = map_aligned(len, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *ms = reg_odp(e, src, len, RW);
	struct ibv_mr *md = reg_odp(e, dst, len, RW);
	uint32_t fl = flush ? IBV_ADVISE_MR_FLAG_FLUSH : 0;
	struct odp_ext_stats ss, sd;
	int st, i;

	fill(src, len, 3);
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH, fl, src, len, ms->lkey);
	CHECK(st == 0, "PREFETCH src: %s", strerror(st));
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, fl, dst, len,
		     md->lkey);
	CHECK(st == 0, "PREFETCH_WRITE dst: %s", strerror(st));
	for (i = 0; i < 1000; i++) {	/* async: up to 10 s */
		ss = stats_of(ms);
		sd = stats_of(md);
		if (flush || (ss.pages_faulted == 16 && sd.pages_faulted == 16))
			break;
		usleep(10000);
	}
	print_stats("src after prefetch", &ss);
	print_stats("dst after prefetch", &sd);
	CHECK(ss.prefetches == 1 && ss.pages_faulted == 16 && ss.faults == 0,
	      "src: want 1 prefetch of 16 pages, no fault");
	CHECK(sd.prefetches == 1 && sd.pages_faulted == 16 && sd.faults == 0,
	      "dst: want 1 prefetch of 16 pages, no fault");

	st = rdma_op(e, IBV_WR_RDMA_WRITE, src, ms->lkey, dst, md->rkey, len);
	CHECK(st == 0, "WRITE: status %d", st);
	expect_same(src, dst, len, "prefetched write");
	ss = stats_of(ms);
	sd = stats_of(md);
	print_stats("src after write", &ss);
	print_stats("dst after write", &sd);
	CHECK(ss.faults == 0 && sd.faults == 0, "faults after prefetch");
	ibv_dereg_mr(ms);
	ibv_dereg_mr(md);
}

static void case_flush(struct env *e)
{
	prefetch_then_move(e, true);
}

static void case_async(struct env *e)
{
	prefetch_then_move(e, false);
}

/* PREFETCH_NO_FAULT maps the 3 resident pages of 16 and faults nothing. */
static void case_no_fault(struct env *e)
{
	size_t len = 16 * PAGE;
	char *buf = map_aligned(len, PAGE, PROT_READ | PROT_WRITE);
	char *dst = map_aligned(PAGE, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr = reg_odp(e, buf, len, RW);
	struct ibv_mr *md = reg_odp(e, dst, PAGE, RW);
	struct odp_ext_stats s;
	int st;

	buf[0] = 1;
	buf[3 * PAGE] = 3;
	buf[7 * PAGE + 17] = 7;
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
		     IBV_ADVISE_MR_FLAG_FLUSH, buf, len, mr->lkey);
	CHECK(st == 0, "PREFETCH_NO_FAULT: %s", strerror(st));
	s = stats_of(mr);
	print_stats("after NO_FAULT", &s);
	CHECK(s.prefetches == 1 && s.pages_snapshot == 3 &&
	      s.pages_faulted == 0 && s.faults == 0,
	      "want 3 pages snapshot, none faulted");

	/* A resident page is read without a fault, an absent one faults. */
	memset(dst, 0, PAGE);
	advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		IBV_ADVISE_MR_FLAG_FLUSH, dst, PAGE, md->lkey);
	st = rdma_op(e, IBV_WR_RDMA_READ, dst, md->lkey, buf + 7 * PAGE,
		     mr->rkey, 64);
	CHECK(st == 0 && dst[17] == 7, "READ of resident page 7");
	s = stats_of(mr);
	CHECK(s.faults == 0, "READ of a resident page faulted");
	st = rdma_op(e, IBV_WR_RDMA_READ, dst, md->lkey, buf + 5 * PAGE,
		     mr->rkey, 64);
	CHECK(st == 0 && dst[17] == 0, "READ of absent page 5");
	s = stats_of(mr);
	print_stats("after READs", &s);
	CHECK(s.faults == 1 && s.fault_errors == 0,
	      "want exactly 1 fault for the absent page");
	ibv_dereg_mr(mr);
	ibv_dereg_mr(md);
}

/* PREFETCH_WRITE on read-only memory: EPERM, nothing mapped, no loop. */
static void case_prefetch_write_ro(struct env *e)
{
	size_t len = 4 * PAGE;
	char *ro = map_aligned(len, PAGE, PROT_READ);
	struct ibv_mr *mw = reg_odp(e, ro, len, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_mr *mr = reg_odp(e, ro, len, 0);
	struct odp_ext_stats s;
	int st;

	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		     IBV_ADVISE_MR_FLAG_FLUSH, ro, len, mw->lkey);
	CHECK(st == EPERM, "PREFETCH_WRITE on PROT_READ: %s, want EPERM",
	      strerror(st));
	s = stats_of(mw);
	print_stats("after PREFETCH_WRITE", &s);
	CHECK(s.prefetches == 1 && s.pages_faulted == 0,
	      "failed write prefetch mapped pages");
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH,
		     IBV_ADVISE_MR_FLAG_FLUSH, ro, len, mw->lkey);
	CHECK(st == 0, "PREFETCH (read) on PROT_READ: %s", strerror(st));
	s = stats_of(mw);
	CHECK(s.prefetches == 2 && s.pages_faulted == 4,
	      "read prefetch: want 4 pages");
	/* No LOCAL_WRITE on the MR: refused before touching memory. */
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0, ro, len,
		     mr->lkey);
	CHECK(st == EACCES, "PREFETCH_WRITE without LOCAL_WRITE: %s, want "
	      "EACCES", strerror(st));
	ibv_dereg_mr(mw);
	ibv_dereg_mr(mr);
}

struct bad_arg {
	const char *what;
	int advice;
	uint32_t flags;
	long off;		/* from the buffer, bytes */
	uint32_t len;
	int lkey;		/* 0 this MR, 1 bogus, 2 another PD's MR */
	uint32_t num_sge;
	int want;
	bool both;		/* also with FLUSH, same errno */
};

static const struct bad_arg bad_args[] = {
	{ "bad lkey", 1, 0, 0, 4096, 1, 1, EINVAL, true },
	{ "other PD's lkey", 1, 0, 0, 4096, 2, 1, EINVAL, true },
	{ "len 0", 1, 0, 0, 0, 0, 1, EINVAL, true },
	{ "range beyond MR", 1, 0, 3 * 4096, 2 * 4096, 0, 1, EFAULT, true },
	{ "range before MR", 1, 0, -4096, 8192, 0, 1, EFAULT, true },
	{ "bad advice", 99, 0, 0, 4096, 0, 1, EOPNOTSUPP, true },
	{ "bad flags", 1, 2, 0, 4096, 0, 1, EINVAL, true },
	{ "no SGE", 1, 0, 0, 4096, 0, 0, EINVAL, true },
	{ "unmapped page +FLUSH", 1, 1, 2 * 4096, 4096, 0, 1, EFAULT, false },
	{ "unmapped page, async", 1, 0, 2 * 4096, 4096, 0, 1, 0, false },
	{ "mapped page +FLUSH", 1, 1, 0, 4096, 0, 1, 0, false },
};

/* Every argument error gets its errno, with and without FLUSH. */
static void case_bad_args(struct env *e)
{
	size_t len = 4 * PAGE, i;
	char *buf = map_aligned(len, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_pd *pd2 = ibv_alloc_pd(e->v.ctx);
	struct ibv_mr *mr = reg_odp(e, buf, len, RW), *mr2;
	struct ibv_sge sge;
	int st, pass;

	if (!pd2)
		die("alloc_pd: %s", strerror(errno));
	mr2 = ibv_reg_mr(pd2, buf, len, RW | IBV_ACCESS_ON_DEMAND);
	if (!mr2)
		die("reg_mr pd2: %s", strerror(errno));
	memset(buf, 1, len);
	munmap(buf + 2 * PAGE, PAGE);
	for (i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
		const struct bad_arg *b = &bad_args[i];

		for (pass = 0; pass < 1 + b->both; pass++) {
			uint32_t flags = b->flags;

			if (pass)
				flags |= IBV_ADVISE_MR_FLAG_FLUSH;
			sge.addr = (uintptr_t)buf + b->off;
			sge.length = b->len;
			sge.lkey = b->lkey == 0 ? mr->lkey :
				   b->lkey == 1 ? mr->lkey + 0x10000 :
				   mr2->lkey;
			st = odp_ext_advise(e->v.pd, b->advice, flags, &sge,
					    b->num_sge);
			printf("%s%s: %s\n", b->what, pass ? " +FLUSH" : "",
			       st ? strerror(st) : "ok");
			CHECK(st == b->want, "%s%s: got %s, want %s", b->what,
			      pass ? " +FLUSH" : "", strerror(st),
			      strerror(b->want));
		}
	}
	ibv_dereg_mr(mr2);
	ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd2);
}

/* A pinned MR: no ODP counters (ENOENT), advice is a checked no-op. */
static void case_pinned(struct env *e)
{
	size_t len = 4 * PAGE;
	char *buf = map_aligned(len, PAGE, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr = ibv_reg_mr(e->v.pd, buf, len, RW), *odp;
	struct odp_ext_stats s;
	int st;

	if (!mr)
		die("reg_mr: %s", strerror(errno));
	st = odp_ext_mr_stats(mr, &s);
	CHECK(st == ENOENT, "stats of pinned MR: %s, want ENOENT",
	      strerror(st));
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		     IBV_ADVISE_MR_FLAG_FLUSH, buf, len, mr->lkey);
	CHECK(st == 0, "advice on pinned MR: %s, want success", strerror(st));
	st = advise1(e, IBV_ADVISE_MR_ADVICE_PREFETCH,
		     IBV_ADVISE_MR_FLAG_FLUSH, buf, len + PAGE, mr->lkey);
	CHECK(st == EFAULT, "pinned MR, range beyond: %s, want EFAULT",
	      strerror(st));
	/* An ODP MR next to it does have counters, all zero. */
	odp = reg_odp(e, buf, len, RW);
	s = stats_of(odp);
	CHECK(!s.faults && !s.prefetches && !s.pages_faulted,
	      "fresh ODP MR has non-zero counters");
	ibv_dereg_mr(odp);
	ibv_dereg_mr(mr);
}

void case_trace(struct env *e);
void case_not_odph(struct env *e);
void case_install(struct env *e);
void case_stats_noadmin(struct env *e);
void case_async_teardown(struct env *e);

static const struct {
	const char *name;
	void (*run)(struct env *e);
	bool no_qps;		/* device and PD only (any driver) */
} cases[] = {
	{ "probe", case_probe, false },
	{ "implicit", case_implicit, false },
	{ "window", case_window, false },
	{ "flush", case_flush, false },
	{ "async", case_async, false },
	{ "no_fault", case_no_fault, false },
	{ "prefetch_write_ro", case_prefetch_write_ro, false },
	{ "bad_args", case_bad_args, false },
	{ "pinned", case_pinned, false },
	{ "trace", case_trace, false },
	{ "not_odph", case_not_odph, true },
	{ "install", case_install, false },
	{ "stats_noadmin", case_stats_noadmin, false },
	{ "async_teardown", case_async_teardown, false },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: ext_test -d DEV [-g GIDX] CASE\ncases:");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dev = NULL;
	struct env e;
	int opt, gidx = -1;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "d:g:")) != -1) {
		if (opt == 'd')
			dev = optarg;
		else if (opt == 'g')
			gidx = atoi(optarg);
		else
			usage();
	}
	if (!dev || optind != argc - 1)
		usage();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(argv[optind], cases[i].name))
			break;
	if (i == sizeof(cases) / sizeof(cases[0]) ||
	    (gidx < 0 && !cases[i].no_qps))
		usage();
	env_open(&e, dev, cases[i].no_qps ? -1 : gidx);
	cases[i].run(&e);
	env_close(&e);
	printf("%s: %d failure(s)\n", cases[i].name, failures);
	return failures ? 1 : 0;
}
