// SPDX-License-Identifier: GPL-2.0
/*
 * odp_bench - ODP costs on odph that perftest cannot show, measured in one
 * process that drives two verbs devices (in the bench, odphA and odphB on
 * the two ends of a veth pair).
 *
 *	odp_bench pass -A DEV:GIDX -B DEV:GIDX [-o] [-p] [-c] [-s BYTES]
 *		       [-m BYTES]
 *	odp_bench reg  -A DEV [-s BYTES] [-n REPS]
 *
 * pass: device A RDMA-WRITEs a fresh buffer (written by the CPU first, as
 * a sender's data would be) into a fresh, never-touched buffer behind
 * device B, in -m sized messages, -s bytes in all; then does it again over
 * the same buffers.  Prints the bandwidth of the first (cold) and second
 * (warm) pass and checks the data after each.  -o registers both buffers
 * on demand (ODP), otherwise pinned.  -p prefetches both ODP MRs before
 * the first pass through the raw ADVISE_MR ioctl (Debian's librxe has no
 * ibv_advise_mr; odph implements the kernel verb), and reports the
 * bandwidth with and without the prefetch time.  -c: first pass only.
 *
 * reg: ibv_reg_mr time for a -s byte buffer (touched by the CPU first):
 * pinned, ODP explicit, ODP implicit (whole address space); median of -n.
 *
 * Output: "key value unit" lines, read by bench/odp.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <infiniband/verbs.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

#include "vtool.h"

#define DEPTH	32

struct end {
	const char *name;
	int gidx;
	struct vt_end v;	/* device, PD, CQ, QP, GID */
	struct ibv_mr *mr;
	unsigned char *buf;
	enum ibv_mtu mtu;
};

static size_t total = 64UL << 20;
static size_t msg = 64 << 10;
static bool odp, prefetch, cold_only;
static int reps = 5;

static void die(const char *what)
{
	fprintf(stderr, "odp_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void parse_end(struct end *e, char *arg)
{
	char *colon = strchr(arg, ':');

	e->name = arg;
	e->gidx = 0;
	if (colon) {
		*colon = 0;
		e->gidx = atoi(colon + 1);
	}
}

/* Device, PD, CQ, GID and active MTU of @e. */
static void open_end(struct end *e)
{
	struct ibv_port_attr pa;

	if (vt_end_open(&e->v, e->name, 2 * DEPTH, e->gidx)) {
		fprintf(stderr, "odp_bench: %s\n", e->v.err);
		exit(1);
	}
	if (ibv_query_port(e->v.ctx, 1, &pa))
		die("ibv_query_port");
	e->mtu = pa.active_mtu;
}

static void *fresh(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, MADV_NOHUGEPAGE);	/* 4 KiB faults, as measured */
	return p;
}

static int access_flags(void)
{
	return IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
	       IBV_ACCESS_REMOTE_READ | (odp ? IBV_ACCESS_ON_DEMAND : 0);
}

static void make_qp(struct end *e)
{
	e->v.qp = vt_qp_create(&e->v, IBV_QPT_RC, DEPTH, 1, 1);
	if (!e->v.qp)
		die("ibv_create_qp");
}

/*
 * Take @e's QP to RTS, connected to @peer's QP (rnr_retry 7, infinite:
 * ODP faults answer RNR NAK).
 */
static void connect_qp(struct end *e, struct end *peer)
{
	struct vt_path p = {
		.dest_qpn = peer->v.qp->qp_num, .rq_psn = 0, .sq_psn = 0,
		.sgid_index = e->gidx, .dgid = peer->v.gid,
		.mtu = e->mtu < peer->mtu ? e->mtu : peer->mtu,
		.rd_atomic = 1,
		.min_rnr_timer = 1,	/* 0.01 ms: the shortest RNR wait */
	};
	const char *step = vt_rc_connect(e->v.qp, IBV_ACCESS_REMOTE_WRITE |
					 IBV_ACCESS_REMOTE_READ, &p);
	char what[32];

	if (step) {
		snprintf(what, sizeof(what), "modify %s", step);
		die(what);
	}
}

/*
 * ibv_advise_mr() by hand: the uverbs ioctl UVERBS_METHOD_ADVISE_MR on
 * the MR object (the PD is an attribute), synchronous (FLUSH).
 */
static int advise(struct end *e, uint32_t advice)
{
	struct ib_uverbs_sge sge = {
		.addr = (uintptr_t)e->buf, .length = total, .lkey = e->mr->lkey,
	};
	struct {
		struct ib_uverbs_ioctl_hdr hdr;
		struct ib_uverbs_attr attr[4];
	} c = {
		.hdr = {
			.length = sizeof(c), .object_id = UVERBS_OBJECT_MR,
			.method_id = UVERBS_METHOD_ADVISE_MR, .num_attrs = 4,
			/* must match the kernel driver's: odph speaks rxe */
			.driver_id = RDMA_DRIVER_RXE,
		},
		.attr = {
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_PD_HANDLE,
			  .data = e->v.pd->handle },	/* objects: len 0 */
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_ADVICE,
			  .len = sizeof(uint64_t), .data = advice },
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_FLAGS,
			  .len = sizeof(uint32_t),
			  .data = IB_UVERBS_ADVISE_MR_FLAG_FLUSH },
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_SGE_LIST,
			  .len = sizeof(sge), .data = (uintptr_t)&sge },
		},
	};

	return ioctl(e->v.ctx->cmd_fd, RDMA_VERBS_IOCTL, &c);
}

