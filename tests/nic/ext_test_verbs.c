// SPDX-License-Identifier: GPL-2.0
/* ext_test: the verbs plumbing (device, loopback QP pair, one-shot ops). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ext_test.h"

int failures;

void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

void die(const char *fmt, ...)
{
	va_list ap;

	printf("FATAL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(2);
}

/* An RC QP in INIT on the env's PD and CQ. */
static struct ibv_qp *make_qp(struct env *e)
{
	struct ibv_qp *qp = vt_qp_create(&e->v, IBV_QPT_RC, 16, 16, 2);

	if (!qp)
		die("create_qp: %s", strerror(errno));
	if (vt_qp_init(qp, VT_REMOTE_RWA))
		die("INIT: %s", strerror(errno));
	return qp;
}

/* Take @qp to RTS towards @peer on the same device. */
static void connect_to(struct env *e, struct ibv_qp *qp, struct ibv_qp *peer)
{
	struct vt_path p = {
		.dest_qpn = peer->qp_num, .rq_psn = 0x100, .sq_psn = 0x100,
		.sgid_index = e->v.gidx, .dgid = e->v.gid,
		.mtu = IBV_MTU_1024, .rd_atomic = 4, .min_rnr_timer = 1,
	};
	const char *step = vt_qp_rtr_rts(qp, &p);

	if (step)
		die("%s: %s", step, strerror(errno));
}

void env_open(struct env *e, const char *dev, int gidx)
{
	memset(e, 0, sizeof(*e));
	if (vt_end_open(&e->v, dev, 64, gidx))
		die("%s", e->v.err);
	if (gidx < 0)		/* no QPs wanted */
		return;
	e->v.qp = make_qp(e);
	e->b = make_qp(e);
	connect_to(e, e->v.qp, e->b);
	connect_to(e, e->b, e->v.qp);
}

void env_close(struct env *e)
{
	if (e->v.qp) {
		ibv_destroy_qp(e->v.qp);
		ibv_destroy_qp(e->b);
	}
	ibv_destroy_cq(e->v.cq);
	ibv_dealloc_pd(e->v.pd);
	ibv_close_device(e->v.ctx);
}

int rdma_op(struct env *e, enum ibv_wr_opcode op, void *laddr, uint32_t lkey,
	    void *raddr, uint32_t rkey, uint32_t len)
{
	struct vt_op o = {
		.opcode = op, .wr_id = 7, .laddr = laddr, .len = len,
		.lkey = lkey, .raddr = (uintptr_t)raddr, .rkey = rkey,
	};
	struct ibv_wc wc;
	int ret = vt_post(e->v.qp, &o);

	if (ret)
		die("post_send: %s", strerror(-ret));
	return vt_wait_wc(e->v.cq, &wc, 60);
}

void *map_aligned(size_t len, size_t align, int prot)
{
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *q;

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	q = (char *)(((uintptr_t)p + align - 1) & ~(align - 1));
	if (q > p)
		munmap(p, q - p);
	if (p + align > q)
		munmap(q + len, p + align - q);
	madvise(q, len, MADV_NOHUGEPAGE);
	if (mprotect(q, len, prot))
		die("mprotect: %s", strerror(errno));
	return q;
}

void fill(void *p, size_t len, uint32_t seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		c[i] = seed >> 16;
	}
}

struct odp_ext_stats stats_of(struct ibv_mr *mr)
{
	struct odp_ext_stats s;
	int ret = odp_ext_mr_stats(mr, &s);

	if (ret)
		die("odp_ext_mr_stats: %s", strerror(ret));
	return s;
}

void print_stats(const char *what, const struct odp_ext_stats *s)
{
	printf("%s: faults %llu faulted %llu snapshot %llu inval %llu "
	       "pages_inval %llu prefetches %llu retries %llu errors %llu\n",
	       what, (unsigned long long)s->faults,
	       (unsigned long long)s->pages_faulted,
	       (unsigned long long)s->pages_snapshot,
	       (unsigned long long)s->invalidations,
	       (unsigned long long)s->pages_invalidated,
	       (unsigned long long)s->prefetches,
	       (unsigned long long)s->fault_retries,
	       (unsigned long long)s->fault_errors);
}