/* One pass of -s bytes in -m messages, DEPTH in flight; seconds. */
static double pass(struct end *a, struct end *b)
{
	size_t n = total / msg, posted = 0, done = 0;
	struct ibv_wc wc[DEPTH];
	double t0 = now();

	while (done < n) {
		while (posted < n && posted - done < DEPTH) {
			struct vt_op op = {
				.opcode = IBV_WR_RDMA_WRITE, .wr_id = posted,
				.laddr = a->buf + posted * msg, .len = msg,
				.lkey = a->mr->lkey,
				.raddr = (uintptr_t)b->buf + posted * msg,
				.rkey = b->mr->rkey,
			};

			if (vt_post(a->v.qp, &op))
				die("ibv_post_send");
			posted++;
		}
		int k = ibv_poll_cq(a->v.cq, DEPTH, wc);

		if (k < 0)
			die("ibv_poll_cq");
		for (int i = 0; i < k; i++) {
			if (wc[i].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "odp_bench: wr %llu: %s\n",
					(unsigned long long)wc[i].wr_id,
					ibv_wc_status_str(wc[i].status));
				exit(1);
			}
		}
		done += k;
	}
	return now() - t0;
}

static void check(struct end *a, struct end *b, const char *what)
{
	if (memcmp(a->buf, b->buf, total)) {
		fprintf(stderr, "odp_bench: %s: data differ\n", what);
		exit(1);
	}
}

static double mbps(double sec)
{
	return total / sec / 1e6;
}

static int run_pass(struct end *a, struct end *b)
{
	double tp = 0, t1, t2;
	size_t i;

	open_end(a);
	open_end(b);
	a->buf = fresh(total);
	b->buf = fresh(total);
	for (i = 0; i < total; i += sizeof(uint64_t))
		*(uint64_t *)(a->buf + i) = i * 0x9e3779b97f4a7c15ULL + 1;
	a->mr = ibv_reg_mr(a->v.pd, a->buf, total, access_flags());
	b->mr = ibv_reg_mr(b->v.pd, b->buf, total, access_flags());
	if (!a->mr || !b->mr)
		die("ibv_reg_mr");
	make_qp(a);
	make_qp(b);
	connect_qp(a, b);
	connect_qp(b, a);
	if (prefetch) {
		double t0 = now();

		if (advise(a, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH) ||
		    advise(b, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE))
			die("ADVISE_MR ioctl");
		tp = now() - t0;
	}
	t1 = pass(a, b);
	check(a, b, "first pass");
	printf("cold_MBps %.1f MB/s\n", mbps(t1));
	if (prefetch) {
		printf("prefetch_s %.4f s\n", tp);
		printf("cold_incl_prefetch_MBps %.1f MB/s\n", mbps(t1 + tp));
	}
	if (cold_only)
		return 0;
	memset(b->buf, 0, total);	/* warm pass must rewrite it all */
	t2 = pass(a, b);
	check(a, b, "second pass");
	printf("warm_MBps %.1f MB/s\n", mbps(t2));
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Median seconds of -n registrations of @len bytes at @addr. */
static double reg_time(struct end *e, void *addr, size_t len, int access)
{
	double t[64];
	int i, n = reps < 64 ? reps : 64;

	for (i = 0; i < n; i++) {
		double t0 = now();
		struct ibv_mr *mr = ibv_reg_mr(e->v.pd, addr, len, access);

		t[i] = now() - t0;
		if (!mr)
			die("ibv_reg_mr");
		ibv_dereg_mr(mr);
	}
	qsort(t, n, sizeof(*t), cmp_double);
	return t[n / 2];
}

static int run_reg(struct end *e)
{
	int base = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		   IBV_ACCESS_REMOTE_READ;
	unsigned char *buf;

	open_end(e);
	buf = fresh(total);
	memset(buf, 1, total);
	printf("reg_pinned_ms %.3f ms\n", 1e3 * reg_time(e, buf, total, base));
	printf("reg_odp_ms %.3f ms\n",
	       1e3 * reg_time(e, buf, total, base | IBV_ACCESS_ON_DEMAND));
	printf("reg_implicit_ms %.3f ms\n",
	       1e3 * reg_time(e, NULL, SIZE_MAX, base | IBV_ACCESS_ON_DEMAND));
	return 0;
}

static size_t size_arg(const char *s)
{
	char *end;
	size_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10;
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: odp_bench pass -A DEV:GIDX -B DEV:GIDX "
		"[-o] [-p] [-c] [-s BYTES] [-m BYTES]\n"
		"       odp_bench reg -A DEV [-s BYTES] [-n REPS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct end a = {}, b = {};
	const char *mode;
	int opt;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "A:B:opcs:m:n:")) != -1) {
		switch (opt) {
		case 'A': parse_end(&a, optarg); break;
		case 'B': parse_end(&b, optarg); break;
		case 'o': odp = true; break;
		case 'p': prefetch = true; break;
		case 'c': cold_only = true; break;
		case 's': total = size_arg(optarg); break;
		case 'm': msg = size_arg(optarg); break;
		case 'n': reps = atoi(optarg); break;
		default: usage();
		}
	}
	if (!a.name || !msg || total % msg || reps < 1)
		usage();
	if (!strcmp(mode, "pass") && b.name) {
		if (prefetch && !odp)
			usage();
		return run_pass(&a, &b);
	}
	if (!strcmp(mode, "reg"))
		return run_reg(&a);
	usage();
	return 2;
}
